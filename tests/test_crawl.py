"""crawlers/crawl.py end to end: the real saved pages served by a local mirror (tests/mirror.py),
with faults injected, into a corpus in tmp_path. Waits are configured to 0."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import PAGES, ROOT
from crawlers import sources
from crawlers.checkpoint import Checkpoint, Entry
from crawlers.crawl import crawl
from crawlers.fetch import FetchPolicy, Request
from crawlers.parsers import PARSERS
from crawlers.parsers.base import ParseResult
from kb.corpus import STANDARDS_FILE, load_records
from kb.errors import BadInput, CorpusError
from kb.records import Record, Source
from mirror import Big, Gbk, Hang, Mirror, Page, Redirect, Slow, Status, Truncate

LIST = "https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2=GB/T%201.1"
D2000 = "https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=847191101089628341120D62AEFC29A1"
D2009 = "https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=570A95F33D8D3C7934933A900A78F133"
D2020 = "https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=C4BFD981E993C417EF475F2A19B681F1"
GB_T_1_1 = ["GB/T 1.1-2000", "GB/T 1.1-2009", "GB/T 1.1-2020"]
TTBZ_403 = "http://www.ttbz.org.cn/Home/Standard?searchType=2&key=T/ZS%200467%E2%80%942023"


@pytest.fixture
def mirror():
    with Mirror() as server:
        yield server


@pytest.fixture
def run(mirror, tmp_path):
    """crawl() against the mirror, into tmp_path/corpus, waits at 0."""

    def run_crawl(source, query=None, retries=2, timeout=2.0, **options):
        policy = FetchPolicy(allowed_hosts=(), delay=0, backoff=0, retries=retries,
                             timeout=timeout, max_bytes=options.pop("max_bytes", 20 * 2**20),
                             cache_dir=options.pop("cache_dir", None))
        return crawl(source, query, base_url=mirror.base_url, corpus_dir=tmp_path / "corpus",
                     home=tmp_path / "home", policy=policy, **options)

    return run_crawl


def corpus(tmp_path) -> dict[str, Record]:
    loaded = load_records(tmp_path / "corpus" / STANDARDS_FILE)
    assert loaded.errors == []
    return loaded.records


def facts(record: Record) -> dict:
    """A record without the volatile fetched_at of its sources."""
    data = record.to_dict()
    for source in data["sources"]:
        source.pop("fetched_at")
    return data


# -- whole crawls of real pages ---------------------------------------------------------------

def test_openstd_crawl_list_and_details(run, mirror, tmp_path):
    report = run("openstd", "GB/T 1.1")
    assert (report.new, report.updated, report.failed, report.refused, report.quarantined) == (
        GB_T_1_1, [], [], [], [])
    assert (report.pages, report.complete) == (4, True)
    records = corpus(tmp_path)
    assert sorted(records) == GB_T_1_1
    current = records["GB/T 1.1-2020"]
    assert (current.title, current.status, current.issue_date, current.ccs, current.ics) == (
        "标准化工作导则  第1部分：标准化文件的结构和起草规则", "current", "2020-03-31", ["A00"], ["01.120"])
    assert [(s.source, s.url) for s in current.sources] == [
        ("openstd.list", LIST), ("openstd.detail", D2020)]
    assert all(s.fetched_at and len(s.content_hash) == 64 for s in current.sources)
    assert records["GB/T 1.1-2000"].status == "withdrawn"
    assert mirror.counts() == {"/bzgk/std/std_list?p.p2=GB/T%201.1": 1,
                               "/bzgk/std/newGbInfo?hcno=847191101089628341120D62AEFC29A1": 1,
                               "/bzgk/std/newGbInfo?hcno=570A95F33D8D3C7934933A900A78F133": 1,
                               "/bzgk/std/newGbInfo?hcno=C4BFD981E993C417EF475F2A19B681F1": 1}
    assert list((tmp_path / "home" / "checkpoints").iterdir()) == []  # complete: nothing to resume


def test_hbba_post_search_and_detail(run, mirror, tmp_path):
    report = run("hbba", "JB/T 13368-2018")
    assert (report.new, report.failed, report.pages) == (["JB/T 13368-2018"], [], 2)
    record = corpus(tmp_path)["JB/T 13368-2018"]
    assert (record.title, record.status, record.record_no, record.dept) == (
        "叉车属具 软包夹", "current", "61715-2018", "工业和信息化部")
    assert [s.source for s in record.sources] == ["sacinfo.search", "sacinfo.detail"]
    # the JSON says current 1 of pages 1: no second page is posted
    assert [(m, t) for m, t, _ in mirror.requests if t != "/robots.txt"] == [
        ("POST", "/stdQueryList"), ("GET", "/stdDetail/733d6a7744529f70673a12c464998ffc")]


def test_announcement_page(run, tmp_path):
    report = run("sacinfo", "A183E1BFFEAAF0A1E9924E82AF7F0E5E")
    expected = json.loads((PAGES / ".." / "records" / "announcements" / "001_gb_2026_31.json")
                          .read_text(encoding="utf-8"))
    numbers = sorted(item["std_code"] for item in expected["items"])
    assert len(numbers) == 16
    # 16 announced + the edition GB/Z 31477-2026 replaces, now known as 被代替
    assert report.new == sorted(numbers + ["GB/Z 31477-2015"])
    records = corpus(tmp_path)
    assert records["GB/Z 31477-2015"].replaced_by == ["GB/Z 31477-2026"]
    assert {records[n].issue_date for n in numbers} == {"2026-07-02"}


def test_a_standard_on_two_platforms_becomes_one_record(run, tmp_path):
    run("samr", "GB/T 20223-2006", max_pages=2)  # the search page and the first detail page
    report = run("openstd", "GB/T 20223-2006")
    assert (report.new, report.updated, report.failed) == ([], ["GB/T 20223-2006"], [])
    record = corpus(tmp_path)["GB/T 20223-2006"]
    assert [s.source for s in record.sources] == [
        "samr.search", "samr.detail", "openstd.list", "openstd.detail"]
    assert [s.url for s in record.sources][1:] == [
        "http://www.std.gov.cn/gb/search/gbDetailed?id=5DDA8BA00FC618DEE05397BE0A0A95A7",
        "https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2=GB/T%2020223-2006",
        "https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=083B48FA72DBD3B9BDE74507BC31736A"]
    # facts only std.samr has, and facts only openstd has, side by side
    assert (record.technical_committee, record.drafters[:2], record.withdrawal_date) == (
        "中国纤维检验局", ["于丽华", "杨照良"], "2018-05-01")
    assert (record.title, record.ics, record.ccs) == ("棉短绒", ["59.060.10"], ["B32"])


# -- faults ----------------------------------------------------------------------------------

def test_fault_matrix_crawl_ends_with_right_records_and_failures(run, mirror, tmp_path):
    mirror.fault(LIST, Status(500), Status(503))  # two server errors, then the page
    mirror.fault(D2000, Slow(1.0))  # one timeout, then the page
    mirror.always(D2020, Gbk())  # every answer GBK, said only in the header
    mirror.always(D2009, Truncate(100))  # never whole
    report = run("openstd", "GB/T 1.1", timeout=0.3)
    size = len((PAGES / "relaton-gb" / "decoded" / "gb_t_1_1__10.html").read_bytes())
    assert report.failed == [(D2009, "连接中断：peer closed connection without sending "
                                     f"complete message body (received 100 bytes, expected {size})，"
                                     "已尝试 3 次")]
    assert (report.new, report.refused, report.quarantined) == (GB_T_1_1, [], [])
    records = corpus(tmp_path)
    assert records["GB/T 1.1-2020"].title == "标准化工作导则  第1部分：标准化文件的结构和起草规则"
    assert records["GB/T 1.1-2020"].english_title.startswith("Directives for standardization")
    assert [s.source for s in records["GB/T 1.1-2020"].sources] == ["openstd.list", "openstd.detail"]
    assert [s.source for s in records["GB/T 1.1-2009"].sources] == ["openstd.list"]  # list row only
    assert records["GB/T 1.1-2000"].ccs == ["A00"]
    assert (mirror.count(LIST), mirror.count(D2000), mirror.count(D2009)) == (3, 2, 3)


def test_redirects_size_cap_and_429_in_a_crawl(run, mirror, tmp_path):
    mirror.fault(LIST, Status(429, {"Retry-After": "0"}))
    mirror.always(D2000, Redirect("http://example.org/elsewhere"))
    mirror.always(D2009, Redirect(D2009))
    mirror.always(D2020, Big(3 * 1024 * 1024))
    report = run("openstd", "GB/T 1.1", max_bytes=1024 * 1024)
    mirror_d2009 = mirror.base_url + D2009[len("https://openstd.samr.gov.cn"):]
    assert report.failed == [
        (D2000, "重定向到 http://example.org/elsewhere：主机 example.org 不在允许的主机之列"
                "（openstd.samr.gov.cn）"),
        (D2009, f"重定向循环，在 {mirror_d2009}"),
        (D2020, "响应超过 1048576 字节（Content-Length 3145728）")]
    assert report.new == GB_T_1_1  # from the list page
    assert mirror.count(LIST) == 2


def test_ttbz_403_is_refused_and_not_a_failure(run, mirror):
    report = run("ttbz", "T/ZS 0467—2023")
    assert report.refused == [(TTBZ_403, "网站拒绝访问（HTTP 403）")]
    assert (report.failed, report.new, report.ok) == ([], [], True)
    assert mirror.count(TTBZ_403) == 1


def test_firewall_page_with_status_200_is_refused(run, mirror):
    body = (PAGES / "relaton-gb" / "decoded" / "t-zs-0467_2023__00.html").read_bytes()
    mirror.add("GET", TTBZ_403, Page(200, body, {"Content-Type": "text/html"}))
    report = run("ttbz", "T/ZS 0467—2023")
    assert report.refused == [
        (TTBZ_403, "Knownsec CloudWAF: Your request has been blocked due to suspected hacking"
                   "（规则 80001）")]


def test_unparseable_page_is_quarantined_and_the_crawl_goes_on(run, mirror, tmp_path):
    synthetic_page = "<html><body>系统维护中</body></html>".encode()
    mirror.add("GET", D2000, Page(200, synthetic_page, {"Content-Type": "text/html"}))
    report = run("openstd", "GB/T 1.1")
    reason = "openstd.detail：没有标准号标题和 table.tdlist；不是 openstd.samr.gov.cn 的详情页"
    assert report.quarantined == [(D2000, reason)]
    assert (report.failed, report.new) == ([], GB_T_1_1)
    saved = sorted((tmp_path / "home" / "quarantine" / "openstd").iterdir())
    assert [p.suffix for p in saved] == [".body", ".json"]
    assert saved[0].read_bytes() == synthetic_page
    meta = json.loads(saved[1].read_text(encoding="utf-8"))
    assert (meta["url"], meta["reason"], meta["parser"], meta["status"]) == (
        D2000, reason, "openstd.detail", 200)
    assert corpus(tmp_path)["GB/T 1.1-2020"].ccs == ["A00"]


def test_page_no_parser_knows_is_quarantined(run, mirror):
    url = "https://openstd.samr.gov.cn/bzgk/std/somethingElse?id=1"
    mirror.add("GET", url, Page(200, b"<html>synthetic</html>", {"Content-Type": "text/html"}))
    report = run("openstd", url)
    assert report.quarantined == [(url, "没有解析这种页面的解析器")]


def test_parser_crash_is_quarantined(run, mirror, tmp_path):
    def synthetic_broken_parser(body: bytes, url: str) -> ParseResult:
        raise KeyError("td")

    report = run("openstd", "GB/T 1.1", parsers={**PARSERS, "openstd.detail": synthetic_broken_parser})
    assert report.quarantined == [(D2000, "KeyError: 'td'"), (D2009, "KeyError: 'td'"),
                                  (D2020, "KeyError: 'td'")]
    assert report.new == GB_T_1_1


# -- merging: a worse or partial record never overwrites a better one -------------------------

def test_recrawl_with_details_failing_keeps_the_detail_facts(run, mirror, tmp_path):
    run("openstd", "GB/T 1.1")
    before = {rid: facts(r) for rid, r in corpus(tmp_path).items()}
    for url in (D2000, D2009, D2020):
        mirror.always(url, Status(500))
    report = run("openstd", "GB/T 1.1", retries=0)
    assert (report.new, report.updated, report.unchanged) == ([], [], GB_T_1_1)
    assert [url for url, _ in report.failed] == [D2000, D2009, D2020]
    assert {rid: facts(r) for rid, r in corpus(tmp_path).items()} == before


def test_partial_record_from_another_page_adds_a_source_only(run, mirror, tmp_path):
    run("openstd", "GB/T 1.1")
    url = "https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2=synthetic"
    mirror.add("GET", url, Page(200, b"synthetic", {"Content-Type": "text/html"}))

    def synthetic_partial_parser(body: bytes, page_url: str) -> ParseResult:
        return ParseResult(records=[Record.for_number(
            "GB/T 1.1—2020", status="unknown", sources=[Source("synthetic.partial", page_url)])])

    report = run("openstd", url, parsers={"openstd.list": synthetic_partial_parser})
    assert (report.updated, report.new) == (["GB/T 1.1-2020"], [])
    record = corpus(tmp_path)["GB/T 1.1-2020"]
    assert (record.status, record.title, record.issue_date, record.ccs) == (
        "current", "标准化工作导则  第1部分：标准化文件的结构和起草规则", "2020-03-31", ["A00"])
    assert [s.source for s in record.sources] == ["openstd.list", "openstd.detail", "synthetic.partial"]


# -- options ---------------------------------------------------------------------------------

def test_since_leaves_out_older_records(run, tmp_path):
    report = run("sacinfo", "A183E1BFFEAAF0A1E9924E82AF7F0E5E", since="2026-07-03")
    assert (report.too_old, report.new) == (16, [])
    report = run("sacinfo", "A183E1BFFEAAF0A1E9924E82AF7F0E5E", since="2026-07-02")
    assert (report.too_old, len(report.new)) == (0, 17)


def test_progress_events(run):
    events = []
    run("hbba", "JB/T 13368-2018", progress=events.append)
    assert [e["event"] for e in events] == ["start", "page", "page", "saved", "done"]
    assert events[0] == {"event": "start", "source": "hbba", "query": "JB/T 13368-2018",
                         "resumed": 0, "done": 0, "total": 1}
    assert events[1] == {"event": "page", "source": "hbba", "url": "https://hbba.sacinfo.org.cn/stdQueryList",
                         "method": "POST", "outcome": "ok", "records": 1, "links": 1,
                         "cached": False, "reason": "", "done": 1, "total": 2}
    assert events[-1]["new"] == 1 and events[-1]["complete"] is True
    json.dumps(events, ensure_ascii=False)


def test_response_cache_serves_a_second_crawl(run, mirror, tmp_path):
    run("openstd", "GB/T 1.1", cache_dir=tmp_path / "cache")
    report = run("openstd", "GB/T 1.1", cache_dir=tmp_path / "cache")
    assert (report.pages, report.from_cache, report.unchanged) == (4, 4, GB_T_1_1)
    assert set(mirror.counts().values()) == {1}


@pytest.mark.parametrize("options, message", [
    ({"source": "nowhere"}, "未知的来源 'nowhere'；可用的来源：samr、openstd、hbba、dbba、ttbz、jjg、sacinfo"),
    ({"source": "openstd", "since": "yesterday"}, "--since 'yesterday' 不是日期（YYYY-MM-DD）"),
    ({"source": "openstd", "max_pages": 0}, "--max-pages 至少为 1"),
    ({"source": "sacinfo"}, "来源 sacinfo 需要 --query（标准号、词语或 URL）"),
    ({"source": "openstd", "query": "https://example.org/x"},
     "https://example.org/x 不在 openstd 上（openstd.samr.gov.cn）"),
])
def test_bad_options(run, mirror, options, message):
    with pytest.raises(BadInput) as error:
        run(**options)
    assert str(error.value) == message
    assert mirror.requests == []


def test_a_corpus_with_bad_lines_is_not_touched(run, mirror, tmp_path):
    path = tmp_path / "corpus" / STANDARDS_FILE
    path.parent.mkdir()
    path.write_text('{"id": "GB/T 1.1-2020"}\nnot json\n', encoding="utf-8")
    with pytest.raises(CorpusError) as error:
        run("openstd", "GB/T 1.1")
    assert str(error.value).startswith(f"{path}:1: 缺少 'number'")
    assert path.read_text(encoding="utf-8") == '{"id": "GB/T 1.1-2020"}\nnot json\n'
    assert mirror.requests == []


# -- sources ---------------------------------------------------------------------------------

def test_every_route_names_a_registered_parser():
    for source in sources.SOURCES.values():
        for _, parser in source.routes:
            assert parser in PARSERS, (source.name, parser)


def test_start_requests_are_on_the_source_hosts_and_routed():
    for source in sources.SOURCES.values():
        for query in ("GB/T 1.1", None):
            if query is None and not source.browse:
                continue
            for request in source.start_requests(query):
                assert source.owns(request.url), request.url
                assert source.parser_name(request.url) in PARSERS, request.url


def test_sources_by_name_or_host():
    assert sources.get("openstd.samr.gov.cn").name == "openstd"
    assert sources.get("www.ttbz.org.cn").name == "ttbz"
    assert sources.get("hbba").start_requests("JB/T 13368-2018") == [
        Request("https://hbba.sacinfo.org.cn/stdQueryList", "POST",
                "current=1&size=50&key=JB%2FT+13368-2018")]
    assert sources.get("openstd").start_requests("GB/T 1.1") == [Request(LIST)]
    assert sources.get("hbba").next_page(Request("https://hbba.sacinfo.org.cn/stdQueryList", "POST",
                                                 "current=1&size=50&key=JB%2FT+13368-2018")) == \
        Request("https://hbba.sacinfo.org.cn/stdQueryList", "POST", "current=2&size=50&key=JB/T+13368-2018")


# -- checkpoints and resuming ---------------------------------------------------------------------

def test_checkpoint_ignores_a_torn_last_line(tmp_path):
    path = tmp_path / "c.jsonl"
    checkpoint = Checkpoint.open(path, {"source": "openstd", "query": "q"}, resume=False)
    checkpoint.record([Entry(Request(LIST), "ok", [Request(D2000), Request(D2009)]),
                       Entry(Request(D2000), "ok")])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"request": {"url": "' + D2009[:30])  # killed mid-line
    again = Checkpoint.open(path, {"source": "openstd", "query": "q"}, resume=True)
    assert again.done_count() == 2
    assert again.frontier() == [Request(D2009)]
    with pytest.raises(CorpusError):
        Checkpoint.open(path, {"source": "openstd", "query": "other"}, resume=True)


def test_max_pages_then_resume_fetches_only_the_rest(run, mirror, tmp_path):
    first = run("openstd", "GB/T 1.1", max_pages=2, cache_dir=tmp_path / "cache")
    assert (first.pages, first.complete, first.new) == (2, False, GB_T_1_1)
    checkpoints = list((tmp_path / "home" / "checkpoints").iterdir())
    assert len(checkpoints) == 1
    shutil.rmtree(tmp_path / "cache")  # only the checkpoint can spare the refetch now
    second = run("openstd", "GB/T 1.1", resume=True, cache_dir=tmp_path / "cache")
    assert (second.resumed, second.pages, second.complete) == (2, 2, True)
    assert second.updated == ["GB/T 1.1-2009", "GB/T 1.1-2020"]
    assert set(mirror.counts().values()) == {1} and len(mirror.counts()) == 4
    assert not checkpoints[0].exists()  # finished


def test_resume_retries_only_failed_pages(run, mirror, tmp_path):
    mirror.fault(D2009, Status(500))
    first = run("openstd", "GB/T 1.1", retries=0)
    assert [url for url, _ in first.failed] == [D2009]
    second = run("openstd", "GB/T 1.1", resume=True, retries=0)
    assert (second.pages, second.resumed, second.failed, second.updated) == (
        1, 3, [], ["GB/T 1.1-2009"])
    assert (mirror.count(LIST), mirror.count(D2000), mirror.count(D2009), mirror.count(D2020)) == (
        1, 1, 2, 1)


def test_sigkill_midway_then_resume_without_refetching(mirror, tmp_path):
    """Kill a crawl (another process) while it waits for its third page, then resume."""
    release = threading.Event()
    mirror.fault(D2009, Hang(release))
    script = (
        "import socket, sys; from pathlib import Path\n"
        "connect = socket.socket.connect\n"  # as conftest: loopback only, in this process too
        "def loopback_only(sock, address):\n"
        "    if not str(address[0]).startswith('127.'): raise OSError(f'no network: {address}')\n"
        "    return connect(sock, address)\n"
        "socket.socket.connect = loopback_only\n"
        "from crawlers.crawl import crawl\n"
        "from crawlers.fetch import FetchPolicy\n"
        f"crawl('openstd', 'GB/T 1.1', base_url={mirror.base_url!r}, corpus_dir=Path({str(tmp_path / 'corpus')!r}),\n"
        f"      home=Path({str(tmp_path / 'home')!r}), flush_every=1,\n"
        "      policy=FetchPolicy(allowed_hosts=(), delay=0, backoff=0, retries=0, timeout=30))\n")
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while mirror.count(D2009) == 0:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the crawl never reached its third page"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    # what survived the kill: two pages done, the list's three records in the corpus
    [path] = list((tmp_path / "home" / "checkpoints").iterdir())
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["request"]["url"] for line in lines[1:]] == [LIST, D2000]
    assert sorted(corpus(tmp_path)) == GB_T_1_1

    report = crawl("openstd", "GB/T 1.1", resume=True, base_url=mirror.base_url,
                   corpus_dir=tmp_path / "corpus", home=tmp_path / "home",
                   policy=FetchPolicy(allowed_hosts=(), delay=0, backoff=0, retries=0, timeout=5))
    assert (report.resumed, report.pages, report.failed, report.complete) == (2, 2, [], True)
    assert (mirror.count(LIST), mirror.count(D2000), mirror.count(D2009), mirror.count(D2020)) == (
        1, 1, 2, 1)  # only the page in flight when killed was asked for again
    records = corpus(tmp_path)
    assert [s.source for s in records["GB/T 1.1-2009"].sources] == ["openstd.list", "openstd.detail"]
    assert records["GB/T 1.1-2020"].ccs == ["A00"]
    assert not path.exists()


def test_changes_are_logged_per_flush(run, mirror, tmp_path):
    from kb.changes import record_changes

    report = run("openstd", "GB/T 1.1", record_changes=record_changes, flush_every=1)
    log = [json.loads(line) for line in
           (tmp_path / "corpus" / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(c["number"], c["change"], c["via"], c["source"]) for c in log] == [
        ("GB/T 1.1-2000", "withdrawn", "crawl openstd", LIST),  # first seen, already 废止
        ("GB/T 1.1-2009", "withdrawn", "crawl openstd", LIST),
        ("GB/T 1.1-2020", "new", "crawl openstd", LIST),
        ("GB/T 1.1-2000", "fields_changed", "crawl openstd", D2000),  # the detail pages add facts
        ("GB/T 1.1-2009", "fields_changed", "crawl openstd", D2009),
        ("GB/T 1.1-2020", "fields_changed", "crawl openstd", D2020)]
    assert sorted(log[3]["fields"]) == ["ccs", "dept", "ics"]
    assert report.changes == log
    again = run("openstd", "GB/T 1.1", record_changes=record_changes)
    assert (again.changes, again.unchanged) == ([], GB_T_1_1)


# -- kb crawl (CLI) ----------------------------------------------------------------------------

def kb_crawl(tmp_path, monkeypatch, *args):
    from typer.testing import CliRunner

    import cli

    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))  # cache, checkpoints, quarantine
    return CliRunner().invoke(cli.app, ["--corpus", str(tmp_path / "corpus"), "crawl", *args])


def test_cli_crawl_json_lines(mirror, tmp_path, monkeypatch):
    result = kb_crawl(tmp_path, monkeypatch, "openstd", "--query", "GB/T 1.1",
                      "--base-url", mirror.base_url, "--json")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in events] == ["start", "page", "page", "page", "page", "saved", "done"]
    last = events[-1]
    assert (last["new"], last["failed"], last["complete"]) == (3, [], True)
    assert sorted(corpus(tmp_path)) == GB_T_1_1


def test_cli_crawl_failure_exits_1_with_the_reasons(mirror, tmp_path, monkeypatch):
    mirror.always(D2009, Status(404))
    mirror.always(TTBZ_403, Status(403))
    result = kb_crawl(tmp_path, monkeypatch, "openstd.samr.gov.cn", "--query", "GB/T 1.1",
                      "--base-url", mirror.base_url)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "抓取 openstd：4 个页面（缓存 0，此前已完成 0），新增 3，更新 0，未变 0",
        f"  失败 {D2009}：HTTP 404",
        "用 --resume 继续：已完成的页面不再抓取，失败的页面重试。",
        "还没有索引：运行 `kb build` 建立索引（包含这些记录），或直接检索，首次使用时会自动建立。"]
    result = kb_crawl(tmp_path, monkeypatch, "ttbz", "--query", "T/ZS 0467—2023",
                      "--base-url", mirror.base_url)
    assert result.exit_code == 0  # a refusal is reported, not a failure
    assert f"被拒绝 {TTBZ_403}：网站拒绝访问（HTTP 403）" in result.stdout


def test_cli_crawl_bad_source_is_a_usage_error(tmp_path, monkeypatch):
    result = kb_crawl(tmp_path, monkeypatch, "nowhere")
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：未知的来源 'nowhere'")
