"""The coverage facts of one record, computed once when it is indexed.

`kb cover`, `kb gaps`, `kb policy-gaps` and `kb stats` read these from the index (through
its facet and postings API) instead of decoding and classifying every stored record:

    context = CoverageContext(records.values())
    facts = context.facts(record)
    facts.ccs, facts.basis, facts.within   # ('K13',), 'inferred', ('K', 'K10/19', 'K13')

Pure domain code: no index engine here.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Collection

from kb import numbers
from kb.categories import Vocabulary, default_vocabulary
from kb.records import Record
from kb.taxonomy import normalize_code

if TYPE_CHECKING:  # the classifier is for builds: a reader of the stored facts does not load it
    from kb.classify import Assignment

MIN_CONFIDENCE = 0.3  # a classification below this is no evidence of a category
ALSO_CONFIDENCE = 0.5  # a second guess this sure also puts the record in its category for `kb cover`
COVERED_KINDS = ("standard", "metrology")
CLASSIFY_CACHE = 50_000  # synthetic and real corpora repeat titles: remember recent answers


@dataclass(frozen=True)
class CoverageFacts:
    level_group: str  # national_mandatory … group, metrology, other (kb.coverage.LEVEL_GROUPS)
    ccs: tuple[str, ...]  # the codes `kb gaps` counts the record under
    basis: str  # own / inferred / inherited / "" (unclassified)
    within: tuple[str, ...]  # those codes, guesses ≥ ALSO_CONFIDENCE, and every category above them (K13 → K, K10/19, K13)
    assignments: tuple[Assignment, ...]  # the classifier's best guesses, with reasons
    ics: tuple[str, ...]
    age_from: str  # ISO date the 标龄 counts from (issue, implementation, else 1 January of the number's year)
    successors: tuple[str, ...]  # numbers of the records that replace it (its own list or theirs)
    sources: tuple[str, ...]


def level_group(record: Record) -> str:
    """national_mandatory, national_recommended, national_guidance, industry … other."""
    if record.level == "national":
        return {"mandatory": "national_mandatory", "guidance": "national_guidance"}.get(
            record.force or "", "national_recommended")
    return record.level if record.level in ("industry", "local", "group", "enterprise", "metrology") else "other"


def number_key(number: str) -> str:
    parsed = numbers.try_parse(number)
    return parsed.key if parsed else number


def age_from(record: Record) -> str:
    start = record.issue_date or record.implementation_date
    if start:
        return start
    if record.kind in COVERED_KINDS:
        parsed = numbers.try_parse(record.number)
        if parsed is not None and parsed.year:
            return f"{parsed.year:04d}-01-01"
    return ""


class CoverageContext:
    """What one record's facts need from the others: who replaces it, and for an edition
    known only by its number, the successor it inherits its category from."""

    def __init__(self, records: Collection[Record], vocabulary: Vocabulary | None = None):
        self.vocabulary = vocabulary or default_vocabulary()
        self._successors: dict[str, list[str]] = {}
        for record in records:
            for old in record.replaces:
                parsed = numbers.try_parse(old)
                if parsed is not None and record.number not in self._successors.setdefault(parsed.key, []):
                    self._successors[parsed.key].append(record.number)
        wanted = {number_key(n) for r in records if not r.title for n in self.successors(r)}
        # Only the successors an untitled edition inherits from are kept: not the whole corpus.
        self._titled = {key: r for r in records if r.title and (key := number_key(r.number)) in wanted}
        self._cache: dict[bytes, tuple[Assignment, ...]] = {}

    def successors(self, record: Record) -> tuple[str, ...]:
        return tuple(record.replaced_by) or tuple(self._successors.get(number_key(record.number), ()))

    def assignments(self, record: Record) -> tuple[Assignment, ...]:
        """classify(record), remembered for records with the same classified content."""
        # A digest, not the texts: a key must not keep a record's title and scope alive.
        key = hashlib.blake2b(repr((record.title, record.scope[:300], record.number.split(" ")[0],
                                    record.ccs, record.ics, record.sector)).encode(), digest_size=16).digest()
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= CLASSIFY_CACHE:
                self._cache.clear()
            from kb.classify import classify

            found = self._cache[key] = tuple(classify(record, self.vocabulary, limit=3))
        return found

    def top_category(self, record: Record) -> Assignment | None:
        """The best CCS (or user) category: the record's own code, else the best inferred
        one with confidence of at least MIN_CONFIDENCE."""
        for assignment in self.assignments(record):
            if assignment.scheme in ("ccs", "user"):
                return assignment if assignment.confidence >= MIN_CONFIDENCE else None
        return None

    def _codes(self, record: Record, successors: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        own = tuple(dict.fromkeys(normalize_code(c) or c.strip() for c in record.ccs if c.strip()))
        if own:
            return own, "own"
        if not record.title:
            for number in successors:
                successor = self._titled.get(number_key(number))
                if successor is not None:
                    codes, _ = self._codes(successor, ())
                    if codes:
                        return codes, "inherited"
        top = self.top_category(record)
        return ((top.code,), "inferred") if top is not None else ((), "")

    def _within(self, codes: tuple[str, ...]) -> tuple[str, ...]:
        found: list[str] = []
        for code in codes:
            seen = 0
            while code and code not in found and seen < 10:
                found.append(code)
                category = self.vocabulary.category(code)
                code, seen = (category.parent if category else ""), seen + 1
        return tuple(sorted(found))

    def facts(self, record: Record) -> CoverageFacts:
        successors = self.successors(record)
        codes, basis = self._codes(record, successors)
        also = tuple(a.code for a in self.assignments(record)
                     if basis == "inferred" and a.scheme == "ccs" and a.confidence >= ALSO_CONFIDENCE)
        return CoverageFacts(
            level_group=level_group(record), ccs=codes, basis=basis, within=self._within(codes + also),
            assignments=self.assignments(record),
            ics=tuple(dict.fromkeys(normalize_code(c) or c.strip() for c in record.ics if c.strip())),
            age_from=age_from(record), successors=successors,
            sources=tuple(dict.fromkeys(s.source for s in record.sources if s.source)))


    def indexed_hash(self, record: Record, content_hash: str | None = None) -> str:
        """The hash an index keeps for a record: its content and what its facts take from the
        others (who replaces it), so an update re-indexes it when either changes."""
        content_hash = content_hash or record.content_hash()
        successors = self.successors(record)
        if not successors:
            return content_hash
        return hashlib.sha256("\x00".join((content_hash, *successors)).encode()).hexdigest()
