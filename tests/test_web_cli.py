"""``youcheng serve`` and the export formats added for the web page, through the CLI."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from youcheng.cli import app

from .expected import SEED_ROWS


def test_serve_get_prints_the_body_and_exits_0(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(seed_db), "--get", "/api/search?q=武汉&limit=1"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["items"][0]["name"] == "武漢市"


def test_serve_get_error_exits_1(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(seed_db), "--get", "/api/places/nope"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": "no place has the id 'nope'; find ids with 'youcheng search' or /api/search"}


def test_serve_get_page(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(seed_db), "--get", "/"])
    assert result.exit_code == 0 and "<title>友城 youcheng</title>" in result.stdout


def test_serve_invalid_ports(runner: CliRunner, seed_db: Path) -> None:
    for port in ("-1", "70000", "http"):
        result = runner.invoke(app, ["serve", "--db", str(seed_db), "--port", port, "--get", "/"])
        assert result.exit_code == 2, port


def test_serve_missing_registry_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "none.db"), "--get", "/"])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: no registry at {tmp_path / 'none.db'}: run 'youcheng build' "
                             "(or pass --db) first\n")


def test_export_geojson_to_stdout(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["export", "--format", "geojson", "--db", str(seed_db)])
    assert result.exit_code == 0
    features = json.loads(result.stdout)["features"]
    assert sum(f["properties"]["feature"] == "partnership" for f in features) == SEED_ROWS


def test_export_graphml_to_file(runner: CliRunner, seed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.graphml"
    result = runner.invoke(app, ["export", "-f", "graphml", "-o", str(out), "--db", str(seed_db)])
    assert result.exit_code == 0 and result.stderr.startswith("wrote ")
    assert out.read_text("utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_export_datapackage_to_file(runner: CliRunner, seed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "youcheng.zip"
    result = runner.invoke(app, ["export", "--format", "datapackage", "-o", str(out), "--db", str(seed_db)])
    assert (result.exit_code, result.stderr) == (0, f"wrote {SEED_ROWS} records to {out}\n")
    assert zipfile.ZipFile(out).namelist() == ["datapackage.json", "partnerships.csv", "relationships.csv"]
    assert not (tmp_path / ".youcheng.zip.partial").exists()


def test_export_datapackage_to_stdout(runner: CliRunner, seed_db: Path) -> None:
    result = runner.invoke(app, ["export", "--format", "datapackage", "--db", str(seed_db)])
    assert result.exit_code == 0
    assert "datapackage.json" in zipfile.ZipFile(io.BytesIO(result.stdout_bytes)).namelist()


def test_serve_and_export_have_help(runner: CliRunner) -> None:
    serve = runner.invoke(app, ["serve", "--help"]).output
    assert "--host" in serve and "--port" in serve and "--get" in serve
    assert "datapackage" in runner.invoke(app, ["export", "--help"]).output
