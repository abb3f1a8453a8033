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

ROOT = Path(__file__).resolve().parents[1]
JUDGMENTS = ROOT / "eval" / "cover" / "judgments.jsonl"
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


def load_judgments(path: Path = JUDGMENTS) -> list[Judgment]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            out.append(Judgment(data["term"], frozenset(data["relevant"]), frozenset(data["borderline"]),
                                data.get("notes", "")))
    return out


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


def hidden_numbers(corpus_dir: Path, today: dt.date) -> set[str]:
    """Numbers of the corpus standards `kb cover` leaves out by default today."""
    from kb.corpus import STANDARDS_FILE, load_records

    return {r.number for r in load_records(corpus_dir / STANDARDS_FILE).records.values()
            if r.status_on(today) in HIDDEN_STATUSES}


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
    from index.build import rebuild
    from index.search import KnowledgeIndex

    rebuild(corpus_dir, work / "cover-index")
    index = KnowledgeIndex.open(work / "cover-index")
    hidden = hidden_numbers(corpus_dir, dt.date.today())
    try:
        scores = []
        for judgment in judgments:
            answer, error = answer_of(index, judgment.term)
            scores.append(score_term(judgment, answer, hidden, error))
    finally:
        index.close()
    return scores, summary(scores)


def render_cover(scores: list[TermScore], totals: dict[str, float], judged: int) -> str:
    lines = [f"Cover precision and recall over {len(scores)} of {judged} judged terms "
             f"(eval/cover/judgments.jsonl; borderline standards left out of both sides):", "",
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
