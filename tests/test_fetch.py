"""youcheng.fetch against recorded MediaWiki API answers (httpx.MockTransport): never the network."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

import youcheng
from youcheng import fetch
from youcheng.errors import SourceError, UsageError
from youcheng.fetch import FetchReport, fetch_pages, file_name, sister_sections, source_line
from youcheng.sources.base import SourceContext, sniff_head, source_comment

RECORDED = Path(__file__).parent / "fixtures" / "mediawiki"
Answer = httpx.Response | Exception


def recorded(name: str) -> dict[str, object]:
    data = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def ok(name: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, json=recorded(name), headers=headers)


def content_of(name: str, title: str) -> str:
    """The wikitext a recorded answer holds for ``title``."""
    query = recorded(name)["query"]
    assert isinstance(query, dict)
    for page in query["pages"]:
        if page["title"] == title and page.get("revisions"):
            text = page["revisions"][0]["slots"]["main"]["content"]
            assert isinstance(text, str)
            return text
    raise KeyError(title)


class Wiki:
    """A scripted API: answers in order, remembers each request and each wait."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.waits: list[float] = []
        self.client = httpx.Client(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def fetch(self, titles: list[str], folder: Path, **options: object) -> FetchReport:
        return fetch_pages(titles, folder, client=self.client, sleep=self.sleep, **options)  # type: ignore[arg-type]

    def params(self, index: int = 0) -> dict[str, str]:
        """The API parameters of a request, whether sent as a GET query or a POST form."""
        request = self.requests[index]
        if request.method == "POST":
            form = parse_qs(request.content.decode("utf-8"), keep_blank_values=True)
            return {k: v[0] for k, v in form.items()}
        return dict(request.url.params)


def lines_after_source(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("\n", 1)[1]


# --- the happy path -------------------------------------------------------------------------

def test_two_pages_one_request_sections_and_a_list_page_kept_whole(tmp_path: Path) -> None:
    wiki = Wiki(ok("query_two_pages.json"))
    report = wiki.fetch(["南通市", "大连市友好城市"], tmp_path)
    assert len(wiki.requests) == 1
    params = wiki.params()
    assert params == {"action": "query", "prop": "revisions", "rvprop": "content|ids|timestamp",
                      "rvslots": "main", "titles": "南通市|大连市友好城市", "redirects": "1",
                      "converttitles": "1", "format": "json", "formatversion": "2", "maxlag": "5"}
    assert wiki.requests[0].method == "GET"
    agent = wiki.requests[0].headers["User-Agent"]
    assert agent.startswith(f"youcheng/{youcheng.__version__} (") and "sister-city registry" in agent
    assert report.written == [tmp_path / "南通市.wikitext", tmp_path / "大连市友好城市.wikitext"]
    assert report.without_section == [] and report.missing == [] and report.redirects == []
    assert wiki.waits == []

    nantong = (tmp_path / "南通市.wikitext").read_text(encoding="utf-8")
    first, body = nantong.split("\n", 1)
    assert first == ("<!-- source: zh.wikipedia.org/wiki/南通市.wikitext revision 85231407 "
                     "2025-01-12T03:41:09Z (CC BY-SA 4.0, zh.wikipedia.org contributors) -->")
    # the outermost 友好城市 section with its two subsections, once, verbatim; nothing else
    assert body.startswith("== 友好城市 ==\n南通市与以下城市建立了友好关系。")
    assert body.count("=== 国际友好城市 ===") == 1 and body.count("=== 友好交流城市 ===") == 1
    assert "*{{KOR}}[[金堤市|金堤市]] 1997年10月22日\n" in body
    assert "== 历史 ==" not in body and "参考文献" not in body and "Infobox" not in body
    assert body in content_of("query_two_pages.json", "南通市")

    dalian = tmp_path / "大连市友好城市.wikitext"
    assert lines_after_source(dalian) == content_of("query_two_pages.json", "大连市友好城市")
    assert dalian.read_text(encoding="utf-8").startswith(
        "<!-- source: zh.wikipedia.org/wiki/大连市友好城市.wikitext revision 84377215 2024-10-02T11:05:48Z")


def test_the_source_line_names_the_page_for_the_build(tmp_path: Path) -> None:
    wiki = Wiki(ok("query_two_pages.json"))
    wiki.fetch(["南通市", "大连市友好城市"], tmp_path)
    for title in ("南通市", "大连市友好城市"):
        path = tmp_path / f"{title}.wikitext"
        renamed = tmp_path / "copy.wikitext"
        renamed.write_bytes(path.read_bytes())
        head = sniff_head(renamed)
        context = SourceContext.for_file(renamed, head=head)
        assert context.subject == title  # from the line, not the file name
        origin = source_comment(head)
        assert origin is not None and "CC BY-SA 4.0" in origin and "revision" in origin


def test_the_source_line_of_awkward_titles() -> None:
    line = source_line("zh.wikipedia.org", "AC/DC", 1, "2025-01-01T00:00:00Z")
    assert "zh.wikipedia.org/wiki/AC∕DC.wikitext" in line
    assert file_name("AC/DC") == "AC∕DC.wikitext"
    subject = SourceContext.for_file(Path("x.wikitext"), head=line).subject
    assert subject == "AC∕DC"
    spaced = source_line("zh.wikipedia.org", "New York", 1, "2025-01-01T00:00:00Z")
    assert SourceContext.for_file(Path("x.wikitext"), head=spaced).subject == "New_York"


def test_a_missing_page_is_reported_and_the_rest_written(tmp_path: Path) -> None:
    wiki = Wiki(ok("query_missing.json"))
    report = wiki.fetch(["南通市", "不存在的友城测试页"], tmp_path)
    assert report.missing == ["不存在的友城测试页"]
    assert report.written == [tmp_path / "南通市.wikitext"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["南通市.wikitext"]


def test_a_redirect_is_followed_and_reported_under_the_title_asked(tmp_path: Path) -> None:
    wiki = Wiki(ok("query_redirect.json"))
    report = wiki.fetch(["南通_(地级市)"], tmp_path)
    assert report.redirects == [("南通_(地级市)", "南通市")]
    assert report.written == [tmp_path / "南通市.wikitext"]
    assert report.missing == []


def test_a_page_without_a_sister_city_section_writes_nothing(tmp_path: Path) -> None:
    wiki = Wiki(ok("query_no_section.json"))
    report = wiki.fetch(["海门区"], tmp_path)
    assert report.without_section == ["海门区"]
    assert report.written == [] and list(tmp_path.iterdir()) == []


def test_continue_rounds_until_every_page_has_its_text(tmp_path: Path) -> None:
    wiki = Wiki(ok("query_continue_1.json"), ok("query_continue_2.json"))
    report = wiki.fetch(["南通市", "大连市友好城市"], tmp_path)
    assert len(wiki.requests) == 2
    assert wiki.params(1)["rvcontinue"] == "1554902|84377215"
    assert wiki.params(1)["titles"] == "南通市|大连市友好城市"
    assert [p.name for p in report.written] == ["南通市.wikitext", "大连市友好城市.wikitext"]


def test_fifty_titles_a_request(tmp_path: Path) -> None:
    titles = [f"测试页{i}" for i in range(51)]

    def all_missing(names: list[str]) -> httpx.Response:
        return httpx.Response(200, json={"batchcomplete": True, "query": {"pages": [
            {"ns": 0, "title": n, "missing": True} for n in names]}})

    wiki = Wiki(all_missing(titles[:50]), all_missing(titles[50:]))
    report = wiki.fetch(titles, tmp_path)
    assert [len(wiki.params(i)["titles"].split("|")) for i in range(2)] == [50, 1]
    assert report.missing == titles


def test_a_long_batch_goes_as_a_post_form(tmp_path: Path) -> None:
    titles = [f"一个很长很长很长很长很长的测试页面标题第{i}号" for i in range(50)]
    wiki = Wiki(httpx.Response(200, json={"query": {"pages": [
        {"ns": 0, "title": n, "missing": True} for n in titles]}}))
    report = wiki.fetch(titles, tmp_path)
    assert wiki.requests[0].method == "POST"
    assert wiki.params()["titles"] == "|".join(titles)
    assert wiki.requests[0].headers["User-Agent"].startswith("youcheng/")
    assert len(report.missing) == 50


def test_one_title_as_a_string_and_repeated_titles(tmp_path: Path) -> None:
    wiki = Wiki(ok("query_no_section.json"))
    wiki.fetch("海门区", tmp_path)  # type: ignore[arg-type]
    assert wiki.params()["titles"] == "海门区"
    wiki = Wiki(ok("query_no_section.json"))
    wiki.fetch(["海门区", " 海门区 "], tmp_path)
    assert wiki.params()["titles"] == "海门区"


def test_a_variant_is_passed_on(tmp_path: Path) -> None:
    wiki = Wiki(ok("query_two_pages.json"))
    wiki.fetch(["南通市"], tmp_path, variant="zh-cn")
    assert wiki.params()["variant"] == "zh-cn"


def test_the_folder_is_created_and_files_replaced_without_leftovers(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    Wiki(ok("query_two_pages.json")).fetch(["南通市", "大连市友好城市"], folder)
    (folder / "南通市.wikitext").write_text("old", encoding="utf-8")
    Wiki(ok("query_two_pages.json")).fetch(["南通市", "大连市友好城市"], folder)
    assert sorted(p.name for p in folder.iterdir()) == ["南通市.wikitext", "大连市友好城市.wikitext"]
    assert (folder / "南通市.wikitext").read_text(encoding="utf-8").startswith("<!-- source:")
    assert (folder / "南通市.wikitext").stat().st_mode & 0o777 == 0o644


def test_own_client_is_polite_and_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[httpx.Client] = []
    real = httpx.Client

    def handler(request: httpx.Request) -> httpx.Response:
        return ok("query_two_pages.json")

    def factory(**options: object) -> httpx.Client:
        client = real(transport=httpx.MockTransport(handler), **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    monkeypatch.setattr(fetch.httpx, "Client", factory)
    fetch_pages(["南通市"], tmp_path)
    (client,) = made
    assert client.headers["User-Agent"] == fetch.USER_AGENT
    assert client.timeout.read == 30.0 and client.is_closed


# --- retries and errors ---------------------------------------------------------------------

def test_429_is_retried_after_the_servers_wait(tmp_path: Path) -> None:
    wiki = Wiki(httpx.Response(429, headers={"Retry-After": "7"}), ok("query_two_pages.json"))
    report = wiki.fetch(["南通市", "大连市友好城市"], tmp_path)
    assert wiki.waits == [7.0] and len(wiki.requests) == 2
    assert len(report.written) == 2


@pytest.mark.parametrize(("header", "expected"), [
    ("3600", fetch.MAX_WAIT), ("-5", 0.0), ("soon", 1.0),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: no wait
])
def test_retry_after_is_bounded(tmp_path: Path, header: str, expected: float) -> None:
    wiki = Wiki(httpx.Response(503, headers={"Retry-After": header}), ok("query_no_section.json"))
    wiki.fetch(["海门区"], tmp_path)
    assert wiki.waits == [expected]


def test_maxlag_is_retried(tmp_path: Path) -> None:
    wiki = Wiki(ok("error_maxlag.json", headers={"Retry-After": "5", "MediaWiki-API-Error": "maxlag"}),
                ok("query_no_section.json"))
    assert wiki.fetch(["海门区"], tmp_path).without_section == ["海门区"]
    assert wiki.waits == [5.0]


def test_500_three_times_is_a_source_error(tmp_path: Path) -> None:
    wiki = Wiki(httpx.Response(500), httpx.Response(502), httpx.Response(500))
    with pytest.raises(SourceError) as caught:
        wiki.fetch(["南通市", "大连市友好城市"], tmp_path)
    message = str(caught.value)
    assert "南通市, 大连市友好城市" in message and "HTTP 500" in message and "3 times" in message
    assert "\n" not in message
    assert len(wiki.requests) == 3 and wiki.waits == [1.0, 2.0]
    assert list(tmp_path.iterdir()) == []


def test_network_failures_are_retried_then_a_source_error(tmp_path: Path) -> None:
    wiki = Wiki(httpx.ConnectError("Name or service not known"), ok("query_no_section.json"))
    assert wiki.fetch(["海门区"], tmp_path).without_section == ["海门区"]
    wiki = Wiki(*(httpx.ReadTimeout("timed out") for _ in range(3)))
    with pytest.raises(SourceError, match=r"海门区: zh.wikipedia.org failed 3 times: ReadTimeout"):
        wiki.fetch(["海门区"], tmp_path)


def test_a_client_error_is_not_retried(tmp_path: Path) -> None:
    wiki = Wiki(httpx.Response(403))
    with pytest.raises(SourceError, match=r"海门区: zh.wikipedia.org answered HTTP 403 Forbidden"):
        wiki.fetch(["海门区"], tmp_path)
    assert len(wiki.requests) == 1


@pytest.mark.parametrize("answer", [
    httpx.Response(200, content=b"<html><body>Wikimedia Error</body></html>",
                   headers={"Content-Type": "text/html"}),
    httpx.Response(200, content=b'{"query": {"pages": [', headers={"Content-Type": "application/json"}),
    httpx.Response(200, content=b"\xff\xfe\x00garbage"),
])
def test_invalid_json_is_a_source_error(tmp_path: Path, answer: httpx.Response) -> None:
    with pytest.raises(SourceError, match=r"^南通市: zh.wikipedia.org answered something that is not JSON"):
        Wiki(answer).fetch(["南通市"], tmp_path)


@pytest.mark.parametrize("data", [[], {"batchcomplete": True}, {"query": {"pages": {"1": {}}}},
                                  {"query": {"pages": [{"ns": 0}]}},
                                  {"query": {"pages": [{"title": "南通市", "revisions": [{}]}]}},
                                  {"query": {"redirects": "南通", "pages": []}}])
def test_an_answer_of_the_wrong_shape_is_a_source_error(tmp_path: Path, data: object) -> None:
    with pytest.raises(SourceError):
        Wiki(httpx.Response(200, json=data)).fetch(["南通市"], tmp_path)


def test_an_api_error_is_a_source_error(tmp_path: Path) -> None:
    wiki = Wiki(ok("error_badvalue.json", headers={"MediaWiki-API-Error": "badvalue"}))
    with pytest.raises(SourceError) as caught:
        wiki.fetch(["南通市"], tmp_path)
    assert str(caught.value) == ('南通市: zh.wikipedia.org API error badvalue: '
                                 'Unrecognized value for parameter "rvslots": mian.')
    assert len(wiki.requests) == 1


@pytest.mark.parametrize("titles", [[], ["", "  "]])
def test_no_titles_is_a_usage_error(tmp_path: Path, titles: list[str]) -> None:
    wiki = Wiki()
    with pytest.raises(UsageError):
        wiki.fetch(titles, tmp_path)
    assert wiki.requests == []


def test_a_title_with_a_pipe_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a page title"):
        Wiki().fetch(["南通市|海门区"], tmp_path)


def test_hidden_text_and_invalid_titles_are_reported(tmp_path: Path) -> None:
    wiki = Wiki(httpx.Response(200, json={"query": {"pages": [
        {"title": "<坏>", "invalidreason": "The requested page title contains invalid characters: \"<\".",
         "invalid": True},
        {"pageid": 1, "ns": 0, "title": "南通市", "revisions": [
            {"revid": 5, "timestamp": "2025-01-01T00:00:00Z", "slots": {"main": {"texthidden": True}}}]}]}}))
    report = wiki.fetch(["<坏>", "南通市"], tmp_path)
    assert [t for t, _ in report.invalid] == ["<坏>", "南通市"] and report.written == []


# --- which sections are kept ----------------------------------------------------------------

def test_traditional_headings_and_separate_sections() -> None:
    text = ("導言\n== 歷史 ==\n古城。\n== 國際關係 ==\n=== 姊妹城市 ===\n* 甲\n== 經濟 ==\n工業。\n"
            "== 友好交流 <!-- 注释 --> ==\n* 乙\n== 参考 ==\n")
    assert sister_sections("某市", text) == ["== 國際關係 ==\n=== 姊妹城市 ===\n* 甲\n",
                                            "== 友好交流 <!-- 注释 --> ==\n* 乙\n"]


def test_a_nested_match_under_an_unmatched_heading_and_linked_headings() -> None:
    text = "== 对外 ==\n说明\n=== [[友好城市|友城]] ===\n* 甲\n==== 友好省州 ====\n* 乙\n== 注释 ==\n"
    assert sister_sections("某市", text) == ["=== [[友好城市|友城]] ===\n* 甲\n==== 友好省州 ====\n* 乙\n"]


def test_no_section_and_list_pages() -> None:
    assert sister_sections("某市", "== 历史 ==\n友好城市一词不在标题里。\n") == []
    assert sister_sections("某市", "") == []
    assert sister_sections("某市友好城市列表", "* 甲\n") == ["* 甲\n"]
    assert sister_sections("某市國際友好城市", "* 甲\n") == ["* 甲\n"]
    assert sister_sections("某市友好城市列表", "  \n") == []


# --- end to end -----------------------------------------------------------------------------

@pytest.fixture
def fetched(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "pages"
    Wiki(ok("query_two_pages.json")).fetch(["南通市", "大连市友好城市"], folder)
    yield folder


def test_a_fetched_folder_builds(fetched: Path, tmp_path: Path) -> None:
    from youcheng import Registry
    from youcheng.sources import format_of

    files = sorted(fetched.glob("*.wikitext"))
    assert [format_of(p) for p in files] == ["wikitext", "wikitext"]
    db = tmp_path / "fetched.db"
    report = Registry.build(files, db)
    assert report.partnerships == 7
    registry = Registry.open(db)
    records = registry.partners("南通市")
    assert [(r.cn_id, r.partner_name, r.country, r.date) for r in records] == [
        ("cn:320600", "斯旺西市", "GB", "1987-04-10"), ("cn:320600", "丰桥市", "JP", "1987-05-26"),
        ("cn:320600", "泽西市", "US", "1996-04-02"), ("cn:320600", "特罗斯多夫市", "DE", "1997-04-08"),
        ("cn:320600", "金堤市", "KR", "1997-10-22")]
    assert {r.cn_id for r in registry.partners("大连市")} == {"cn:210200"}  # the list page's subject
    sources = {s.name: s for s in registry.sources()}
    assert sources["南通市.wikitext"].licence == "CC BY-SA 4.0"
    assert (sources["南通市.wikitext"].origin or "").startswith(
        "zh.wikipedia.org/wiki/南通市.wikitext revision 85231407 2025-01-12T03:41:09Z")
