"""Property-based fuzzing of the parser and the build with broken seed pages (issue #6).

Hypothesis mutates the embedded seed page: lines deleted, duplicated, swapped
and truncated; stray markup (``<table>``, ``〖``, ``|``, ``（``), impossible
dates, invalid UTF-8 and NUL bytes put in; random text and bytes added. Every
input must give records plus anomalies whose line numbers are on the page, or
one clear line of error (exit code 2 from ``youcheng build``), never a
traceback. ``make test`` runs a few hundred examples (profile
``youcheng-fast``); ``make soak`` runs 10,000 of each (``youcheng-soak``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from youcheng import config
from youcheng.cli import app
from youcheng.errors import SourceError
from youcheng.model import Anomaly, RawPartnership
from youcheng.sources import read_page
from youcheng.sources._markup import markdown_segments

settings.register_profile(
    "youcheng-fast", max_examples=300, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture, HealthCheck.large_base_example],
)
settings.register_profile("youcheng-soak", settings.get_profile("youcheng-fast"), max_examples=10_000)
FAST = settings.get_profile("youcheng-fast")
SOAK = settings.get_profile("youcheng-soak")

SEED_NAME = config.seed_path().name
SEED = config.seed_path().read_bytes()
SEED_LINES = SEED.split(b"\n")
HEADINGS = [i for i, line in enumerate(SEED_LINES) if line.startswith(b"## ")]

STRAY = ["<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "</th>", "<tbody>",
         "〖", "〗", "|", "\\|", "（", "）", "(", ")", "[", "]", "](", "<small>", "</small>",
         '<a href="../Page/X.md">', "</a>", "## ", "#", "-", "--:", ":---", "<", ">", "&amp;",
         "&#0;", "&#99999999999;", "&#x110000;", "\t", "\r", "\u3000", "\u200b", "\ufeff",
         "[Category:", "[日本](../Page/日本.md)", "〖[某市](../Page/某市.md)〗-"]
IMPOSSIBLE_DATES = ["9999年99月99日", "0年0月0日", "2001年2月30日", "1999年13月1日", "1800年",
                    "2023-02-29", "1987年7月", "年月日", "１９８０年１月１日"]
BAD_BYTES = [b"\xff", b"\xfe\xff", b"\xc3", b"\xe4\xb8", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
             b"\xc0\xaf", b"\x80", b"\x00", b"\x00" * 7]
_DATE = re.compile(r"\d{3,4}年(?:\d{1,2}月(?:\d{1,2}日)?)?".encode())

Lines = list[bytes]
Op = Callable[[st.DrawFn, Lines], None]


def _index(draw: st.DrawFn, lines: Lines) -> int:
    return draw(st.integers(0, max(0, len(lines) - 1)))


def _cut(draw: st.DrawFn, line: bytes) -> int:
    return draw(st.integers(0, len(line)))


def _delete(draw: st.DrawFn, lines: Lines) -> None:
    if lines:
        del lines[_index(draw, lines)]


def _duplicate(draw: st.DrawFn, lines: Lines) -> None:
    if lines:
        i = _index(draw, lines)
        lines.insert(i, lines[i])


def _swap(draw: st.DrawFn, lines: Lines) -> None:
    if lines:
        i, j = _index(draw, lines), _index(draw, lines)
        lines[i], lines[j] = lines[j], lines[i]


def _truncate_line(draw: st.DrawFn, lines: Lines) -> None:
    if lines:
        i = _index(draw, lines)
        lines[i] = lines[i][:_cut(draw, lines[i])]  # may split a UTF-8 character


def _truncate_page(draw: st.DrawFn, lines: Lines) -> None:
    del lines[_index(draw, lines) + 1:]


def _insert_bytes(draw: st.DrawFn, lines: Lines, piece: bytes) -> None:
    if not lines:
        lines.append(b"")
    i = _index(draw, lines)
    at = _cut(draw, lines[i])
    lines[i] = lines[i][:at] + piece + lines[i][at:]


def _stray_markup(draw: st.DrawFn, lines: Lines) -> None:
    _insert_bytes(draw, lines, draw(st.sampled_from(STRAY)).encode())


def _impossible_date(draw: st.DrawFn, lines: Lines) -> None:
    with_dates = [i for i, line in enumerate(lines) if _DATE.search(line)]
    if with_dates:
        i = draw(st.sampled_from(with_dates))
        lines[i] = _DATE.sub(draw(st.sampled_from(IMPOSSIBLE_DATES)).encode(), lines[i], count=1)


def _bad_bytes(draw: st.DrawFn, lines: Lines) -> None:
    _insert_bytes(draw, lines, draw(st.sampled_from(BAD_BYTES)))


def _text_line(draw: st.DrawFn, lines: Lines) -> None:
    lines.insert(_index(draw, lines), draw(st.text(max_size=80)).encode("utf-8", "surrogatepass"))


def _binary_line(draw: st.DrawFn, lines: Lines) -> None:
    lines.insert(_index(draw, lines), draw(st.binary(max_size=80)))


OPS: list[Op] = [_delete, _duplicate, _swap, _truncate_line, _truncate_page, _stray_markup,
                 _impossible_date, _bad_bytes, _text_line, _binary_line]


@st.composite
def mutated_page(draw: st.DrawFn, page: Lines, lead: int, max_window: int = 200) -> bytes:
    """A page of any format, or a window of it, with up to 12 mutations; ``lead`` lines
    (the seed's title and first heading, a section's source line, a CSV's header) are
    mostly kept in front of the window."""
    lines = list(page)
    if not draw(st.integers(0, 15)) == 0:  # mostly a window: smaller pages, faster examples
        start = draw(st.integers(0, len(lines) - 1))
        lines = lines[start:start + draw(st.integers(1, max_window))]
        if draw(st.booleans()):
            lines = page[:lead] + lines
    for op in draw(st.lists(st.sampled_from(OPS), max_size=12)):
        op(draw, lines)
    return b"\n".join(lines) + draw(st.sampled_from([b"", b"\n", b"\r\n"]))


def mutated_seed(max_window: int = 200) -> st.SearchStrategy[bytes]:
    """The seed page, or a window of it, with up to 12 mutations."""
    return mutated_page(SEED_LINES, 3, max_window)


def _line_count(page: bytes) -> int:
    return page.count(b"\n") + (0 if page.endswith(b"\n") or not page else 1)


def _parse(path: Path, fmt: str | None = None) -> tuple[list[RawPartnership], list[Anomaly]] | str:
    """Records and anomalies of the page, or the one-line error message."""
    try:
        items = list(read_page(path, fmt=fmt))
    except SourceError as exc:
        message = str(exc)
        assert message and "\n" not in message, repr(message)
        return message
    return ([i for i in items if isinstance(i, RawPartnership)],
            [i for i in items if isinstance(i, Anomaly)])


def _check_parse(page: bytes, path: Path, fmt: str | None = None) -> tuple[list[RawPartnership], list[Anomaly]] | str:
    """The parser's properties on one page; returns what it read."""
    path.write_bytes(page)
    result = _parse(path, fmt)
    if isinstance(result, str):
        return result
    records, anomalies = result
    last = _line_count(page)
    for item in [*records, *anomalies]:
        assert 1 <= item.line <= last, item
    for r in records:
        assert 1 <= r.cn_line <= last, r
    at_line = {item.line for item in [*records, *anomalies]}
    damaged = {a.line for a in anomalies if a.kind == "damaged_line"}
    for number, raw in enumerate(page.split(b"\n"), 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
            assert number in damaged, f"{path.name} ({fmt}) line {number}: invalid UTF-8 not reported"
        if "\x00" in text:
            assert number in damaged, f"{path.name} ({fmt}) line {number}: NUL bytes not reported"
        # Nothing lost: every pipe-table row of the list page with a link is a record or an anomaly.
        stripped = text.replace("\x00", "").strip()
        if fmt in (None, "wikimd") and stripped.startswith("|") and any(s.link for s in markdown_segments(stripped)):
            assert number in at_line, f"{path.name} ({fmt}) line {number}: pipe row read as neither record nor anomaly"
    return records, anomalies


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _parse_property(scratch: Path, page: bytes) -> None:
    _check_parse(page, scratch / SEED_NAME)


@settings(FAST)
@given(page=mutated_seed())
@example(page=b"")
@example(page=b" \n\t\n" * 3000)
@example(page=bytes(range(256)) * 64)
@example(page=b"\x00" * 100 + SEED)
@example(page=b"## \xe6\xb2\xb3\n<table>" + b"</table><table>" * 5000)
@example(page=SEED + b"\n| [a](b)&#" + b"1" * 5000 + b" |\n")
def test_parse_page_survives_mutated_seed(scratch: Path, page: bytes) -> None:
    _parse_property(scratch, page)


@pytest.mark.slow
@settings(SOAK)
@given(page=mutated_seed())
def test_parse_page_survives_mutated_seed_soak(scratch: Path, page: bytes) -> None:
    _parse_property(scratch, page)


# -- the whole build, through the CLI ---------------------------------------------------

_CHECK_LINE = re.compile(r"^(?P<source>[^\t]+):(?P<line>\d+)\t(?P<severity>\w+)\t(?P<kind>\w+)\t")


def _build_property(scratch: Path, page: bytes) -> None:
    path = scratch / SEED_NAME
    expected = _check_parse(page, path)
    db = scratch / "registry.db"
    db.unlink(missing_ok=True)
    runner = CliRunner()
    built = runner.invoke(app, ["build", str(path), "--db", str(db)])
    assert built.exit_code in (0, 2), (built.exit_code, built.output, built.exception)
    if isinstance(expected, str):
        assert (built.exit_code, built.stderr) == (2, f"Error: {expected}\n")
        assert not db.exists()
        return
    records, anomalies = expected
    if not records:
        # A page that gives no relationship never replaces a registry (without --allow-empty).
        assert built.exit_code == 2 and built.stderr.startswith("Error: "), built.output
        assert "gave no relationship" in built.stderr and len(built.stderr.splitlines()) == 1
        assert not db.exists()
        return
    assert built.exit_code == 0, built.output
    checked = runner.invoke(app, ["check", "--db", str(db)])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith(f"{len(records)} partnerships, ")
    listed = Counter((int(m["line"]), m["kind"]) for m in map(_CHECK_LINE.match, checked.stdout.splitlines())
                     if m and m["source"] == SEED_NAME)
    # Every anomaly of the parser is listed by `youcheng check`, with its line.
    assert not Counter((a.line, a.kind) for a in anomalies) - listed
    assert not [p for p in scratch.iterdir() if p.name.endswith(".building")]


@settings(FAST, max_examples=100)
@given(page=mutated_seed(max_window=60))
@example(page=b"")
@example(page=bytes(range(256)) * 64)
@example(page=b"no tables here\n")
def test_build_survives_mutated_seed(scratch: Path, page: bytes) -> None:
    _build_property(scratch, page)


@pytest.mark.slow
@settings(SOAK)
@given(page=mutated_seed(max_window=60))
def test_build_survives_mutated_seed_soak(scratch: Path, page: bytes) -> None:
    _build_property(scratch, page)


# -- nothing lost: junk between the seed's sections -------------------------------------

CELL_PIECES = ["", "北京市", "東京", "<p>", "</p>", '<a href="../Page/東京.md" title="wikilink">東京</a>',
               '<a href="../Page/日本.md">日本</a>', "1979年3月14日", "9999年99月99日", "（友好協約書）",
               *STRAY]
PIPE_PIECES = ["", " ", "〖[洛陽市](../Page/洛陽市.md \"wikilink\")〗-", "<small>",
               "[日本](../Page/日本.md \"wikilink\")", "[岡山市](../Page/岡山市.md \"wikilink\")",
               "（1981年4月6日）", "（9999年99月99日）", *STRAY]


def _joined(pieces: list[str], max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


@st.composite
def _html_table(draw: st.DrawFn) -> list[str]:
    lines = ["<table>"]
    if draw(st.booleans()):
        lines.append("<tr><th>國家</th><th>城市</th><th>締結日期</th></tr>")
    for _ in range(draw(st.integers(0, 4))):
        lines.append(draw(st.sampled_from(["<tr>", '<tr class="odd">'])))
        lines += [f"<td>{draw(_joined(CELL_PIECES, 5))}</td>" for _ in range(draw(st.integers(1, 4)))]
        lines.append("</tr>")
    if draw(st.integers(0, 3)):
        lines.append("</table>")  # else left open
    return lines


@st.composite
def _pipe_table(draw: st.DrawFn) -> list[str]:
    lines = draw(st.sampled_from([["| | |", "| --: | --- |"], ["| 國家 | 城市 | 日期 |", "|---|---|---|"], []]))
    for _ in range(draw(st.integers(0, 5))):
        cells = draw(st.lists(_joined(PIPE_PIECES, 5), min_size=1, max_size=4))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


_JUNK_LINE = st.one_of(
    _joined(STRAY + CELL_PIECES + PIPE_PIECES, 8),
    st.text(max_size=60).map(lambda t: t.replace("\n", " ")),
    st.sampled_from(["", "## 標題", "### 小節", "此列表列出友好城市。", "[Category:列表](x)"]),
).map(lambda t: t.encode("utf-8", "surrogatepass"))
_JUNK_BLOCK = st.one_of(
    _JUNK_LINE.map(lambda line: [line]),
    _html_table().map(lambda lines: [line.encode() for line in lines]),
    _pipe_table().map(lambda lines: [line.encode() for line in lines]),
    st.binary(max_size=40).map(lambda b: [b.replace(b"\n", b" ")]),
    st.sampled_from(BAD_BYTES).map(lambda b: [b"| " + b + b" |"]),
)
_JUNK = st.lists(_JUNK_BLOCK, min_size=1, max_size=6).map(lambda blocks: [x for b in blocks for x in b])


@st.composite
def seed_with_junk(draw: st.DrawFn) -> tuple[bytes, dict[int, int]]:
    """The seed with junk before some of its sections (not the first) and at its end.

    Returns the page and, for each seed line, its line number in the page.
    """
    where = draw(st.sets(st.sampled_from([*HEADINGS[1:], len(SEED_LINES)]), min_size=1, max_size=4))
    out: list[bytes] = []
    moved: dict[int, int] = {}
    for index, line in enumerate([*SEED_LINES, None]):
        if index in where:
            out += draw(_JUNK)
        if line is not None:
            out.append(line)
            moved[index + 1] = len(out)
    return b"\n".join(out) + b"\n", moved


@pytest.fixture(scope="module")
def seed_records() -> list[RawPartnership]:
    return [i for i in read_page(config.seed_path()) if isinstance(i, RawPartnership)]


def _junk_property(scratch: Path, seed_records: list[RawPartnership],
                   case: tuple[bytes, dict[int, int]]) -> None:
    page, moved = case
    result = _check_parse(page, scratch / SEED_NAME)
    assert not isinstance(result, str), result
    records, _ = result
    # Every record of the seed is still read, the same but for its moved line numbers.
    expected = [r._replace(line=moved[r.line], cn_line=moved[r.cn_line]) for r in seed_records]
    found = iter(records)
    for want in expected:
        assert any(got == want for got in found), f"seed record lost: {want}"


@settings(FAST, max_examples=100)
@given(case=seed_with_junk())
def test_parse_page_seed_with_junk_loses_no_record(scratch: Path, seed_records: list[RawPartnership],
                                                  case: tuple[bytes, dict[int, int]]) -> None:
    _junk_property(scratch, seed_records, case)


@pytest.mark.slow
@settings(SOAK)
@given(case=seed_with_junk())
def test_parse_page_seed_with_junk_loses_no_record_soak(scratch: Path,
                                                       seed_records: list[RawPartnership],
                                                       case: tuple[bytes, dict[int, int]]) -> None:
    _junk_property(scratch, seed_records, case)


def test_parse_page_junk_rows_are_listed_by_line(tmp_path: Path) -> None:
    """Rows the parser cannot read come out as anomalies on their own lines."""
    junk = ["| 〖[洛陽市](../Page/洛陽市.md)〗- | | <small>[日本](../Page/日本.md)[岡山市](../Page/岡山市.md)（9999年99月99日） |",
            "| | | <small>岡山市 |",
            "| | |",  # an empty row: nothing to report
            "<table>", "<tr><td></td><td>1980年</td></tr>", "<tr>stray text<td>x</td></tr>"]
    page = tmp_path / SEED_NAME
    page.write_bytes(SEED + b"\n" + "\n".join(junk).encode() + b"\n")
    result = _check_parse(page.read_bytes(), page)
    assert not isinstance(result, str)
    records, anomalies = result
    first = len(SEED_LINES) + 1
    assert [(a.line - first, a.kind) for a in anomalies if a.line >= first] == [
        (0, "invalid_date"), (1, "skipped_row"), (4, "skipped_row"), (5, "skipped_row"),
        (5, "unread_line"), (3, "unclosed_table")]
    assert [(r.line - first, r.partner_name) for r in records if r.line >= first] == [(0, "岡山市")]


# -- every other built-in format --------------------------------------------------------
# The same mutations on real pages of the other formats: a city section in the Markdown
# conversion, raw wikitext sections, the en-wiki CSV's China rows. Each must give records and
# anomalies on lines of the file (damaged bytes reported as damaged_line) or one line of error,
# read as its own format or sniffed; and the whole build through the CLI exits 0 or 2. Each
# reader's own tests add what "nothing dropped" means for its layout (test_citymd.py,
# test_wikitext.py, test_enwiki_csv.py).

_SOURCES = config.data_dir() / "sources"


def _csv_china_rows() -> Lines:
    lines = (_SOURCES / "enwiki-twincities" / "twin_cities_raw.csv").read_bytes().split(b"\n")
    return lines[:1] + [line for line in lines[1:] if b"China" in line][:400]


OTHER_FORMATS: dict[str, list[tuple[str, Lines]]] = {
    "wikimd-city": [(p.name, p.read_bytes().split(b"\n"))
                    for p in sorted((_SOURCES / "zhwiki").glob("*.md"))[:6]],
    "wikitext": [(name, (_SOURCES / "zhwiki-wikitext" / name).read_bytes().split(b"\n"))
                 for name in ("南京市.wikitext", "大连市友好城市.wikitext", "广州市.wikitext", "杭州市.wikitext",
                              "马鞍山市.wikitext")],
    "enwiki-csv": [("twin_cities_raw.csv", _csv_china_rows())],
}


@st.composite
def mutated_other(draw: st.DrawFn, max_window: int = 120) -> tuple[str, str, bytes, bool]:
    """(format, file name, mutated page, whether to force the format) for a page of another format."""
    fmt = draw(st.sampled_from(sorted(OTHER_FORMATS)))
    name, lines = draw(st.sampled_from(OTHER_FORMATS[fmt]))
    return fmt, name, draw(mutated_page(lines, 1, max_window)), draw(st.booleans())


def test_every_built_in_format_is_fuzzed() -> None:
    from youcheng.sources import formats

    assert {f.name for f in formats()} - {"wikimd"} <= set(OTHER_FORMATS)
    assert all(pages for pages in OTHER_FORMATS.values())


@settings(FAST)
@given(case=mutated_other())
def test_parse_other_formats_survives_mutation(scratch: Path, case: tuple[str, str, bytes, bool]) -> None:
    fmt, name, page, forced = case
    _check_parse(page, scratch / name, fmt if forced else None)


@pytest.mark.slow
@settings(SOAK)
@given(case=mutated_other())
def test_parse_other_formats_survives_mutation_soak(scratch: Path, case: tuple[str, str, bytes, bool]) -> None:
    fmt, name, page, forced = case
    _check_parse(page, scratch / name, fmt if forced else None)


def _build_other_property(scratch: Path, case: tuple[str, str, bytes, bool]) -> None:
    fmt, name, page, forced = case
    path = scratch / name
    expected = _check_parse(page, path, fmt if forced else None)
    db = scratch / "registry.db"
    db.unlink(missing_ok=True)
    runner = CliRunner()
    built = runner.invoke(app, ["build", str(path), "--db", str(db), *(["--format", fmt] if forced else [])])
    assert built.exit_code in (0, 2), (built.exit_code, built.output, built.exception)
    if isinstance(expected, str) or not expected[0]:
        assert built.exit_code == 2 and len(built.stderr.splitlines()) == 1, built.output
        assert built.stderr.startswith("Error: ") and not db.exists()
        return
    records, anomalies = expected
    assert built.exit_code == 0, built.output
    checked = runner.invoke(app, ["check", "--db", str(db)])
    assert checked.exit_code == 0 and checked.stdout.startswith(f"{len(records)} partnerships, "), checked.output
    listed = Counter((int(m["line"]), m["kind"]) for m in map(_CHECK_LINE.match, checked.stdout.splitlines())
                     if m and m["source"] == name)
    assert not Counter((a.line, a.kind) for a in anomalies) - listed


@settings(FAST, max_examples=60)
@given(case=mutated_other(max_window=40))
def test_build_other_formats_survives_mutation(scratch: Path, case: tuple[str, str, bytes, bool]) -> None:
    _build_other_property(scratch, case)
