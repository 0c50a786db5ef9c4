"""CLI: exit codes, exact messages, and that output matches the library."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from youcheng import __version__, config
from youcheng.cli import app
from youcheng.relationships import Attestation, Relationship

from .conftest import write_page
from .expected import (LUOYANG_ROWS, SEED_ANOMALIES, SEED_BY_YEAR, SEED_COUNTRIES, SEED_FIRST_YEAR, SEED_PLACES,
                       SEED_RELATIONSHIPS, SEED_ROWS, WUHAN_ROWS)


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, f"youcheng {__version__}\n")


def test_build_default_reads_every_embedded_source(runner: CliRunner, tmp_path: Path) -> None:
    from youcheng.catalog import default_sources

    result = runner.invoke(app, ["build", "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 0, result.output
    assert f"from {len(default_sources())} source(s)" in result.output


def test_build_seed_alone(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(config.seed_path()), "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 0
    assert f"{SEED_ROWS} partnerships" in result.output and f"{SEED_ANOMALIES} anomalies" in result.output


def test_build_not_a_page_exits_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    page = write_page(tmp_path, "hello\nworld\n", name="notes.txt")
    result = runner.invoke(app, ["build", str(page), "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 2
    from youcheng.sources import format_names

    assert result.stderr == (f"Error: {page}: no source format reads this file (tried: "
                             f"{', '.join(format_names())}); pass --format NAME to read it as one of them\n")
    assert not (tmp_path / "r.db").exists()


def test_build_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(tmp_path / "nope.md"), "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 2 and result.stderr.startswith("Error: cannot read")


def test_partners_json_has_relationships_with_their_attestations(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["partners", "洛陽市", "--format", "json", "--db", str(seed_db)])
    assert result.exit_code == 0
    found = json.loads(result.stdout)
    assert [r["partner_name"] for r in found] == ["岡山市", "圖爾", "普洛夫迪夫", "拉克羅斯", "陶裏亞蒂"]
    first = found[0]
    assert {k: first[k] for k in ("cn_name", "country", "date", "tier", "status", "sources", "conflicts")} == {
        "cn_name": "洛陽市", "country": "JP", "date": "1981-04-06", "tier": "sister",
        "status": "active", "sources": 1, "conflicts": []}
    assert first["status_source"].startswith("http://")  # frozen 2003-2006: data/relationship_status.csv
    [attestation] = first["attestations"]
    assert {k: attestation[k] for k in ("source", "line", "date", "date_text", "country_text", "note")} == {
        "source": "中华人民共和国友好城市列表.md", "line": 534, "date": "1981-04-06",
        "date_text": "1981年4月6日", "country_text": "日本", "note": None}


def test_partners_table_lists_relationships(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["partners", "洛阳市", "--format", "table", "--db", str(seed_db)])
    assert result.exit_code == 0 and "岡山市" in result.stdout and "1981-04-06" in result.stdout
    assert f"洛阳市: {LUOYANG_ROWS} relationship(s)" in result.stdout and "┃" in result.stdout
    with_sources = runner.invoke(app, ["partners", "洛阳市", "-f", "table", "--sources", "--db", str(seed_db)],
                                 env={"COLUMNS": "200"})
    assert "中华人民共和国友好城市列表.md:534" in with_sources.stdout
    assert len(with_sources.stdout.splitlines()) == len(result.stdout.splitlines()) + LUOYANG_ROWS


def test_partners_piped_prints_tab_separated_lines(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["partners", "洛阳市", "--db", str(seed_db)])  # not a terminal
    assert result.exit_code == 0
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines[0] == ["cn_name", "partner_name", "country", "tier", "status", "date", "sources", "note", "id"]
    assert lines[1][:8] == ["洛陽市", "岡山市", "JP", "sister", "active", "1981-04-06", "1", ""]
    assert len(lines) == 1 + LUOYANG_ROWS and all(len(line) == 9 for line in lines)
    explicit = runner.invoke(app, ["partners", "洛阳市", "-f", "tsv", "--db", str(seed_db)])
    assert explicit.stdout == result.stdout
    sourced = [line.split("\t") for line in runner.invoke(
        app, ["partners", "洛阳市", "--sources", "--db", str(seed_db)]).stdout.splitlines()]
    assert sourced[2][:6] == ["  中华人民共和国友好城市列表.md:534", "岡山市", "日本", "sister", "", "1981年4月6日"]
    # a line for each relationship and one for its source
    assert len(sourced) == 1 + 2 * LUOYANG_ROWS and all(len(line) == 9 for line in sourced)


def _attestation(**values: Any) -> Attestation:
    fields: dict[str, Any] = {f: None for f in Attestation.__dataclass_fields__}
    return Attestation(**{**fields, "id": "a1", "source": "page.md", "line": 7, "format": "wikimd",
                          "tier": "sister", "cn_name": "武漢市", **values})


def _table_relationship(*attestations: Attestation, **values: Any) -> Relationship:
    fields: dict[str, Any] = {f: None for f in Relationship.__dataclass_fields__}
    return Relationship(**{**fields, "id": "r1", "cn_id": "cn:420100", "cn_name": "武漢市", "matched": True,
                           "tier": "sister", "status": "active", "status_source": "default", "sources": 1,
                           "conflicts": [], "attestations": list(attestations) or [_attestation()], **values})


def test_partners_tsv_keeps_one_line_per_relationship() -> None:
    from youcheng._render import partners_tsv

    rel = _table_relationship(_attestation(partner_name="乙\n市", note="a\tb"), cn_name="甲\t市",
                              partner_name="乙\n市", sources=1)
    assert partners_tsv([rel]).splitlines()[1] == "甲 市\t乙 市\t\tsister\tactive\t\t1\t\tr1"
    assert partners_tsv([rel], sources=True).splitlines()[2] == "  page.md:7\t乙 市\t\tsister\t\t\t\ta b\ta1"


def test_partners_table_lines_up_wide_characters() -> None:
    from youcheng._render import cell_width, partners_table

    assert (cell_width("abc"), cell_width("武漢"), cell_width("e\u0301"), cell_width("ＡＢ")) == (3, 4, 1, 4)
    rels = [_table_relationship(partner_name="Pittsburgh", country="US", date="1982-09-17"),
            _table_relationship(partner_name="匹茲堡", country="US", sources=12345)]
    lines = partners_table("武汉", rels, width=200).splitlines()
    assert lines[0].strip() == "武汉: 2 relationship(s)"
    body = lines[1:]
    assert len(body) == 2 + 1 + 2 + 1 and len({cell_width(line) for line in body}) == 1
    assert body[3].startswith("│ 武漢市 ") and body[4].endswith(" 12345 │")
    # The partner column is as wide as its header, 伙伴 Partner (12 cells); 匹茲堡 takes 6.
    assert "│ Pittsburgh   │" in body[3] and "│ 匹茲堡       │" in body[4]


def test_partners_table_marks_a_missing_partner_and_keeps_source_counts_whole() -> None:
    from youcheng._render import cell_width, partners_table

    rels = [_table_relationship(partner_name=None, sources=1234567), _table_relationship(partner_name="Pittsburgh")]
    wide = partners_table("武汉", rels, width=200).splitlines()
    assert "│ —            │" in wide[4]  # the dash, padded to the partner column (12 cells)
    narrow = partners_table("武汉", rels, width=70).splitlines()
    assert narrow[4].endswith(" 1234567 │") and "…" in narrow[2]
    assert all(cell_width(line) <= 70 for line in narrow)


def test_partners_table_cuts_cells_to_fit_the_terminal() -> None:
    from youcheng._render import cell_width, partners_table

    long_note = "注" * 200
    one = _table_relationship(_attestation(note=long_note), partner_name="X")
    table = partners_table("武汉", [one], width=70, sources=True)
    assert all(cell_width(line) <= 70 for line in table.splitlines())
    assert "…" in table and long_note not in table
    many = [_table_relationship(_attestation(note="注" * 5000), partner_name="X")] * 20
    huge = partners_table("武汉", many, width=100, sources=True)
    assert len(huge.splitlines()) == 1 + 3 + 40 + 1 and all(cell_width(line) <= 100 for line in huge.splitlines())


def test_terminal_width_follows_columns_then_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import io
    import os
    import pty
    import struct
    import sys
    import termios

    from youcheng._render import terminal_width

    monkeypatch.setenv("COLUMNS", "123")
    assert terminal_width() == 123
    monkeypatch.setenv("COLUMNS", "not a number")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert terminal_width() == 80  # no terminal behind standard output
    leader, follower = pty.openpty()
    try:
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 97, 0, 0))
        with open(follower, "w", closefd=False) as tty:
            monkeypatch.setattr(sys, "stdout", tty)
            monkeypatch.delenv("COLUMNS")
            assert terminal_width() == 97
    finally:
        os.close(leader)
        os.close(follower)


def test_partners_table_never_passes_control_characters_to_the_terminal() -> None:
    from youcheng._render import cell_width, partners_table

    hostile = "馬德\x1b[2J\x0b\u2028里\t\r\n\x85\x07"
    rel = _table_relationship(_attestation(note="a\x0cb"), partner_name=hostile)
    table = partners_table("武\x1b]0;x\x07汉", [rel], width=120, sources=True)
    assert not any(c != "\n" and not c.isprintable() for c in table)
    lines = table.splitlines()
    assert len(lines) == 1 + 3 + 2 + 1 and len({cell_width(line) for line in lines[1:]}) == 1
    assert "馬德 [2J  里" in table and "a b" in table


def test_partners_on_a_terminal_prints_the_table(seed_db: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "youcheng", "partners", "洛陽市", "--db", str(seed_db)],
                          stdout=follower, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "120"}) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closes when the child exits
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait() == 0
    os.close(leader)
    out = b"".join(chunks).decode()
    assert f"洛陽市: {LUOYANG_ROWS} relationship(s)" in out and "岡山市" in out and "\t" not in out


def test_partners_unknown_place_exits_1(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["partners", "不存在市", "--db", str(seed_db)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no place is called '不存在市' in this registry")
    assert (f"{SEED_RELATIONSHIPS} relationships ({SEED_ROWS} statements) from 1 source(s) (wikimd: 1 file(s), "
            f"{SEED_ROWS} statements") in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_partners_missing_registry_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["partners", "洛陽市", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "run 'youcheng build'" in result.stderr


def test_search_prints_places(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["search", "武汉", "--db", str(seed_db)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split("\t")[:3] == ["武漢市", "CN", f"{WUHAN_ROWS} partnership(s)"]


def test_search_nothing_found_exits_1(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["search", "zzzz", "--db", str(seed_db)])
    assert result.exit_code == 1 and result.stderr.startswith("no place name contains 'zzzz'")
    assert f"this registry holds {SEED_RELATIONSHIPS} relationships" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_stats_by_year(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["stats", "--by", "year", "--db", str(seed_db)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"{SEED_FIRST_YEAR}\t{SEED_BY_YEAR[SEED_FIRST_YEAR]}"


def test_stats_bad_dimension_exits_2(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["stats", "--by", "colour", "--db", str(seed_db)])
    assert result.exit_code == 2


def test_export_jsonl_to_stdout(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["export", "--format", "jsonl", "--db", str(seed_db)])
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and len(lines) == SEED_ROWS
    assert json.loads(lines[0])["partner_name"] == "東京"


def test_export_csv_with_bom_to_file(runner: CliRunner, seed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["export", "--format", "csv", "--bom", "-o", str(out), "--db", str(seed_db)])
    assert result.exit_code == 0 and result.stderr == f"wrote {SEED_ROWS} records to {out}\n"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == SEED_ROWS and rows[0]["cn_name"] == "北京市" and rows[0]["date"] == "1979-03-14"


def test_check_lists_anomalies_with_lines(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["check", "--db", str(seed_db)])
    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert lines[0] == (f"{SEED_ROWS} partnerships, {SEED_PLACES} places, {SEED_COUNTRIES} countries, "
                        f"{SEED_ANOMALIES} anomalies")
    assert ("中华人民共和国友好城市列表.md:657\twarning\tno_partner_place\t"
            "row names a country (澳大利亞) but no place") in lines


def test_every_command_has_help(runner: CliRunner) -> None:
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]  # type: ignore[union-attr]
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name in commands:
        result = runner.invoke(app, [name, "--help"])
        # Every command works on a registry, but fetch, which only downloads pages, and diff,
        # which compares the two registry files it is given.
        assert result.exit_code == 0 and ("--db" in result.stdout) == (name not in ("fetch", "diff")), name
        assert f"youcheng {name}" in readme, f"README does not show 'youcheng {name}'"
