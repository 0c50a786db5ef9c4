"""Memory bounded by design (issue #16): places stream to the store, caches are bounded and
step aside when they do not pay, and none of it changes what a build writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from youcheng import Registry, config, pipeline
from youcheng.store import _side as store_side
from youcheng._memo import paying_cache, short_text_cache
from youcheng.model import RawPartnership
from youcheng.resolve import gazetteer, records
from youcheng.resolve.fold import name_forms
from youcheng.sources import read_page

from .conftest import write_page

_TABLES = ("places", "place_names", "name_grams", "partnerships", "relationships", "anomalies",
           "partnership_counts", "stat_counts")


def _content(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {table: conn.execute(f"SELECT * FROM {table}").fetchall() for table in _TABLES}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The seed, and the seed again with every place renamed: many places, each met twice."""
    root = tmp_path_factory.mktemp("bounded")
    seed = config.seed_path().read_text(encoding="utf-8")
    return [config.seed_path(), write_page(root, seed.replace("市", "鎮"), name="renamed.md")]


@pytest.fixture(scope="module")
def reference(pages: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[object, ...]]]:
    db = tmp_path_factory.mktemp("reference") / "r.db"
    Registry.build(pages, db)
    return _content(db)


@pytest.mark.parametrize(("module", "bound", "size"), [
    (records, "_PLAN_CACHE", 8),  # plans dropped after two generations of 8 are worked out again
    (store_side, "_COUNTED_PLACES", 16),  # place counts staged every 16 places instead of once
])
def test_small_bounds_write_the_same_registry(
        pages: list[Path], reference: dict[str, list[tuple[object, ...]]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, module: object, bound: str, size: int) -> None:
    monkeypatch.setattr(module, bound, size)
    Registry.build(pages, tmp_path / "r.db")
    assert _content(tmp_path / "r.db") == reference


@pytest.mark.parametrize("kept", [records.FORMS_KEPT, 4])
def test_names_keyed_by_the_parsing_process_write_the_same_registry(
        pages: list[Path], reference: dict[str, list[tuple[object, ...]]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, kept: int) -> None:
    """A parsing process sends the forms of the names rows write (records.row_forms) and the
    store takes their keys as given: the registry is the one keyed by the store alone, also
    when both processes forget the forms every 4 names."""
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(records, "FORMS_KEPT", kept)
    learnt: list[str] = []  # the names whose forms reached the build process: a child did parse
    learn = records.RecordResolver.learn_forms

    def recording(self: records.RecordResolver, sent: list[records.SentForms]) -> None:
        learnt.extend(name for name, *_ in sent)
        learn(self, sent)

    monkeypatch.setattr(records.RecordResolver, "learn_forms", recording)
    Registry.build(pages, tmp_path / "r.db")
    assert learnt
    assert _content(tmp_path / "r.db") == reference


def test_forms_are_sent_once_and_kept_in_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "FORMS_KEPT", 2)
    row = next(i for i in read_page(config.seed_path())
               if isinstance(i, RawPartnership) and len(records.row_names(i)) == 2)
    sent: set[str] = set()
    fresh = records.row_forms(row, sent)
    assert fresh is not None and [f[0] for f in fresh] == records.row_names(row)
    assert sent == set(records.row_names(row))
    assert all(f[1:] == tuple(name_forms(f[0])) for f in fresh)
    assert records.row_forms(row, sent) is None  # sent already
    partner = fresh[-1][0]
    other = records.row_forms(row._replace(cn_name="某縣", cn_links=()), sent)  # full: emptied first
    assert other == [("某縣", *name_forms("某縣")), fresh[-1]] and sent == {"某縣", partner}
    resolver = records.RecordResolver()
    resolver.learn_forms(fresh + other)  # emptied when full, as the sender was
    assert resolver._forms == {"某縣": name_forms("某縣"), partner: name_forms(partner)}


def test_plan_cache_keeps_what_is_used_and_drops_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "_PLAN_CACHE", 2)
    cache: records._PlanCache[str] = records._PlanCache()
    cache.put(("a",), "A")
    cache.put(("b",), "B")
    cache.put(("c",), "C")  # a and b become the old generation
    assert cache.get(("a",)) is None and cache.revive(("a",)) == "A"  # back in the young one
    cache.put(("d",), "D")  # c and a old, b dropped
    assert not cache.known(("b",)) and cache.known(("c",)) and cache.revive(("a",)) == "A"


def test_paying_cache_steps_aside_when_nothing_repeats_and_comes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from youcheng import _memo

    monkeypatch.setattr(_memo, "_PROBE", 10)
    monkeypatch.setattr(_memo, "_ASIDE", 30)
    calls: list[str] = []

    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    cached = paying_cache(100)(shout)
    for i in range(10):  # ten distinct arguments: no hit in the first period
        assert cached(f"x{i}") == f"X{i}"
    calls.clear()
    for _ in range(29):  # aside: every call reaches the function, even a repeated argument
        assert cached("x1") == "X1"
    assert len(calls) == 29
    calls.clear()
    for _ in range(20):  # tried again, and it pays: one call for twenty
        assert cached("same") == "SAME"
    assert calls == ["same"]
    short = short_text_cache(100, limit=3)(shout)
    calls.clear()
    assert [short("ab"), short("ab"), short("abcd"), short("abcd")] == ["AB", "AB", "ABCD", "ABCD"]
    assert calls == ["ab", "abcd", "abcd"]  # a long argument is never kept


@pytest.mark.parametrize("country", [None, "JP", "US", "FR", "KR"])
def test_the_screen_never_hides_a_place_a_finder_knows(country: str | None) -> None:
    """A name is looked up by the finders only if one of its keys is in their tables
    (gazetteer.may_be_known): every name of the tables, written as pages write them, with
    and without a suffix, still resolves as the finders alone resolve it."""
    cities = list(gazetteer._city_lines())[::40]
    subdivisions = list(gazetteer._subdivisions())
    curated = [c.name for entries in gazetteer._curated().values() for c in entries]
    names = [*cities, *subdivisions, *curated, *(n + "市" for n in cities[:300]),
             *(n[:-1] for n in subdivisions if len(n) > 2), "東京", "東京都", "大阪府", "京畿道"]
    for name in names:
        with_screen = gazetteer._resolve_foreign.__wrapped__((name,), country, True)  # type: ignore[attr-defined]
        assert with_screen == _finders_alone(name, country), name


def _finders_alone(name: str, country: str | None) -> gazetteer.ForeignPlace | None:
    names = [name]
    found = gazetteer.find_curated(names, country)
    if found:
        return found
    order = (gazetteer.find_subdivision, gazetteer.find_city) if gazetteer.is_region_name(name) else (
        gazetteer.find_city, gazetteer.find_subdivision)
    for finder in order:
        found = finder(names, country)
        if found:
            return found
    return gazetteer.find_latin(names, country)


def test_an_unknown_name_is_screened_out() -> None:
    assert not gazetteer.may_be_known("阿尼薩巴納普市")
    assert gazetteer.may_be_known("東京都") and gazetteer.may_be_known("Tokyo")


@pytest.mark.parametrize("name", ["烏蘭巴托", "乌兰巴托市", " 東京都 ", "ＴＯＫＹＯ", "Köln", "São Paulo (SP)",
                                  "東京都新宿區", "ﾄｳｷｮｳ", "慶尚北道", "", "  "])
def test_keys_given_the_simplified_form_are_the_keys(name: str) -> None:
    """The side file keys a name with the Simplified form it makes anyway (store._side._keyed), and the
    resolver folds a name's forms with one conversion (gazetteer._forms): the same keys."""
    from youcheng.resolve.fold import search_key, search_key_given
    from youcheng.resolve.names import fold_key, fold_key_given, to_simplified

    simplified = to_simplified(name)
    assert fold_key_given(name, simplified) == fold_key(name)
    assert search_key_given(name, simplified) == search_key(name)
    # ... and the forms a parsing process sends (records.row_forms) are the same again.
    assert name_forms(name) == (simplified, fold_key(name), search_key(name), search_key(simplified))
    forms = gazetteer._forms.__wrapped__(name)  # type: ignore[attr-defined]
    assert forms.city[:1] == tuple(k for k in [fold_key(name)] if k)
