"""Index lifecycle for unattended use (issue 6): kills, concurrent readers and writers,
locks, damaged segments, version mismatch, full disk, JSON events, corrupt corpus lines.

Corpora are real announcement records (../shared/records/announcements) written to tmp
dirs by bench/kill_rebuild.py's make_corpora; bench/kill_rebuild.py and
bench/search_during_rebuild.py run the heavy versions of the first two tests.
"""
from __future__ import annotations

import datetime as dt
import errno
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from index import api, build, store
from index.fields import VERSION
from index.engine import KnowledgeIndex
from kb.corpus import STANDARDS_FILE, load_records, write_records
from kb.records import effective_status
from tests.engine_files import segment_file

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

ROOT = Path(__file__).resolve().parents[1]
SIZE = 150  # records in corpus A; corpus B is A without its last 7
runner = CliRunner()


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


kill_rebuild = _bench("kill_rebuild")
search_during_rebuild = _bench("search_during_rebuild")


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> tuple[Path, Path]:
    return kill_rebuild.make_corpora(tmp_path_factory.mktemp("corpora"), SIZE)


@pytest.fixture
def corpus(corpora, tmp_path) -> Path:
    """A private copy of corpus A that a test may change."""
    path = tmp_path / "corpus"
    shutil.copytree(corpora[0], path)
    return path


@pytest.fixture
def index(corpus, tmp_path) -> Path:
    """An index of `corpus`, built once."""
    path = tmp_path / "index"
    build.rebuild(corpus, path)
    return path


def kb(index: Path, corpus: Path, *args: str):
    return runner.invoke(cli.app, ["--index", str(index), "--corpus", str(corpus), *args])


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]  # every line must parse


def generations(index: Path) -> list[str]:
    return sorted(p.name for p in index.glob("gen-*"))


def records(corpus: Path) -> dict:
    return load_records(corpus / STANDARDS_FILE).records


# -- crashes and concurrent readers -------------------------------------------------

def test_sigkill_at_random_moments_leaves_a_whole_index(corpora, tmp_path):
    """20 random kills spread over the phases, plus one kill at the start of each phase and
    one in the middle of removing the old generation; checks after each in bench/kill_rebuild.py."""
    result = kill_rebuild.run(*corpora, tmp_path / "index", trials=20, seed=6,
                              die_points=kill_rebuild.DIE_POINTS)
    assert result["trials"] == 20 + len(kill_rebuild.DIE_POINTS)
    assert result["failures"] == []
    assert result["orphans"] == 0


def test_sigkill_of_a_rebuild_with_worker_processes_leaves_no_orphans(corpora, tmp_path):
    """--procs 2: Whoosh workers exit with their killed writer (bench/kill_rebuild.py waits 2 s)."""
    result = kill_rebuild.run(*corpora, tmp_path / "index", trials=2, seed=6, actions=("rebuild",),
                              die_points=("add", "commit"), procs=2)
    assert result["failures"] == [] and result["orphans"] == 0


DIE_WITH_A_WORKER = """
import multiprocessing, os, signal, sys, time
from pathlib import Path
from index.store import WriterLock
WriterLock(Path(sys.argv[1])).acquire()
worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
worker.start()
print(worker.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # a zombie is gone too
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_a_killed_writers_worker_neither_keeps_the_lock_nor_outlives_it(tmp_path):
    died = subprocess.run([sys.executable, "-c", DIE_WITH_A_WORKER, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True)
    worker = int(died.stdout)
    lock = store.WriterLock(tmp_path)
    lock.acquire()  # Locked if the worker had kept the writer's lock
    lock.release()
    deadline = time.monotonic() + 10
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(worker)


def test_searches_from_another_process_never_fail_during_rebuilds(corpora, tmp_path):
    number = sorted(records(corpora[1]))[0]
    report = search_during_rebuild.run(*corpora, tmp_path / "index", builds=6, number=number)
    assert report["first_errors"] == [] and report["errors"] == 0
    assert report["searches"] > 0


def test_reader_retries_once_when_its_generation_vanished(index, corpus, monkeypatch):
    """A reader read CURRENT just before two switches removed that generation."""
    gone = store.open_generation(index)
    build.rebuild(corpus, index)
    build.rebuild(corpus, index)
    assert not gone.path.exists()
    real, calls = store.open_generation, []

    def stale_then_real(index_dir, check_version=True):
        calls.append(1)
        return gone if len(calls) == 1 else real(index_dir, check_version)

    monkeypatch.setattr(store, "open_generation", stale_then_real)
    kb_ = api.open_index(index, corpus, auto_build=False)
    assert kb_.generation.name == store.current_name(index) and len(calls) == 2
    kb_.close()


# -- writers ---------------------------------------------------------------------------

HOLD_LOCK = ("import sys; from pathlib import Path; from index.store import WriterLock; "
             "WriterLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); sys.stdin.read()")


def test_second_writer_exits_3_at_once_or_waits_with_wait(index, corpus):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(index)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == "locked\n"
        before = store.current_name(index)
        for command in (["index", "rebuild"], ["index", "update"], ["build"]):
            result = kb(index, corpus, *command)
            assert result.exit_code == 3
            assert result.stderr.startswith(f"错误：另一个 kb 进程正在写入 {index} 中的索引"
                                            f"（pid {holder.pid}，开始于 ")
            assert "提示：等它结束，或加 --wait 秒数" in result.stderr
        locked = kb(index, corpus, "index", "rebuild", "--json")
        assert locked.exit_code == 3
        assert json_lines(locked.stdout)[-1]["event"] == "error"
        assert json_lines(locked.stdout)[-1]["exit_code"] == 3
        assert store.current_name(index) == before
        threading.Timer(0.5, holder.stdin.close).start()  # the holder exits half a second later
        waited = kb(index, corpus, "index", "rebuild", "--wait", "60", "--json")
        assert waited.exit_code == 0, waited.output
        assert holder.wait(timeout=10) == 0
        assert store.current_name(index) == json_lines(waited.stdout)[-1]["generation"] != before
    finally:
        holder.kill()
        holder.wait()


def test_two_rebuilds_at_once_with_wait_both_succeed(index, corpus):
    command = [sys.executable, "-m", "cli", "--index", str(index), "--corpus", str(corpus),
               "index", "rebuild", "--json", "--wait", "120"]
    procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    done = [json_lines(out)[-1] for out, _ in outputs]
    assert [d["event"] for d in done] == ["done", "done"]
    assert store.current_name(index) in {d["generation"] for d in done}
    assert len(generations(index)) == 2  # the current one and the one before it


def test_lock_file_of_a_dead_process_is_no_problem(index, corpus):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    (index / store.LOCK).write_text(f"{pid} 2026-01-01T03:00:00\n")
    result = kb(index, corpus, "index", "rebuild")
    assert result.exit_code == 0, result.output
    assert (index / store.LOCK).read_text().split()[0] == str(os.getpid())  # taken over, not waited for


def test_leftovers_of_killed_writers_are_removed_by_the_next_writer(index, corpus):
    build.rebuild(corpus, index)
    current = store.open_generation(index)
    previous = current.meta["previous"]
    half_built = index / "gen-20260101T000000-000000001-1"  # killed while adding documents
    half_built.mkdir()
    (half_built / "records_x.seg").write_bytes(b"\0" * 100)
    never_switched = index / "gen-20260101T000000-000000002-2"  # killed between meta.json and the switch
    shutil.copytree(current.path, never_switched)
    assert generations(index) == sorted([previous, current.name, half_built.name, never_switched.name])
    with store.writer_lock(index):  # the next writer cleans up as soon as it holds the lock
        assert generations(index) == sorted([previous, current.name])
    report = build.update(corpus, index)  # nothing changed: the current generation keeps serving
    assert report.generation == current.name and generations(index) == sorted([previous, current.name])


def test_old_generations_are_removed_only_after_the_switch(index, corpus, monkeypatch):
    first = store.current_name(index)
    build.rebuild(corpus, index)
    second = store.current_name(index)
    seen = []
    real_switch = store.switch_to

    def switch_and_look(index_dir, gen_path):
        seen.append(generations(index_dir))  # just before CURRENT moves
        return real_switch(index_dir, gen_path)

    monkeypatch.setattr(store, "switch_to", switch_and_look)
    third = build.rebuild(corpus, index).generation
    assert seen == [sorted([first, second, third])]
    assert generations(index) == sorted([second, third])


# -- damage, versions, full disk ---------------------------------------------------------

@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_damaged_segment_is_reported_and_rebuild_recovers(index, corpus, damage, kb_engine):
    segment = segment_file(store.open_generation(index).path, "records", kb_engine)
    if damage == "truncate":
        with open(segment, "r+b") as handle:
            handle.truncate(segment.stat().st_size // 2)
    else:
        segment.unlink()
    verified = kb(index, corpus, "index", "verify", "--json")
    assert verified.exit_code == 4
    report = json_lines(verified.stdout)[0]
    assert report["ok"] is False and report["exit_code"] == 4
    assert report["checks"][0]["name"] == "open" and report["checks"][0]["ok"] is False
    searched = kb(index, corpus, "search", "标准")
    assert searched.exit_code == 4
    assert searched.stderr.startswith(f"错误：无法打开索引版本 {store.current_name(index)}（")
    assert "提示：运行 `kb index rebuild`" in searched.stderr
    updated = kb(index, corpus, "index", "update")  # must not copy a damaged generation
    assert updated.exit_code == 4
    assert updated.stderr.startswith(f"错误：索引版本 {store.current_name(index)} 已损坏（")
    assert kb(index, corpus, "index", "rebuild").exit_code == 0
    assert kb(index, corpus, "index", "verify").exit_code == 0
    assert kb(index, corpus, "search", "标准").exit_code == 0


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_damaged_record_hashes_make_update_refuse_and_rebuild_recover(index, corpus, damage):
    hashes = store.open_generation(index).path / store.HASHES
    if damage == "delete":
        hashes.unlink()
    else:
        hashes.write_text(hashes.read_text(encoding="utf-8")[:100], encoding="utf-8")
    updated = kb(index, corpus, "index", "update")  # would keep deleted records, or re-add every one
    assert updated.exit_code == 4
    assert updated.stderr.startswith(f"错误：索引版本 {hashes.parent.name} ")
    assert "提示：运行 `kb index rebuild`" in updated.stderr
    assert kb(index, corpus, "search", "标准").exit_code == 0  # readers never read the hashes
    assert kb(index, corpus, "index", "rebuild").exit_code == 0
    assert kb(index, corpus, "index", "update").exit_code == 0


def test_version_mismatch_exits_5_with_the_hint_to_rebuild(index, corpus):
    meta_path = store.open_generation(index).path / store.META
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["schema"] = 0
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    needs = f"{VERSION['schema']}/{VERSION['analyzer']}"
    message = (f"错误：{index} 中的索引由 schema/analyzer 0/{VERSION['analyzer']} 建立，"
               f"当前 kb 需要 {needs}\n")
    for command in (["search", "标准"], ["get", sorted(records(corpus))[0]], ["stats"], ["index", "update"]):
        result = kb(index, corpus, *command)
        assert result.exit_code == 5, command
        assert result.stderr == message + "提示：运行 `kb index rebuild`\n"
    verified = kb(index, corpus, "index", "verify")
    assert verified.exit_code == 5 and "运行 `kb index rebuild`" in verified.stdout
    assert kb(index, corpus, "index", "rebuild").exit_code == 0
    assert kb(index, corpus, "search", "标准").exit_code == 0


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["segment", "meta", "fsync"])
def test_full_disk_leaves_the_old_generation_serving(index, corpus, monkeypatch, where, kb_engine):
    from whoosh.filedb.filestore import FileStorage

    from index.tantivy_engine import writer as tantivy_writer

    serving = store.current_name(index)
    on_disk = generations(index)
    if where == "segment" and kb_engine == "whoosh":  # Whoosh cannot create its segment file at the commit
        real_create = FileStorage.create_file
        monkeypatch.setattr(FileStorage, "create_file",
                            lambda self, name, **kw: _enospc() if name.endswith(".seg") else
                            real_create(self, name, **kw))
    elif where == "segment":  # tantivy's commit fails as it does on a full disk (its ValueError)
        def full_disk():
            raise ValueError("An IO error occurred: 'No space left on device (os error 28)'")

        monkeypatch.setattr(tantivy_writer.TantivyWriter, "commit", lambda self: tantivy_writer._written(full_disk))
    else:
        monkeypatch.setattr(store, {"meta": "write_meta", "fsync": "fsync_tree"}[where], _enospc)
    for command in (["index", "rebuild"], ["index", "update"]):
        if command[1] == "update":  # a changed record, so the update writes a segment
            changed = records(corpus)
            next(iter(changed.values())).title += "（修订）"
            write_records(corpus / STANDARDS_FILE, changed.values())
        result = kb(index, corpus, *command)
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr.splitlines()[0] == (
            f"错误：无法写入 {index} 中的索引：No space left on device；仍在使用索引版本 {serving}")
        assert store.current_name(index) == serving and generations(index) == on_disk
    monkeypatch.undo()
    assert kb(index, corpus, "search", "标准").exit_code == 0
    assert kb(index, corpus, "index", "update").exit_code == 0


# -- JSON events, corpus errors, incremental update ------------------------------------------

def test_json_emits_one_event_per_line_and_a_final_summary(index, corpus, kb_engine):
    rebuilt = kb(index, corpus, "index", "rebuild", "--json")
    assert rebuilt.exit_code == 0
    events = json_lines(rebuilt.stdout)
    assert [e["event"] for e in events] == ["start", "progress", "commit", "done"]
    assert events[0] == {"t": events[0]["t"], "event": "start", "action": "rebuild", "total": SIZE,
                         "engine": kb_engine, "generation": events[-1]["generation"]}
    assert events[1] == {"t": events[1]["t"], "event": "progress", "phase": "records", "done": SIZE, "total": SIZE,
                         "eta": 0.0}
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    summary = events[-1]
    assert {k: v for k, v in summary.items() if k not in ("t", "seconds", "generation")} == {
        "event": "done", "action": "rebuild", "engine": kb_engine, "records": SIZE, "clauses": 0, "added": SIZE,
        "updated": 0, "deleted": 0, "unchanged": 0, "corpus_errors": []}
    assert summary["generation"] == store.current_name(index)

    kept = list(records(corpus).values())
    changed = kept[0]
    changed.title += "（修订）"
    write_records(corpus / STANDARDS_FILE, kept[:-2])  # one changed, two deleted
    updated = json_lines(kb(index, corpus, "index", "update", "--json").stdout)
    assert [e["event"] for e in updated] == ["start", "progress", "commit", "done"]
    assert updated[0]["total"] == 3 and updated[1]["done"] == 1
    assert {k: updated[-1][k] for k in ("records", "added", "updated", "deleted", "unchanged")} == {
        "records": SIZE - 2, "added": 0, "updated": 1, "deleted": 2, "unchanged": SIZE - 3}

    unchanged = json_lines(kb(index, corpus, "index", "update", "--json").stdout)
    assert [e["event"] for e in unchanged] == ["start", "done"]
    assert unchanged[0]["total"] == 0 and unchanged[-1]["generation"] == updated[-1]["generation"]


def test_corrupt_corpus_line_is_reported_and_the_other_records_indexed(index, corpus):
    path = corpus / STANDARDS_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = '{"number": "GB/T 1.1-2020", '  # a record cut off mid-line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for command in (["index", "update", "--json"], ["index", "rebuild", "--json"]):
        result = kb(index, corpus, *command)
        assert result.exit_code == 1
        warning, error = result.stderr.splitlines()
        assert warning.startswith(f"警告：已跳过 {path}:5: 无效的 JSON（第 ") and "Expecting property name" in warning
        assert error == f"错误：语料中有 1 行无法读取；其余 {SIZE - 1} 条记录已建入索引"
        summary = json_lines(result.stdout)[-1]
        assert summary["event"] == "done" and summary["records"] == SIZE - 1
        assert summary["corpus_errors"] == [warning.removeprefix("警告：已跳过 ")]
    kb_ = KnowledgeIndex.open(index)
    assert kb_.doc_count() == SIZE - 1
    kb_.close()


def test_missing_corpus_never_replaces_the_index(index, tmp_path):
    serving = store.current_name(index)
    result = kb(index, tmp_path / "no-corpus", "index", "rebuild")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"错误：{tmp_path / 'no-corpus'} 不是语料目录"
                                    f"（缺少 {STANDARDS_FILE}）；索引未改动")
    assert store.current_name(index) == serving


def test_update_on_a_new_day_reindexes_only_records_whose_status_changed(corpus, tmp_path):
    """synthetic dates: three real records made upcoming until 2026-12-01."""
    all_records = records(corpus)
    dated = sorted(all_records)[:3]
    for rid in dated:
        all_records[rid].status, all_records[rid].implementation_date = "upcoming", "2026-12-01"
    write_records(corpus / STANDARDS_FILE, all_records.values())
    index = tmp_path / "dated-index"
    build.rebuild(corpus, index, today=dt.date(2026, 11, 30))
    same_day = build.update(corpus, index, today=dt.date(2026, 11, 30))
    assert same_day.updated == 0
    next_day = build.update(corpus, index, today=dt.date(2026, 12, 1))
    assert (next_day.updated, next_day.unchanged) == (3, SIZE - 3)
    assert all(effective_status(all_records[rid], dt.date(2026, 12, 1)) == "current" for rid in dated)
    kb_ = KnowledgeIndex.open(index)
    assert sorted(h.id for h in kb_.search(dated[0], status="current").hits) == [dated[0]]
    assert kb_.search(dated[0], status="upcoming").hits == []
    kb_.close()


def test_first_use_builds_once_when_another_first_use_won_the_lock(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "corpus" / STANDARDS_FILE, corpus / STANDARDS_FILE)
    index_dir = tmp_path / "index"
    first = build.rebuild(corpus, index_dir)
    again = build.rebuild(corpus, index_dir, if_missing=True)
    assert again.generation == first.generation and again.records == 0
    assert store.current_name(index_dir) == first.generation
