"""The fetcher against a hostile server on 127.0.0.1 (issue 18, items 3 and 7): decoded
bytes are capped per Content-Encoding layer while decoding, and one attempt's deadline
covers the headers too."""
from __future__ import annotations

import tracemalloc

import pytest

from crawlers.fetch import FetchPolicy, Fetcher
from hostile_server import HostileServer, drip_headers, gzip_bomb, status
from kb.errors import FetchError

CAP = 1024 * 1024


@pytest.fixture
def server():
    with HostileServer() as running:
        yield running


HOST = "openstd.samr.gov.cn"


def url(path: str) -> str:
    return f"https://{HOST}{path}"


def fetcher(server: HostileServer, **policy) -> Fetcher:
    """The platform's host, fetched from the hostile server as its mirror."""
    values = dict(allowed_hosts=(HOST,), base_url=server.url(""), delay=0, backoff=0, retries=0, timeout=2,
                  max_bytes=CAP)
    values.update(policy)
    return Fetcher(FetchPolicy(**values))


def test_a_double_gzip_bomb_stops_at_the_cap_without_inflating(server):
    server.route("/bomb", gzip_bomb(64 * 2**20, layers=2))  # about 10 KB on the wire
    tracemalloc.start()
    try:
        with fetcher(server) as client, pytest.raises(FetchError) as error:
            client.fetch(url("/bomb"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(error.value) == f"{url('/bomb')}：响应超过 {CAP} 字节"
    assert peak < 8 * CAP  # the 64 MiB inner layer was never built


def test_layers_decode_when_under_the_cap(server):
    server.route("/small", gzip_bomb(1000, layers=2))
    with fetcher(server) as client:
        assert client.fetch(url("/small")).body == bytes(1000)


def test_an_unknown_content_encoding_is_one_clear_error(server):
    server.route("/odd", status(200, {"Content-Encoding": "gzip, rot13"}, b"x"))
    with fetcher(server) as client, pytest.raises(FetchError) as error:
        client.fetch(url("/odd"))
    assert str(error.value) == f"{url('/odd')}：不支持的 Content-Encoding 'rot13'"


def test_a_server_dripping_header_bytes_is_cut_off_at_the_total_deadline(server):
    server.route("/drip", drip_headers(every=0.05, stop_after=20))
    with fetcher(server, timeout=1, total_timeout=0.5) as client, pytest.raises(FetchError) as error:
        client.fetch(url("/drip"))
    assert str(error.value) == f"{url('/drip')}：响应超过 0.5 秒，已尝试 1 次"


@pytest.mark.parametrize("charset", ["rot13", "zlib", "base64", "hex", "x-no-such-charset"])
def test_robots_txt_with_an_unknown_or_binary_charset_is_still_read(server, charset):
    server.route("/robots.txt", status(200, {"Content-Type": f"text/plain; charset={charset}"},
                                       b"User-agent: *\nDisallow: /private\n"))
    server.route("/open", status(200, {"Content-Type": "text/html"}, b"<p>ok</p>"))
    with fetcher(server) as client:
        assert client.fetch(url("/open")).body == b"<p>ok</p>"
        with pytest.raises(FetchError) as error:
            client.fetch(url("/private"))
    assert str(error.value) == f"{url('/private')}：127.0.0.1:{server.port} 的 robots.txt 不允许抓取"


def test_a_redirect_to_another_port_of_an_allowed_host_is_not_followed(server):
    for port in (6379, 8080):
        server.route(f"/to{port}", status(302, {"Location": f"https://{HOST}:{port}/admin"}))
    server.route("/mirror-port", status(302, {"Location": server.url("/open")}))
    server.route("/other-port", status(302, {"Location": "http://127.0.0.1:6379/"}))
    server.route("/open", status(200, {"Content-Type": "text/html"}, b"ok"))
    with fetcher(server) as client:
        for port in (6379, 8080):
            with pytest.raises(FetchError) as error:
                client.fetch(url(f"/to{port}"))
            assert str(error.value) == (f"{url(f'/to{port}')}：重定向到 https://{HOST}:{port}/admin："
                                        f"不允许 {HOST} 的端口 {port}（只允许 80, 443）")
        assert client.fetch(url("/mirror-port")).body == b"ok"  # the mirror on its own port
        with pytest.raises(FetchError) as error:
            client.fetch(url("/other-port"))
        assert str(error.value).startswith(f"{url('/other-port')}：重定向到 http://127.0.0.1:6379/："
                                           "不允许 127.0.0.1 的端口 6379")
