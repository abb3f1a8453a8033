"""The judged set for `kb cover` (eval/cover/judgments.jsonl) and its scorer (eval/cover.py)."""
from __future__ import annotations

import json

import pytest

from eval.cover import (JUDGMENTS, SYNC_JUDGMENTS, Judgment, load_judgments, render_cover, score_term, summary,
                        within)
from kb import numbers
from kb.corpus import STANDARDS_FILE, load_records
from kb.taxonomy import normalize_code
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def corpus_titles() -> dict[str, str]:
    return {r.number: r.title for r in load_records(ROOT / "corpus" / STANDARDS_FILE).records.values()}


def test_judgments_are_well_formed(corpus_titles):
    lines = [json.loads(line) for line in JUDGMENTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) >= 30
    assert all(set(line) == {"term", "relevant", "borderline", "notes"} for line in lines)
    terms = [line["term"] for line in lines]
    assert len(terms) == len(set(terms)), "a term is judged twice"
    for line in lines:
        relevant, borderline = line["relevant"], line["borderline"]
        assert len(relevant) == len(set(relevant)) and len(borderline) == len(set(borderline)), line["term"]
        assert not set(relevant) & set(borderline), f"{line['term']}: relevant and borderline at once"
        assert line["notes"].strip(), line["term"]
        for number in relevant + borderline:
            assert number in corpus_titles, f"{line['term']}: {number} is not a corpus number"
            assert corpus_titles[number], f"{line['term']}: {number} has no title to judge"
            assert numbers.parse(number).canonical == number, f"{number} is not canonical"


def test_sync_judgments_are_well_formed(corpus_titles):
    """Judgments of the records the sync branch adds: canonical numbers, titled once they ship, and no
    number both relevant and borderline once merged with the main file."""
    lines = [json.loads(line) for line in SYNC_JUDGMENTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert set(line) == {"term", "relevant", "borderline", "notes"} and line["notes"].strip()
        for number in line["relevant"] + line["borderline"]:
            assert numbers.parse(number).canonical == number, f"{number} is not canonical"
            if number in corpus_titles:
                assert corpus_titles[number], f"{line['term']}: {number} has no title to judge"
    for judgment in load_judgments():
        assert not judgment.relevant & judgment.borderline, judgment.term


def test_judged_set_has_empty_answers_and_codes():
    judgments = load_judgments(JUDGMENTS)
    assert sum(1 for j in judgments if not j.relevant) >= 3  # terms the corpus does not cover
    assert sum(1 for j in judgments if normalize_code(j.term)) >= 2  # CCS code requests
    assert {"电线电缆", "医疗器械", "汽车", "水泥", "大米", "计量器具", "光伏", "电梯"} <= {j.term for j in judgments}


def test_score_term_leaves_borderline_out_of_both_sides():
    judgment = Judgment("电梯", frozenset({"A 1-2026", "A 2-2026", "A 3-2026", "A 4-2026"}),
                        frozenset({"B 1-2026"}))
    # 3 right, 1 wrong, 1 borderline returned (ignored), 1 relevant missed; a repeated row counts once
    score = score_term(judgment, ["A 1-2026", "B 1-2026", "C 9-2026", "A 2-2026", "A 3-2026", "A 1-2026"])
    assert (score.returned, score.expected, score.right) == (4, 4, 3)
    assert score.precision == pytest.approx(0.75) and score.recall == pytest.approx(0.75)
    assert score.wrong == ["C 9-2026"] and score.missed == ["A 4-2026"] and score.borderline_returned == 1


def test_hidden_relevant_standards_are_not_expected():
    judgment = Judgment("水稻", frozenset({"A 1-2026", "A 2-2026"}), frozenset())
    score = score_term(judgment, ["A 1-2026"], hidden={"A 2-2026"})
    assert (score.expected, score.recall, score.precision) == (1, 1.0, 1.0)


def test_empty_answers_and_empty_judgments():
    nothing = Judgment("水泥", frozenset(), frozenset({"B 1-2026"}))
    assert (score_term(nothing, []).precision, score_term(nothing, []).recall) == (1.0, 1.0)
    assert (score_term(nothing, ["B 1-2026"]).precision, score_term(nothing, ["B 1-2026"]).returned) == (1.0, 0)
    wrong = score_term(nothing, ["C 1-2026", "C 2-2026"])
    assert (wrong.precision, wrong.recall) == (0.0, 1.0)
    missed = score_term(Judgment("汽车", frozenset({"A 1-2026"}), frozenset()), [], error="no category")
    assert (missed.precision, missed.recall, missed.error) == (1.0, 0.0, "no category")


def test_micro_and_macro_totals():
    a = score_term(Judgment("a", frozenset({"A 1-2026", "A 2-2026"}), frozenset()), ["A 1-2026", "A 2-2026"])
    b = score_term(Judgment("b", frozenset({"A 3-2026", "A 4-2026"}), frozenset()),
                   ["A 3-2026", "C 1-2026", "C 2-2026", "C 3-2026"])
    totals = summary([a, b])  # a: P 1, R 1; b: P 1/4, R 1/2
    assert totals["micro precision"] == pytest.approx(3 / 6)
    assert totals["micro recall"] == pytest.approx(3 / 4)
    assert totals["macro precision"] == pytest.approx((1 + 0.25) / 2)
    assert totals["macro recall"] == pytest.approx((1 + 0.5) / 2)
    table = render_cover([a, b], totals, {"terms judged": 2, "corpus": "corpus/standards.jsonl", "records": 10, "judged numbers not in this corpus": 0,
                                          "relevant hidden as replaced or withdrawn": 0})
    assert "| b | 4 | 2 | 1 | 0.25 | 0.50 | C 1-2026, C 2-2026, C 3-2026 | A 4-2026 |" in table
    assert "| terms below 0.7 on precision or recall | 1 | 0 | no: b |" in table


def test_load_merges_files_and_within_keeps_the_corpus_numbers(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps({"term": "电能表", "relevant": ["A 1-2026"], "borderline": [], "notes": "one"},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    second.write_text(json.dumps({"term": "电能表", "relevant": ["JJG 596-2026"], "borderline": ["B 1-2026"],
                                  "notes": "two"}, ensure_ascii=False) + "\n", encoding="utf-8")
    [merged] = load_judgments(first, second)
    assert merged == Judgment("电能表", frozenset({"A 1-2026", "JJG 596-2026"}), frozenset({"B 1-2026"}), "one two")
    shipped = within(merged, {"A 1-2026", "B 1-2026"})
    assert (shipped.relevant, shipped.borderline) == ({"A 1-2026"}, {"B 1-2026"})
