# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= $(CURDIR)/.venv/registry.db
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-test build serve demo typecheck soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: create .venv, install, build the registry from the embedded seed, demo it.
run: install
	$(BIN)/youcheng build --db $(DB)
	$(BIN)/youcheng check --db $(DB) | head -n 1
	$(BIN)/youcheng partners 洛陽市 --db $(DB)
	$(BIN)/youcheng stats --by country --db $(DB) | head -n 10

## make test: create .venv with test extras and run the whole test suite.
test: install-test
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q

typecheck: install-test
	$(BIN)/python -m mypy

## make soak: the slow property-based and kill tests.
soak: install-test
	$(BIN)/python -m pytest -q -m slow --run-slow

clean:
	rm -rf $(VENV) build *.egg-info
