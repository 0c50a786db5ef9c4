"""Page-size and line-length limits, and hostile pages within them (issue #6).

Past a limit the build stops with one clear line and exit code 2; within the
limits even a hostile line (a million characters of unclosed markup) is read in
time linear in its length.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from youcheng import Registry, config
from youcheng.cli import app
from youcheng.errors import SourceError, TooLarge, UsageError
from youcheng.model import Anomaly, RawPartnership
from youcheng.sources import read_page
from youcheng.sources._reader import _lines

from .conftest import write_page

HEAD = "## 河南\n\n| | |\n|--:|---|\n"
ROW = ("| 〖[洛陽市](../Page/洛陽市.md \"wikilink\")〗- | | <small>[日本](../Page/日本.md \"wikilink\")"
       "[岡山市](../Page/岡山市.md \"wikilink\")（1981年4月6日） |\n")


def _items(path: Path) -> tuple[list[RawPartnership], list[Anomaly]]:
    items = list(read_page(path))
    return ([i for i in items if isinstance(i, RawPartnership)],
            [i for i in items if isinstance(i, Anomaly)])


def test_read_page_rejects_page_over_max_page_bytes(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    page = write_page(tmp_path, HEAD + ROW)
    size = page.stat().st_size
    monkeypatch.setenv("YOUCHENG_MAX_PAGE_BYTES", str(size - 1))
    with pytest.raises(TooLarge) as caught:
        _items(page)
    assert str(caught.value) == (f"{page} is {size:,} bytes, over the page limit of {size - 1:,} "
                                 "(raise YOUCHENG_MAX_PAGE_BYTES to allow it)")
    monkeypatch.setenv("YOUCHENG_MAX_PAGE_BYTES", str(size))
    assert len(_items(page)[0]) == 1


def test_read_lines_stops_a_page_that_grows_past_the_limit() -> None:
    stream = io.BytesIO(b"## x\n" * 100)
    lines = _lines(stream, "page.md", max_page_bytes=250, max_line_chars=100, progress=None)
    with pytest.raises(TooLarge, match=r"^page.md grew past 250 bytes while read, over the page "
                                       r"limit of 250 \(raise YOUCHENG_MAX_PAGE_BYTES to allow it\)$"):
        list(lines)


def test_read_page_line_limit_counts_characters_not_bytes(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUCHENG_MAX_LINE_CHARS", str(len(ROW) - 1))  # ROW without its newline
    page = write_page(tmp_path, HEAD + ROW)
    assert len(ROW.encode("utf-8")) > len(ROW) + 40  # many three-byte characters
    assert len(_items(page)[0]) == 1
    monkeypatch.setenv("YOUCHENG_MAX_LINE_CHARS", str(len(ROW) - 2))
    with pytest.raises(TooLarge) as caught:
        _items(page)
    assert str(caught.value) == (f"{page}: line 5 is longer than the limit of {len(ROW) - 2:,} "
                                 "characters (raise YOUCHENG_MAX_LINE_CHARS to allow it)")


def test_read_page_long_last_line_without_newline(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUCHENG_MAX_LINE_CHARS", "100")
    page = write_page(tmp_path, HEAD + "x" * 101)
    with pytest.raises(TooLarge, match="line 5 is longer than the limit of 100 characters"):
        _items(page)


def test_build_twenty_megabyte_line_exits_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / "huge.md"
    with page.open("wb") as out:
        out.write(HEAD.encode())
        out.write(b"| " + b"\xe5\x9f\x8e" * (20 * 1024 * 1024 // 3) + b" |\n")
    db = tmp_path / "r.db"
    Registry.build([config.seed_path()], db)
    before = db.read_bytes()
    started = time.perf_counter()
    result = runner.invoke(app, ["build", str(page), "--db", str(db)])
    assert (result.exit_code, result.stderr) == (
        2, f"Error: {page}: line 5 is longer than the limit of 1,000,000 characters "
           "(raise YOUCHENG_MAX_LINE_CHARS to allow it)\n")
    assert time.perf_counter() - started < 10
    assert db.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".building")]


def test_build_page_over_limit_exits_2_with_one_line(runner: CliRunner, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUCHENG_MAX_PAGE_BYTES", "1000")
    result = runner.invoke(app, ["build", "--db", str(tmp_path / "r.db")])
    size = config.seed_path().stat().st_size
    assert (result.exit_code, result.stderr) == (
        2, f"Error: {config.seed_path()} is {size:,} bytes, over the page limit of 1,000 "
           "(raise YOUCHENG_MAX_PAGE_BYTES to allow it)\n")
    assert not (tmp_path / "r.db").exists()


@pytest.mark.parametrize(("value", "message"), [
    ("lots", "YOUCHENG_MAX_LINE_CHARS='lots' is not a whole number"),
    ("0", "YOUCHENG_MAX_LINE_CHARS must be positive, got 0"),
])
def test_build_bad_limit_setting_exits_2(runner: CliRunner, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, value: str,
                                         message: str) -> None:
    monkeypatch.setenv("YOUCHENG_MAX_LINE_CHARS", value)
    with pytest.raises(UsageError, match=message):
        _items(config.seed_path())
    result = runner.invoke(app, ["build", "--db", str(tmp_path / "r.db")])
    assert (result.exit_code, result.stderr) == (2, f"Error: {message}\n")


def test_read_page_many_leading_blank_lines_is_not_empty(tmp_path: Path) -> None:
    page = write_page(tmp_path, "\n" * 20_000 + HEAD + ROW)
    records, _ = _items(page)
    assert [(r.line, r.partner_name) for r in records] == [(20_005, "岡山市")]


def test_read_page_blank_page_is_empty(tmp_path: Path) -> None:
    page = write_page(tmp_path, " \n\t\r\n" * 10_000)
    with pytest.raises(SourceError) as caught:
        _items(page)
    assert str(caught.value) == f"{page} is empty: expected a sister-city list page"


def test_read_page_ignores_byte_order_mark(tmp_path: Path) -> None:
    page = tmp_path / "bom.md"
    page.write_bytes(b"\xef\xbb\xbf" + (HEAD + ROW).encode())
    records, anomalies = _items(page)
    assert [(r.section, r.partner_name) for r in records] == [("河南", "岡山市")]
    assert anomalies == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_read_page_rejects_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "page.md"
    os.mkfifo(fifo)
    with pytest.raises(SourceError) as caught:
        _items(fifo)
    assert str(caught.value) == f"{fifo} is not a regular file: save the page to a file first"


def test_read_page_rejects_a_directory(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "dir.md").mkdir()
    result = runner.invoke(app, ["build", str(tmp_path / "dir.md"), "--db", str(tmp_path / "r.db")])
    assert (result.exit_code, result.stderr) == (
        2, f"Error: {tmp_path / 'dir.md'} is a folder with no file to read\n")


# Lines that made a regex backtrack quadratically (or worse), overflowed the
# stack or raised before the parser was hardened: (before, repeated unit, after,
# repeats). At the default line limit some took hours.
HOSTILE: dict[str, tuple[str, str, str, int]] = {
    "html_link_no_close": ("<table><tr><td>", '<a href="x">', "", 20_000),
    "html_link_no_quote": ("<table><tr><td>", '<a href="x"', "", 20_000),
    "html_href_open": ("<table><tr><td>", '<a href="', "", 25_000),
    "html_anchor_open": ("<table><tr><td>", "<a ", "", 70_000),
    "html_lt": ("<table><tr><td>", "<", "", 200_000),
    "html_tag_open": ("<table><tr>", "<td ", "", 50_000),
    "pipe_lt": ("| 〖x〗- | | ", "<t", "", 100_000),
    "cn_brackets_spaces": ("| 〖〗", " ", "x | | [a](b)", 200_000),
    "md_nested_brackets": ("| 〖x〗- | | [", "[a]", "", 60_000),
    "md_link_no_close": ("| 〖x〗- | | ", "[x](", "", 50_000),
    "heading_spaces": ("# x", " ", "y", 200_000),
    "tables_on_one_line": ("<table>", "</table><table>", "", 20_000),
    "tables_and_text_on_one_line": ("<table>", "</table>x<table>", "", 20_000),
    "rows_on_one_line": ("<table>", "<tr><td>x</td><td>y</td></tr>", "", 5_000),
    "huge_charref": ("| 〖x〗- | | [a](../Page/a.md)&#", "1", "", 100_000),
}


def _hostile_page(tmp_path: Path, name: str, length: int | None = None) -> Path:
    before, unit, after, repeats = HOSTILE[name]
    if length is not None:
        repeats = (length - len(before) - len(after)) // len(unit)
    return write_page(tmp_path, HEAD + before + unit * repeats + after + "\n")


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_read_page_hostile_line_in_linear_time(tmp_path: Path, name: str) -> None:
    page = _hostile_page(tmp_path, name)
    started = time.perf_counter()
    items = list(read_page(page))
    assert time.perf_counter() - started < 5, f"{name} took too long"
    assert all(1 <= i.line <= 5 for i in items)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_read_page_hostile_line_at_the_default_limit(tmp_path: Path, name: str) -> None:
    page = _hostile_page(tmp_path, name, length=999_000)
    started = time.perf_counter()
    list(read_page(page))
    assert time.perf_counter() - started < 30, f"{name} took too long"


def test_read_page_unclosed_cell_over_many_lines_in_linear_time(tmp_path: Path) -> None:
    page = write_page(tmp_path, HEAD + "<table><tr><td>\n" + ("y" * 100 + "\n") * 100_000)
    started = time.perf_counter()
    records, anomalies = _items(page)
    assert time.perf_counter() - started < 10
    assert records == [] and [(a.line, a.kind) for a in anomalies] == [(5, "skipped_row"),
                                                                        (5, "unclosed_table")]


def test_build_file_name_not_utf8_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / os.fsdecode(b"page\xff.md")
    page.write_bytes(config.seed_path().read_bytes())
    result = runner.invoke(app, ["build", str(page), "--db", str(tmp_path / "r.db")])
    assert (result.exit_code, result.stderr) == (
        2, "Error: 'page\\udcff.md': the file name is not valid UTF-8; rename the file\n")


@pytest.mark.slow
def test_build_twenty_megabyte_line_under_a_raised_limit(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUCHENG_MAX_LINE_CHARS", str(25_000_000))
    note = "（友好協約書）" * (20_000_000 // 7)
    page = write_page(tmp_path, HEAD + ROW.replace("（1981年4月6日）", "（1981年4月6日）" + note) + ROW)
    started = time.perf_counter()
    report = Registry.build([page], tmp_path / "r.db")
    assert time.perf_counter() - started < 300
    assert report.partnerships == 2
