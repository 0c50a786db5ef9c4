"""What a piece of zh-Wikipedia wikitext says: the cells and bullets of the ``wikitext`` format.

``wikitext.py`` finds the sections, tables and lists of a page; this module reads what
stands in one cell or bullet. ``wikitextparser`` splits a fragment into text, links and
templates, turned here into tokens (a flag template is a country, a date template a
date), and the tokens into ``_Fields``: the partner's name and links, its country,
date, notes and the subject's district that holds the relationship. The page's Chinese
subject (``_Subject``) is here too, because a cell naming one of its districts is read
against it. Kept apart from the page walk so each can be read without the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import wikitextparser as wtp

from youcheng.dates import InvalidDate, parse_date
from youcheng.model import Link, PartialDate, Tier
from youcheng.relationships import STRUCK_NOTE
from youcheng.resolve.china import Division, divisions, stem
from youcheng.resolve.countries import country_code
from youcheng.resolve.names import fold_key, to_simplified
from youcheng.vocabulary import LEVEL_RANK, AnomalyKind

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
        fields.problems.append((AnomalyKind.unreadable_date, "info",
                                f"date {text.strip()!r} holds more than the date read ({fields.date_text})"))
    return rest


def _set_date(fields: _Fields, found: re.Match[str]) -> None:
    y = found["y"] or found["y2"] or found["y3"]
    m, d = found["m"] or found["m2"], found["d"] or found["d2"]
    try:
        fields.date = parse_date(f"{y}年" + (f"{m}月" if m else "") + (f"{d}日" if m and d else ""))
    except InvalidDate as exc:
        fields.problems.append((AnomalyKind.invalid_date, "warning", str(exc)))


def _name(text: str) -> str | None:
    text = _CJK_GAP.sub("", " ".join(text.split())).strip(_TRIM)
    text = _TRIM_WORDS.sub("", text).strip(_TRIM)
    return text or None


def _read_fragment(markup: str, subject: _Subject | None, role: str = "partner") -> _Fields:
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
        _read_group(fields, group, subject)
    fields.links = [t.link for t in main if t.link is not None]
    rest = _take_date(fields, _render(main)) if role != "cn" else _render(main)
    fields.name = _name(rest)
    return fields


def _read_group(fields: _Fields, group: list[_Tok], subject: _Subject | None) -> None:
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
    inside = subject.inside(text) if subject is not None else None
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
                if LEVEL_RANK[d.level] == min(LEVEL_RANK[c.level] for c in self.candidates)]
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
            fields.problems.append((AnomalyKind.unreadable_date, "warning",
                                    f"date cell {visible!r} is not a date"))
        fields.date_text = visible
    for group in groups:
        fields.notes.append(" ".join(_render(group).split()))
    return fields
