"""Generate a synthetic list page in the seed's format, of any size, streamed to disk.

Usage: python benchmarks/synth.py --partnerships 1000000 --places 100000 --seed 1 -o big.md

The page looks like the embedded seed: ``## `` province sections holding either
flattened HTML tables (``[Chinese place, partner, date]`` then ``[partner, date, ]``
rows, no country) or pipe tables (``〖[place](…)〗- | | <small>[country](…)[partner](…)（date）``),
a headed HTML table for the SARs, two-link district partners (東京都新宿區), notes,
partial dates and a few placeholder rows. Names are real so that resolution does
the work it does on a real page:

* Chinese places are GB/T 2260 divisions from ``youcheng/data/cn_divisions.csv``
  (most written in Traditional script, as zh-Wikipedia writes them), under the
  section of their province;
* partners are drawn from youcheng's own gazetteer tables (GeoNames cities with
  Chinese names, ISO 3166-2 subdivisions, curated places) plus invented
  transliterations that no gazetteer knows (``--invented``, default 10%), with a
  Zipf-like popularity so that big cities recur as they do on real pages.

``--places`` is the size of that pool of distinct foreign partners (past the
~35,000 real names the tables hold, real cities come again with a 市 suffix). The page is
written as it is generated: memory stays flat whatever ``--partnerships`` is.
Same arguments, same bytes.

The shape of the data (issue #16) has three knobs beside ``--invented``:

* ``--fresh F``: the share of rows whose partner is a name of its own, invented, written
  once on the whole page and known to no gazetteer (default 0: every partner comes from
  the pool and popular ones recur). ``--fresh 1`` is a page of a noisy harvest: a million
  rows, a million distinct unresolvable partners.
* ``--cn-places N``: how many distinct Chinese places hold the rows (default: the 3,214
  GB/T 2260 divisions). Past those, invented county names no division matches.
* ``--even``: every Chinese place gets the same number of rows (default: skewed, capitals
  have hundreds).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import itertools
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "youcheng" / "data"
# Syllables of Chinese transliterations of foreign names, for invented partners.
_SYLLABLES = ("阿", "巴", "卡", "達", "爾", "斯", "特", "克", "拉", "維", "諾", "夫", "蘭", "羅", "馬",
              "尼", "亞", "利", "西", "德", "納", "托", "沃", "布", "格", "里", "茲", "塔", "萊", "薩",
              "波", "伊", "烏", "科", "庫", "米", "門", "恩", "奧", "貝", "哈", "韋", "莫", "普", "圖")
_CITY_SUFFIX = ("", "", "", "市", "堡", "港", "鎮")
_NOTES = ("友好協約書", "友好協議", "文化備忘錄", "友好交流城市")


@dataclass(frozen=True)
class _Partner:
    name: str          # as written on the page
    target: str        # link target (page title)
    country: str       # ISO alpha-2
    parent: tuple[str, str] | None = None  # (name, target) of a first link, for districts


@dataclass(frozen=True)
class _Division:
    code: str
    name: str
    target: str


def _traditional() -> object:
    import opencc

    return opencc.OpenCC("s2t")


def _country_names(codes: set[str]) -> dict[str, str]:
    """Alpha-2 -> a Chinese country name as a page writes it (Traditional)."""
    import gettext

    import pycountry

    s2t = _traditional()
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_TW"])
    out = {}
    for code in sorted(codes):
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            continue
        name = zh.gettext(getattr(country, "common_name", None) or country.name)
        if name.isascii():
            continue
        out[code] = str(s2t.convert(name))  # type: ignore[attr-defined]
    return out


def _is_cjk(text: str) -> bool:
    return bool(text) and all("\u3400" <= ch <= "\u9fff" for ch in text)


def _gazetteer_names(rng: random.Random) -> list[tuple[str, str]]:
    """(Simplified name, country) of GeoNames cities with an all-Chinese name, biggest first."""
    rows = []
    with gzip.open(DATA / "gazetteer_zh.tsv.gz", "rt", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            key, _, entries = line.rstrip("\n").partition("\t")
            if not _is_cjk(key) or len(key) < 2:
                continue
            first = entries.split(";")[0].split(",")
            rows.append((int(first[2]), key, first[1]))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return [(key, country) for _, key, country in rows if country != "CN"]


def _subdivision_names() -> list[tuple[str, str]]:
    with (DATA / "subdivisions_zh.csv").open(encoding="utf-8") as handle:
        return [(row["names_zh"].split("|")[0], row["country"]) for row in csv.DictReader(handle)
                if row["country"] != "CN" and _is_cjk(row["names_zh"].split("|")[0])]


def _curated_names() -> list[tuple[str, str]]:
    with (DATA / "foreign_places.csv").open(encoding="utf-8") as handle:
        return [(row["name"], row["country"]) for row in csv.DictReader(handle)]


def _invented(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 5))) + rng.choice(_CITY_SUFFIX)


def partner_pool(size: int, invented: float, rng: random.Random) -> list[_Partner]:
    """``size`` distinct foreign partners, most popular first."""
    s2t = _traditional()
    known = _curated_names() + _subdivision_names()
    cities = _gazetteer_names(rng)
    n_invented = int(size * invented)
    n_known = size - n_invented
    # Big cities first (they are the popular ones), then the rest shuffled in.
    head, tail = cities[:2000], cities[2000:]
    rng.shuffle(tail)
    real = list(dict.fromkeys(head + known + tail))
    rng.shuffle(real)
    real = real[:n_known]
    # More places asked for than the tables hold: add the cities again with a 市 suffix,
    # as pages write 烏蘭巴托 and 烏蘭巴托市 (resolution strips it: the same place).
    taken = {name for name, _ in real}
    extra = [(name + "市", country) for name, country in cities
             if not name.endswith(("市", "州", "省", "縣", "县", "区", "區")) and name + "市" not in taken]
    real += extra[:n_known - len(real)]
    countries = sorted({c for _, c in real}) or sorted({c for _, c in cities})  # --invented 1: none real
    seen = {name for name, _ in real}
    fake: list[tuple[str, str]] = []
    while len(fake) < size - len(real):
        name = _invented(rng)
        if name not in seen:
            seen.add(name)
            fake.append((name, rng.choice(countries)))
    names = real + fake
    rng.shuffle(names)
    pool = []
    for name, country in names:
        written = str(s2t.convert(name)) if rng.random() < 0.7 else name  # type: ignore[attr-defined]
        pool.append(_Partner(written, written, country))
    # A few districts: a second link under a bigger place (東京都 + 新宿區).
    for i in range(0, len(pool), 40):
        parent = pool[(i * 7919 + 1) % len(pool)]
        district = _invented(rng)[:3] + "區"
        pool[i] = _Partner(district, district, parent.country, (parent.name, parent.target))
    return pool


def chinese_places() -> dict[str, list[_Division]]:
    """Province code -> its divisions (the province itself first), written Traditional."""
    s2t = _traditional()
    out: dict[str, list[_Division]] = {}
    with (DATA / "cn_divisions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = str(s2t.convert(row["name"]))  # type: ignore[attr-defined]
            out.setdefault(row["code"][:2], []).append(_Division(row["code"], name, name))
    return out


def _date(rng: random.Random) -> str:
    year = rng.randint(1973, 2024)
    r = rng.random()
    if r < 0.85:
        return f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
    if r < 0.95:
        return f"{year}年{rng.randint(1, 12)}月"
    return f"{year}年"


def _target_path(target: str) -> str:
    return "../Page/" + target.replace(" ", "_").replace("(", "\\(").replace(")", "\\)") + ".md"


def _html_link(name: str, target: str) -> str:
    return f'<a href="{_target_path(target)}" title="wikilink">{name}</a>'


def _md_link(name: str, target: str) -> str:
    return f'[{name}]({_target_path(target)} "wikilink")'


class PageWriter:
    """Writes sections and tables in the seed's markup."""

    def __init__(self, rng: random.Random, countries: dict[str, str]) -> None:
        self.rng = rng
        self.countries = countries

    def _partner_html(self, p: _Partner) -> str:
        links = (_html_link(*p.parent) if p.parent else "") + _html_link(p.name, p.target)
        if self.rng.random() < 0.01:
            links += f"（{self.rng.choice(_NOTES)}）"
        return links

    def html_table(self, places: list[tuple[_Division, list[_Partner]]]) -> Iterator[str]:
        yield "<table>\n<tbody>\n"
        odd = itertools.cycle(("odd", "even"))
        for division, partners in places:
            for i, p in enumerate(partners):
                cells = [self._partner_html(p), _date(self.rng)]
                if i == 0:
                    cells.insert(0, _html_link(division.name, division.target))
                else:
                    cells.append("")
                body = "".join(f"<td><p>{c}</p></td>\n" if c else "<td></td>\n" for c in cells)
                yield f'<tr class="{next(odd)}">\n{body}</tr>\n'
        yield "</tbody>\n</table>\n\n"

    def headed_table(self, partners: list[_Partner]) -> Iterator[str]:
        yield ("<table>\n<thead>\n<tr class=\"header\">\n<th><p>國家</p></th>\n<th><p>城市</p></th>\n"
               "<th><p>締結日期</p></th>\n</tr>\n</thead>\n<tbody>\n")
        odd = itertools.cycle(("odd", "even"))
        for p in partners:
            country = self.countries.get(p.country)
            cells = [_html_link(country, country) if country else "", self._partner_html(p),
                     _date(self.rng) if self.rng.random() < 0.5 else ""]
            body = "".join(f"<td><p>{c}</p></td>\n" if c else "<td></td>\n" for c in cells)
            yield f'<tr class="{next(odd)}">\n{body}</tr>\n'
        yield "</tbody>\n</table>\n\n"

    def pipe_table(self, places: list[tuple[_Division, list[_Partner]]]) -> Iterator[str]:
        width = 40
        yield f"| {' ' * width} | {' ' * 90} |\n| {'-' * (width - 1)}: | {'-' * 90} |\n"
        for division, partners in places:
            for i, p in enumerate(partners):
                cn = f"〖{_md_link(division.name, division.target)}〗-" if i == 0 else ""
                country = self.countries.get(p.country)
                cell = _md_link(country, country) if country else ""
                if p.parent:
                    cell += _md_link(*p.parent)
                cell += _md_link(p.name, p.target) + f"（{_date(self.rng)}）"
                if self.rng.random() < 0.01:
                    cell += f"（{self.rng.choice(_NOTES)}）"
                yield f"| {cn:>{width}} | | <small>{cell} |\n"
            if self.rng.random() < 0.02:
                yield f"| {'':>{width}} | | <small> |\n"  # a placeholder row, as on the seed
        yield "\n"


@dataclass(frozen=True)
class Shape:
    """The knobs of the data's shape (see the module's docstring)."""

    invented: float = 0.1
    fresh: float = 0.0
    cn_places: int | None = None
    even: bool = False


def _more_places(provinces: dict[str, list[_Division]], total: int, rng: random.Random) -> None:
    """Add invented counties to the provinces (round robin) until they hold ``total`` places."""
    codes = sorted(provinces)
    have = sum(len(v) for v in provinces.values())
    for n in range(total - have):
        code = codes[n % len(codes)]
        name = _invented(rng)[:3] + _counter_name(n) + "縣"
        provinces[code].append(_Division(f"{code}{n:07d}", name, name))


def _counter_name(n: int) -> str:
    """A distinct run of syllables for every ``n``: invented names that never repeat."""
    out = []
    while True:
        n, digit = divmod(n, len(_SYLLABLES))
        out.append(_SYLLABLES[digit])
        if not n:
            return "".join(out)


def generate(partnerships: int, places: int, seed: int, invented: float = 0.1,
             shape: Shape | None = None) -> Iterator[str]:
    """The page, piece by piece."""
    shape = shape or Shape(invented=invented)
    rng = random.Random(seed)
    pool = partner_pool(places, shape.invented, rng)
    countries = _country_names({p.country for p in pool})
    # Zipf-like popularity: the k-th partner is chosen with weight 1/(k+10).
    cum = list(itertools.accumulate(1.0 / (k + 10) for k in range(len(pool))))
    provinces = chinese_places()
    if shape.cn_places:
        _more_places(provinces, shape.cn_places, rng)
    divisions = [d for code in sorted(provinces) for d in provinces[code]]
    if shape.cn_places and shape.cn_places < len(divisions):
        kept = set(map(id, rng.sample(divisions, shape.cn_places)))
        divisions_kept = [d for d in divisions if id(d) in kept]
    else:
        divisions_kept = divisions
    # How many partners each Chinese place has: skewed (capitals and big cities have
    # hundreds), shuffled over places; or the same for each (--even).
    counts_of: dict[int, int] = {}
    if shape.even:
        for k, d in enumerate(divisions_kept):
            counts_of[id(d)] = partnerships // len(divisions_kept) + (k < partnerships % len(divisions_kept))
    else:
        weights = [1.0 / (k + 5) ** 0.5 for k in range(len(divisions_kept))]
        rng.shuffle(weights)
        for index in rng.choices(range(len(divisions_kept)), weights=weights, k=partnerships):
            key = id(divisions_kept[index])
            counts_of[key] = counts_of.get(key, 0) + 1
    counts = [counts_of.get(id(d), 0) for d in divisions]
    fresh = _FreshNames(shape.fresh, sorted({p.country for p in pool}), rng)
    writer = PageWriter(rng, countries)
    yield "此列表列出中華人民共和國的[友好城市](../Page/友好城市.md \"wikilink\")。\n\n"
    start = 0
    for code in sorted(provinces):
        members = provinces[code]
        own = counts[start:start + len(members)]
        start += len(members)
        if not any(own):
            continue
        province = members[0]
        yield f"## {province.name}\n\n"
        rows: list[tuple[_Division, list[_Partner]]] = []
        for division, n in zip(members, own):
            if n:
                rows.append((division, fresh.mix(_partners(rng, pool, cum, n))))
        if code in ("81", "82"):  # the SARs: a headed table, the section is the place
            yield from writer.headed_table([p for _, ps in rows for p in ps])
            continue
        # Tables of a few hundred rows each, alternating formats as the seed does.
        batch: list[tuple[_Division, list[_Partner]]] = []
        size = 0
        for row in rows:
            batch.append(row)
            size += len(row[1])
            if size >= 500:
                yield from _table(writer, rng, batch)
                batch, size = [], 0
        if batch:
            yield from _table(writer, rng, batch)
    yield "[Category:中华人民共和国城市列表](https://zh.wikipedia.org/wiki/Category:中华人民共和国城市列表 \"wikilink\")\n"


def _table(writer: PageWriter, rng: random.Random,
           batch: list[tuple[_Division, list[_Partner]]]) -> Iterator[str]:
    return writer.pipe_table(batch) if rng.random() < 0.5 else writer.html_table(batch)


def _partners(rng: random.Random, pool: list[_Partner], cum: list[float], n: int) -> list[_Partner]:
    """``n`` partners of one Chinese place, mostly distinct (a page lists a few pairs twice)."""
    total = cum[-1]
    out: list[_Partner] = []
    seen: set[int] = set()
    for _ in range(n):
        for _attempt in range(4):
            index = bisect.bisect_left(cum, rng.random() * total)
            if index not in seen:
                break
        seen.add(index)
        out.append(pool[min(index, len(pool) - 1)])
    return out


class _FreshNames:
    """Partners of their own: invented names written once on the page (``--fresh``)."""

    def __init__(self, share: float, countries: list[str], rng: random.Random) -> None:
        self.share, self.countries, self.rng, self.made = share, countries, rng, 0

    def mix(self, partners: list[_Partner]) -> list[_Partner]:
        if not self.share:
            return partners
        out = []
        for p in partners:
            if self.rng.random() < self.share:
                name = _counter_name(self.made) + _invented(self.rng)[:2] + "市"
                self.made += 1
                p = _Partner(name, name, self.rng.choice(self.countries))
            out.append(p)
        return out


def write_page(path: Path, partnerships: int, places: int, seed: int, invented: float = 0.1,
               shape: Shape | None = None) -> int:
    """Write the page to ``path`` (atomically); return its size in bytes."""
    tmp = path.with_name(f".{path.name}.partial")
    with tmp.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        for piece in generate(partnerships, places, seed, invented, shape):
            out.write(piece)
    tmp.replace(path)
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partnerships", type=int, default=10_000)
    parser.add_argument("--places", type=int, default=None,
                        help="distinct foreign partners in the pool (default: partnerships / 25, "
                             "at least 1,000; the tables hold about 35,000 real names)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--invented", type=float, default=0.1,
                        help="share of the pool no gazetteer knows (default 0.1)")
    parser.add_argument("--fresh", type=float, default=0.0,
                        help="share of rows whose partner is an invented name written once (default 0)")
    parser.add_argument("--cn-places", type=int, default=None,
                        help="distinct Chinese places (default: the 3,214 GB/T 2260 divisions; "
                             "more are invented counties)")
    parser.add_argument("--even", action="store_true",
                        help="the same number of rows for every Chinese place")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    places = args.places or max(1_000, args.partnerships // 25)
    shape = Shape(args.invented, args.fresh, args.cn_places, args.even)
    size = write_page(args.output, args.partnerships, places, args.seed, shape=shape)
    print(f"wrote {args.output}: {args.partnerships:,} partnerships over {places:,} foreign places, "
          f"{size:,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
