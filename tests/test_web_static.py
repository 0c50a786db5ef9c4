"""The web page's files: vendored with licences, local-only references, shipped in the package."""

from __future__ import annotations

import glob
import re
import tomllib
from pathlib import Path

import youcheng

PACKAGE = Path(youcheng.__file__).parent
WEB = PACKAGE / "web"
ROOT = PACKAGE.parent


def test_vendored_files_have_licences() -> None:
    vendor = WEB / "vendor"
    for name in ("echarts.min.js", "topojson-client.min.js", "countries-110m.json"):
        assert (vendor / name).stat().st_size > 1000, name
    for name in ("echarts-LICENSE.txt", "echarts-NOTICE.txt", "topojson-client-LICENSE.txt",
                 "world-atlas-LICENSE.txt"):
        assert (vendor / "licenses" / name).is_file(), name
    readme = (vendor / "README.md").read_text("utf-8")
    assert all(name in readme for name in ("echarts.min.js", "topojson-client.min.js", "countries-110m.json"))


def test_page_loads_nothing_from_the_network() -> None:
    page = (WEB / "index.html").read_text("utf-8")
    script = (WEB / "app.js").read_text("utf-8")
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page)
    assert not re.findall(r"fetch\(\s*['\"`]https?:", script)
    for ref in re.findall(r'(?:src|href)="static/([^"]+)"', page):
        assert (WEB / ref).is_file(), ref


def test_package_data_includes_every_web_file() -> None:
    """setuptools expands package-data globs like glob(recursive=True) from the package dir."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))[
        "tool"]["setuptools"]["package-data"]["youcheng"]
    shipped = {Path(p) for pattern in patterns
               for p in glob.glob(str(PACKAGE / pattern), recursive=True) if Path(p).is_file()}
    files = {p for p in WEB.rglob("*") if p.is_file()}
    assert files and files <= shipped, sorted(map(str, files - shipped))


def test_vendor_script_pins_versions() -> None:
    script = (ROOT / "scripts" / "vendor_web.sh").read_text("utf-8")
    assert "npm pack" in script and "ECHARTS=${1:-5." in script and "playwright install" not in script
