"""The index directory: generations, the CURRENT pointer, the writer lock and meta.json.

    <index_dir>/
      CURRENT            name of the serving generation (written to a temp file, then renamed)
      writer.lock        flock-held by the one writer; holds its pid for messages
      gen-<stamp>-<pid>/ one complete index of one engine (records + clauses) and meta.json

A writer builds a new generation beside the serving one and switches CURRENT
atomically, so readers never see a half-built index and a killed build leaves the
previous generation serving. The generation before the current one (named in the
current one's meta.json as "previous") is kept so a reader that read CURRENT just
before a switch can still open it; every other generation is removed, only after
the switch, and what a killed writer left is removed by the next one when it takes
the lock.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from kb.errors import IndexMissing, Locked, VersionMismatch
from index.fields import VERSION

POINTER = "CURRENT"
LOCK = "writer.lock"
META = "meta.json"
HASHES = "hashes.json"  # record id → content hash, for `kb index update` only: readers never load it


@dataclass
class Generation:
    path: Path
    meta: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def record_hashes(self) -> dict[str, str]:
        """The content hash of every indexed record (older generations kept them in meta.json)."""
        if "record_hashes" in self.meta:
            return self.meta["record_hashes"]
        try:
            return json.loads((self.path / HASHES).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_GENERATION_NAME = re.compile(r"gen-[A-Za-z0-9T._-]{1,80}")


def current_name(index_dir: Path) -> str | None:
    """The generation CURRENT names; None if there is none, or CURRENT is damaged
    (not UTF-8, not a generation name): a rebuild then starts afresh."""
    try:
        raw = (index_dir / POINTER).read_bytes()
    except FileNotFoundError:
        return None
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    return name if _GENERATION_NAME.fullmatch(name) else None


def file_digests(gen_path: Path) -> dict[str, str]:
    """sha256 of every file of a generation but meta.json: what it was built with."""
    digests = {}
    for path in sorted(gen_path.rglob("*")):
        name = path.relative_to(gen_path).as_posix()
        if path.is_file() and name != META and not path.name.endswith(".tmp") and not engine_lock(path.name):
            digests[name] = _file_digest(path)
    return digests


def engine_lock(name: str) -> bool:
    """A lock file tantivy makes and removes as it opens an index: not part of what was built."""
    return name.startswith(".tantivy-") and name.endswith(".lock")


_digests: dict[tuple, str] = {}  # (device, inode, size, mtime) → sha256: an update's hard links hash once


def _file_digest(path: Path) -> str:
    info = path.stat()
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def damaged_files(generation: Generation) -> list[str]:
    """Files of the generation missing or changed since it was built (a generation
    built before meta.json listed its files has nothing to compare with)."""
    built = generation.meta.get("files")
    if not isinstance(built, dict):
        return []
    now = file_digests(generation.path)
    return sorted([f"{name} missing" for name in built if name not in now]
                  + [f"{name} changed" for name in built if name in now and now[name] != built[name]])


def check_files(generation: Generation) -> None:
    damaged = damaged_files(generation)
    if damaged:
        raise IndexMissing(f"索引版本 {generation.name} 已损坏（{'、'.join(damaged[:5])}）")


def open_generation(index_dir: Path, check_version: bool = True) -> Generation:
    """The serving generation; IndexMissing or VersionMismatch with a hint."""
    name = current_name(index_dir)
    if name is None:
        if (index_dir / POINTER).exists():
            raise IndexMissing(f"{index_dir} 的 {POINTER} 文件已损坏（未指向任何索引版本）")
        raise IndexMissing(f"{index_dir} 中还没有索引")
    path = index_dir / name
    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        raise IndexMissing(f"{index_dir} 中的索引版本 {name} 缺少 {META}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IndexMissing(f"{index_dir} 中的索引版本 {name} 的 {META} 已损坏") from None
    if not isinstance(meta, dict):
        raise IndexMissing(f"{index_dir} 中的索引版本 {name} 的 {META} 已损坏")
    if check_version:
        built = {k: meta.get(k) for k in VERSION}
        if built != VERSION:
            raise VersionMismatch(
                f"{index_dir} 中的索引由 schema/analyzer {built['schema']}/{built['analyzer']} 建立，"
                f"当前 kb 需要 {VERSION['schema']}/{VERSION['analyzer']}")
    return Generation(path, meta)


def new_generation(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = index_dir / f"gen-{stamp}-{time.monotonic_ns() % 10**9:09d}-{os.getpid()}"
    path.mkdir()
    return path


@contextmanager
def building(index_dir: Path):
    """A new generation directory for the lock holder; removed again if the build fails."""
    path = new_generation(index_dir)
    try:
        yield path
    except BaseException:
        if current_name(index_dir) != path.name:
            shutil.rmtree(path, ignore_errors=True)
        raise


def write_meta(gen_path: Path, meta: dict) -> None:
    """meta.json, written last: a generation without it is a build that never finished.
    Record hashes go to hashes.json beside it, so that opening an index for a search
    reads a few hundred bytes of meta, not a hash per record (12 MB at 300,000)."""
    meta = {**meta, **VERSION, "previous": current_name(gen_path.parent)}
    hashes = meta.pop("record_hashes", None)
    if hashes is not None:
        tmp = gen_path / (HASHES + ".tmp")
        tmp.write_text(json.dumps(hashes, ensure_ascii=False), encoding="utf-8")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, gen_path / HASHES)
    meta["files"] = file_digests(gen_path)
    tmp = gen_path / (META + ".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, gen_path / META)


def fsync_tree(path: Path) -> None:
    for root, _dirs, files in os.walk(path):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(Path(root))


def switch_to(index_dir: Path, gen_path: Path) -> list[str]:
    """Point CURRENT at gen_path atomically, then remove the generations no reader needs."""
    previous = current_name(index_dir)
    fsync_tree(gen_path)
    tmp = index_dir / (POINTER + ".tmp")
    tmp.write_text(gen_path.name + "\n", encoding="utf-8")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / POINTER)
    _fsync_dir(index_dir)
    return remove_generations(index_dir, keep={gen_path.name, previous})


def remove_leftovers(index_dir: Path) -> list[str]:
    """Remove what killed or failed writers left: every generation but the current one and
    the one before it. Only the lock holder calls this, so nobody is building one."""
    current = current_name(index_dir)
    previous = None
    if current:
        try:
            previous = json.loads((index_dir / current / META).read_text(encoding="utf-8")).get("previous")
        except (OSError, ValueError):
            pass  # a damaged current generation: keep only it
    return remove_generations(index_dir, keep={current, previous})


def remove_generations(index_dir: Path, keep: set[str | None]) -> list[str]:
    removed = []
    for path in sorted(index_dir.glob("gen-*")):
        if path.name not in keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


class WriterLock:
    """An exclusive flock on <index_dir>/writer.lock.

    The kernel drops a flock when its holder dies, so a lock left by a killed
    process is never stale: the file stays, the lock does not, and the next
    writer takes it. The pid in the file is only for the message. Processes the
    writer forks (Whoosh workers) close their copy of the lock at once and exit
    when the writer is gone (_after_fork_in_child)."""

    def __init__(self, index_dir: Path):
        self.path = index_dir / LOCK
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = self._holder(fd)
                    os.close(fd)
                    raise Locked(f"另一个 kb 进程正在写入 {self.path.parent} 中的索引{holder}",
                                 hint="等它结束，或加 --wait 秒数") from None
                time.sleep(0.05)
        self._fd = fd
        _held_locks[fd] = os.getpid()
        with suppress(OSError):  # the pid is only for messages; a full disk must not keep the lock
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n".encode())

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            text = os.pread(fd, 100, 0).decode().split()
            return f"（pid {text[0]}，开始于 {text[1]}）" if len(text) >= 2 else ""
        except (OSError, UnicodeDecodeError):
            return ""

    def release(self) -> None:
        if self._fd is not None:
            _held_locks.pop(self._fd, None)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


_held_locks: dict[int, int] = {}  # lock fd → pid of the writer holding it


def _after_fork_in_child() -> None:
    """In a process a writer forks (Whoosh workers, procs > 1): drop the inherited lock, and
    exit once the writer is gone, so a killed writer leaves neither a held lock nor orphans."""
    if not _held_locks:
        return
    writers = set(_held_locks.values())
    for fd in _held_locks:
        with suppress(OSError):
            os.close(fd)
    _held_locks.clear()

    def exit_with_writer() -> None:
        while os.getppid() in writers:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=exit_with_writer, name="kb-exit-with-writer", daemon=True).start()


os.register_at_fork(after_in_child=_after_fork_in_child)


@contextmanager
def writer_lock(index_dir: Path, wait: float = 0.0):
    lock = WriterLock(index_dir)
    lock.acquire(wait)
    try:
        remove_leftovers(index_dir)
        yield lock
    finally:
        lock.release()
