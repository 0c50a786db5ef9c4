# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= $(CURDIR)/.venv/registry.db
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-test build serve demo typecheck soak clean

# Each step says what it does before it starts and how long it took: the first `make run`
# spends a minute or so installing, which must not look like a hang.
$(BIN)/python:
	@echo "youcheng: creating the virtual environment $(VENV) and updating pip ..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# An editable install writes no bytecode for youcheng itself (and PYTHONDONTWRITEBYTECODE
# may forbid Python to): compile it once, as pip does for a regular install, so every
# `youcheng` command starts from bytecode.
INSTALLING = echo "youcheng: installing youcheng and its dependencies into $(VENV) ..."
TOOK = echo "youcheng: done in $$(( $$(date +%s) - start )) s"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@$(INSTALLING)
	@start=$$(date +%s); $(BIN)/pip install --quiet -e . && $(TOOK)
	@echo "youcheng: compiling youcheng's bytecode ..."
	$(BIN)/python -m compileall -q youcheng
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@$(INSTALLING)
	@start=$$(date +%s); $(BIN)/pip install --quiet -e '.[test]' && $(TOOK)
	@echo "youcheng: compiling youcheng's bytecode ..."
	$(BIN)/python -m compileall -q youcheng
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: create .venv, install, build the registry from the embedded seed and serve it
## (web page and REST API at http://$(HOST):$(PORT)/; stop with Ctrl-C).
run: build
	@echo "youcheng: serving the web page and the API at http://$(HOST):$(PORT)/ (Ctrl-C stops) ..."
	exec $(BIN)/youcheng serve --db $(DB) --host $(HOST) --port $(PORT)

build: install
	@echo "youcheng: building the registry $(DB) from the embedded sources (a few seconds) ..."
	@start=$$(date +%s); $(BIN)/youcheng build --db $(DB) && $(TOOK)

serve: install
	exec $(BIN)/youcheng serve --db $(DB) --host $(HOST) --port $(PORT)

## make demo: a few CLI queries on the built registry.
demo: build
	$(BIN)/youcheng check --db $(DB) | head -n 1
	$(BIN)/youcheng partners 洛陽市 --db $(DB)
	$(BIN)/youcheng stats --by country --db $(DB) | head -n 10

## make test: create .venv with test extras and run the whole test suite.
test: install-test
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q

typecheck: install-test
	$(BIN)/python -m mypy

## make soak: the slow tests of issue #6: 10,000 fuzz examples per property, 40 builds
## killed at random moments, reader processes through 20 rebuilds, hostile lines at the limit.
soak: install-test
	$(BIN)/python -m pytest -q -m slow --run-slow --durations=10 -s

clean:
	rm -rf $(VENV) build *.egg-info *.so youcheng/*.so youcheng/*/*.so
