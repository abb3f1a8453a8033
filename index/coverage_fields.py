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
    facet_counts(name, docs=None)    value → count over docs (all when None: from posting counts)
    live_count()                     how many documents there are
    longer_words(term, name)         indexed words ending in term (电动汽车 for 汽车)
    word_docs(term, name)            documents whose words (jieba word boundaries, no
                                     sub-words) hold the term, its phrase, or a longer word
                                     ending in it
    record(doc)                      (Record, stored facts) of one document
Names are logical (FIELDS); documents are the engine's numbers, valid while it is open.
"""
from __future__ import annotations

import json
from bisect import bisect_left
from collections import Counter
from typing import TYPE_CHECKING

from whoosh.analysis import LowercaseFilter, Token

from kb.records import Record, Source
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
# Word starts that make a one-character term's two-character word no kind of it: 掺铒 (erbium-doped),
# 二氢 (dihydrogen, of 磷酸二氢锂): a dopant, a count in a chemical name.
NOT_KINDS = ("掺", "一", "二", "三", "四", "五", "六")
# Lone characters that stay words of their own: function characters, chemical elements
# (水稻|镉|稳定: cadmium in rice) and 煤 (商品|煤|质量: coal).
UNGLUED = frozenset("的之与和及或并等对在为于中上下其以由从按各用经含"
                    "金银铜铁锡铅锌铝镁钛铬锰钴镍钼钨钒锂钠钾钙钡镉汞砷硒铂钯硼碳硅氮磷硫氟氯溴碘氧铀"
                    "镧铈镨钕钷钐铕钆铽镝钬铒铥镱镥钪钇" "煤")
ELEMENTS = frozenset("金银铜铁锡铅锌铝镁钛铬锰钴镍钼钨钒锂钠钾钙钡镉汞砷硒铂钯硼碳硅氮磷硫氟氯溴碘氧铀"
                     "镧铈镨钕钷钐铕钆铽镝钬铒铥镱镥钪钇")
# Head characters: a lone one right after a word ends that word (心电图|机 → 心电图机, 水泥|环 → 水泥环,
# 撒肥|机 → 撒肥机, 流动|式 → 流动式, 加强|件 → 加强件): a machine, instrument, ring … named by the word before.
HEADS = frozenset("机器仪计表环船泵阀罐炉箱柜灯剂杆叶式件")  # not 车: 车|联网 is 车联网
# ... except where it begins the next word: 机插 (machine transplanting), 机收, 机播, 机耕: 水稻|机插秧.
HEAD_PREFIXES = frozenset({"机插", "机收", "机播", "机耕", "机采", "机防"})
# Tools and consumables for working a material: in 玻璃加工用金刚石磨头 and 玻璃基板用稀土抛光粉 the words
# before 用 name what is worked, not what the standard covers (eval/cover/README.md: machinery for making).
TOOL_HEADS = frozenset({"磨头", "磨具", "砂轮", "抛光粉", "抛光液", "研磨液", "切削液", "刀具", "模具"})
FAMILY_ENDS = ("制品", "产品")  # a series name (超硬磨料制品) before them is no worked material


class WordTokenizer(JiebaTokenizer):
    """jieba's words without sub-words, with the lone characters jieba leaves where it knows
    no word joined up: a run of them is one word (抑|尘|车 → 抑尘车; 藏|猪猪|流行性 → 藏猪|猪流行性,
    see _split_doubled); a head character (HEADS) ends the word
    before it (心电图|机 → 心电图机, 水泥|环 → 水泥环: 水泥 is then no word of that title);
    another one before a word begins it (适|老化 → 适老化, 物|联网 → 物联网, 硫化|氢|气田 →
    硫化|氢气田); one ending the text ends the word before it (水泥|袋 → 水泥袋).
    Function characters (用, 的 …) and chemical elements stay apart."""

    def __init__(self):
        super().__init__(subwords=False)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        cut = _split_doubled([[t.text, t.startchar, t.endchar] for t in
                              super().__call__(value, chars=True, tokenize=tokenize, mode=mode, start_char=start_char)])
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
            if word[0] == "掺" and i + 1 < len(cut) and cut[i + 1][0] in ELEMENTS and cut[i + 1][1] == word[2]:
                words.append([word[0] + cut[i + 1][0], word[1], cut[i + 1][2]])  # 掺铒 (erbium-doped): no 铒 product
                i += 2
                continue
            if run > i:
                after = cut[i + 1] if i + 1 < len(cut) else None
                before = words[-1] if words else None
                if word[0] in HEADS and before is not None and before[2] == word[1] \
                        and not (after is not None and word[0] + after[0][:1] in HEAD_PREFIXES) \
                        and len(before[0]) >= 2 and _CJK.match(before[0][-1]):
                    before[0] += word[0]
                    before[2] = word[2]
                    i += 1
                    continue
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
        words = _without_worked_material(words)
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


def _split_doubled(cut: list[list]) -> list[list]:
    """A lone character before a doubled one takes the first of the two: 藏|猪猪|流行性 →
    藏猪|猪|流行性 (then 猪流行性): 猪猪 is no word of a standard's title."""
    out: list[list] = []
    for k, word in enumerate(cut):
        text, start, end = word
        if len(text) == 2 and text[0] == text[1] and _CJK.match(text[0]) and out and _lone(out[-1]) \
                and out[-1][2] == start:
            out[-1] = [out[-1][0] + text[0], out[-1][1], start + 1]
            out.append([text[1], start + 1, end])
        else:
            out.append(word)
    return out


def _without_worked_material(words: list[list]) -> list[list]:
    """Leave out what a tool or consumable works on (玻璃|加工|用|金刚石|磨头: 金刚石, 磨头 stay):
    the words of the unbroken run before the last 用 when the run after it ends in a TOOL_HEADS word,
    back to a series name (超硬磨料制品 of 超硬磨料制品触摸屏玻璃加工用金刚石磨头 stays)."""
    use = next((k for k in range(len(words) - 1, -1, -1) if words[k][0] == "用"), None)
    if use is None:
        return words
    end = use + 1
    while end < len(words) and words[end][1] == words[end - 1][2]:
        end += 1
    if end == use + 1 or words[end - 1][0] not in TOOL_HEADS:
        return words
    start = use
    while start > 0 and words[start - 1][2] == words[start][1] and not words[start - 1][0].endswith(FAMILY_ENDS):
        start -= 1
    return words[:start] + words[use:]


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


class WordsAndRecords:
    """What both engines' readers share: word matching over a field's lexicon, per-document
    value codes, facet counts over a set, and stored records. An engine's reader supplies
    value_sets(name), _lexicon(field), _term_docs(field, word), _phrase_docs(field, words),
    _stored(doc) → stored fields, and _codes() → an empty per-document code table."""

    def __init__(self):
        self._sets: dict[str, dict[str, set[int]]] = {}  # value_sets, by field
        self._values: dict = {}
        self._lexicons: dict[str, list[str]] = {}

    def docs_with_prefix(self, name: str, prefix: str) -> set[int]:
        out: set[int] = set()
        for value, docs in self.value_sets(name).items():
            if value.startswith(prefix):
                out |= docs
        return out

    def values(self, name: str):
        """Per document, 1 + the index of its value in the list (0: none); one value a document."""
        if name not in self._values:
            codes = self._codes()
            values = [""]
            for value, docs in self._postings(name):
                values.append(value)
                code = len(values) - 1
                for doc in docs:
                    codes[doc] = code
            self._values[name] = (codes, values)
        return self._values[name]

    def _postings(self, name: str):
        """(value, documents) of a field in value order. Without value_sets loaded, each
        value's documents are read and let go: a column costs its codes, not a set per value."""
        if name in self._sets:
            yield from sorted(self._sets[name].items())
            return
        field = FIELDS[name]
        for value in sorted(set(self._lexicon(field))):
            docs = self._term_docs(field, value)
            if docs:
                yield value, docs

    def _counts_over(self, name: str, docs: set[int]) -> dict[str, int]:
        codes, values = self.values(name)
        counts = Counter(codes[d] for d in docs)
        counts.pop(0, None)
        return {values[code]: n for code, n in counts.items()}

    def _words(self, name: str) -> list[str]:
        """The field's words, each reversed, sorted: words ending in a term are one range."""
        if name not in self._lexicons:
            self._lexicons[name] = sorted({word[::-1] for word in self._lexicon(FIELDS[name])})
        return self._lexicons[name]

    def longer_words(self, term: str, name: str) -> list[str]:
        """Indexed words that end in `term` (电动汽车, 载货汽车 for 汽车; for a one-character term
        only two-character words: 粳稻 for 稻)."""
        words, key = self._words(name), term[::-1]
        found = []
        for i in range(bisect_left(words, key), len(words)):
            if not words[i].startswith(key):
                break
            if words[i] != key and (len(term) > 1 or (len(words[i]) <= SHORT_HYPONYM_LENGTH
                                                      and not words[i].endswith(NOT_KINDS))):
                found.append(words[i][::-1])
        return found

    def word_docs(self, term: str, name: str) -> dict[int, str]:
        """Documents whose `name` words hold `term`: doc → the word that matched."""
        field = FIELDS[name]
        words = words_of(term)
        found: dict[int, str] = {}
        if not words:
            return found
        if len(words) > 1:  # the phrase, its first word also as a longer word ending in it (水产饲料|膨化机)
            for first in [words[0], *self.longer_words(words[0], name)]:
                for doc in self._phrase_docs(field, [first, *words[1:]]):
                    found.setdefault(doc, term if first == words[0] else first + "".join(words[1:]))
            return found
        for word in [words[0], *self.longer_words(words[0], name)]:
            for doc in self._term_docs(field, word):
                found.setdefault(doc, word)
        return found

    def record(self, doc: int) -> tuple[Record, dict]:
        """The stored record, trusted: it was validated when it was indexed (Record.from_dict
        checks every field, a third of the cost of listing 3,000 matches)."""
        stored = self._stored(doc)
        facts = json.loads(stored["cover_facts"]) if stored.get("cover_facts") else {}
        data = json.loads(stored["record"])
        data["sources"] = [Source(**s) for s in data.get("sources") or ()]
        try:
            return Record(**data), facts
        except TypeError:  # a field this code does not know: the validating path names it
            return Record.from_dict(json.loads(stored["record"])), facts
