"""The parser's fast path reads every page exactly as the line-by-line state machine does.

``read_page(fast=True)`` (the default) reads clean runs of lines as blocks and
matches common HTML rows with one regex (``wikimd._FAST_HTML_ROW``);
``fast=False`` reads every line through ``_PageParser.feed``, the reference.
The two must give the same records and anomalies, or the same error, on the
seed, on synthetic pages of both table formats, and on Hypothesis-mutated
pages. Blocks are made small here so that a small page holds many of them and
rows straddle their edges.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from youcheng import config
from youcheng.errors import SourceError
from youcheng.model import Link
from youcheng.sources import _markup, _reader, read_page
from youcheng.sources._markup import Segment, markdown_segments

from .conftest import load_script
from .expected import SEED_PAGE_ANOMALIES, SEED_ROWS
from .test_fuzz import FAST, SEED, mutated_seed


def _read(path: Path, fast: bool) -> list[object] | str:
    try:
        return list(read_page(path, fast=fast))
    except SourceError as exc:
        return f"{type(exc).__name__}: {exc}"


def _same(path: Path, block_bytes: int) -> list[object] | str:
    """Both readings of ``path`` with blocks of about ``block_bytes``; asserts they agree."""
    saved = _reader._BLOCK_BYTES
    _reader._BLOCK_BYTES = block_bytes
    try:
        fast = _read(path, True)
    finally:
        _reader._BLOCK_BYTES = saved
    assert fast == _read(path, False)
    return fast


@pytest.fixture(scope="module")
def synth_pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Path]]:
    """Two synthetic pages from benchmarks/synth.py: HTML and pipe tables, notes, placeholders."""
    synth = load_script("synth", "benchmarks")
    folder = tmp_path_factory.mktemp("synth")
    pages = []
    for seed in (1, 2):
        page = folder / f"synth-{seed}.md"
        synth.write_page(page, 3000, 400, seed)
        pages.append(page)
    yield pages


@pytest.mark.parametrize("block_bytes", [1, 200, 4096, 1 << 20])
def test_fast_path_reads_the_seed_as_the_state_machine_does(block_bytes: int) -> None:
    items = _same(config.seed_path(), block_bytes)
    assert isinstance(items, list) and len(items) == SEED_ROWS + SEED_PAGE_ANOMALIES


@pytest.mark.parametrize("block_bytes", [300, 8192])
def test_fast_path_reads_synthetic_pages_as_the_state_machine_does(synth_pages: list[Path],
                                                                  block_bytes: int) -> None:
    for page in synth_pages:
        items = _same(page, block_bytes)
        assert isinstance(items, list) and len(items) > 3000


# Counted by wrapping the fast path, in a process of its own (the wrapper and the smaller
# read blocks stay out of every other test's parser).
_COUNT_FAST_ROWS = """
from youcheng import config
from youcheng.sources import _reader, read_page, wikimd
calls = []
original = wikimd._PageParser._fast_html_row
def counting(self, number, cells):
    calls.append(number)
    return original(self, number, cells)
wikimd._PageParser._fast_html_row = counting
_reader._BLOCK_BYTES = 4096
list(read_page(config.seed_path()))
print(len(calls), wikimd.__file__)
"""


def test_fast_path_is_taken_on_common_rows() -> None:
    """Not a test that passes because the fast path never runs: most rows go through it."""
    out = subprocess.run([sys.executable, "-c", _COUNT_FAST_ROWS], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[1].endswith("wikimd.py")
    # The seed has 88 headerless HTML rows; those in its first 4 KiB and those
    # that straddle a block's end are read line by line.
    assert int(out[0]) > 50


@settings(FAST)
@given(page=mutated_seed(), block_bytes=st.sampled_from([1, 64, 700, 5000]))
@example(page=SEED.replace(b"\n", b"\r\n"), block_bytes=700)
@example(page=SEED.replace(b"<td>", b"<td>\x00", 3), block_bytes=700)
@example(page=SEED.replace(b"</tr>\n", b"</tr>", 5), block_bytes=700)
@example(page=SEED.replace(b'<tr class="odd">\n', b'<tr class="odd">\n<td>x</td>\n', 5), block_bytes=700)
@example(page=SEED + b"<tr>\n<td></td>\n</tr>\n", block_bytes=64)
def test_fast_path_agrees_on_mutated_pages(tmp_path_factory: pytest.TempPathFactory, page: bytes,
                                           block_bytes: int) -> None:
    path = tmp_path_factory.mktemp("fast", numbered=True) / config.seed_path().name
    path.write_bytes(page)
    _same(path, block_bytes)


# -- markdown_segments finds links once per prefix: the same segments as one pass -------

_MD_PIECES = st.sampled_from(["[", "]", "(", ")", "（", "）", '"', " ", "\\", "x", "日", "1981年4月6日",
                              "[日本](../Page/日本.md \"wikilink\")", "](", "<small>", "&amp;",
                              "[a](b (c))", "[岡山市](../Page/岡山市.md)"])


def _reference_segments(text: str) -> list[Segment]:
    """markdown_segments as one regex pass over the whole text, as it was written first."""
    out: list[Segment] = []
    pos = 0
    for match in _markup._MD_LINK.finditer(text):
        _markup._add_plain(out, text[pos:match.start()], False)
        shown = re.sub(r"\\(.)", r"\1", match["text"])
        out.append(Segment(shown, Link(shown, _markup.page_title(_markup._unescape(match["target"])))))
        pos = match.end()
    _markup._add_plain(out, text[pos:], False)
    return out


@settings(FAST)
@given(st.lists(_MD_PIECES, max_size=20).map("".join) | st.text(max_size=60))
@example("[德國](../Page/德國.md \"wikilink\")[厄赫林根](../Page/厄赫林根.md \"wikilink\")（2022年1月27日）")
@example("[a](b) tail ( more")
def test_markdown_segments_match_one_pass(text: str) -> None:
    assert markdown_segments(text) == _reference_segments(text)
