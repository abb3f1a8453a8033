"""eval/run's coverage part: precision and recall of `kb cover` on the judged set (issue 11).

    eval/run --cover-only           every judged term of eval/cover/judgments.jsonl
    eval/run --cover-only --quick   every third term

Each judged term goes to kb.coverage.cover(index, term) as `kb cover TERM` sends it (no
region, in-force only) over an index built from the shipped corpus/; the standard numbers
of the answer rows are compared with the judgments (eval/cover/README.md says how they were
made). Borderline numbers count on neither side. A relevant standard that `kb cover` hides
because it is replaced or withdrawn today is not expected either.

Per term: precision = right ÷ returned (1 when nothing is returned), recall = right ÷
expected (1 when nothing is expected). Overall: micro (summed over terms) and macro (mean
of the per-term figures). An error from cover (no category and no title match) is an empty
answer, which is right for a term the corpus does not cover.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from kb.corpus import STANDARDS_FILE, load_records

ROOT = Path(__file__).resolve().parents[1]
JUDGMENTS = ROOT / "eval" / "cover" / "judgments.jsonl"
# records the sync branch (issue 15) adds to corpus/standards.jsonl, judged ahead of its merge
SYNC_JUDGMENTS = ROOT / "eval" / "cover" / "judgments-sync.jsonl"
HIDDEN_STATUSES = ("replaced", "withdrawn")  # what `kb cover` leaves out without --include-withdrawn
TARGET = 0.9  # overall precision and recall (issue 11)
TERM_FLOOR = 0.7  # no term below this on either


@dataclass(frozen=True)
class Judgment:
    term: str
    relevant: frozenset[str]
    borderline: frozenset[str]
    notes: str = ""


@dataclass
class TermScore:
    term: str
    returned: int  # answer rows, borderline ones left out
    expected: int  # relevant standards that cover should show
    right: int
    precision: float
    recall: float
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    borderline_returned: int = 0
    error: str = ""


def load_judgments(*paths: Path) -> list[Judgment]:
    """The judgments of `paths` (default: both judgment files), one per term, merged in file order."""
    merged: dict[str, Judgment] = {}
    for path in paths or (JUDGMENTS, SYNC_JUDGMENTS):
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            data = json.loads(line)
            old = merged.get(data["term"], Judgment(data["term"], frozenset(), frozenset()))
            merged[data["term"]] = Judgment(
                old.term, old.relevant | set(data["relevant"]), old.borderline | set(data["borderline"]),
                " ".join(x for x in (old.notes, data.get("notes", "")) if x))
    return list(merged.values())


def within(judgment: Judgment, corpus_numbers: set[str]) -> Judgment:
    """The judgment restricted to the standards the corpus at hand holds."""
    return Judgment(judgment.term, judgment.relevant & corpus_numbers, judgment.borderline & corpus_numbers,
                    judgment.notes)


def score_term(judgment: Judgment, answer: list[str], hidden: set[str] = frozenset(), error: str = "") -> TermScore:
    """Compare one answer (standard numbers, in order) with its judgment."""
    returned = [n for n in dict.fromkeys(answer) if n not in judgment.borderline]
    expected = judgment.relevant - set(hidden)
    right = [n for n in returned if n in expected]
    return TermScore(
        term=judgment.term, returned=len(returned), expected=len(expected), right=len(right),
        precision=len(right) / len(returned) if returned else 1.0,
        recall=len(right) / len(expected) if expected else 1.0,
        wrong=[n for n in returned if n not in expected], missed=sorted(expected - set(right)),
        borderline_returned=len(set(answer) & judgment.borderline), error=error)


def summary(scores: list[TermScore]) -> dict[str, float]:
    returned = sum(s.returned for s in scores)
    expected = sum(s.expected for s in scores)
    right = sum(s.right for s in scores)
    n = len(scores) or 1
    return {"micro precision": right / returned if returned else 1.0,
            "micro recall": right / expected if expected else 1.0,
            "macro precision": sum(s.precision for s in scores) / n,
            "macro recall": sum(s.recall for s in scores) / n}


def corpus_statuses(corpus_dir: Path, today: dt.date) -> dict[str, str]:
    """Each corpus standard's number and its status today."""
    return {r.number: r.status_on(today) for r in load_records(corpus_dir / STANDARDS_FILE).records.values()}


def answer_of(index, term: str) -> tuple[list[str], str]:
    """The standard numbers `kb cover TERM` lists, or ([], message) when it answers with an error."""
    from kb.coverage import cover
    from kb.errors import KbError

    try:
        result = cover(index, term)
    except KbError as exc:
        return [], str(exc)
    return [row["number"] for row in result["standards"]], ""


def cover_eval(judgments: list[Judgment], work: Path, corpus_dir: Path = ROOT / "corpus") -> tuple[list[TermScore], dict]:
    """Score every judgment over an index of `corpus_dir`; also say how many judged numbers it lacks."""
    from index.build import rebuild
    from index.engine import KnowledgeIndex

    statuses = corpus_statuses(corpus_dir, dt.date.today())
    hidden = {n for n, status in statuses.items() if status in HIDDEN_STATUSES}
    judged = set().union(*(j.relevant | j.borderline for j in judgments))
    rebuild(corpus_dir, work / "cover-index")
    index = KnowledgeIndex.open(work / "cover-index")
    try:
        scores = []
        for judgment in judgments:
            answer, error = answer_of(index, judgment.term)
            scores.append(score_term(within(judgment, set(statuses)), answer, hidden, error))
    finally:
        index.close()
    return scores, {"corpus": _shown(corpus_dir / STANDARDS_FILE), "records": len(statuses), "judged numbers": len(judged),
                    "judged numbers not in this corpus": len(judged - set(statuses)),
                    "relevant hidden as replaced or withdrawn": len(hidden & set().union(*(j.relevant for j in judgments)))}


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def render_cover(scores: list[TermScore], totals: dict[str, float], stats: dict) -> str:
    lines = [f"Cover precision and recall, {len(scores)} of {stats['terms judged']} judged terms (eval/cover/judgments*.jsonl) over the "
             f"{stats['records']:,} records of {stats['corpus']}; borderline standards left out of both sides; "
             f"judged numbers this corpus lacks (sync records not yet merged): {stats['judged numbers not in this corpus']}; "
             f"relevant standards cover hides as replaced or withdrawn: {stats['relevant hidden as replaced or withdrawn']}.", "",
             "| term | returned | expected | right | precision | recall | wrong (first 3) | missed (first 3) |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for s in scores:
        lines.append(f"| {s.term} | {s.returned} | {s.expected} | {s.right} | {s.precision:.2f} | {s.recall:.2f} | "
                     f"{', '.join(s.wrong[:3])} | {', '.join(s.missed[:3])} |")
    low = [s.term for s in scores if min(s.precision, s.recall) < TERM_FLOOR]
    lines += ["", "| overall | value | target | met |", "|---|---:|---:|---|"]
    for name, value in totals.items():
        lines.append(f"| {name} | {value:.3f} | {TARGET} | {'yes' if value >= TARGET else 'no'} |")
    lines.append(f"| terms below {TERM_FLOOR} on precision or recall | {len(low)} | 0 | "
                 f"{'yes' if not low else 'no: ' + ', '.join(low)} |")
    return "\n".join(lines) + "\n"


def write_details(scores: list[TermScore], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for s in scores:
            handle.write(json.dumps(s.__dict__, ensure_ascii=False) + "\n")
