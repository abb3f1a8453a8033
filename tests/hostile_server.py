"""A hostile HTTP server on 127.0.0.1: raw socket answers that no polite server sends.
Used by tests/test_hostile_fetch.py and bench/hostile.py.

    with HostileServer() as server:
        server.route("/bomb", gzip_bomb(100 * 2**20, layers=2))
        server.route("/drip", drip_headers(every=0.05, stop_after=30))
        fetch(server.url("/bomb"))

A route is a function(socket) that writes whatever it likes; unknown paths get a 404,
/robots.txt too unless routed.
"""
from __future__ import annotations

import functools
import gzip
import socket
import threading
import time
from typing import Callable

Answer = Callable[[socket.socket], None]


class HostileServer:
    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.routes: dict[str, Answer] = {}
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, answer: Answer) -> None:
        self.routes[path] = answer

    def __enter__(self) -> "HostileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.listener.close()

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    data = conn.recv(4096)
                    if not data:
                        return
                    head += data
                path = head.split(b" ", 2)[1].decode("latin-1")
                self.requests.append(path)
                answer = self.routes.get(path) or self.routes.get(path.split("?")[0])
                (answer or status(404))(conn)
            except OSError:
                pass


def _send(conn: socket.socket, code: int, headers: dict[str, str], body: bytes) -> None:
    lines = [f"HTTP/1.1 {code} X"] + [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    conn.sendall(("\r\n".join(lines) + "\r\nConnection: close\r\n\r\n").encode("latin-1") + body)


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Answer:
    return lambda conn: _send(conn, code, headers or {}, body)


@functools.lru_cache(maxsize=4)
def bomb_body(size: int, layers: int) -> bytes:
    """`size` zero bytes gzipped `layers` times (100 MiB twice is about 1 KB)."""
    body = bytes(size)
    for _ in range(layers):
        body = gzip.compress(body, compresslevel=9)
    return body


def gzip_bomb(size: int, layers: int = 2) -> Answer:
    body = bomb_body(size, layers)
    encoding = ", ".join(["gzip"] * layers)
    return status(200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": encoding}, body)


def drip_headers(every: float = 0.05, stop_after: float = 30.0) -> Answer:
    """A status line, then one header byte every `every` seconds for `stop_after` seconds."""
    def answer(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        ends = time.monotonic() + stop_after
        while time.monotonic() < ends:
            conn.sendall(b"a")
            time.sleep(every)
        conn.sendall(b"\r\nContent-Length: 2\r\n\r\nok")
    return answer
