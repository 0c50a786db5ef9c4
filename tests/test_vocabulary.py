"""Each closed set of words is listed once, in ``youcheng/vocabulary.py``, and everything agrees with it.

The anomaly kinds are read from the code: every kind a reader or the resolver passes to an
anomaly call must be an ``AnomalyKind``, and every ``AnomalyKind`` must be emitted somewhere.
What cannot import the enums (the web page, ``model.Tier``'s Literal) is compared with them
here, so a word added in one place and not the other fails a test.
"""

from __future__ import annotations

import ast
import json
import re
import sqlite3
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import youcheng
from youcheng import config, model, pipeline, relationships
from youcheng.catalog import catalog
from youcheng.cli import app
from youcheng.sources import formats
from youcheng.sources.base import SourceFile
from youcheng.vocabulary import (AnomalyKind, ExportFormat, Level, NameOrigin, OutputFormat, RenderFormat,
                                 SourceFormatName, StatDimension, Status, Tier, TierFilter, anomaly_description,
                                 or_list, values)

PACKAGE = Path(youcheng.__file__).parent
SCRIPT = (PACKAGE / "web" / "app.js").read_text("utf-8")

# Calls that make an anomaly, and the position of their ``kind`` argument:
# model.Anomaly(source, line, kind, ...), SourceContext.anomaly(line, kind, ...) and the readers'
# own anomaly / _anomaly (line, kind, ...), the resolver's _finding(raw, kind, ...).
KIND_ARGUMENT = {"Anomaly": 2, "anomaly": 1, "_anomaly": 1, "_finding": 1}


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _kind_expressions(tree: ast.Module) -> Iterator[tuple[ast.expr, ast.AST]]:
    """(kind expression, the function it is in, or the module) of every anomaly call, and the first
    item of every tuple appended to a reader's ``problems`` (kind, [severity,] message), which it
    later turns into anomalies."""
    scopes: list[ast.AST] = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef,
                                                                                ast.AsyncFunctionDef)))]
    for scope in scopes:
        for node in _own_nodes(scope):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            if name in KIND_ARGUMENT:
                at = KIND_ARGUMENT[name]
                given = next((k.value for k in node.keywords if k.arg == "kind"), None)
                if given is None and len(node.args) > at \
                        and not any(isinstance(a, ast.Starred) for a in node.args[:at + 1]):
                    given = node.args[at]
                if given is not None:
                    yield given, scope
            elif name == "append" and isinstance(node.func, ast.Attribute) \
                    and ast.unparse(node.func.value).endswith("problems") \
                    and node.args and isinstance(node.args[0], ast.Tuple):
                yield node.args[0].elts[0], scope


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function (or module) outside the functions defined in it."""
    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pending += ast.iter_child_nodes(node)


def _kinds(expr: ast.expr, scope: ast.AST, where: str) -> Iterator[str]:
    """The kinds an expression can be: string literals, ``AnomalyKind.x``, either branch of an
    ``if``-expression, ``str()`` of one of these, or a local name as last assigned before the
    call. A parameter, a loop variable over ``problems`` and a stored row's column (``r[2]``)
    pass on a kind made elsewhere."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        yield expr.value
    elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "AnomalyKind":
        assert expr.attr in AnomalyKind.__members__, f"{where}: AnomalyKind has no {expr.attr}"
        yield AnomalyKind[expr.attr].value
    elif isinstance(expr, ast.IfExp):
        yield from _kinds(expr.body, scope, where)
        yield from _kinds(expr.orelse, scope, where)
    elif isinstance(expr, ast.Call) and _called(expr) == "str" and len(expr.args) == 1:
        yield from _kinds(expr.args[0], scope, where)
    elif isinstance(expr, ast.Subscript):
        return
    elif isinstance(expr, ast.Name):
        assigned = [node for node in _own_nodes(scope) if isinstance(node, ast.Assign) and node.lineno < expr.lineno
                    and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)]
        passed = isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and expr.id in {
            a.arg for a in scope.args.args + scope.args.kwonlyargs + scope.args.posonlyargs}
        looped = any(isinstance(node, ast.For) and expr.id in {n.id for n in ast.walk(node.target)
                                                             if isinstance(n, ast.Name)}
                     and "problems" in ast.unparse(node.iter) for node in _own_nodes(scope))
        assert assigned or passed or looped, f"{where}: cannot tell which kinds {expr.id!r} holds"
        if assigned:
            yield from _kinds(max(assigned, key=lambda node: node.lineno).value, scope, where)
    else:
        raise AssertionError(f"{where}: cannot tell which kind {ast.unparse(expr)!r} is")


def _emitted() -> dict[str, list[str]]:
    """Every anomaly kind the package's code can emit -> where (file:line)."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for expr, scope in _kind_expressions(tree):
            where = f"{path.relative_to(PACKAGE.parent)}:{expr.lineno}"
            for kind in _kinds(expr, scope, where):
                found.setdefault(kind, []).append(where)
    return found


def test_every_kind_the_code_emits_is_an_anomaly_kind_and_every_kind_is_emitted() -> None:
    emitted = _emitted()
    unknown = {kind: where for kind, where in emitted.items() if kind not in values(AnomalyKind)}
    assert not unknown, f"add these to vocabulary.AnomalyKind, with what they mean: {unknown}"
    unused = set(values(AnomalyKind)) - set(emitted)
    assert not unused, f"no code emits these AnomalyKind members any more: {unused}"


def test_the_scan_sees_literals_enum_members_branches_and_problems() -> None:
    """The scan itself: each way the code names a kind is found (a scan that sees nothing passes)."""
    tree = ast.parse('''
def read(ctx, kind, wide):
    yield ctx.anomaly(1, "damaged_line", "m")
    yield ctx.anomaly(2, AnomalyKind.extra_cells, "m")
    which = "no_partner" if wide else AnomalyKind.skipped_row
    yield ctx._anomaly(3, which, "m")
    yield Anomaly("s", 4, kind=kind, severity="info", message="m")
    yield Anomaly("s", 5, str(AnomalyKind.placeholder), "info", "m")
    fields.problems.append(("invalid_date", "warning", "m"))
''')
    assert sorted(k for e, s in _kind_expressions(tree) for k in _kinds(e, s, "example")) == [
        "damaged_line", "extra_cells", "invalid_date", "no_partner", "placeholder", "skipped_row"]
    with pytest.raises(AssertionError, match="cannot tell"):
        list(_kinds(ast.parse("kinds[0]()").body[0].value, tree, "example"))  # type: ignore[attr-defined]


def test_a_seed_build_stores_only_known_kinds(seed_db: Path) -> None:
    with sqlite3.connect(seed_db) as conn:
        stored = {row[0] for row in conn.execute("SELECT DISTINCT kind FROM anomalies")}
    assert stored and stored <= set(values(AnomalyKind))


def test_every_anomaly_kind_says_what_it_means() -> None:
    for kind in AnomalyKind:
        assert kind.name == kind.value and kind.description and not kind.description.endswith(".")
        assert anomaly_description(kind.value) == kind.description
    assert anomaly_description("made_up_by_a_plugin") is None


def test_check_ends_with_what_the_listed_kinds_mean(seed_db: Path) -> None:
    result = CliRunner().invoke(app, ["check", "--db", str(seed_db)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    listed = {line.split("\t")[2] for line in lines if line.count("\t") >= 3}
    meanings = lines[lines.index("what the kinds mean:") + 1:]
    assert meanings == [f"  {k}: {AnomalyKind[k].description}" for k in sorted(listed) if k in AnomalyKind.__members__]
    assert "  no_partner_place: " + AnomalyKind.no_partner_place.description in meanings


def test_readers_hand_on_plain_words_that_cross_to_the_build_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large build reads its pages in a second process and sends the rows and anomalies back
    with ``marshal``, which refuses a ``str`` subclass: whatever enum member a reader names a
    kind by, it must hand on the plain word, or the build fails. Every built-in format, rows
    and anomalies, through that process."""
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("city1,country1,city2,country2\nWuhan,China,Bordeaux,France\nWuhan,China\n", "utf-8")
    folder = {entry.format: config.data_dir() / entry.folder for entry in catalog()}
    pages = {SourceFormatName.wikimd: config.seed_path(), SourceFormatName.enwiki_csv: pairs,
             SourceFormatName.wikimd_city: folder[SourceFormatName.wikimd_city] / "合肥市.md",
             SourceFormatName.wikitext: folder[SourceFormatName.wikitext] / "合肥市.wikitext"}
    sources = [SourceFile(path, path.name, fmt.value) for fmt, path in pages.items()]
    with pipeline.PageReader(sources) as reader:
        assert reader.parallel
        for fmt, path in pages.items():
            batches = list(reader.batches(path))
            reader.checksum(path)
            assert any(b.rows for b in batches) and any(b.anomalies for b in batches), fmt


# --- what cannot import the enums ------------------------------------------------------------------

def test_derived_tuples_follow_the_enums() -> None:
    assert model.TIERS == ("sister", "exchange", "intent", "domestic") == values(Tier)
    assert model.STATUSES == ("active", "suspended", "ended") == values(Status)
    assert model.NAME_ORIGINS == values(NameOrigin)
    assert all(type(word) is str for word in model.TIERS + model.STATUSES + model.NAME_ORIGINS)
    assert values(TierFilter) == (*values(Tier), "all")
    assert or_list(Level) == "province, prefecture, county or district"


def test_the_readers_tier_type_lists_the_tiers() -> None:
    """model.Tier stays a Literal (rows must cross marshal as plain words): the enum's words."""
    assert get_args(model.Tier) == values(Tier)


def test_the_built_in_source_formats_are_named_and_ranked_by_the_enum() -> None:
    builtin = [f.name for f in formats() if type(f).__module__.startswith("youcheng.")]
    assert sorted(builtin) == sorted(values(SourceFormatName))
    assert set(relationships.AUTHORITY) == set(SourceFormatName), "rank every built-in format's authority"


def _js_list(name: str) -> list[Any]:
    found = re.search(rf"const {name} = \[", SCRIPT)
    assert found, name
    return list(json.JSONDecoder().raw_decode(SCRIPT, found.end() - 1)[0])


def test_the_web_page_lists_the_same_words() -> None:
    assert tuple(_js_list("TIERS")) == values(TierFilter)
    assert tuple(_js_list("LEVELS")) == values(Level)
    assert tuple(_js_list("STATUSES")) == values(Status)
    assert tuple(_js_list("ORIGINS")) == values(NameOrigin)
    assert {code for code, _ in _js_list("FORMATS")} == set(values(ExportFormat))


@pytest.mark.parametrize(("prefix", "words"), [
    ("kind_", AnomalyKind), ("tier_", TierFilter), ("level_", Level), ("status_", Status), ("origin_", NameOrigin)])
def test_the_web_page_labels_every_word_in_both_languages(prefix: str, words: type[StrEnum]) -> None:
    missing = {prefix + w for w in values(words) if len(re.findall(rf"\b{prefix}{w}:", SCRIPT)) < 2}
    assert not missing, missing


# --- the CLI and the API take the enums -------------------------------------------------------------

def _resolved(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The enum values a parameter's schema allows, through ``$ref`` and ``anyOf``."""
    if "$ref" in schema:
        return _resolved(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in schema:
        return set().union(*(_resolved(spec, s) for s in schema["anyOf"]))
    return set(schema.get("enum", ()))


def test_openapi_lists_the_allowed_values(seed_db: Path) -> None:
    from youcheng.api import create_app

    spec = TestClient(create_app(seed_db)).get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in spec["paths"]["/api/partnerships"]["get"]["parameters"]}
    assert _resolved(spec, params["tier"]) == set(values(TierFilter))
    assert _resolved(spec, params["status"]) == set(values(Status))
    assert _resolved(spec, params["level"]) == set(values(Level))
    fmt = {p["name"]: p["schema"] for p in spec["paths"]["/api/export/{fmt}"]["get"]["parameters"]}["fmt"]
    assert _resolved(spec, fmt) == set(values(ExportFormat))
    kind = spec["components"]["schemas"]["PlaceName"]["properties"]["kind"]
    assert _resolved(spec, kind) == set(values(NameOrigin))


@pytest.mark.parametrize(("args", "words"), [
    (["stats", "--by"], StatDimension), (["stats", "--tier"], TierFilter), (["stats", "--status"], Status),
    (["export", "--format"], ExportFormat), (["export", "--tier"], TierFilter), (["partners", "x", "--format"], OutputFormat),
    (["search", "x", "--format"], OutputFormat), (["sources", "--format"], OutputFormat),
    (["render", "--province", "x", "--format"], RenderFormat), (["render", "--province", "x", "--tier"], TierFilter)])
def test_cli_options_offer_the_enum(args: list[str], words: type[StrEnum]) -> None:
    result = CliRunner().invoke(app, [*args, "nonsense"])
    message = " ".join(result.stderr.replace("│", " ").split())
    assert result.exit_code == 2 and "'nonsense' is not one of" in message, result.stderr
    offered = re.findall(r"'([^']+)'", message.split("is not one of", 1)[1])
    assert tuple(offered) == values(words)
