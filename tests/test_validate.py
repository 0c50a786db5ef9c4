"""No silent answers: a filter that cannot match, or a parameter nobody takes, is said so.

The API answers 422 with the parameter, the accepted values and the nearest ones; the
CLI exits 2 with one line naming the option. Every value the registry holds is accepted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from youcheng import query
from youcheng.api import create_app
from youcheng.cli import app
from youcheng.registry import Registry

from .expected import SEED_BY_SECTION, SEED_COUNTRIES, SEED_ROWS


@pytest.fixture(scope="module")
def client(seed_db: Path) -> TestClient:
    return TestClient(create_app(seed_db))


@pytest.mark.parametrize(("path", "params", "parameter", "nearest"), [
    ("/api/partnerships", {"contry": "JP"}, "contry", ["country"]),
    ("/api/stats", {"provnce": "河南"}, "provnce", ["province"]),
    ("/api/lines", {"yearfrom": "1990"}, "yearfrom", ["year_from"]),
    ("/api/search", {"q": "武汉", "limt": "3"}, "limt", ["limit"]),
    ("/api/partnerships", {"country": "XX"}, "country", None),
    ("/api/partnerships", {"country": "Japan"}, "country", ["JP"]),
    ("/api/stats", {"country": "日本"}, "country", ["JP"]),
    ("/api/partnerships", {"province": "火星"}, "province", None),
    ("/api/export/csv", {"province": "Atlantis"}, "province", None),
    ("/api/partnerships", {"level": "city"}, "level", None),
    ("/api/partnerships", {"year_from": 2000, "year_to": 1990}, "year_from", []),
    ("/api/stats", {"tier": "sisters"}, "tier", ["sister"]),
])
def test_unusable_parameters_are_422_naming_them(client: TestClient, path: str, params: dict[str, object],
                                                 parameter: str, nearest: list[str] | None) -> None:
    response = client.get(path, params=params)
    body = response.json()
    assert response.status_code == 422 and body["parameter"] == parameter, body
    assert body["error"].startswith(f"{parameter}: ")
    if nearest is not None:
        assert body["nearest"][:len(nearest)] == nearest
    if parameter in ("province", "level", "contry", "country"):
        assert body["accepted"]  # what it takes


def test_every_value_the_registry_holds_is_accepted(client: TestClient, seed_db: Path) -> None:
    with Registry.open(seed_db) as reg:
        provinces = [r.key for r in reg.stats("province", "all") if r.key]
        countries = [r.key for r in reg.stats("country", "all") if r.key]
    assert len(provinces) == len(SEED_BY_SECTION) and len(countries) == SEED_COUNTRIES
    for province in provinces:
        short = province.removesuffix("省")
        for value in {province, short}:
            response = client.get("/api/partnerships", params={"province": value, "limit": 0})
            assert response.status_code == 200 and response.json()["total"] > 0, value
    for country in countries:
        for value in (country, country.lower()):
            assert client.get("/api/stats", params={"country": value}).status_code == 200, value
    for level in query.LEVELS:
        assert client.get("/api/partnerships", params={"level": level, "limit": 0}).status_code == 200
    assert client.get("/api/partnerships", params={"year_from": 1990, "year_to": 1990}).status_code == 200


def test_a_real_country_without_partners_is_an_empty_answer(client: TestClient) -> None:
    response = client.get("/api/partnerships", params={"country": "AQ"})
    assert response.status_code == 200 and response.json()["total"] == 0


def test_the_page_keeps_its_own_query_string(client: TestClient) -> None:
    assert client.get("/", params={"country": "JP", "lang": "en", "from": 1990}).status_code == 200


@pytest.mark.parametrize(("args", "start"), [
    (["stats", "--country", "XX"], "Error: --country: 'XX' is not an ISO 3166-1 alpha-2 country code"),
    (["stats", "--province", "火星"], "Error: --province: no province of this registry is called '火星'"),
    (["stats", "--year-from", "2000", "--year-to", "1990"], "Error: --year-from: 2000 is after year_to 1990"),
    (["export", "--level", "city"], "Error: --level: unknown level 'city'"),
    (["export", "-f", "csv", "--country", "Japan"], "Error: --country: 'Japan' is not an ISO 3166-1"),
])
def test_cli_unusable_options_exit_2_with_one_line(seed_db: Path, args: list[str], start: str) -> None:
    result = CliRunner().invoke(app, [*args, "--db", str(seed_db)])
    assert result.exit_code == 2 and result.stderr.startswith(start), result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""


def test_stats_and_export_take_the_api_filters(seed_db: Path, client: TestClient) -> None:
    filters = {"country": "JP", "province": "河南", "year_from": "1980", "year_to": "1999"}
    args = [a for k, v in filters.items() for a in (f"--{k.replace('_', '-')}", v)]
    api_rows = client.get("/api/partnerships", params={**filters, "limit": 1000}).json()
    stats = CliRunner().invoke(app, ["stats", "--by", "province", "--tier", "all", *args, "--db", str(seed_db)])
    assert stats.exit_code == 0 and stats.stdout == f"河南省\t{api_rows['total']}\n"
    export = CliRunner().invoke(app, ["export", "-f", "jsonl", *args, "--db", str(seed_db)])
    assert export.exit_code == 0 and len(export.stdout.splitlines()) == api_rows["total"] > 0


def test_datapackage_is_never_written_to_a_terminal(seed_db: Path, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    from youcheng import cli

    with pytest.raises(cli.typer.Exit) as done:
        cli._export_datapackage(None, seed_db, query.Filters())
    assert done.value.exit_code == 2
    result = CliRunner().invoke(app, ["export", "-f", "datapackage", "-o", str(tmp_path / "p.zip"),
                                      "--db", str(seed_db)])
    assert result.exit_code == 0 and result.stderr == f"wrote {SEED_ROWS} records to {tmp_path / 'p.zip'}\n"
