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


def fetcher(**policy) -> Fetcher:
    values = dict(allowed_hosts=("127.0.0.1",), delay=0, backoff=0, retries=0, timeout=2, max_bytes=CAP)
    values.update(policy)
    return Fetcher(FetchPolicy(**values))


def test_a_double_gzip_bomb_stops_at_the_cap_without_inflating(server):
    server.route("/bomb", gzip_bomb(64 * 2**20, layers=2))  # about 10 KB on the wire
    tracemalloc.start()
    try:
        with fetcher() as client, pytest.raises(FetchError) as error:
            client.fetch(server.url("/bomb"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(error.value) == f"{server.url('/bomb')}: response over {CAP} bytes"
    assert peak < 8 * CAP  # the 64 MiB inner layer was never built


def test_layers_decode_when_under_the_cap(server):
    server.route("/small", gzip_bomb(1000, layers=2))
    with fetcher() as client:
        assert client.fetch(server.url("/small")).body == bytes(1000)


def test_an_unknown_content_encoding_is_one_clear_error(server):
    server.route("/odd", status(200, {"Content-Encoding": "gzip, rot13"}, b"x"))
    with fetcher() as client, pytest.raises(FetchError) as error:
        client.fetch(server.url("/odd"))
    assert str(error.value) == f"{server.url('/odd')}: unsupported Content-Encoding 'rot13'"


def test_a_server_dripping_header_bytes_is_cut_off_at_the_total_deadline(server):
    server.route("/drip", drip_headers(every=0.05, stop_after=20))
    with fetcher(timeout=1, total_timeout=0.5) as client, pytest.raises(FetchError) as error:
        client.fetch(server.url("/drip"))
    assert str(error.value) == f"{server.url('/drip')}: response took over 0.5 s, after 1 attempts"
