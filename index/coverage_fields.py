"""Coverage facts in the index: the fields a record's facts become (index.fields lists them),
the words analyzer of the title/scope word fields, and the reader API `kb cover`, `kb gaps`,
`kb policy-gaps` and `kb stats` use through `KnowledgeIndex.coverage`.

Each engine implements the reader (index/whoosh_engine/coverage.py,
index/tantivy_engine/coverage.py) with these methods:
    live_docs()                      every document number
    docs_with(name, value)           postings of one value (a CCS code, a status …)
    docs_with_prefix(name, prefix)   postings of every value starting with prefix
    value_sets(name)                 value → documents, for every value of a field
    values(name)                     per document, the index of its one value, and the values
    facet_counts(name, docs=None)    value → count over docs (all when None)
    longer_words(term, name)         indexed words ending in term (电动汽车 for 汽车)
    word_docs(term, name)            documents whose words (jieba word boundaries, no
                                     sub-words) hold the term, its phrase, or a longer word
                                     ending in it
    record(doc)                      (Record, stored facts) of one document
Names are logical (FIELDS); documents are the engine's numbers, valid while it is open.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from whoosh.analysis import LowercaseFilter, Token

from kb.records import Record
from index.analysis import _CJK, JiebaTokenizer, StopWordFilter, load_stopwords

if TYPE_CHECKING:  # the classifier is loaded by builds only, not by every reader
    from kb.coverage_facts import CoverageFacts

FIELDS = {  # logical name → index field
    "kind": "kind", "level": "level", "status": "status", "region": "region", "sector": "sector",
    "number_key": "number_key", "level_group": "cover_group", "ccs": "cover_ccs",
    "ccs_within": "cover_within", "ccs_basis": "cover_basis", "ics": "cover_ics", "age_from": "age_from",
    "successor": "has_successor", "source": "cover_source", "issue_year": "issue_year",
    "region_code": "region_code", "title": "title_words", "scope": "scope_words",
}
SHORT_HYPONYM_LENGTH = 2  # a one-character term matches only two-character words ending in it (粳稻 for 稻, not 硫化氢 for 氢)
# Lone characters that stay words of their own: function characters, and chemical elements
# (水稻|镉|稳定: cadmium in rice).
UNGLUED = frozenset("的之与和及或并等对在为于中上下其以由从按各用经含"
                    "金银铜铁锡铅锌铝镁钛铬锰钴镍钼钨钒锂钠钾钙钡镉汞砷硒铂钯硼碳硅氮磷硫氟氯溴碘氧铀")


class WordTokenizer(JiebaTokenizer):
    """jieba's words without sub-words, with the lone characters jieba leaves where it knows
    no word joined up: a run of them is one word (抑|尘|车 → 抑尘车); one before a word
    begins it (适|老化 → 适老化, 物|联网 → 物联网, 硫化|氢|气田 → 硫化|氢气田: 氢 is then no
    word of that title); one ending the text ends the word before it (水泥|袋 → 水泥袋).
    Function characters (用, 的 …) and chemical elements stay apart."""

    def __init__(self):
        super().__init__(subwords=False)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        cut = [[t.text, t.startchar, t.endchar] for t in
               super().__call__(value, chars=True, tokenize=tokenize, mode=mode, start_char=start_char)]
        words: list[list] = []
        i = 0
        while i < len(cut):
            run = i
            while run < len(cut) and _lone(cut[run]) and (run == i or cut[run - 1][2] == cut[run][1]):
                run += 1
            if run - i >= 2:  # characters jieba knows no word for (抑|尘|车): one word
                words.append(["".join(w[0] for w in cut[i:run]), cut[i][1], cut[run - 1][2]])
                i = run
                continue
            word = cut[i]
            if run > i:
                after = cut[i + 1] if i + 1 < len(cut) else None
                before = words[-1] if words else None
                if after is not None and after[1] == word[2] and _CJK.match(after[0][0]) \
                        and after[0][0] not in UNGLUED and len(after[0]) >= 2:
                    cut[i + 1] = [word[0] + after[0], word[1], after[2]]
                    i += 1
                    continue
                if (after is None or after[1] != word[2]) and before is not None and before[2] == word[1] \
                        and len(before[0]) >= 2 and _CJK.match(before[0][-1]):
                    before[0] += word[0]
                    before[2] = word[2]
                    i += 1
                    continue
            words.append(word)
            i += 1
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (text, start, end) in enumerate(words, start_pos):
            token.text, token.boost, token.stopped = text, 1.0, False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = start, end
            yield token


def _lone(word: list) -> bool:
    return len(word[0]) == 1 and bool(_CJK.match(word[0])) and word[0] not in UNGLUED


def words_analyzer():
    return WordTokenizer() | LowercaseFilter() | StopWordFilter(load_stopwords())


def words_of(text: str) -> list[str]:
    """The words of a term as the coverage word fields hold them."""
    return [t.text for t in words_analyzer()(text, mode="query")]


def coverage_document(record: Record, facts: CoverageFacts) -> dict:
    """The index fields of one record's coverage facts (empty values left out by the caller)."""
    return {
        "cover_group": facts.level_group, "cover_ccs": ",".join(facts.ccs),
        "cover_within": ",".join(facts.within), "cover_basis": facts.basis, "cover_ics": ",".join(facts.ics),
        "age_from": facts.age_from, "has_successor": "1" if facts.successors else "",
        "cover_source": ",".join(facts.sources), "issue_year": (record.issue_date or "")[:4],
        "region_code": record.region, "title_words": record.title, "scope_words": record.scope,
        "cover_facts": json.dumps({"basis": facts.basis, "ccs": list(facts.ccs), "successors": list(facts.successors),
                                   "assignments": [a.to_dict() for a in facts.assignments]},
                                  ensure_ascii=False),
    }
