"""Download the sister-city sections of live zh.wikipedia pages through the MediaWiki API.

``youcheng fetch TITLE…`` is how a user refreshes the registry from today's Wikipedia:
it writes one ``<title>.wikitext`` file a page into a folder, which ``youcheng build``
then reads with the ``wikitext`` source format, exactly like the embedded snapshot in
``data/sources/zhwiki-wikitext``. Only the sister-city sections are kept, so a file is
small, its provenance line says which revision it is, and the page's other text (and
licence surface) stays on Wikipedia.

The API is asked politely (Wikimedia's API etiquette): one request for up to 50 titles,
a descriptive User-Agent, ``maxlag``, a timeout, and a bounded retry that honours
``Retry-After``. Every failure comes out as one ``SourceError`` line naming the titles
and the cause, never a traceback.
"""

from __future__ import annotations

import email.utils
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import wikitextparser as wtp

from youcheng import __version__
from youcheng.errors import SourceError, UsageError
from youcheng.resolve.names import to_simplified

__all__ = ["API_URL", "FetchReport", "fetch_pages", "file_name", "sister_sections", "source_line"]

API_URL = "https://zh.wikipedia.org/w/api.php"
# Where a Wikimedia operator who sees our requests can find out who sends them.
PROJECT_URL = "https://pypi.org/project/youcheng/"
USER_AGENT = f"youcheng/{__version__} ({PROJECT_URL}; sister-city registry) httpx/{httpx.__version__}"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
BATCH = 50  # the API's limit of titles a request for anonymous clients
MAX_TRIES = 3  # of one request, the first included
MAX_WAIT = 60.0  # seconds: a longer Retry-After is cut to this
MAX_CONTINUES = 100  # rounds of ``continue`` for one batch: each answers at least one page
# Past GET URLs of this length, the batch goes as a POST form (long titles, percent-encoded).
MAX_GET_URL = 4000
LICENCE = "CC BY-SA 4.0"

# Headings of sister-city sections, in Simplified script (headings are folded first).
SECTION_WORDS = ("友好城市", "姐妹城市", "姊妹城市", "姐妹市", "姊妹市", "友城", "友好交流",
                 "友好合作", "国际友好", "友好省", "国际交流", "国际关系")
# Titles of pages that are sister-city lists as a whole (e.g. 大连市友好城市): kept entire.
# Narrower than the headings: a page called 国际关系 is not a list of partners.
TITLE_WORDS = ("友好城市", "姐妹城市", "姊妹城市", "姐妹市", "姊妹市", "友城", "友好交流",
               "友好合作", "友好省")


@dataclass
class FetchReport:
    """What a fetch did: the files written and every title that gave none, with why."""

    written: list[Path] = field(default_factory=list)
    without_section: list[str] = field(default_factory=list)  # pages with no sister-city heading
    missing: list[str] = field(default_factory=list)  # titles (as asked) with no page on the wiki
    redirects: list[tuple[str, str]] = field(default_factory=list)  # (asked, followed to)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (title, why): bad title, hidden text


@dataclass(frozen=True)
class _Page:
    title: str
    revid: int
    timestamp: str
    content: str


def fetch_pages(titles: Sequence[str], folder: Path, *, client: httpx.Client | None = None,
                api_url: str = API_URL, variant: str | None = None,
                sleep: Callable[[float], None] = time.sleep) -> FetchReport:
    """Write the sister-city sections of the current revision of each page into ``folder``.

    ``titles`` are page titles as a user types them (normalised, converted between
    scripts and redirected by the wiki). ``variant`` is passed to the API (e.g.
    ``zh-cn``) for its title conversion; the wikitext itself is always stored as
    written. ``client`` lets a caller (or a test, with ``httpx.MockTransport``) supply
    the HTTP client; ``sleep`` is what waits between retries. Raises UsageError for
    an empty list and SourceError (one line) when the wiki cannot be asked or answers
    nonsense; a page that is missing or has no such section is only reported.
    """
    if isinstance(titles, str):  # one title, not a sequence of one-character titles
        titles = [titles]
    wanted = list(dict.fromkeys(t.strip() for t in titles if t.strip()))
    if not wanted:
        raise UsageError("fetch needs at least one page title")
    for title in wanted:
        if "|" in title or any(ch in title for ch in "\n\r\t\0"):
            raise UsageError(f"{title!r} is not a page title (it contains '|' or a control character)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SourceError(f"cannot create the folder {folder}: {exc.strerror or exc}") from exc
    own = client is None
    http = client if client is not None else httpx.Client(
        timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    report = FetchReport()
    host = urlsplit(api_url).hostname or api_url
    seen: set[str] = set()  # two titles of different batches may redirect to one page
    try:
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start:start + BATCH]
            for page in _query_batch(http, api_url, batch, variant, sleep, report):
                if page.title not in seen:
                    seen.add(page.title)
                    _keep(page, folder, host, report)
    finally:
        if own:
            http.close()
    return report


def _keep(page: _Page, folder: Path, host: str, report: FetchReport) -> None:
    sections = sister_sections(page.title, page.content)
    if not sections:
        report.without_section.append(page.title)
        return
    body = "".join(s if s.endswith("\n") else s + "\n" for s in sections)
    path = folder / file_name(page.title)
    _write_atomically(path, source_line(host, page.title, page.revid, page.timestamp) + "\n" + body)
    report.written.append(path)


def sister_sections(title: str, text: str) -> list[str]:
    """The sister-city sections of a page's wikitext, verbatim; the whole text for a list page.

    A matching section is taken with its subsections, and a section nested in one
    already taken is not taken again. An empty list: the page has no such section.
    """
    if _names_any(title, TITLE_WORDS):
        return [text] if text.strip() else []
    kept: list[str] = []
    taken_to = -1
    for section in wtp.parse(text).sections:
        heading = section.title
        if heading is None or section.level == 0:
            continue
        start, stop = section.span
        if start < taken_to:
            continue
        if _names_any(wtp.parse(heading).plain_text(), SECTION_WORDS):
            kept.append(str(section.string))
            taken_to = stop
    return kept


def _names_any(text: str, words: tuple[str, ...]) -> bool:
    folded = to_simplified(text)
    return any(word in folded for word in words)


def file_name(title: str) -> str:
    """The file a page is written to: its title (``/`` as ``∕``, which a file name cannot hold)."""
    return title.replace("/", "∕") + ".wikitext"


def source_line(host: str, title: str, revid: int, timestamp: str) -> str:
    """The file's first line: where, which revision, when, and the licence of the text.

    The build takes the page title (the Chinese side of every row) from the
    ``/<title>.wikitext`` token (``SourceContext.for_file``), which holds no spaces:
    they are written as ``_``, the wiki's own URL form.
    """
    token = file_name(title).replace(" ", "_")
    return (f"<!-- source: {host}/wiki/{token} revision {revid} {timestamp} "
            f"({LICENCE}, {host} contributors) -->")


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` so that a reader (or a crash) never sees half a file."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".fetch-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temp, 0o644)  # mkstemp's 0600 would make the registry's sources private
        os.replace(temp, path)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise SourceError(f"cannot write {path}: {exc.strerror or exc}") from exc


# --- the API ---------------------------------------------------------------------------

def _query_batch(http: httpx.Client, api_url: str, batch: list[str], variant: str | None,
                 sleep: Callable[[float], None], report: FetchReport) -> Iterator[_Page]:
    """The pages of one batch of titles, following ``continue`` until every page is answered."""
    params: dict[str, str] = {
        "action": "query", "prop": "revisions", "rvprop": "content|ids|timestamp",
        "rvslots": "main", "titles": "|".join(batch), "redirects": "1", "converttitles": "1",
        "format": "json", "formatversion": "2", "maxlag": "5",
    }
    if variant:
        params["variant"] = variant
    asked_as: dict[str, str] = {t: t for t in batch}  # a title the wiki uses -> the title asked
    done: set[str] = set()
    extra: dict[str, str] = {}
    for _ in range(MAX_CONTINUES):
        data = _request(http, api_url, {**params, **extra}, batch, sleep)
        query = _field(data, "query", dict, batch)
        for key in ("normalized", "converted", "redirects"):
            for hop in _hops(query.get(key), batch):
                asked = asked_as.get(hop[0], hop[0])
                asked_as.setdefault(hop[1], asked)
                if key == "redirects" and (asked, hop[1]) not in report.redirects:
                    report.redirects.append((asked, hop[1]))  # a ``continue`` round repeats them
        for raw in _field(query, "pages", list, batch):
            page = _page(raw, batch, asked_as, report, done)
            if page is not None:
                yield page
        more = data.get("continue")
        if not isinstance(more, dict) or not more:
            return
        extra = {str(k): str(v) for k, v in more.items()}
    raise SourceError(f"{_names(batch)}: the API kept asking to continue after {MAX_CONTINUES} requests")


def _page(raw: object, batch: list[str], asked_as: Mapping[str, str], report: FetchReport,
          done: set[str]) -> _Page | None:
    """One entry of ``query.pages`` as a page with text, or None (reported, or not yet sent)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
        raise SourceError(f"{_names(batch)}: the API answered a page without a title")
    title: str = raw["title"]
    if title in done:
        return None
    if raw.get("missing"):
        done.add(title)
        report.missing.append(asked_as.get(title, title))
        return None
    if raw.get("invalid"):
        done.add(title)
        report.invalid.append((asked_as.get(title, title), str(raw.get("invalidreason", "invalid title"))))
        return None
    revisions = raw.get("revisions")
    if not revisions:
        return None  # its text comes in a later ``continue`` round
    revision = revisions[0] if isinstance(revisions, list) else None
    main = revision.get("slots", {}).get("main") if isinstance(revision, dict) else None
    if not isinstance(revision, dict) or not isinstance(main, dict):
        raise SourceError(f"{title}: the API answered a revision without its main slot")
    done.add(title)
    content = main.get("content")
    if main.get("texthidden") or not isinstance(content, str):
        report.invalid.append((title, "the revision's text is hidden"))
        return None
    if main.get("contentmodel", "wikitext") != "wikitext":
        report.invalid.append((title, f"the page is {main['contentmodel']}, not wikitext"))
        return None
    revid, stamp = revision.get("revid"), revision.get("timestamp")
    if not isinstance(revid, int) or not isinstance(stamp, str) or not stamp.strip():
        raise SourceError(f"{title}: the API answered a revision without its id or timestamp")
    return _Page(title, revid, stamp.strip(), content)


def _hops(value: object, batch: list[str]) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if not isinstance(value, list):
        raise SourceError(f"{_names(batch)}: the API answered an unexpected title mapping")
    for hop in value:
        if not (isinstance(hop, dict) and isinstance(hop.get("from"), str)
                and isinstance(hop.get("to"), str)):
            raise SourceError(f"{_names(batch)}: the API answered an unexpected title mapping")
        yield hop["from"], hop["to"]


def _field(data: dict[str, Any], key: str, kind: type, batch: list[str]) -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        raise SourceError(f"{_names(batch)}: the API's answer has no {key!r} {kind.__name__}")
    return value


def _request(http: httpx.Client, api_url: str, params: dict[str, str], batch: list[str],
             sleep: Callable[[float], None]) -> dict[str, Any]:
    """One API call's JSON object, retried on 429, 5xx, maxlag and network trouble.

    At most ``MAX_TRIES`` tries; the wait is the server's ``Retry-After`` (cut to
    ``MAX_WAIT``) or 1, then 2 seconds.
    """
    where = urlsplit(api_url).hostname or api_url
    cause = ""
    for attempt in range(1, MAX_TRIES + 1):
        wait: float | None = None
        try:
            response = _send(http, api_url, params)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise SourceError(f"{_names(batch)}: cannot ask {api_url}: {exc}") from exc
        else:
            if response.status_code == 429 or response.status_code >= 500:
                cause = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                wait = _retry_after(response.headers.get("Retry-After"))
            elif response.status_code >= 400:
                raise SourceError(f"{_names(batch)}: {where} answered HTTP {response.status_code} "
                                  f"{response.reason_phrase}".strip())
            else:
                data = _json(response, batch, where)
                error = data.get("error")
                if error is None:
                    return data
                code, info = _error_text(error)
                if code != "maxlag":
                    raise SourceError(f"{_names(batch)}: {where} API error {code}: {info}")
                cause = f"API error maxlag: {info}"
                wait = _retry_after(response.headers.get("Retry-After"))
        if attempt < MAX_TRIES:
            sleep(wait if wait is not None else float(attempt))
    raise SourceError(f"{_names(batch)}: {where} failed {MAX_TRIES} times: {cause}")


def _send(http: httpx.Client, api_url: str, params: dict[str, str]) -> httpx.Response:
    headers = {}
    if http.headers.get("User-Agent", "").startswith("python-httpx"):
        headers["User-Agent"] = USER_AGENT  # a caller's client: still say who we are
    if len(api_url) + len(urlencode(params)) + 1 > MAX_GET_URL:
        return http.post(api_url, data=params, headers=headers)
    return http.get(api_url, params=params, headers=headers)


def _json(response: httpx.Response, batch: list[str], where: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        kind = response.headers.get("Content-Type", "no content type")
        raise SourceError(f"{_names(batch)}: {where} answered something that is not JSON "
                          f"({kind}, {len(response.content)} bytes)") from exc
    if not isinstance(data, dict):
        raise SourceError(f"{_names(batch)}: {where} answered JSON that is not an object")
    return data


def _error_text(error: object) -> tuple[str, str]:
    if isinstance(error, dict):
        return str(error.get("code", "unknown")), " ".join(str(error.get("info", "")).split())
    return "unknown", " ".join(str(error).split())


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), at most MAX_WAIT."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_WAIT)


def _names(titles: Sequence[str]) -> str:
    """Titles for a one-line message: the first few and how many more."""
    shown = ", ".join(titles[:5])
    return shown + (f" and {len(titles) - 5} more" if len(titles) > 5 else "")
