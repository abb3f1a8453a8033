"""kb sync against synthetic platforms (tests/synthetic_platforms.py: real page shapes, generated
records, the fault mix, a second day): first sync, incremental second day, kill and resume."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT
from crawlers.fetch import FetchPolicy
from crawlers.sync import resolve_sources, sync
from kb.changes import list_changes, record_changes
from kb.corpus import STANDARDS_FILE, load_records
from kb.errors import BadInput
from mirror import Hang
from synthetic_platforms import PLATFORMS, SyntheticPlatforms

POLICY = FetchPolicy(allowed_hosts=(), delay=0, backoff=0, retries=2, timeout=1.0, max_bytes=2**20)


def corpus(path) -> dict:
    loaded = load_records(path / STANDARDS_FILE)
    assert loaded.errors == []
    return loaded.records


@pytest.fixture
def empty_corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / STANDARDS_FILE).write_text("", encoding="utf-8")
    return folder


def run_sync(mirror, folder, home, **options):
    return sync(corpus_dir=folder, home=home, base_url=mirror.base_url, policy=POLICY,
                record_changes=record_changes, **options)


def _by_platform(targets) -> Counter:
    return Counter(target.split("/")[1] for target in targets)


def test_first_sync_then_the_second_days_changes(empty_corpus, tmp_path):
    with SyntheticPlatforms(records=60) as mirror:
        listed = {r.number for p in mirror.platforms.values() for r in p.records}
        first = run_sync(mirror, empty_corpus, tmp_path / "home").summary()
        records = corpus(empty_corpus)
        # nothing lost: every listed record is in the corpus, those whose detail failed too
        assert set(records) == listed and len(listed) == 300
        faults = mirror.faulty_numbers()
        failed = sorted(reason.split("（")[0].split("，在 ")[0] for s in first["sources"] for _, reason in s["failed"])
        assert failed == ["响应超过 1048576 字节", "重定向到 https://example.com/x：主机 example.com 不在允许的主机之列",
                          "重定向循环"]
        assert sorted(r for s in first["sources"] for _, r in s["refused"]) == ["网站拒绝访问（HTTP 403）"] * 2
        assert first["total"]["new"] == 300 and first["total"]["quarantined"] == 0
        # the detail pages added what the lists lack (a drafting committee), except where they failed
        samr = mirror.platforms["std.samr.gov.cn"].records
        assert records[samr[0].number].technical_committee == "中国纤维检验局"
        assert all(not records[n].technical_committee for n in faults["failed"][:1] + faults["refused"])
        assert records[samr[0].number].sources[-1].url.startswith("https://std.samr.gov.cn/")
        # every list page (and the retries of its 500 / truncation / 429 / slow answer), then one
        # detail page per record
        lists = [t for _, t, _ in mirror.requests if "robots" not in t and t not in mirror.detail_requests()]
        assert _by_platform(lists) == {"std.samr.gov.cn": 2 + 1, "openstd.samr.gov.cn": 3 * 2 + 1,
                                       "hbba.sacinfo.org.cn": 2 + 1, "dbba.sacinfo.org.cn": 2,
                                       "www.ttbz.org.cn": 1, "jjg.spc.org.cn": 4 + 1}
        assert _by_platform(mirror.detail_requests()) == {"std.samr.gov.cn": 60, "openstd.samr.gov.cn": 60,
                                                          "hbba.sacinfo.org.cn": 60, "dbba.sacinfo.org.cn": 60}

        before = len(mirror.requests)
        expected = mirror.next_day()
        second = run_sync(mirror, empty_corpus, tmp_path / "home")
        day2 = [target for _, target, _ in mirror.requests[before:] if "robots.txt" not in target]
        changed = sorted((c["number"], c["change"]) for c in second.changes)
        assert changed == sorted(expected) and len(changed) == 6 * 5
        logged = list_changes(empty_corpus).changes  # what `kb changes` lists
        assert [c["change"] for c in logged[:300]] == ["new"] * 300
        assert sorted((c["number"], c["change"]) for c in logged[300:]) == sorted(expected)
        # only what changed: the changed records' details, and the pages that failed yesterday again
        details = [t for t in day2 if t in mirror.detail_requests()]
        assert _by_platform(details) == {"std.samr.gov.cn": 6 + 1, "openstd.samr.gov.cn": 6,
                                         "hbba.sacinfo.org.cn": 6 + 1, "dbba.sacinfo.org.cn": 6 + 1}
        summary = second.summary()
        assert [s["incremental"] for s in summary["sources"]] == [True, True, True, True, False, True]
        assert summary["total"]["new"] == 15 and summary["total"]["status_changed"] == 15
        now = corpus(empty_corpus)
        replaced = next(n for n, kind in expected if kind == "replaced")
        assert now[replaced].status == "replaced" and now[replaced].replaced_by


def test_change_log_has_every_day_once(empty_corpus, tmp_path):
    with SyntheticPlatforms(pages=1, faults=False) as mirror:
        run_sync(mirror, empty_corpus, tmp_path / "home", names=["jjg", "hbba"])
        mirror.next_day()
        run_sync(mirror, empty_corpus, tmp_path / "home", names=["jjg", "hbba"])
        run_sync(mirror, empty_corpus, tmp_path / "home", names=["jjg", "hbba"])  # nothing new
    log = list_changes(empty_corpus).changes
    assert Counter(c["change"] for c in log) == {"new": 20 + 50 + 6, "replaced": 2, "withdrawn": 2,
                                                 "status_changed": 2}
    assert len({(c["number"], c["change"]) for c in log}) == len(log)


def test_sources_and_bad_input():
    assert resolve_sources(None) == ["samr", "openstd", "hbba", "dbba", "ttbz", "jjg"]
    assert resolve_sources(["jjg.spc.org.cn", "jjg"]) == ["jjg"]
    with pytest.raises(BadInput, match="没有可同步的列表"):
        resolve_sources(["sacinfo"])
    with pytest.raises(BadInput, match="^未知的来源 'nope'；kb sync 可用的来源：samr、openstd、hbba、dbba、ttbz、jjg$"):
        resolve_sources(["nope"])


def _kb(*args, env, timeout=120):
    return subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_sigkill_mid_sync_then_sync_resumes(empty_corpus, tmp_path):
    env = {**os.environ, "KB_HOME": str(tmp_path / "home"), "KB_CORPUS": str(empty_corpus)}
    with SyntheticPlatforms(pages=2, faults=False) as mirror:
        stuck = threading.Event()
        hbba = mirror.platforms["hbba.sacinfo.org.cn"]
        target = mirror.detail_path("hbba.sacinfo.org.cn", hbba.records[70])
        mirror.fault(target, Hang(stuck))
        process = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "sync", "hbba", "--json",
                                    "--base-url", mirror.base_url], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while mirror.count(target) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mirror.count(target) == 1
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        stuck.set()
        kept = corpus(empty_corpus)
        assert 40 <= len(kept) <= 100  # the list rows and the details flushed before the kill
        assert list_changes(empty_corpus).changes == []  # logged when the source's run completes

        again = _kb("sync", "hbba", "--json", "--base-url", mirror.base_url, env=env)
        assert again.returncode == 0, again.stderr
        events = [json.loads(line) for line in again.stdout.splitlines()]
        start = next(e for e in events if e["event"] == "source_start")
        assert start["resumed"] >= 60
        pages = [e for e in events if e["event"] == "page"]
        assert pages and all(e["source"] == "hbba" and e["eta_s"] is not None for e in pages)
        assert pages[-1]["eta_s"] == 0 and pages[0]["total"] >= pages[-1]["done"]
        done = events[-1]
        assert done["event"] == "done" and done["index"]["records"] == 100
        assert mirror.count("/hbba.sacinfo.org.cn/stdQueryList", "POST") == 2  # each list page once
        details = [t for _, t, _ in mirror.requests if "/stdDetail/" in t]
        assert 1 <= len(details) - len(set(details)) <= 20  # again: at most the pages since the last corpus write
    records = corpus(empty_corpus)
    assert len(records) == 100 and all(r.ccs for r in records.values())
    log = list_changes(empty_corpus).changes
    assert Counter(c["change"] for c in log) == {"new": 100}


def test_cli_summary_and_exit_codes(empty_corpus, tmp_path):
    env = {**os.environ, "KB_HOME": str(tmp_path / "home"), "KB_CORPUS": str(empty_corpus)}
    with SyntheticPlatforms(pages=1, faults=False) as mirror:
        result = _kb("sync", "jjg", "dbba", "--base-url", mirror.base_url, env=env)
        assert result.returncode == 0, result.stderr
        assert "同步 dbba（全量）：51 个页面，新增 50" in result.stdout
        assert "同步 jjg（全量）：2 个页面，新增 20" in result.stdout
        assert "索引重建完成：70 条记录" in result.stdout
        again = _kb("sync", "jjg", "dbba", "--base-url", mirror.base_url, env=env)
        assert "同步 jjg（增量）：2 个页面，新增 0" in again.stdout
        assert "索引更新完成：70 条记录" in again.stdout
    gone = _kb("sync", "jjg", "--base-url", "http://127.0.0.1:9", env=env)
    assert gone.returncode == 1 and "无法访问：jjg" in gone.stderr
    bad = _kb("sync", "sacinfo", env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


# -- the README's nightly job and script, against the synthetic platforms -----------------------

def _readme_blocks() -> tuple[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    cron = re.search(r"```cron\n(.*?)```", text, re.S).group(1)
    line = next(l for l in cron.splitlines() if l.strip() and not l.startswith("#"))
    script = re.search(r"```sh\n(#!/bin/sh\n# nightly\.sh.*?)```", text, re.S).group(1)
    return line.split(None, 5)[5], script  # the command after the five time fields


@pytest.mark.parametrize("which", ["cron line", "nightly.sh"])
def test_readme_nightly_job_runs_against_a_mirror(which, tmp_path):
    line, script = _readme_blocks()
    assert "kb sync" in line and "kb sync" in script
    command = (line if which == "cron line" else script).replace("/var/lib/stdkb", str(tmp_path / "lib"))
    command = command.replace("/var/log/stdkb", str(tmp_path / "log"))
    (tmp_path / "lib" / "corpus").mkdir(parents=True)
    (tmp_path / "log").mkdir()
    shutil.copy(ROOT / "corpus" / STANDARDS_FILE, tmp_path / "lib" / "corpus" / STANDARDS_FILE)
    with SyntheticPlatforms(records=20) as mirror:
        env = {**os.environ, "KB_BASE_URL": mirror.base_url,
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        result = subprocess.run(["sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=300)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in (tmp_path / "log" / "sync.jsonl").read_text().splitlines()]
    done = events[-1]
    assert done["event"] == "done" and done["total"]["new"] == 20 * 5
    assert done["index"]["action"] == "rebuild" and done["index"]["records"] == 1461 + 100
    stats = _kb("stats", "--json", env={**env, "KB_HOME": str(tmp_path / "lib"),
                                        "KB_CORPUS": str(tmp_path / "lib" / "corpus")})
    assert json.loads(stats.stdout)["total"] == 1561  # the index serves the synced records
    if which == "nightly.sh":
        verify = json.loads((tmp_path / "log" / "index.jsonl").read_text().splitlines()[-1])
        assert verify["ok"] is True
