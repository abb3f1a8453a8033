"""crawlers/fetch.py against a local mirror of the real saved pages, with injected faults.

Waits are recorded by a fake sleep (no test waits for real except the two timeouts)."""
from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from conftest import PAGES
from crawlers.fetch import (USER_AGENT, FetchPolicy, Fetcher, Refused, Request, ResponseCache,
                            Response, cache_key, decode, detect_encoding)
from kb.errors import FetchError
from mirror import Big, Gbk, Mirror, Page, Redirect, Slow, Status, Truncate

DECODED = PAGES / "relaton-gb" / "decoded"
OPENSTD = "openstd.samr.gov.cn"
LIST_URL = "https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2=GB/T%201.1"
DETAIL_URL = "https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=C4BFD981E993C417EF475F2A19B681F1"
DETAIL_FILE = DECODED / "gb_t_1_1__09.html"
ANNOUNCEMENT = PAGES / "announcements" / "001_gb_2026_31.html"


@pytest.fixture
def mirror():
    with Mirror() as server:
        yield server


class FakeTime:
    """clock() and sleep() that only move when slept: waits are recorded, not waited."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def fetcher_for(mirror: Mirror, fake: FakeTime | None = None, **policy) -> Fetcher:
    values = dict(allowed_hosts=(OPENSTD,), base_url=mirror.base_url, delay=0, backoff=0,
                  retries=2, timeout=2)
    values.update(policy)
    fake = fake or FakeTime()
    return Fetcher(FetchPolicy(**values), sleep=fake.sleep, clock=fake.clock)


# -- encodings ------------------------------------------------------------------------

def test_decode_utf8_page_as_declared():
    body = ANNOUNCEMENT.read_bytes()
    assert detect_encoding(body, {"Content-Type": "text/html;charset=UTF-8"}) == "utf-8"
    assert decode(body, {}) == body.decode("utf-8")


def test_decode_gbk_page_announced_only_by_the_header():
    text = ANNOUNCEMENT.read_text(encoding="utf-8")
    body = text.encode("gbk")  # its <meta charset="utf-8"> now lies
    assert detect_encoding(body, {"content-type": "text/html; charset=GBK"}) == "gb18030"
    assert decode(body, {"content-type": "text/html; charset=GBK"}) == text


def test_decode_gbk_page_announced_by_meta_charset():
    text = ANNOUNCEMENT.read_text(encoding="utf-8").replace('<meta charset="utf-8">',
                                                             '<meta charset="gb2312">')
    assert decode(text.encode("gbk"), {}) == text


def test_decode_undeclared_gbk_falls_back_to_gb18030():
    text = ANNOUNCEMENT.read_text(encoding="utf-8").replace('<meta charset="utf-8">', "")
    assert detect_encoding(text.encode("gbk"), {}) == "gb18030"
    assert decode(text.encode("gbk"), {}) == text


def test_decode_skips_a_wrong_or_unknown_label():
    text = "全国标准信息公共服务平台"
    assert decode(text.encode("gbk"), {"Content-Type": "text/html; charset=utf-8"}) == text
    assert decode(text.encode("utf-8"), {"Content-Type": "text/html; charset=x-unknown"}) == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8"), {}) == text


# -- the response cache ---------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://openstd.samr.gov.cn/../../../../etc/passwd",
    "/etc/passwd",
    "file:///etc/passwd",
    "https://openstd.samr.gov.cn/" + "a/" * 5000 + "?q=" + "标" * 3000,
    "https://openstd.samr.gov.cn/%2e%2e/%2e%2e/x\x00y",
])
def test_cache_files_are_hex_digests_inside_the_cache(tmp_path, url):
    cache = ResponseCache(tmp_path / "cache")
    request = Request(url)
    response = Response(request=request, url=url, status=200,
                        headers={"content-type": "text/html"}, body=b"<html>x</html>",
                        fetched_at="2026-01-01T00:00:00+00:00")
    cache.put(response)
    files = sorted(p for p in (tmp_path / "cache").rglob("*") if p.is_file())
    key = cache_key(request)
    assert [p.relative_to(tmp_path / "cache").as_posix() for p in files] == [
        f"{key[:2]}/{key}.body", f"{key[:2]}/{key}.json"]
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]
    hit = cache.get(request)
    assert (hit.url, hit.status, hit.headers, hit.body, hit.from_cache) == (
        url, 200, {"content-type": "text/html"}, b"<html>x</html>", True)


def test_cache_key_covers_method_and_body(tmp_path):
    keys = {cache_key(Request("https://hbba.sacinfo.org.cn/stdQueryList", "POST", "key=A")),
            cache_key(Request("https://hbba.sacinfo.org.cn/stdQueryList", "POST", "key=B")),
            cache_key(Request("https://hbba.sacinfo.org.cn/stdQueryList"))}
    assert len(keys) == 3


def test_a_damaged_cache_entry_is_a_miss(tmp_path):
    cache = ResponseCache(tmp_path)
    request = Request(DETAIL_URL)
    cache.put(Response(request, DETAIL_URL, 200, {}, b"whole body", "2026-01-01T00:00:00+00:00"))
    key = cache_key(request)
    (tmp_path / key[:2] / f"{key}.body").write_bytes(b"whole")
    assert cache.get(request) is None


# -- fetching real pages ----------------------------------------------------------------

def test_fetch_a_saved_page_through_the_mirror(mirror):
    with fetcher_for(mirror) as fetcher:
        response = fetcher.fetch(DETAIL_URL)
    assert response.status == 200
    assert response.body == DETAIL_FILE.read_bytes()
    assert response.url == DETAIL_URL  # the platform's URL, not the mirror's
    assert response.headers["content-type"] == "text/html;charset=utf-8"
    assert mirror.agents == {USER_AGENT}
    assert USER_AGENT.startswith("stdkb/0.1 (+https://") and "standards knowledge base" in USER_AGENT


def test_recorded_redirect_is_followed_to_the_std_path(mirror):
    # INDEX.json: /bzgk/gb/std_list answered 301 → /bzgk/std/std_list (Location from the cassette)
    with fetcher_for(mirror) as fetcher:
        response = fetcher.fetch("https://openstd.samr.gov.cn/bzgk/gb/std_list?p.p2=GB/T%201.1")
    assert response.url == "https://openstd.samr.gov.cn/bzgk/std/std_list?p.p2=GB%2FT+1.1"
    assert response.body == (DECODED / "gb_t_1_1__01.html").read_bytes()


def test_post_form_is_sent_and_answered(mirror):
    policy = dict(allowed_hosts=("hbba.sacinfo.org.cn",))
    with fetcher_for(mirror, **policy) as fetcher:
        response = fetcher.fetch(Request("https://hbba.sacinfo.org.cn/stdQueryList", "POST",
                                         "current=1&size=50&key=JB%2FT+13368-2018"))
    assert json.loads(response.body)["records"][0]["code"] == "JB/T 13368-2018"
    assert mirror.requests[-1] == ("POST", "/stdQueryList", "current=1&size=50&key=JB%2FT+13368-2018")


# -- retries ---------------------------------------------------------------------------

def test_500s_then_success_with_exponential_backoff(mirror):
    mirror.fault(DETAIL_URL, Status(500), Status(502))
    fake = FakeTime()
    with fetcher_for(mirror, fake, backoff=1.5, retries=3) as fetcher:
        response = fetcher.fetch(DETAIL_URL)
    assert response.body == DETAIL_FILE.read_bytes()
    assert mirror.count(DETAIL_URL) == 3
    assert fake.sleeps == [1.5, 3.0]


def test_persistent_503_fails_after_the_retries(mirror):
    mirror.always(DETAIL_URL, Status(503))
    with fetcher_for(mirror, retries=3) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(DETAIL_URL)
    assert str(error.value) == f"{DETAIL_URL}：HTTP 503，已尝试 4 次"
    assert mirror.count(DETAIL_URL) == 4


def test_429_retry_after_is_honoured(mirror):
    mirror.fault(DETAIL_URL, Status(429, {"Retry-After": "7"}))
    fake = FakeTime()
    with fetcher_for(mirror, fake, backoff=1) as fetcher:
        assert fetcher.fetch(DETAIL_URL).status == 200
    assert fake.sleeps == [7.0]


def test_429_retry_after_beyond_max_wait_fails_at_once(mirror):
    mirror.always(DETAIL_URL, Status(429, {"Retry-After": "3600"}))
    with fetcher_for(mirror, max_wait=60) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(DETAIL_URL)
    assert str(error.value) == f"{DETAIL_URL}：HTTP 429，Retry-After 3600 秒超过 60 秒"
    assert mirror.count(DETAIL_URL) == 1


def test_timeout_then_success(mirror):
    mirror.fault(DETAIL_URL, Slow(1.0))
    with fetcher_for(mirror, timeout=0.3) as fetcher:
        assert fetcher.fetch(DETAIL_URL).body == DETAIL_FILE.read_bytes()
    assert mirror.count(DETAIL_URL) == 2


def test_timeouts_become_a_fetch_error(mirror):
    mirror.always(DETAIL_URL, Slow(1.0))
    with fetcher_for(mirror, timeout=0.2, retries=1) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(DETAIL_URL)
    assert str(error.value) == f"{DETAIL_URL}：超时，已尝试 2 次"


def test_truncated_body_is_retried(mirror):
    mirror.fault(DETAIL_URL, Truncate(100))
    with fetcher_for(mirror) as fetcher:
        assert fetcher.fetch(DETAIL_URL).body == DETAIL_FILE.read_bytes()
    assert mirror.count(DETAIL_URL) == 2


def test_always_truncated_body_fails(mirror):
    mirror.always(DETAIL_URL, Truncate(100))
    size = DETAIL_FILE.stat().st_size
    with fetcher_for(mirror, retries=1) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(DETAIL_URL)
    assert str(error.value) == (
        f"{DETAIL_URL}：连接中断：peer closed connection without sending complete "
        f"message body (received 100 bytes, expected {size})，已尝试 2 次")


def test_connection_refused_is_a_fetch_error(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = FetchPolicy(allowed_hosts=(OPENSTD,), base_url=f"http://127.0.0.1:{port}", delay=0,
                         backoff=0, retries=1, timeout=1)
    with Fetcher(policy) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(DETAIL_URL)
    assert str(error.value).startswith(f"{DETAIL_URL}：无法获取 robots.txt：连接失败：")


# -- refusals, redirects, size ------------------------------------------------------------

def test_ttbz_403_page_is_refused_not_retried(mirror):
    url = "http://www.ttbz.org.cn/Home/Standard?key=T/ZS%200467%E2%80%942023&searchType=2"
    with fetcher_for(mirror, allowed_hosts=("www.ttbz.org.cn",)) as fetcher, \
            pytest.raises(Refused) as error:
        fetcher.fetch(url)
    assert str(error.value) == f"{url}：网站拒绝访问（HTTP 403）"
    assert isinstance(error.value, FetchError)
    assert mirror.count(url) == 1


def test_404_is_a_fetch_error(mirror):
    url = "https://openstd.samr.gov.cn/bzgk/std/newGbInfo?hcno=NOPE"
    with fetcher_for(mirror) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(url)
    assert str(error.value) == f"{url}：HTTP 404"


def test_redirect_loop(mirror):
    a = "https://openstd.samr.gov.cn/loop/a"
    b = "https://openstd.samr.gov.cn/loop/b"
    mirror.always(a, Redirect(b))
    mirror.always(b, Redirect("/loop/a"))
    with fetcher_for(mirror) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(a)
    assert str(error.value) == f"{a}：重定向循环，在 {mirror.base_url}/loop/a"
    assert (mirror.count(a), mirror.count(b)) == (1, 1)


def test_too_many_redirects(mirror):
    for i in range(4):
        mirror.always(f"https://openstd.samr.gov.cn/hop/{i}", Redirect(f"/hop/{i + 1}", 301))
    with fetcher_for(mirror, max_redirects=2) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch("https://openstd.samr.gov.cn/hop/0")
    assert str(error.value) == "https://openstd.samr.gov.cn/hop/0：重定向超过 2 次"


def test_redirect_to_a_foreign_host_is_not_followed(mirror):
    mirror.always(DETAIL_URL, Redirect("http://example.org/landing"))
    with fetcher_for(mirror) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(DETAIL_URL)
    assert str(error.value) == (f"{DETAIL_URL}：重定向到 http://example.org/landing：主机 "
                                f"example.org 不在允许的主机之列（openstd.samr.gov.cn）")
    assert mirror.counts() == {"/bzgk/std/newGbInfo?hcno=C4BFD981E993C417EF475F2A19B681F1": 1}


def test_a_host_outside_the_allowlist_is_never_contacted(mirror):
    with fetcher_for(mirror) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch("https://evil.example.com/bzgk/std/std_list")
    assert str(error.value) == ("https://evil.example.com/bzgk/std/std_list：主机 evil.example.com "
                                "不在允许的主机之列（openstd.samr.gov.cn）")
    with fetcher_for(mirror) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch("ftp://openstd.samr.gov.cn/x")
    assert str(error.value) == "ftp://openstd.samr.gov.cn/x：不是 http(s) URL：ftp://openstd.samr.gov.cn/x"
    assert mirror.requests == []


@pytest.mark.parametrize("declare_length, message", [
    (True, "响应超过 1048576 字节（Content-Length 3145728）"),
    (False, "响应超过 1048576 字节"),
])
def test_body_over_the_size_cap_is_aborted(mirror, declare_length, message):
    mirror.always(DETAIL_URL, Big(3 * 1024 * 1024, declare_length))
    with fetcher_for(mirror, max_bytes=1024 * 1024) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(DETAIL_URL)
    assert str(error.value) == f"{DETAIL_URL}：{message}"
    assert mirror.count(DETAIL_URL) == 1  # not retried


# -- robots.txt, rate limit, cache -------------------------------------------------------------

def test_robots_txt_is_obeyed_and_read_once_per_host(mirror):
    mirror.robots = Page(200, b"User-agent: *\nDisallow: /bzgk/std/newGbInfo\n")
    with fetcher_for(mirror) as fetcher:
        assert fetcher.fetch(LIST_URL).status == 200
        with pytest.raises(Refused) as error:
            fetcher.fetch(DETAIL_URL)
        assert fetcher.fetch(LIST_URL).status == 200
    assert str(error.value) == f"{DETAIL_URL}：{mirror.base_url[7:]} 的 robots.txt 不允许抓取"
    assert mirror.count("/robots.txt") == 1
    assert mirror.count(DETAIL_URL) == 0


def test_missing_robots_txt_allows_everything(mirror):
    with fetcher_for(mirror) as fetcher:
        assert fetcher.fetch(DETAIL_URL).status == 200
    assert [target for _, target, _ in mirror.requests] == [
        "/robots.txt", "/bzgk/std/newGbInfo?hcno=C4BFD981E993C417EF475F2A19B681F1"]


def test_robots_txt_server_error_keeps_us_out(mirror):
    mirror.robots = Page(503, b"busy")
    with fetcher_for(mirror, retries=0) as fetcher, pytest.raises(FetchError) as error:
        fetcher.fetch(DETAIL_URL)
    assert str(error.value) == f"{DETAIL_URL}：无法获取 robots.txt：HTTP 503，已尝试 1 次"
    assert mirror.count(DETAIL_URL) == 0


def test_rate_limit_per_host(mirror):
    fake = FakeTime()
    with fetcher_for(mirror, fake, delay=2.0, respect_robots=False) as fetcher:
        for _ in range(3):
            fetcher.fetch(DETAIL_URL)
    assert fake.sleeps == [2.0, 2.0]


def test_robots_crawl_delay_slows_us_down(mirror):
    mirror.robots = Page(200, b"User-agent: *\nCrawl-delay: 5\n")
    fake = FakeTime()
    with fetcher_for(mirror, fake, delay=1.0) as fetcher:
        fetcher.fetch(DETAIL_URL)
        fetcher.fetch(LIST_URL)
    assert fake.sleeps == [5.0, 5.0]  # robots.txt, then each page 5 s after the one before


def test_cached_response_is_not_fetched_again(mirror, tmp_path):
    with fetcher_for(mirror, cache_dir=tmp_path) as fetcher:
        first = fetcher.fetch("https://openstd.samr.gov.cn/bzgk/gb/std_list?p.p2=GB/T%201.1")
        second = fetcher.fetch("https://openstd.samr.gov.cn/bzgk/gb/std_list?p.p2=GB/T%201.1")
    assert (first.from_cache, second.from_cache) == (False, True)
    assert (second.url, second.status, second.body) == (first.url, 200, first.body)
    assert second.fetched_at == first.fetched_at
    assert mirror.count("/bzgk/gb/std_list?p.p2=GB/T%201.1") == 1


def test_cache_max_age(mirror, tmp_path):
    with fetcher_for(mirror, cache_dir=tmp_path, cache_max_age=0) as fetcher:
        fetcher.fetch(DETAIL_URL)
        assert fetcher.fetch(DETAIL_URL).from_cache is False
    assert mirror.count(DETAIL_URL) == 2


def test_failures_are_not_cached(mirror, tmp_path):
    mirror.fault(DETAIL_URL, Status(404))
    with fetcher_for(mirror, cache_dir=tmp_path) as fetcher:
        with pytest.raises(FetchError):
            fetcher.fetch(DETAIL_URL)
        assert fetcher.fetch(DETAIL_URL).status == 200
    assert len(list(Path(tmp_path).rglob("*.body"))) == 1


def test_gbk_response_keeps_its_bytes_and_decodes(mirror):
    mirror.always(DETAIL_URL, Gbk())
    with fetcher_for(mirror) as fetcher:
        response = fetcher.fetch(DETAIL_URL)
    assert response.headers["content-type"] == "text/html; charset=GBK"
    assert response.text == DETAIL_FILE.read_bytes().decode("utf-8")


def test_policy_needs_an_allowlist():
    with pytest.raises(ValueError):
        Fetcher(FetchPolicy(allowed_hosts=()))
