"""Corpus writers serialize, and the change log is atomic with the corpus (issue 18, items 1-2).

A second writer is started while the first holds what it read of the corpus; it must wait
for the lock and then re-read, so nothing of either is lost. Kills are real (os._exit in a
child process at the chosen moment)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from conftest import ROOT
from crawlers import importer
from crawlers.importer import import_files
from kb import corpus as corpus_module
from kb.changes import CHANGES_FILE, read_changes, record_changes
from kb.corpus import STANDARDS_FILE, load_records
from kb.texts.ingest import ingest
from kb.texts.model import TEXTS_FILE, load_documents

ingest_module = sys.modules["kb.texts.ingest"]
JOURNAL_FILE = ".changes.journal"
sys.path.insert(0, str(ROOT / "bench"))
import concurrent_writers  # noqa: E402
from concurrent_writers import synthetic_list, synthetic_texts  # noqa: E402
from mirror import Mirror  # noqa: E402


def _second_writer_during_first(monkeypatch, module, name, second):
    """Run `second` in a thread while the first writer is between reading and writing;
    give it two seconds (it finishes in far less unless it waits for the lock)."""
    real = getattr(module, name)
    fired = []

    def hooked(*args, **kwargs):
        if not fired:
            fired.append(True)
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(2.0)
            fired.append(thread)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, hooked)
    return fired


def test_two_imports_at_once_keep_both_sides(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    a = synthetic_list(tmp_path / "synthetic_a.csv", "11", 300)
    b = synthetic_list(tmp_path / "synthetic_b.csv", "12", 300)
    fired = _second_writer_during_first(monkeypatch, importer, "merge", lambda: import_files(
        [tmp_path / "synthetic_b.csv"], corpus, record_changes=record_changes))
    import_files([tmp_path / "synthetic_a.csv"], corpus, record_changes=record_changes)
    fired[-1].join()
    assert set(load_records(corpus / STANDARDS_FILE).records) == a | b
    assert sorted(c["number"] for c in read_changes(corpus).changes) == sorted(a | b)


def test_two_ingests_at_once_keep_both_sides(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    a, b = synthetic_texts(tmp_path / "a", "甲", 3), synthetic_texts(tmp_path / "b", "乙", 3)
    fired = _second_writer_during_first(monkeypatch, ingest_module, "merge_documents",
                                        lambda: ingest([tmp_path / "b"], kind="policy", corpus=corpus))
    ingest([tmp_path / "a"], kind="policy", corpus=corpus)
    fired[-1].join()
    assert set(load_documents(corpus / TEXTS_FILE).documents) == a | b


def test_a_crawl_beside_an_import_keeps_the_crawled_records(tmp_path, monkeypatch):
    from crawlers.crawl import crawl
    from crawlers.fetch import FetchPolicy

    corpus = tmp_path / "corpus"
    listed = synthetic_list(tmp_path / "synthetic_a.csv", "13", 300)
    with Mirror() as mirror:
        fired = _second_writer_during_first(monkeypatch, importer, "merge", lambda: crawl(
            "openstd", "GB/T 1.1", base_url=mirror.base_url, corpus_dir=corpus, home=tmp_path / "home",
            policy=FetchPolicy(allowed_hosts=(), delay=0, backoff=0, retries=0, timeout=5)))
        import_files([tmp_path / "synthetic_a.csv"], corpus)
        fired[-1].join()
    assert set(load_records(corpus / STANDARDS_FILE).records) == listed | concurrent_writers.GB_T_1_1


def test_real_processes_race_without_loss(tmp_path):
    """One trial of each race of bench/concurrent_writers.py (the bench runs 20)."""
    results = concurrent_writers.run(1, tmp_path)
    assert [(r["case"], r["problems"]) for r in results] == [
        ("two imports", []), ("two ingests", []), ("crawl beside import", [])]


# -- the change log is atomic with the corpus ----------------------------------------------

KILL_AFTER_RENAME = """
import os, sys
from pathlib import Path
from kb import corpus
from crawlers.importer import import_files
from kb.changes import record_changes
real = os.replace
def replace_then_die(src, dst):
    real(src, dst)
    if str(dst).endswith("standards.jsonl"):
        os._exit(9)  # as SIGKILL: no cleanup, no flush
corpus.os.replace = replace_then_die
import_files([Path(sys.argv[1])], Path(sys.argv[2]), record_changes=record_changes)
"""


def test_a_kill_just_after_the_corpus_write_keeps_every_change_entry(tmp_path):
    corpus = tmp_path / "corpus"
    numbers = synthetic_list(tmp_path / "synthetic_a.csv", "11", 500)
    done = subprocess.run([sys.executable, "-c", KILL_AFTER_RENAME, str(tmp_path / "synthetic_a.csv"),
                           str(corpus)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 9
    assert set(load_records(corpus / STANDARDS_FILE).records) == numbers  # the write was committed
    assert sorted(c["number"] for c in read_changes(corpus).changes) == sorted(numbers)
    assert not (corpus / JOURNAL_FILE).exists()
    again = import_files([tmp_path / "synthetic_a.csv"], corpus, record_changes=record_changes)
    assert (len(again.unchanged), again.changes) == (500, [])
    assert len(read_changes(corpus).changes) == 500  # logged once, not twice


def test_a_journal_whose_corpus_write_never_happened_is_dropped(tmp_path):
    corpus = tmp_path / "corpus"
    import_files([synthetic_list(tmp_path / "synthetic_a.csv", "11", 5) and tmp_path / "synthetic_a.csv"],
                 corpus, record_changes=record_changes)
    (corpus / JOURNAL_FILE).write_text(json.dumps({"standards": STANDARDS_FILE, "sha256": "0" * 64,
                                                   "changes_size": 0, "entries": [{"number": "X"}]}) + "\n")
    assert len(read_changes(corpus).changes) == 5
    assert not (corpus / JOURNAL_FILE).exists()


def test_a_torn_last_change_line_is_cut_before_the_next_append(tmp_path):
    corpus = tmp_path / "corpus"
    synthetic_list(tmp_path / "synthetic_a.csv", "11", 3)
    synthetic_list(tmp_path / "synthetic_b.csv", "12", 2)
    import_files([tmp_path / "synthetic_a.csv"], corpus, record_changes=record_changes)
    log = corpus / CHANGES_FILE
    whole = log.read_bytes()
    log.write_bytes(whole + b'{"date": "2026-12-01", "change": "ne')  # a write error tore it
    import_files([tmp_path / "synthetic_b.csv"], corpus, record_changes=record_changes)
    read = read_changes(corpus)
    assert (len(read.changes), read.errors) == (5, [])


def test_a_torn_tail_is_repaired_when_the_log_is_read(tmp_path):
    corpus = tmp_path / "corpus"
    synthetic_list(tmp_path / "synthetic_a.csv", "11", 3)
    import_files([tmp_path / "synthetic_a.csv"], corpus, record_changes=record_changes)
    log = corpus / CHANGES_FILE
    log.write_bytes(log.read_bytes() + b'{"torn')
    assert (len(read_changes(corpus).changes), read_changes(corpus).errors) == (3, [])
    assert log.read_bytes().endswith(b"}\n")


def test_temp_files_of_killed_writers_are_removed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    left = [corpus / ".standards.jsonl.k1ll3d.tmp", corpus / ".texts.jsonl.x.tmp"]
    for path in left:
        path.write_text("half a corpus")
    import_files([synthetic_list(tmp_path / "synthetic_a.csv", "11", 2) and tmp_path / "synthetic_a.csv"],
                 corpus)
    assert [p.exists() for p in left] == [False, False]


def test_a_writer_waiting_too_long_is_told_the_corpus_is_locked(tmp_path):
    from kb.errors import Locked

    corpus = tmp_path / "corpus"
    holder = threading.Event()
    release = threading.Event()

    def hold():
        with corpus_module.corpus_write(corpus):
            holder.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    holder.wait(10)
    try:
        with pytest.raises(Locked) as error, corpus_module.corpus_write(corpus, wait=0.1):
            pass
        assert str(error.value) == f"另一个进程正在写入 {corpus / STANDARDS_FILE}"
    finally:
        release.set()
        thread.join()
