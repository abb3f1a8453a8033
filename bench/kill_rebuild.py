#!/usr/bin/env python3
"""SIGKILL index rebuilds and updates at random moments; check the index after every kill.

    .venv/bin/python bench/kill_rebuild.py --trials 200            # the heavy version
    .venv/bin/python bench/kill_rebuild.py --trials 20 --size 300  # what tests/test_lifecycle.py runs
    .venv/bin/python bench/kill_rebuild.py --trials 200 --engine tantivy

Each trial forks a child (jieba already loaded) that runs index.build.rebuild or
update and is killed with SIGKILL after a random delay. The child switches the index
between two corpora of real records (A, and A minus 7), so the previous and the new
generation are told apart by their document count. After each kill this process checks:
  - CURRENT names a complete generation: the previous one, or the child's new one if
    the switch happened; it opens, holds exactly its corpus' documents and answers a lookup;
  - at most one killed build's leftovers are on disk (the next writer cleans them up);
  - no process of the killed build survives it by more than 2 s (Whoosh workers, --procs 2).
The delay is drawn inside one phase (load, add, commit, meta, switch, cleanup), taken
in turn, from the phase times of an unkilled calibration run, so kills land in every phase.
`--die-at POINT` kills the child at an exact point instead (see DIE_POINTS).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crawlers.importer import import_files  # noqa: E402
from index import api, build, store  # noqa: E402
from index.analysis import jieba_tokenizer  # noqa: E402
from kb.corpus import STANDARDS_FILE, load_records, write_records  # noqa: E402

ANNOUNCEMENTS = ROOT.parent / "shared" / "records" / "announcements"
PHASES = ("load", "add", "commit", "meta", "switch", "cleanup")
DROP = 7  # corpus B is corpus A without its last DROP records
# Exact kill points: where a phase starts ("cleanup": right after CURRENT was replaced),
# or in the middle of removing the old generation's files.
DIE_POINTS = (*PHASES, "mid-cleanup")


def make_corpora(workdir: Path, size: int) -> tuple[Path, Path]:
    """Corpus A: `size` real announcement records spread over all ids; corpus B: A minus DROP."""
    full = workdir / "all"
    import_files([ANNOUNCEMENTS], full)
    records = sorted(load_records(full / STANDARDS_FILE).records.values(), key=lambda r: r.id)
    step = max(1, len(records) // size)
    chosen = records[::step][:size]
    a, b = workdir / "corpus-a", workdir / "corpus-b"
    write_records(a / STANDARDS_FILE, chosen)
    write_records(b / STANDARDS_FILE, chosen[:-DROP])
    return a, b


# -- the child ---------------------------------------------------------------------

def _child(action: str, corpus: Path, index_dir: Path, marks_fd: int, die_at: str | None, procs: int) -> None:
    """Runs in the forked child: one rebuild/update that writes a mark as each phase starts."""
    def mark(phase: str, **data) -> None:
        os.write(marks_fd, (json.dumps({"phase": phase, "t": time.monotonic(), **data}) + "\n").encode())
        if phase == die_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def marked(phase: str, function):
        def wrapper(*args, **kwargs):
            mark(phase)
            return function(*args, **kwargs)
        return wrapper

    store.write_meta = marked("meta", store.write_meta)
    store.switch_to = marked("switch", store.switch_to)
    replace, unlink, switched, unlinked = os.replace, os.unlink, [], []

    def replace_and_mark(src, dst, *args, **kwargs):
        replace(src, dst, *args, **kwargs)
        if str(dst).endswith(os.sep + store.POINTER):  # CURRENT switched: the cleanup starts
            switched.append(1)
            mark("cleanup")

    def unlink_or_die(*args, **kwargs):  # dies after some files of the old generation are gone
        if switched and die_at == "mid-cleanup":
            unlinked.append(1)
            if len(unlinked) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        return unlink(*args, **kwargs)

    os.replace, os.unlink = replace_and_mark, unlink_or_die

    def progress(event: dict) -> None:
        if event["event"] == "start":
            mark("add", generation=event["generation"])
        elif event["event"] == "done" or (event["event"] == "commit" and event.get("phase") == "records"):
            mark(event["event"])

    mark("load")
    if action == "rebuild":
        build.rebuild(corpus, index_dir, progress=progress, settings=build.WriterSettings(procs=procs))
    else:
        build.update(corpus, index_dir, progress=progress)


def run_child(action: str, corpus: Path, index_dir: Path, kill_after: float | None = None,
              die_at: str | None = None, procs: int = 1) -> dict:
    """Fork a child running `action`; SIGKILL it after `kill_after` seconds (None: let it finish)."""
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child: never return into the caller
        code = 0
        try:
            os.setpgid(0, 0)
            os.close(read_fd)
            _child(action, corpus, index_dir, write_fd, die_at, procs)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as a mark
            os.write(write_fd, (json.dumps({"phase": "error", "t": time.monotonic(),
                                            "message": f"{type(exc).__name__}: {exc}",
                                            "trace": traceback.format_exc()}) + "\n").encode())
            code = 1
        finally:
            os._exit(code)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # the child already did it, or already died
    os.close(write_fd)
    if kill_after is not None:
        time.sleep(kill_after)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    orphans = _reap_group(pid)
    marks = _read_marks(read_fd)
    return {"marks": [{**m, "t": round(m["t"] - started, 4)} for m in marks],
            "killed": os.WIFSIGNALED(status), "orphans": orphans}


def _reap_group(pgid: int, grace: float = 2.0) -> bool:
    """True when processes of the child's group (Whoosh workers) still run `grace` seconds
    after it died; they are killed here."""
    deadline = time.monotonic() + grace
    while _running_in_group(pgid):
        if time.monotonic() >= deadline:
            os.killpg(pgid, signal.SIGKILL)
            return True
        time.sleep(0.05)
    return False


def _running_in_group(pgid: int) -> list[int]:
    """Pids of the process group that still run (Linux /proc). Zombies, which have exited and
    wait only for init to reap them, do not count."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(group) == pgid and state != "Z":
            running.append(int(stat.parent.name))
    return running


def _read_marks(fd: int) -> list[dict]:
    os.set_blocking(fd, False)
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    os.close(fd)
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


# -- checks ------------------------------------------------------------------------------

def serving(index_dir: Path, corpus_dir: Path, sample_id: str) -> tuple[str, int]:
    """(generation, document count) of the serving index, after a lookup answers from it."""
    kb = api.open_index(index_dir, corpus_dir, auto_build=False)
    try:
        if not any(r.id == sample_id for r in kb.lookup(sample_id)):
            raise AssertionError(f"lookup of {sample_id} did not answer from {kb.generation.name}")
        if os.environ.get("KB_ENGINE", kb.engine) != kb.engine:
            raise AssertionError(f"{kb.generation.name} was built by {kb.engine}, not {os.environ['KB_ENGINE']}")
        return kb.generation.name, kb.doc_count()
    finally:
        kb.close()


def check_after(index_dir: Path, corpus_dir: Path, sample_id: str, before: tuple[str, int],
                child_gen: str | None, child_count: int) -> tuple[str, int]:
    name, count = serving(index_dir, corpus_dir, sample_id)
    if name == child_gen:
        expected = child_count
    elif name == before[0]:
        expected = before[1]
    else:
        raise AssertionError(f"serving {name}: neither the previous {before[0]} nor the new {child_gen}")
    if count != expected:
        raise AssertionError(f"serving {name} with {count} documents, expected {expected}")
    gens = sorted(p.name for p in index_dir.glob("gen-*"))
    if len(gens) > 3:  # current, previous, and the one just killed
        raise AssertionError(f"{len(gens)} generations on disk: leftovers of killed builds were not cleaned")
    return name, count


def calibrate(action: str, warm_up: Path, corpus: Path, index_dir: Path,
              procs: int = 1) -> dict[str, tuple[float, float]]:
    """Phase windows (start, end) in seconds after the fork, from an unkilled run after a warm-up
    (two corpora, so an update has changes to apply each time)."""
    run_child(action, warm_up, index_dir, procs=procs)
    result = run_child(action, corpus, index_dir, procs=procs)
    marks = result["marks"]
    if not marks or marks[-1]["phase"] != "done":
        raise RuntimeError(f"calibration {action} failed: {marks[-1] if marks else 'no marks'}")
    times = {m["phase"]: m["t"] for m in marks}
    order = [p for p in (*PHASES, "done") if p in times]
    return {p: (times[p], times[nxt]) for p, nxt in zip(order, order[1:])}


def run(corpus_a: Path, corpus_b: Path, index_dir: Path, trials: int, seed: int = 0,
        actions: tuple[str, ...] = ("rebuild", "update"), die_points: tuple[str, ...] = (),
        log=None, procs: int = 1) -> dict:
    """The trials; returns {"trials", "failures", "landed", "orphans"}."""
    rng = random.Random(seed)
    jieba_tokenizer()  # load once; every forked child shares it
    sizes = {corpus_a: len(load_records(corpus_a / STANDARDS_FILE).records),
             corpus_b: len(load_records(corpus_b / STANDARDS_FILE).records)}
    sample_id = sorted(load_records(corpus_b / STANDARDS_FILE).records)[0]
    windows = {}
    for action in sorted(actions):  # rebuild first: it also leaves a serving index, of corpus A
        windows[action] = calibrate(action, corpus_b, corpus_a, index_dir, procs)
    before = serving(index_dir, corpus_a, sample_id)
    plan = [("die", point) for point in die_points] + [("random", i) for i in range(trials)]
    failures, landed, orphans = [], collections.Counter(), 0
    for number, (kind, what) in enumerate(plan):
        action = actions[number % len(actions)] if kind == "random" else "rebuild"
        target = corpus_b if before[1] == sizes[corpus_a] else corpus_a
        if kind == "die":
            result = run_child(action, target, index_dir, die_at=what, procs=procs)
            aim = what
        else:
            aim = PHASES[what % len(PHASES)]
            start, end = windows[action].get(aim, (0.0, 0.0))
            result = run_child(action, target, index_dir, kill_after=rng.uniform(start, end), procs=procs)
        marks = result["marks"]
        last = marks[-1]["phase"] if marks else "fork"
        landed[f"{action}:{last}"] += 1
        orphans += result["orphans"]
        child_gen = next((m["generation"] for m in marks if "generation" in m), None)
        trial = {"trial": number, "action": action, "aim": aim, "landed": last, "killed": result["killed"]}
        try:
            if last == "error":
                raise AssertionError(f"the build failed by itself: {marks[-1]['message']}")
            if result["orphans"]:
                raise AssertionError("processes of the killed build survived it")
            before = check_after(index_dir, corpus_a, sample_id, before, child_gen, sizes[target])
        except Exception as exc:  # noqa: BLE001 - every failure is collected and reported
            trial["error"] = f"{type(exc).__name__}: {exc}"
            failures.append(trial)
            try:
                before = serving(index_dir, corpus_a, sample_id)
            except Exception:  # noqa: BLE001
                pass
        if log:
            log(trial)
    final = run_child("rebuild", corpus_a, index_dir, procs=procs)  # the next rebuild succeeds, cleans up
    if final["marks"][-1]["phase"] != "done":
        failures.append({"trial": "final", "error": str(final["marks"][-1])})
    else:
        gens = sorted(p.name for p in index_dir.glob("gen-*"))
        name, count = serving(index_dir, corpus_a, sample_id)
        if count != sizes[corpus_a] or len(gens) > 2:
            failures.append({"trial": "final", "error": f"serving {name} with {count}; on disk {gens}"})
    return {"trials": len(plan), "failures": failures, "landed": dict(sorted(landed.items())),
            "orphans": orphans, "windows": windows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--size", type=int, default=300, help="records in corpus A")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--actions", default="rebuild,update")
    parser.add_argument("--die-at", default="", help=f"comma list of {', '.join(DIE_POINTS)}, or 'all'")
    parser.add_argument("--procs", type=int, default=1, help="Whoosh worker processes for rebuilds")
    parser.add_argument("--engine", default="", help="index engine of the builds (default: $KB_ENGINE, else whoosh)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.engine:
        os.environ["KB_ENGINE"] = args.engine  # the first rebuild's engine; later builds keep the serving one
    die = DIE_POINTS if args.die_at == "all" else tuple(p for p in args.die_at.split(",") if p)
    work = Path(tempfile.mkdtemp(prefix="kb-kill-"))
    try:
        corpus_a, corpus_b = make_corpora(work, args.size)
        started = time.monotonic()
        log = (lambda t: print(json.dumps(t, ensure_ascii=False))) if args.verbose else None
        result = run(corpus_a, corpus_b, work / "index", args.trials, args.seed,
                     tuple(args.actions.split(",")), die, log, args.procs)
        seconds = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"engine {os.environ.get('KB_ENGINE') or 'whoosh'}: "
          f"{result['trials']} kills in {seconds:.1f} s, {len(result['failures'])} failures, "
          f"{result['orphans']} with surviving processes")
    print("phase windows of the calibration runs (s):", json.dumps(result["windows"]))
    print("landed in (action:last phase reached):")
    for phase, count in result["landed"].items():
        print(f"  {phase:<20} {count}")
    for failure in result["failures"]:
        print("FAIL", json.dumps(failure, ensure_ascii=False))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
