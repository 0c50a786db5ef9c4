"""zh-Wikipedia sister-city sections in raw wikitext, read with ``wikitextparser``.

Live Wikipedia (and the chinapedia dumps) hold pages as MediaWiki markup, not the
Markdown the other readers take: partners sit in wiki tables (``{|`` … ``|}``, with
``rowspan``/``colspan``), in bullet lists, behind flag templates (``{{JPN}}``,
``{{flagicon|Japan}}``, ``[[File:Flag of Japan.svg]]``) and date templates
(``{{startdate|1982|12|10}}``). MediaWiki's grammar is context-sensitive, so the
structure (sections, tables with their spans, lists, templates, links, tags) comes
from a kept library rather than regexes of our own; this module only decides what
the pieces mean. Offsets the library reports are mapped back to file lines, so
every record cites the line holding its partner.

The Chinese side is the page's subject (``大连市友好城市`` -> 大连市), a district a row
names (``（秦淮区）``), a heading names (``徐州新沂市友好城市``) or a table's 中国城市
column; ``section`` is the subject's province, the resolver's hint.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import wikitextparser as wtp

from youcheng.dates import InvalidDate, parse_date
from youcheng.errors import ParseError
from youcheng.model import Link, PartialDate, RawPartnership, Tier
from youcheng.relationships import STRUCK_NOTE
from youcheng.resolve.china import Division, divisions, stem
from youcheng.resolve.countries import country_code
from youcheng.resolve.names import fold_key, to_simplified
from youcheng.sources._reader import ProgressCallback
from youcheng.sources.base import Item, SourceContext

FORMAT = "wikitext"

# The title may hold "=" inside a <ref>'s template (== 友好城市<ref>{{cite|url=…}}</ref> ==).
_HEADING_LINE = re.compile(r"^(={1,6})(?!=)[^\n]*?[^=\s\n][^\n]*?\1[ \t]*$", re.M)
_WIKI_MARKUP = re.compile(r"\[\[[^\[\]\n]+\]\]|\{\{[^{}\n]+\}\}|^\{\|", re.M)
# Markdown conversions of the same pages (citymd, wikimd) link as [x](../Page/x.md "wikilink").
_MARKDOWN_LINK = re.compile(r"\]\([^()\s]*\.md\b|\"wikilink\"\)")
_APPENDIX = re.compile(r"^\s*(参见|参阅|参考|来源|资料来源|注释|注解|脚注|外部链|外部连|相关条目|延伸阅读|"
                       r"扩展阅读|see also|references|external links|notes)", re.I)
_DATE = re.compile(r"(?<!\d)(?:(?P<y>\d{4})\s*年(?:\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?)?"
                   r"|(?P<y2>\d{4})[-./](?P<m2>\d{1,2})(?:[-./](?P<d2>\d{1,2}))?(?!\d)"
                   r"|(?P<y3>1[89]\d\d|20\d\d)(?!\d))")
_DATE_WORDS = re.compile(r"[\s年月日末初底前后约?？]+")
_LABEL_WORDS = re.compile(r"[\s:：,，]|缔结|结好|结为|建立|签约|签订|友好城市|友好|关系|时间|日期|于")
_CJK = re.compile(r"[\u3400-\u9fff]")
_TRIM = " \t\n·•:：,，、;；。.|-–—〖〗【】「」\u3000"
_TRIM_WORDS = re.compile(r"^(?:于|与)|(?:缔结于|结好于|签约于|签订于|建立于|结为友好城市|缔结|于)$")
_TAG_LEFT = re.compile(r"</?[A-Za-z][^<>]*>|'{2,}|-\{|\}-")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_NAMESPACE = re.compile(r"^:?(file|image|media|文件|档案|檔案|图像|圖像|category|分类|分類)\s*:", re.I)
_FLAG_FILE = re.compile(r"flag[ _]of[ _](?P<name>.+?)\.(?:svg|png|gif|jpe?g)$", re.I)
_FLAG_TEMPLATES = {"flag", "flagicon", "flagcountry", "flagu", "flagdeco", "flag icon", "flag country",
                   "flagathlete", "国旗", "國旗"}
_LINK_TEMPLATE = re.compile(r"^(link-[a-z]{2,3}|le|tsl|ill|illm|internal link helper.*)$", re.I)
_DATE_TEMPLATES = {"startdate", "start date", "start-date", "dts", "date"}
_TEXT_TEMPLATES = {"lang", "nowrap", "nobr", "small", "big", "tooltip", "ruby"}
# Flag shortcuts that are not ISO 3166 alpha-3: IOC/FIFA codes and Wikipedia's aliases.
_FLAG_CODES = dict(zip(*[iter((
    "ALG DZ ANG AO ANT AG ARU AW ASA AS BAH BS BAN BD BAR BB BIZ BZ BER BM BHU BT BOT BW BRU BN "
    "BUL BG BUR BF CAM KH CAY KY CHA TD CHI CL CRC CR CRO HR DEN DK ESA SV FIJ FJ GAM GM GER DE "
    "GBS GW GEQ GQ GRE GR GRN GD GUA GT GUI GN HAI HT HON HN INA ID IRI IR ISV VI IVB VG KSA SA "
    "KUW KW LAT LV LBA LY LES LS LIB LB MAD MG MAS MY MAW MW MGL MN MRI MU MTN MR MYA MM NCA NI "
    "NED NL NEP NP NGR NG NIG NE OMA OM PAR PY PHI PH PLE PS POR PT PUR PR RSA ZA SAM WS SEY SC "
    "SIN SG SKN KN SLO SI SOL SB SRI LK SUD SD SUI CH TAN TZ TGA TO TOG TG TPE TW UAE AE URU UY "
    "VAN VU VIE VN VIN VC ZAM ZM ZIM ZW CGO CG UK GB ENG GB SCO GB WAL GB NIR GB SPA ES SWI CH "
    "MAL MY JAP JP ROM RO SER RS LIT LT IRE IE HOL NL SAF ZA NKO KP ICE IS").split())] * 2))
# English names flag templates use that pycountry spells otherwise.
_ENGLISH = {"korea": "KR", "russia": "RU", "turkey": "TR", "ivory coast": "CI", "cape verde": "CV", "macedonia": "MK",
            "republic of macedonia": "MK", "swaziland": "SZ", "burma": "MM", "east timor": "TL",
            "macau": "MO", "scotland": "GB", "england": "GB", "wales": "GB", "northern ireland": "GB",
            "great britain": "GB", "vatican city": "VA", "micronesia": "FM", "brunei": "BN",
            "palestine": "PS", "holland": "NL", "republic of china": "TW", "dr congo": "CD",
            "democratic republic of the congo": "CD", "the gambia": "GM", "the bahamas": "BS"}
_NOT_PARTNERS = {"友好城市", "姐妹城市", "姊妹城市", "友城", "欧洲", "亚洲", "非洲", "美洲", "北美洲",
                 "南美洲", "大洋洲", "中华人民共和国", "中国"}
_LEVEL_RANK = {"province": 0, "prefecture": 1, "county": 2, "district": 3}


# -- countries ------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _country(text: str) -> str | None:
    """A spelling of ``text`` that ``country_code`` resolves, else None.

    Flag templates name countries by ISO or IOC codes and by Wikipedia's English
    names; the resolver takes Chinese and ISO English names, so codes and the
    English spellings pycountry lacks are turned into pycountry's own name.
    """
    import pycountry

    text = text.strip().replace("_", " ")
    if not text:
        return None
    if len(text) > 3 or not text.isascii() or not text.isupper():
        if country_code(text):
            return text
        for variant in (text.removeprefix("the ").removeprefix("The "), text.removesuffix("共和国"),
                        text.removesuffix("国")):
            if variant != text and len(variant) >= 2 and country_code(variant):
                return variant
    code = _ENGLISH.get(text.casefold().removeprefix("the ")) or _FLAG_CODES.get(text.upper())
    if code is None and text.isascii() and text.isalpha() and len(text) in (2, 3):
        found = (pycountry.countries.get(alpha_2=text.upper()) if len(text) == 2
                 else pycountry.countries.get(alpha_3=text.upper()))
        code = found.alpha_2 if found else None
    if code is None and text.isascii():
        try:
            code = pycountry.countries.lookup(text).alpha_2
        except LookupError:
            return None
    found = pycountry.countries.get(alpha_2=code) if code else None
    return str(found.name) if found is not None and country_code(found.name) else None


def _link_country(link: Link) -> str | None:
    return _country(link.text) or _country(link.target)


# -- rendering a fragment into tokens -------------------------------------------------------------

@dataclass(frozen=True)
class _Tok:
    """A piece of a cell or bullet: plain text, a link, a flag (country) or a date template."""

    kind: str  # "text", "link", "flag", "date"
    text: str
    link: Link | None = None
    raw: str = ""


def _clean(text: str) -> str:
    """Visible text of markup with no links or templates left: tags, bold, entities gone."""
    plain = str(wtp.parse(text).plain_text()) if ("<" in text or "'" in text or "&" in text) else text
    return _TAG_LEFT.sub("", plain).replace("\xa0", " ")


def _target(title: str) -> str:
    return title.split("#")[0].replace("_", " ").lstrip(":").strip()


def _tokens(markup: str) -> list[_Tok]:
    """Split wikitext into tokens, outermost templates and links only."""
    parsed = wtp.parse(markup)
    objects: list[tuple[int, int, object]] = []
    for template in parsed.templates:
        objects.append((*template.span, template))
    for link in parsed.wikilinks:
        objects.append((*link.span, link))
    objects.sort(key=lambda o: (o[0], -o[1]))
    out: list[_Tok] = []
    pos = 0
    for start, end, obj in objects:
        if start < pos:
            continue  # inside an object already rendered
        if start > pos:
            out.append(_Tok("text", _clean(markup[pos:start])))
        out.extend(_object_tokens(obj))
        pos = end
    if pos < len(markup):
        out.append(_Tok("text", _clean(markup[pos:])))
    return out


def _object_tokens(obj: object) -> list[_Tok]:
    if isinstance(obj, wtp.WikiLink):
        title = str(obj.title).strip()
        if _NAMESPACE.match(title):
            flag = _FLAG_FILE.search(title)
            name = flag.group("name").replace("_", " ") if flag else ""
            return [_Tok("flag", _country(name) or name, raw=str(obj.string))] if name else []
        text = _clean(str(obj.text)) if obj.text is not None else title
        if "-{" in str(obj.text or "") and "}-" not in str(obj.text or ""):
            text = _target(title)  # broken language-conversion markup: show the title
        return [_Tok("link", text.strip(), Link(text.strip(), _target(title)))]
    assert isinstance(obj, wtp.Template)
    name = str(obj.name).strip().replace("_", " ")
    args = [str(a.value).strip() for a in obj.arguments if a.positional]
    raw = str(obj.string)
    lower = name.casefold()
    if lower in _FLAG_TEMPLATES:
        return [_Tok("flag", _country(args[0]) or args[0], raw=raw)] if args and args[0] else []
    if _LINK_TEMPLATE.match(name) and args:
        zh, shown = (args[2] if len(args) > 2 else "", args[3] if len(args) > 3 else "") \
            if lower == "tsl" else (args[0], args[2] if len(args) > 2 else "")
        zh = zh or args[-1]
        return [_Tok("link", _clean(shown or zh), Link(_clean(shown or zh), _target(zh)), raw)]
    if lower in _DATE_TEMPLATES and args and args[0].isdigit():
        parts = [p for p in args[:3] if p.isdigit()]
        return [_Tok("date", "".join(p + u for p, u in zip(parts, "年月日")), raw=raw)]
    if lower in _TEXT_TEMPLATES or lower.startswith("lang-"):
        return [_Tok("text", _clean(args[-1]))] if args else []
    if re.fullmatch(r"[A-Z]{2,3}", name) or (not args and _CJK.search(name) and _country(name)):
        return [_Tok("flag", _country(name) or name, raw=raw)]
    return []  # navigation, layout and citation templates show no partner


# -- reading cells and bullets --------------------------------------------------------------------

@dataclass
class _Fields:
    """What one cell or bullet says; table rows merge several of these."""

    name: str | None = None
    links: list[Link] = field(default_factory=list)
    country: tuple[str, str | None] | None = None  # (text that resolves or as written, link)
    flags: list[_Tok] = field(default_factory=list)
    date_text: str | None = None
    date: PartialDate | None = None
    notes: list[str] = field(default_factory=list)
    regions: list[Link] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    cn: tuple[str, tuple[Link, ...]] | None = None
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # kind, severity, message


def _render(tokens: list[_Tok]) -> str:
    return "".join(t.text for t in tokens if t.kind in ("text", "link"))


def _split_parens(tokens: list[_Tok]) -> tuple[list[_Tok], list[list[_Tok]]]:
    """Tokens outside parentheses, and each top-level parenthesised group's tokens."""
    main: list[_Tok] = []
    groups: list[list[_Tok]] = []
    depth = 0
    for tok in tokens:
        pieces = re.split(r"([（(）)])", tok.text) if tok.kind == "text" else [None]
        for piece in pieces:
            if piece in ("（", "("):
                depth += 1
                if depth == 1:
                    groups.append([])
                    continue
            elif piece in ("）", ")") and depth:
                depth -= 1
                if depth == 0:
                    continue
            item = tok if piece is None else _Tok("text", piece)
            (groups[-1] if depth else main).append(item)
    return main, groups


def _take_date(fields: _Fields, text: str) -> str:
    """Read the first date in ``text`` into ``fields`` (if none yet); the text without it."""
    found = _DATE.search(text)
    if found is None or fields.date_text is not None:
        return text
    fields.date_text = found.group(0).strip()
    _set_date(fields, found)
    rest = text[:found.start()] + text[found.end():]
    if re.match(r"\s*\d", text[found.end():]):
        fields.problems.append(("unreadable_date", "info",
                                f"date {text.strip()!r} holds more than the date read ({fields.date_text})"))
    return rest


def _set_date(fields: _Fields, found: re.Match[str]) -> None:
    y = found["y"] or found["y2"] or found["y3"]
    m, d = found["m"] or found["m2"], found["d"] or found["d2"]
    try:
        fields.date = parse_date(f"{y}年" + (f"{m}月" if m else "") + (f"{d}日" if m and d else ""))
    except InvalidDate as exc:
        fields.problems.append(("invalid_date", "warning", str(exc)))


def _name(text: str) -> str | None:
    text = _CJK_GAP.sub("", " ".join(text.split())).strip(_TRIM)
    text = _TRIM_WORDS.sub("", text).strip(_TRIM)
    return text or None


def _read_fragment(markup: str, page: _Page | None, role: str = "partner") -> _Fields:
    """Read a partner cell or bullet: name, links, country, date, notes and districts.

    Text in parentheses is a date (``（1983.01.14）``), the country and region
    (``（[[英国]][[威尔士]]）``), a Latin-script name, the subject's district that
    holds the relationship (``（秦淮区）``) or else a note.
    """
    fields = _Fields()
    tokens = _tokens(markup)
    main, groups = _split_parens(tokens)
    fields.flags = [t for t in tokens if t.kind == "flag"]
    for tok in tokens:
        if tok.kind == "date" and fields.date_text is None:
            _take_date(fields, tok.text)
    if re.search(r"<(s|del|strike)\b", markup):
        fields.notes.append(STRUCK_NOTE)
    if role == "partner":  # a country link beside the place ([[美国]] 犹他州奥勒姆市) is its country
        named = next((t for t in main if t.link is not None and _link_country(t.link)), None)
        others = [t for t in main if t is not named]
        if named is not None and named.link is not None and _name(_DATE.sub("", _render(others))):
            fields.country = (_link_country(named.link) or named.text, named.link.target)
            main = others
    first = next((i for i, t in enumerate(main) if t.link is not None), None)
    if role == "partner" and fields.country is None and first:
        before = _name(_render(main[:first]))
        if before and _country(before):
            fields.country = (_country(before) or before, None)
            main = main[first:]
    colon = next((i for i, t in enumerate(main) if t.kind == "text" and re.search("[：:]", t.text)
                  and any(x.link is not None for x in main[:i])), None)
    if role == "partner" and colon is not None:  # [[酒田市]]：属日本山形县；1990年7月26日缔结
        head, _, tail = main[colon].text.partition("：" if "：" in main[colon].text else ":")
        after = _take_date(fields, tail + _render(main[colon + 1:]))
        if _LABEL_WORDS.sub("", _TRIM_WORDS.sub("", after.strip(_TRIM))).strip(_TRIM):
            fields.notes.append(after.strip(_TRIM))
        main = [*main[:colon], _Tok("text", head)]
    for group in groups:
        _read_group(fields, group, page)
    fields.links = [t.link for t in main if t.link is not None]
    rest = _take_date(fields, _render(main)) if role != "cn" else _render(main)
    fields.name = _name(rest)
    return fields


def _read_group(fields: _Fields, group: list[_Tok], page: _Page | None) -> None:
    text = " ".join(_render(group).split())
    if not text:
        return
    links = [t.link for t in group if t.link is not None]
    found = _DATE.search(text)
    if found and not links:
        left = _LABEL_WORDS.sub("", _DATE_WORDS.sub("", text[:found.start()] + text[found.end():]))
        if fields.date_text is None:
            _take_date(fields, text)
            fields.date_text = text if not left else fields.date_text
        if not left:
            return
    if not _CJK.search(text) and re.search(r"[A-Za-z]", text):
        fields.extra.append(("name_latin", text))
        return
    inside = page.subject.inside(text) if page is not None else None
    if inside is not None:
        fields.cn = (text, tuple(links))
        return
    leftover = _render([t for t in group if t.kind == "text"]).strip(_TRIM + " ")
    if links and not leftover:
        for link in links:
            if fields.country is None and _link_country(link):
                fields.country = (_link_country(link) or link.text, link.target)
            elif not _link_country(link):
                fields.regions.append(link)
        return
    fields.notes.append(text)


def _country_of(fields: _Fields) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    """country_text, country_link and extras: the text's country, else the flag's."""
    flag = fields.flags[0] if fields.flags else None
    if fields.country is not None:
        extra = [("flag", flag.raw)] if flag is not None else []
        return fields.country[0], fields.country[1], extra
    if flag is not None:
        return flag.text, flag.raw, []
    return None, None, []


# -- the page's Chinese side ----------------------------------------------------------------------

class _Subject:
    """The page's Chinese place: its name, division, province and what lies inside it."""

    _SUFFIX = re.compile(r"(?:的)?(?:国际)?(?:友好城市|姐妹城市|姊妹城市|友城|友好省州)"
                         r"(?:或(?:姐妹|友好|姊妹)城市)?(?:列表|一览)?$")

    def __init__(self, title: str) -> None:
        title = title.replace("_", " ").strip()
        hint = re.search(r"\s*[（(]([^()（）]+)[)）]\s*$", title)
        base = title[:hint.start()] if hint else title
        self.title = title
        self.name = self._SUFFIX.sub("", to_simplified(base)).strip() or base
        self.candidates = self._candidates(self.name, hint.group(1) if hint else None)
        best = [d for d in self.candidates
                if _LEVEL_RANK[d.level] == min(_LEVEL_RANK[c.level] for c in self.candidates)]
        self.division = best[0] if len(best) == 1 else None
        self.ambiguous = best if len(best) > 1 else []
        table = divisions()
        self.section = table.by_code[self.division.province_code].name if self.division else ""
        code = self.division.code if self.division else ""
        self.prefix = code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
        self.below = [d for c, d in table.by_code.items() if self.prefix and c.startswith(self.prefix)
                      and c != code] if code else []

    @staticmethod
    def _candidates(name: str, hint: str | None) -> list[Division]:
        table = divisions()
        found = table.by_key.get(fold_key(name)) or (
            table.by_key.get(fold_key(stem(name)), []) if len(stem(name)) >= 2 else [])
        unique = list({d.code: d for d in found}.values())
        if hint and len(unique) > 1:
            parent = table.resolve([hint], "")[0]
            narrowed = [d for d in unique if parent and d.code.startswith(parent.code.rstrip("0")[:4])]
            unique = narrowed or unique
        return unique

    def inside(self, text: str) -> Division | None:
        """The division below the subject that ``text`` names exactly, else None."""
        key = fold_key(text.strip(_TRIM))
        for d in self.below:
            if key in (d.name, d.stem) and len(key) >= 2:
                return d
        return None

    def is_own(self, text: str) -> bool:
        """Whether ``text`` names the subject or a division inside it."""
        key = fold_key(text.strip(_TRIM))
        own = self.division is not None and key in (self.division.name, self.division.stem)
        return own or self.inside(text) is not None

    def named_in(self, text: str) -> Division | None:
        """The longest division below the subject whose name occurs in ``text``."""
        key = fold_key(text)
        hits = [d for d in self.below if d.name in key and len(d.name) >= 2]
        return max(hits, key=lambda d: len(d.name)) if hits else None


def _tier(label: str) -> Tier | None:
    """The relationship kind a heading, caption or column header names, if exactly one."""
    text = to_simplified(label)
    if re.search(r"国内|省内|境内", text) and "国内外" not in text:
        return "domestic"
    if re.search(r"意向|备忘录", text):
        return "intent"
    exchange = re.search(r"友好交流|友好合作|交流城市|合作城市|交流关系|合作关系|经济合作|交流往来", text)
    sister = re.search(r"友好城市|姐妹|姊妹|友好省|友城|友好州|友好县|友好区", text)
    if exchange and sister:
        return None
    return "exchange" if exchange else "sister" if sister else None


# -- tables ---------------------------------------------------------------------------------------

_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((role, re.compile(pattern, re.I)) for role, pattern in (
    ("signatory", r"^(中方|本方|我方)?(签字人|签署人|签约人)$|signator"),
    ("signing_place", r"签字地点|签约地点|签署地点|签字地|signing place"),
    ("date", r"时间|日期|年份|年月|^(缔结|结好|签约|签订|结交|缔约)$|date|year|since"),
    ("extra", r"签"),
    ("note", r"备注|附注|说明|^notes?$|remarks?"),
    ("index", r"^(序号?|编号|no\.?|#|\d+)$"),
    ("cn", r"己方|中方|我方|本方|^中国(?!家)|结对|^(地级市|县级市|区县|县区|市县)$|chinese"),
    ("country", r"国家|国别|国名|所在国|所属国|country|nation"),
    ("region", r"(一级|上级|所属|所在)(行政区|省|州|地区)|^region|^state|^province"),
    ("partner", r"城市|地区|行政区|省|州|县|郡|友城|名称|伙伴|姐妹|友好|city|partner|town|place"),
))


def _role(header: str) -> str | None:
    """What a column holds, from its header text (Traditional or Simplified, Chinese or English)."""
    text = re.sub(r"\s+", "", to_simplified(header))
    return next((role for role, pattern in _ROLES if pattern.search(text)), None) if text else None


@dataclass
class _Column:
    """A logical column: adjacent cells under one header cell (``colspan`` in the header)."""

    indices: list[int]
    role: str | None
    label: str  # the header texts, top to bottom


def _columns(headers: list[list[wtp.Cell]], width: int) -> list[_Column]:
    columns: list[_Column] = []
    last: tuple[tuple[int, int], ...] | None = None
    for j in range(width):
        cells = [row[j] for row in headers if j < len(row) and row[j] is not None]
        key = tuple(c.span for c in cells)
        if key == last and columns:
            columns[-1].indices.append(j)
            continue
        last = key
        texts = list(dict.fromkeys(_render(_tokens(str(c.value))).strip() for c in cells))
        role = next((r for r in map(_role, reversed(texts)) if r is not None), None)
        columns.append(_Column([j], role, " ".join(t for t in texts if t)))
    return columns


def _groups(columns: list[_Column]) -> list[list[_Column]]:
    """Columns split into one record's worth each: a repeated role starts the next record."""
    groups: list[list[_Column]] = [[]]
    for column in columns:
        roles = {c.role for c in groups[-1]}
        if column.role in ("partner", "country", "date", "cn") and column.role in roles:
            groups.append([])
        groups[-1].append(column)
    return [g for g in groups if any(c.role == "partner" for c in g)]


def _transposed(rows: list[list[wtp.Cell]]) -> list[list[wtp.Cell]] | None:
    """A table laid out sideways (``! 城市 | a || b`` rows) as header row plus one row per column."""
    rows = [r for r in rows if r and r[0] is not None]
    if len(rows) < 2 or any(r[0] is None or not r[0].is_header or len(r) < 2 or
                            any(c is not None and c.is_header for c in r[1:]) for r in rows):
        return None
    roles = [_role(_render(_tokens(str(r[0].value)))) for r in rows]
    if "partner" not in roles:
        return None
    width = max(len(r) for r in rows)
    return [[r[0] for r in rows]] + [[r[j] if j < len(r) else None for r in rows] for j in range(1, width)]


def _is_header(row: list[wtp.Cell]) -> bool:
    """A header row: all ``!`` cells, or ``! a || b`` (only the first cell is ``!``) naming columns."""
    row = [c for c in row if c is not None]
    if not row:
        return False
    if row[0].is_header and all(c.is_header for c in row):
        return True
    values = [str(c.value).strip() for c in row]
    if any("[[" in v or "{{" in v or _DATE.search(v) for v in values):
        return False
    named = [v for v in values if v and _role(v) not in (None, "index")]
    return len(named) >= 2 and 2 * len(named) >= len([v for v in values if v])


def _read_country(markup: str) -> _Fields:
    """A country cell: a linked or written country, else the flag; other places are regions."""
    fields = _Fields()
    tokens = _tokens(markup)
    fields.flags = [t for t in tokens if t.kind == "flag"]
    for tok in tokens:
        if tok.link is not None:
            if fields.country is None and _link_country(tok.link):
                fields.country = (_link_country(tok.link) or tok.text, tok.link.target)
            else:
                fields.extra.append(("region", tok.text))
    written = _name(re.sub(r"\d+", " ", _render([t for t in tokens if t.kind == "text"])))
    if fields.country is None and written:
        fields.country = (_country(written) or written, None)
    return fields


def _read_date(markup: str) -> _Fields:
    """A date cell: its first date; parenthesised remarks and other text become notes."""
    fields = _Fields()
    main, groups = _split_parens(_tokens(markup))
    for tok in main:
        if tok.kind == "date" and fields.date_text is None:
            _take_date(fields, tok.text)
    visible = " ".join(_render(main).split())
    if fields.date_text is None and visible:
        _take_date(fields, visible)
        if fields.date_text is None:
            fields.problems.append(("unreadable_date", "warning", f"date cell {visible!r} is not a date"))
        fields.date_text = visible
    for group in groups:
        fields.notes.append(" ".join(_render(group).split()))
    return fields


# -- the page -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Heading:
    start: int
    end: int  # where the next heading of the same or a higher level starts
    level: int
    title: str
    line: int


@dataclass(frozen=True)
class _Where:
    """Where a row or bullet stands: its headings (innermost first), list label, Chinese side."""

    headings: tuple[_Heading, ...]
    label: str
    cn: tuple[str, tuple[Link, ...], int] | None


_LAYOUT = re.compile(r"\n[ \t]*[*#]|\{\|")
_Cn = tuple[str, tuple[Link, ...], int]


class _Page:
    """One file: its text with comments and citations blanked, parsed once, and what it yields."""

    def __init__(self, context: SourceContext, progress: ProgressCallback | None) -> None:
        self.context = context
        self.subject = _Subject(context.subject)
        self.out: list[tuple[int, int, Item]] = []
        self.hits: list[int] = []  # offsets of the rows and bullets that gave a record or anomaly
        texts: list[str] = []
        for line in context.lines(progress):
            if line.problem:
                self._anomaly(line.number, "damaged_line", line.problem, line.text)
            texts.append(line.text)
        self.text = "\n".join(texts)
        self.starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        try:
            self.blank = _blank(self.text)
            # MediaWiki closes a table left open at the end of the page; the library drops it.
            # Closing it there keeps every offset before it, so its rows are still read.
            unclosed = len(re.findall(r"^[ \t]*\{\|", self.blank, re.M)) - \
                len(re.findall(r"^[ \t]*\|\}", self.blank, re.M))
            self.doc = wtp.parse(self.blank + "\n|}" * max(unclosed, 0))
            self.tables = list(self.doc.get_tables(recursive=True))
            self.lists = list(self.doc.get_lists())
            self.headings = self._headings()
        except Exception as exc:  # the library's own failure on damaged markup: report, not a traceback
            raise ParseError(f"{context.path}: wikitextparser cannot read this page: {exc}") from exc
        self.labels: list[tuple[int, str]] = []
        spans = [tuple(t.span) for t in self.tables] + [tuple(x.span) for x in self.lists]
        spans += [(h.start, self.text.find("\n", h.start) % (len(self.text) + 1)) for h in self.headings]
        self.structures: list[tuple[int, int]] = sorted((int(s), int(e)) for s, e in spans)

    # -- helpers ------------------------------------------------------------------------------

    def _line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def _first(self, offset: int) -> int:
        """A cell's own offset: the library's cell spans start at the newline before its ``|``."""
        while offset < len(self.text) and self.text[offset] in "\r\n":
            offset += 1
        return offset

    def _anomaly(self, line: int, kind: str, message: str, text: str = "", severity: str = "warning") -> None:
        self.out.append((line, len(self.out), self.context.anomaly(line, kind, message, text, severity)))

    def _text_of(self, line: int) -> str:
        start = self.starts[line - 1] if 0 < line <= len(self.starts) else 0
        end = self.text.find("\n", start)
        return self.text[start:end if end >= 0 else None]

    def _headings(self) -> list[_Heading]:
        found = [(int(s.span[0]), int(s.level), _render(_tokens(str(s.title))).strip())
                 for s in self.doc.sections if s.title is not None]
        out = []
        for i, (start, level, title) in enumerate(found):
            end = next((s for s, lv, _ in found[i + 1:] if lv <= level), len(self.blank))
            out.append(_Heading(start, end, level, title, self._line(start)))
        return out

    def _where(self, offset: int) -> _Where | None:
        chain = sorted((h for h in self.headings if h.start <= offset < h.end), key=lambda h: -h.level)
        if any(_APPENDIX.match(to_simplified(h.title)) for h in chain):
            return None
        inner = chain[0].start if chain else 0
        label = next((t for o, t in reversed(self.labels) if inner <= o < offset), "")
        cn: _Cn | None = None
        for text, line in [(label, 0), *((h.title, h.line) for h in chain)]:
            named = self.subject.named_in(text) if text else None
            if named is not None:
                cn = (named.name, (), line or self._line(offset))
                break
        return _Where(tuple(chain), label, cn)

    def _lead(self, start: int) -> str:
        """The last line of prose right before a table or list (``与如下国内城市结成…``)."""
        prev = max((e for s, e in self.structures if e <= start), default=0)
        lines = [x.strip() for x in _render(_tokens(self.blank[prev:start])).splitlines() if x.strip()]
        return lines[-1] if lines else ""

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> Iterator[Item]:
        if self.subject.ambiguous:
            names = "、".join(f"{d.name} ({d.code}, {divisions().by_code[d.province_code].name})"
                             for d in self.subject.ambiguous)
            self._anomaly(1, "ambiguous_cn_place", f"page subject {self.subject.name!r} names several "
                          f"Chinese places: {names}; records carry no province", self._text_of(1))
        for lst in self.lists:
            if lst.pattern == "[:;]":
                for offset, text in self._list_lines(lst):
                    if text.startswith(";"):
                        self.labels.append((offset, _render(_tokens(text.lstrip(";"))).strip()))
        self.labels.sort()
        for table in self.tables:
            self._table(table)
        for lst in self.lists:
            where, lead = self._where(int(lst.span[0])), self._lead(int(lst.span[0]))
            if lst.pattern != "[:;]" and where is not None:
                self._bullets([x for x in self._list_lines(lst) if x[1][:1] in "*#"], where, lead)
        self._empty_sections()
        self._prose()
        for _, _, item in sorted(self.out, key=lambda o: (o[0], o[1])):
            yield item

    @staticmethod
    def _list_lines(lst: wtp.WikiList) -> Iterator[tuple[int, str]]:
        """Each line of a list with its offset: MediaWiki lists are one item per line."""
        base, string, pos = int(lst.span[0]), str(lst.string), 0
        for line in string.splitlines(keepends=True):
            if line.strip():
                yield base + pos, line.strip()
            pos += len(line)

    def _bullets(self, lines: list[tuple[int, str]], where: _Where, lead: str) -> None:
        """A list's items; an item that names only a country, with items below it, is their country."""
        countries: dict[int, _Fields] = {}
        for i, (offset, text) in enumerate(lines):
            level = len(text) - len(text.lstrip("*#"))
            countries = {k: v for k, v in countries.items() if k < level}
            fields = _read_fragment(text.lstrip("*#"), self)
            below = i + 1 < len(lines) and len(lines[i + 1][1]) - len(lines[i + 1][1].lstrip("*#")) > level
            if below and (fields.name is None and fields.flags or fields.name and _country(fields.name)
                          and len(fields.links) <= 1):
                link = fields.links[0].target if fields.links else None
                fields.country = (_country(fields.name) or fields.name, link) if fields.name else None
                countries[level] = fields
                continue
            if countries and fields.country is None and not fields.flags:
                label = countries[max(countries)]
                fields.country, fields.flags = label.country, label.flags
            self._bullet(offset, text.lstrip("*#"), fields, where, lead)

    def _bullet(self, offset: int, markup: str, fields: _Fields, where: _Where, lead: str) -> None:
        line = self._line(offset)
        if not markup.strip():
            return
        prose = fields.name is not None and (len(fields.name) > 25 or bool(re.search(r"[。，！？]", fields.name)))
        if fields.name is None or prose or not (fields.links or fields.flags):
            self.hits.append(offset)
            kind = "no_partner" if fields.flags and not prose else "skipped_row"
            why = ("reads as a sentence, not a partner" if prose else "names a country but no place"
                   if fields.flags else "has no link or flag to read a partner from")
            self._anomaly(line, kind, f"list item {why}", self._text_of(line))
            return
        self._emit(offset, fields, where, [lead])

    def _table(self, table: wtp.Table) -> None:
        start = int(table.span[0])
        where = self._where(start)
        if where is None:
            return
        line = self._line(start)
        try:
            rows: list[list[wtp.Cell]] = table.cells(span=True)
        except Exception as exc:  # a table too damaged for the library to lay out
            self._anomaly(line, "damaged_line", f"table cannot be laid out: {exc}", self._text_of(line))
            return
        if any(_LAYOUT.search(str(c.value)) for row in rows for c in row if c is not None):
            return  # a layout table around lists (read as lists) or other tables
        if int(table.span[1]) > len(self.blank):
            self._anomaly(line, "damaged_line", "table opened here is never closed with |}", self._text_of(line))
        labels = [_render(_tokens(str(table.caption))).strip()] if table.caption else []
        rows = _transposed(rows) or rows
        lead, width = self._lead(start), max((len(r) for r in rows), default=0)
        groups: list[list[_Column]] | None = None
        carried: dict[str, _Cn] = {}
        seen: set[tuple[int, int]] = set()
        r = 0
        while r < len(rows):
            if _is_header(rows[r]):
                block = []
                while r < len(rows) and _is_header(rows[r]):
                    block.append(rows[r])
                    r += 1
                columns = _columns(block, width)
                known = max(len(b) for b in block)
                for column in columns:
                    if column.indices[0] >= known:
                        column.role, column.label = None, ""
                groups = _groups(columns) or None
                if groups is None:
                    at = self._line(int(block[0][0].span[0]))
                    self._anomaly(at, "unknown_header", "table header names no partner column; "
                                  "rows read by what their cells hold", self._text_of(at))
                continue
            if groups is None:
                self._loose_row(rows[r], where, [*labels, lead], carried)
            else:
                self._headed_row(rows[r], groups, where, [*labels, lead], seen)
            r += 1

    def _headed_row(self, row: list[wtp.Cell], groups: list[list[_Column]], where: _Where,
                    labels: list[str], seen: set[tuple[int, int]]) -> None:
        """One row under a header: each group of columns is one relationship.

        ``seen`` holds the spans of cells met on earlier rows: a ``rowspan`` copy is
        not the row's own content (an empty row under a spanned cell says nothing).
        """
        own = {c.span for c in row if c is not None} - seen
        seen.update(own)
        for group in groups:
            values: list[tuple[_Column, str, wtp.Cell | None]] = []
            for column in group:
                cells = list({c.span: c for c in (row[j] for j in column.indices if j < len(row))
                              if c is not None}.values())
                values.append((column, " ".join(str(c.value) for c in cells), cells[0] if cells else None))
            if not any(m.strip() and c is not None and c.span in own for _, m, c in values):
                continue
            partner = next(v for v in values if v[0].role == "partner")
            markup = partner[1] if partner[1].strip(" \t\n-–—－/") else ""
            if not markup:  # a placeholder partner: the region column names the partner
                markup = next((m for c, m, _ in values if c.role == "region" and m.strip(" \t\n-–—/")), "")
            anchor = partner[2] or next(c for _, m, c in values if m.strip() and c is not None)
            offset = self._first(int(anchor.span[0]))
            if not markup:
                self.hits.append(offset)
                self._anomaly(self._line(offset), "skipped_row",
                              f"row has no partner in its {partner[0].label or 'partner'} column",
                              self._text_of(self._line(offset)))
                continue
            fields = _read_fragment(markup, self)
            country = date = None
            cn: _Cn | None = None
            regions: list[Link] = []
            extra: list[tuple[str, str]] = []
            for column, text, cell in values:
                role, plain = column.role, _name(_render(_tokens(text))) or ""
                if column is partner[0] or not text.strip() or role == "index" or text == markup:
                    continue
                if role is None and plain and self.subject.is_own(plain):
                    role = "cn"  # a column of the subject's own districts, whatever its header says
                if role == "country":
                    country = _read_country(text)
                elif role == "date":
                    date = _read_date(text)
                elif role == "cn" and cell is not None:
                    place = _read_fragment(text, self, "cn")
                    cn = (place.name or plain, tuple(place.links), self._line(self._first(int(cell.span[0]))))
                    fields.notes.extend(place.notes)
                elif role == "region":
                    regions.extend(_read_fragment(text, self, "region").links)
                    extra.append(("region", plain))
                elif role == "note":
                    fields.notes.append(plain)
                elif plain:
                    if not column.label:
                        self._anomaly(self._line(offset), "extra_cells", f"cell beyond the header kept: {plain!r}",
                                      self._text_of(self._line(offset)), "info")
                    extra.append((role if role in ("signing_place", "signatory") else
                                  column.label or f"column {column.indices[0] + 1}", plain))
            self._emit(offset, fields, where, [*(c.label for c in group if c.role == "partner"), *labels],
                       country=country, date=date, cn=cn, regions=regions, extra=extra)

    def _loose_row(self, row: list[wtp.Cell], where: _Where, labels: list[str], carried: dict[str, _Cn]) -> None:
        """A row of a table without a header: each cell is told apart by what it holds."""
        kinds: list[tuple[str, _Fields, int]] = []
        for cell in {c.span: c for c in row if c is not None}.values():
            markup = str(cell.value)
            if not markup.strip():
                continue
            fields, offset = _read_fragment(markup, self), self._first(int(cell.span[0]))
            if fields.name is None:
                kind = "date" if fields.date_text else "country" if fields.flags else "empty"
            elif not fields.flags and self.subject.is_own(fields.name):
                kind = "cn"
                carried["cn"] = (fields.name, tuple(fields.links), self._line(offset))
            elif len(fields.links) <= 1 and not fields.flags and not fields.date_text and _country(fields.name):
                kind = "country"
            else:
                kind = "partner"
            kinds.append((kind, fields, offset))
        partners = [k for k in kinds if k[0] == "partner"] or [k for k in kinds if k[0] == "country"][:1]
        others = [k for k in kinds if k[0] in ("date", "country") and k not in partners]
        if not partners:
            if any(k[0] != "empty" for k in kinds):
                offset = kinds[0][2]
                self.hits.append(offset)
                kind = "no_partner" if any(k[0] == "cn" for k in kinds) else "skipped_row"
                self._anomaly(self._line(offset), kind, "row names no partner", self._text_of(self._line(offset)))
            return
        if len(partners) > 1 and others:
            self.hits.append(partners[0][2])
            self._anomaly(self._line(partners[0][2]), "skipped_row",
                          f"cannot tell which of {len(partners)} cells is the partner (no header row)",
                          self._text_of(self._line(partners[0][2])))
            return
        date = next((f for k, f, _ in others if k == "date"), None)
        country = next((f for k, f, _ in others if k == "country"), None)
        for _, fields, offset in partners:
            self._emit(offset, fields, where, labels, country=country, date=date, cn=carried.get("cn"))

    def _emit(self, offset: int, fields: _Fields, where: _Where, labels: list[str], *,
              country: _Fields | None = None, date: _Fields | None = None, cn: _Cn | None = None,
              regions: list[Link] | None = None, extra: list[tuple[str, str]] | None = None) -> None:
        line = self._line(offset)
        self.hits.append(offset)
        text = self._text_of(line)
        for kind, severity, message in fields.problems + (date.problems if date else []):
            self._anomaly(line, kind, message, text, severity)
        if fields.name is None:
            self._anomaly(line, "no_partner", "row names no partner place", text)
            return
        use = country if country is not None and (country.country or country.flags) else fields
        country_text, country_link, country_extra = _country_of(use)
        dated = date if date is not None and date.date_text is not None else fields
        cn_name, cn_links, cn_line = cn or (fields.cn and (*fields.cn, line)) or where.cn or self._own()
        # The row's notes (…缔结为友好交流城市) first, then the table's own labels (a generic
        # 友好城市 header yields to a 国内… caption), the prose before it, the list label and
        # the headings, innermost first; 国内 in a note or the table's labels wins.
        local = [t for t in map(_tier, labels[:-1]) if t]
        links = (regions or []) + fields.regions + fields.links
        if country_code(country_text) == "CN" or country_text is None and links and \
                any(fold_key(links[0].target) == d.name for d in divisions().provinces):
            tier: Tier = "domestic"
        else:
            outer = [t for t in map(_tier, [labels[-1], where.label, *(h.title for h in where.headings)]) if t]
            noted = [t for t in map(_tier, fields.notes + (date.notes if date else [])) if t]
            tier = "domestic" if "domestic" in noted + local else \
                (noted + [t for t in local if t != "sister"] + local + outer + ["sister"])[0]
        notes = list(dict.fromkeys(fields.notes + (date.notes if date else [])))
        kept = fields.extra + country_extra + (use.extra if use is country else [])
        kept += [("region", r.text) for r in fields.regions] + (extra or [])
        self.out.append((line, len(self.out), RawPartnership(
            self.context.name, line, self.subject.section, cn_name, cn_links, fields.name,
            tuple(dict.fromkeys(links)), country_text, country_link,
            dated.date, dated.date_text, "；".join(n for n in notes if n) or None, cn_line, tier,
            tuple((k, v) for k, v in dict.fromkeys(kept) if v))))

    def _own(self) -> _Cn:
        subject = self.subject
        target = subject.name if subject.name != subject.title else subject.title
        return subject.name, (Link(subject.name, target),), 1

    # -- what was not read ----------------------------------------------------------------------

    def _empty_sections(self) -> None:
        """One ``no_partner_named`` for each section (outermost) with no row or bullet."""
        hits = sorted(self.hits)
        recorded = any(isinstance(item, RawPartnership) for _, _, item in self.out)
        if not self.headings and not hits:
            self._anomaly(1, "no_partner_named", "page names no partner in a table or list", self.text[:200])
        self.reported: list[_Heading] = []
        for h in self.headings:
            if _APPENDIX.match(to_simplified(h.title)) or any(r.start <= h.start < r.end for r in self.reported):
                continue
            i = bisect.bisect_left(hits, h.start)
            if i < len(hits) and hits[i] < h.end:
                continue
            self.reported.append(h)
            why = f"section {h.title!r} names no partner in a table or list"
            linked = [w for w in self.doc.wikilinks if h.start <= w.span[0] < h.end
                      and not _NAMESPACE.match(str(w.title))]
            if linked:
                why += f"; {len(linked)} links stand in running prose, not read as partners"
            lists = [str(t.name).strip() for t in self.doc.templates if h.start <= t.span[0] < h.end
                     and re.search(r"友好|友城|姐妹|城市", str(t.name))]
            if lists:
                why += f"; the list may be in template {{{{{lists[0]}}}}}, which this text does not hold"
            self._anomaly(h.line, "no_partner_named", why, self._text_of(h.line), "info" if recorded else "warning")

    def _prose(self) -> None:
        """An ``unread_line`` (info) for prose lines that link places beside the read rows."""
        if not self.hits or not self.headings:
            return
        found: dict[int, list[str]] = {}
        for link in self.doc.wikilinks:
            start, title = int(link.span[0]), str(link.title).strip()
            if start < self.headings[0].start or _NAMESPACE.match(title) or \
                    any(s <= start < e for s, e in self.structures) or \
                    any(r.start <= start < r.end for r in self.reported) or self._where(start) is None:
                continue
            text = _clean(str(link.text)) if link.text is not None else title
            if to_simplified(text) in _NOT_PARTNERS or _link_country(Link(text, _target(title))):
                continue
            found.setdefault(self._line(start), []).append(text)
        for line, names in found.items():
            self._anomaly(line, "unread_line", f"prose not read as rows; it links {'、'.join(names)}, "
                          "partners named only in running text are not recorded", self._text_of(line), "info")


_REF_TEMPLATES = re.compile(r"^(reftag|efn|r|sfn|refn|notetag|参|註|注|ref label|cite.*|citation)$", re.I)


def _blank(text: str) -> str:
    """``text`` with comments, citations and reference templates replaced by spaces.

    Offsets and newlines stay where they were, so the library's spans in the
    blanked text are still the file's; a commented-out row is not read as a row.
    """
    parsed = wtp.parse(text)
    spans = [c.span for c in parsed.comments]
    spans += [t.span for t in parsed.get_tags() if str(t.name).lower() in ("ref", "references")]
    spans += [t.span for t in parsed.templates if _REF_TEMPLATES.match(str(t.name).strip())]
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


class WikitextFormat:
    """Raw MediaWiki markup of a zh-Wikipedia section or list page."""

    name = FORMAT
    description = ("zh-Wikipedia sections in raw wikitext ('== 友好城市 ==' headings, wiki tables, "
                   "bullet lists, flag templates), read with wikitextparser")

    def sniff(self, head: str, path: Path) -> bool:
        """A MediaWiki heading line and wiki markup, and none of the Markdown conversions' links."""
        return bool(_HEADING_LINE.search(head) and _WIKI_MARKUP.search(head)
                    and not _MARKDOWN_LINK.search(head))

    def read(self, context: SourceContext, progress: ProgressCallback | None = None,
             fast: bool = True) -> Iterator[Item]:
        yield from _Page(context, progress).read()


SOURCE_FORMAT = WikitextFormat()

__all__ = ["FORMAT", "SOURCE_FORMAT", "WikitextFormat"]
