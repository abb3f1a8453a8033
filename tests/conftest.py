"""Shared test fixtures: the ../shared path, and no network except loopback."""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
ANNOUNCEMENTS = SHARED / "records" / "announcements"
PAGES = SHARED / "pages"



def kb_command() -> list[str]:
    """The `kb` of this venv, as a command line for subprocesses."""
    script = Path(sys.executable).with_name("kb")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from cli import main; main()"]


_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")):
        return _real_connect(self, address)
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address)
    raise OSError(f"tests may not open network connections (tried {address!r})")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(autouse=True, scope="session")
def _shared_vector_cache(tmp_path_factory):
    """Sentence vectors of the shipped texts are computed once per test session, not once per
    index build (index.clause_rows.vector_cache)."""
    os.environ.setdefault("KB_VECTOR_CACHE", str(tmp_path_factory.mktemp("vectors")))


ENGINES = ("whoosh", "tantivy")


def pytest_configure(config):
    config.addinivalue_line("markers", "both_engines: run the module once per index engine (KB_ENGINE)")


def pytest_generate_tests(metafunc):
    """Modules marked both_engines run once per engine: every index they build (in-process or
    by a `kb` subprocess) is built by that engine, through $KB_ENGINE."""
    if "kb_engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_engines"):
        metafunc.parametrize("kb_engine", ENGINES, indirect=True, scope="module")


@pytest.fixture(scope="module", autouse=True)
def kb_engine(request):
    """The engine this module's indexes are built with (Whoosh unless parametrized). A
    module-scoped fixture that builds an index takes it as an argument, so it is built again
    for each engine instead of being reused from the other engine's run."""
    engine = getattr(request, "param", "whoosh")
    patch = pytest.MonkeyPatch()
    patch.setenv("KB_ENGINE", engine)
    yield engine
    patch.undo()
