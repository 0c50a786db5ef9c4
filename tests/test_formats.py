"""The source-format registry: sniffing, --format, third-party formats, refusing empty builds."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from youcheng import Registry, config
from youcheng.cli import app
from youcheng.errors import ParseError, SourceError, UsageError
from youcheng.sources import detect, format_names, formats, get_format, read_page
from youcheng.sources.base import SourceContext, SourceFormat

from .conftest import write_page
from .expected import SEED_RELATIONSHIPS, SEED_ROWS, SEED_SOURCE_ANOMALIES

TOY_MODULE = '''
"""A toy format for the registry test: one ``中方|partner|country|year`` line per pair."""
from youcheng.model import PartialDate, RawPartnership


class Toy:
    name = "toy"
    description = "toy lines: 中方|partner|country|year"

    def sniff(self, head, path):
        return head.startswith("#toy")

    def read(self, context, progress=None, fast=True):
        for line in context.lines():
            if line.number == 1 or not line.text.strip():
                continue
            parts = line.text.split("|")
            if len(parts) != 4:
                yield context.anomaly(line.number, "skipped_row", "not four fields", line.text)
                continue
            cn, partner, country, year = parts
            yield RawPartnership(context.name, line.number, "河南", cn, (), partner, (), country, None,
                                 PartialDate(int(year)), year, None, line.number, "exchange")


SOURCE_FORMAT = Toy()
'''


@pytest.fixture()
def toy_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A third-party package that registers the format ``toy`` through the entry-point group."""
    site = tmp_path / "site"
    (site / "toy_format-1.0.dist-info").mkdir(parents=True)
    (site / "toy_format-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: toy-format\nVersion: 1.0\n", encoding="utf-8")
    (site / "toy_format-1.0.dist-info" / "entry_points.txt").write_text(
        "[youcheng.sources]\ntoy = toy_format:SOURCE_FORMAT\n", encoding="utf-8")
    (site / "toy_format.py").write_text(TOY_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    formats.cache_clear()
    yield
    formats.cache_clear()
    sys.modules.pop("toy_format", None)


def test_built_in_formats_are_registered_in_sniffing_order() -> None:
    assert format_names() == ["enwiki-csv", "wikitext", "wikimd-city", "wikimd"]
    assert all(isinstance(f, SourceFormat) and f.description for f in formats())


def test_each_embedded_source_is_claimed_by_its_own_format_only() -> None:
    from youcheng.catalog import catalog
    from youcheng.sources.base import sniff_head

    for entry in catalog():
        for path in entry.files():
            head = sniff_head(path)
            claimed = [f.name for f in formats() if f.sniff(head, path)]
            assert claimed == [entry.format], (path, claimed)


def test_seed_is_read_as_the_list_page() -> None:
    fmt, context = detect(config.seed_path())
    assert fmt.name == "wikimd"
    assert context.subject == "中华人民共和国友好城市列表"


def test_source_comment_names_the_subject(tmp_path: Path) -> None:
    head = "<!-- source: MASangys/wikipedia.zh Page/武汉市.md commit 1bd0 (CC BY-SA) -->\n### 友好城市"
    context = SourceContext.for_file(tmp_path / "wuhan.md", head=head)
    assert (context.subject, context.name) == ("武汉市", "wuhan.md")
    assert SourceContext.for_file(tmp_path / "南京市.wikitext").subject == "南京市"


def test_a_file_no_format_reads_is_one_error_naming_every_format(tmp_path: Path) -> None:
    page = write_page(tmp_path, "# Notes\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", name="notes.md")
    with pytest.raises(ParseError) as caught:
        detect(page)
    assert str(caught.value) == (f"{page}: no source format reads this file (tried: {', '.join(format_names())}); "
                                 "pass --format NAME to read it as one of them")


def test_unknown_format_name_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown source format 'html'; known formats: enwiki-csv, "):
        get_format("html")


def _registry_rows(db: Path) -> int:
    with Registry.open(db) as reg:
        return int(reg.summary()["partnerships"])  # type: ignore[call-overload]


def test_unrelated_pipe_table_exits_2_and_keeps_the_registry(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    Registry.build([config.seed_path()], db)
    before = db.read_bytes()
    page = write_page(tmp_path, "# 购物清单\n\n| 东西 | 数量 |\n|---|---|\n| 苹果 | 3 |\n", name="list.md")
    result = runner.invoke(app, ["build", str(page), "--db", str(db)])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.output
    assert "no source format reads this file" in result.stderr
    # Forced through the list-page reader, it gives nothing: refused, registry kept.
    forced = runner.invoke(app, ["build", str(page), "--format", "wikimd", "--db", str(db)])
    assert forced.exit_code == 2 and len(forced.stderr.splitlines()) == 1, forced.output
    assert db.read_bytes() == before


def test_wikitext_is_not_read_as_a_pipe_table(runner: CliRunner, tmp_path: Path) -> None:
    """A wikitext page's ``|`` lines once passed as pipe tables and emptied the registry."""
    db = tmp_path / "r.db"
    Registry.build([config.seed_path()], db)
    page = write_page(tmp_path, "== 友好城市 ==\n{| class=\"wikitable\"\n|-\n! 国家 !! 城市\n|-\n"
                                "| {{JPN}} || [[名古屋市]]\n|}\n", name="南京市.wikitext")
    assert detect(page)[0].name == "wikitext"
    result = runner.invoke(app, ["build", str(page), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with Registry.open(db) as reg:
        [record] = list(reg.records())
    assert (record.cn_name_simplified, record.partner_name, record.country) == ("南京市", "名古屋市", "JP")


def test_a_source_that_gives_nothing_is_refused_unless_allowed(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    Registry.build([config.seed_path()], db)
    empty = write_page(tmp_path, "## 河南\n\n<table>\n</table>\n", name="empty.md")
    with pytest.raises(SourceError, match="gave no relationship and no anomaly"):
        Registry.build([config.seed_path(), empty], db)
    assert _registry_rows(db) == SEED_ROWS
    Registry.build([empty], db, allow_empty=True)
    assert _registry_rows(db) == 0


def test_a_folder_is_read_file_by_file(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "SOURCES.md").write_text("# where these come from\n", encoding="utf-8")
    (folder / "seed.md").write_bytes(config.seed_path().read_bytes())
    result = runner.invoke(app, ["build", str(folder), "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 0, result.output
    assert f"{SEED_ROWS} partnerships" in result.stdout and "from 1 source(s)" in result.stdout


def test_third_party_format_through_an_entry_point(toy_format: None, tmp_path: Path,
                                                   runner: CliRunner) -> None:
    assert format_names()[-1] == "toy"
    page = write_page(tmp_path, "#toy\n洛阳市|岡山市|日本|1981\nbroken line\n", name="pairs.txt")
    assert detect(page)[0].name == "toy"
    items = list(read_page(page))
    assert [type(i).__name__ for i in items] == ["RawPartnership", "Anomaly"]
    db = tmp_path / "r.db"
    result = runner.invoke(app, ["build", str(page), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with Registry.open(db) as reg:
        [record] = list(reg.records())
        [source] = reg.sources()
    assert (record.cn_code, record.partner_name, record.country, record.tier) == ("410300", "岡山市", "JP",
                                                                                  "exchange")
    assert (source.name, source.format, source.records, source.anomalies) == ("pairs.txt", "toy", 1, 1)


def test_sources_command_lists_format_counts_and_licence(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["sources", "--db", str(seed_db), "--format", "tsv"])
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    assert header == "name\tformat\trecords\tanomalies\tsnapshot\tlicence"
    assert row == (f"中华人民共和国友好城市列表.md\twikimd\t{SEED_ROWS}\t{SEED_SOURCE_ANOMALIES}\t2019\t"
                   "CC BY-SA 3.0")


def test_tier_filters_and_statistics(seed_db: Path) -> None:
    from youcheng import query

    with Registry.open(seed_db) as reg:
        assert {r.tier for r in reg.records()} == {"sister"}
        assert query.count_records(reg.conn, query.Filters(tier="exchange")) == 0
        assert sum(r.count for r in reg.stats("country", "exchange")) == 0
        assert sum(r.count for r in reg.stats("country")) == SEED_RELATIONSHIPS
        with pytest.raises(UsageError, match="unknown tier 'twin'"):
            query.count_records(reg.conn, query.Filters(tier="twin"))
