"""How many reference cycles a build leaves for the cycle collector (not a test).

The build pipeline turns the collector off while it reads (``youcheng/pipeline.py``):
reference counting frees what a build allocates, and the collector's walks over the
caches cost seconds at a million rows. Cycles a build makes are still collected, once
the collector is back on; this script says how many there are, so a change that makes
many (a relationship holding its attestations and they it, say) is seen and weighed.

Usage: python benchmarks/check_cycles.py [PAGE ...]   (default: the seed and a page of
broken rows, read in-process and by the parsing child)
"""

from __future__ import annotations

import gc
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from youcheng import config, pipeline  # noqa: E402
from youcheng.build import build_registry  # noqa: E402

# Each line broken in its own way: the parser's error paths raise and catch exceptions.
BROKEN_PAGE = (
    "## 河南\n\n另見[鄭州市](../Page/鄭州市.md)。\n\n| | |\n|--:|---|\n"
    "| 〖[洛陽市](../Page/洛陽市.md \"wikilink\")〗- | | <small>[日本](../Page/日本.md)[岡山市](../Page/岡山市.md)（9999年99月99日） |\n"
    "| 〖[鄭州市](../Page/鄭州市.md)〗- | | <small>[日本](../Page/日本.md)（1981年） |\n"
    "| | | |\n| 〖[開封市](../Page/開封市.md)〗- | |\n| | | 沒有連結 |\n\n"
    "| 國家 | 城市 | 日期 |\n|---|---|---|\n| [美國](../Page/美國.md) | [紐約](../Page/紐約.md) | 某年 |\n"
    "| [無此國](../Page/無此國.md) | [某地](../Page/某地.md) | 1990年13月 |\n\n"
    "## 北京\n<table>\n<tr>\n<td><p><a href=\"../Page/紐約.md\">紐約</a></p></td>\n"
    "<td><p>1980年2月25日</p></td>\n<td></td>\n</tr>\n"
    "<tr><td>北京市</td><td><a href=\"../Page/東京.md\">東京</a>（1979年3月14日）</td><td>x</td><td>y</td></tr>\n"
    "<tr><td><table></table></td></tr> 表外\n"
    "## 天津\n<table>\n<tr><th>國家</th><th>城市</th><th>日期</th></tr>\n"
    "<tr><td>日本</td><td><a href=\"../Page/神戶市.md\">神戶市</a></td><td>1973年6月24日</td></tr>\n"
    "<tr><td>日本</td><td></td><td>2000年</td></tr>\n"
)


def cycles(pages: list[Path], work: Path) -> int:
    """Objects in cycles that one build (after a first one filled the module caches) left."""
    build_registry(pages, work / "warm.db")
    gc.collect()
    gc.disable()
    try:
        build_registry(pages, work / "cycles.db")
        return gc.collect()
    finally:
        gc.enable()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if len(sys.argv) > 1:
            pages = [Path(arg) for arg in sys.argv[1:]]
        else:
            broken = work / "broken.md"
            broken.write_text(BROKEN_PAGE, encoding="utf-8")
            pages = [config.seed_path(), broken]
        for label, min_bytes in (("in-process", 1 << 62), ("parsing child", 0)):
            pipeline.PARALLEL_MIN_BYTES = min_bytes
            print(f"{label}: {cycles(pages, work)} objects in reference cycles after a build of "
                  f"{', '.join(p.name for p in pages)}")


if __name__ == "__main__":
    main()
