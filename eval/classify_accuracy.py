"""Accuracy of kb.classify on real records whose CCS codes the platforms published.

    cd /work/main && .venv/bin/python -m eval.classify_accuracy [--shared ../shared] [-v]

Gold data: every saved page under ../shared/pages that prints a CCS code (std.samr search
lists and detail pages, the std.samr JSON query, openstd detail pages, the ttbz detail page),
read by crawlers.parsers (a small fallback reads the jtst.mot.gov.cn detail page, which no
parser knows), one record per standard number; plans (计划) are not standards and the
parsers skip them. The codes are
hidden from the classifier; it sees the title and the number (mode "title+number"), the
title alone ("title only"), or the title, number and the published ICS codes ("+ICS").

"one per series" keeps one record of each series (GB/T 5606.1 and GB/T 5606.2 are one
series), so the eleven 卷烟 records of GB 5606 and GB/T 5606 count twice, not eleven times.

Metrics: top-k at CCS level 3 counts a hit when the gold code is among the first k
level-3 codes of the ranking (letter-only guesses are skipped there); top-k at the first
letter counts a hit when the gold letter is among the first k distinct letters.
Also reports the time to classify the 1,111 announcement records (no gold codes).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup

from crawlers.parse import parse_file
from kb import numbers
from kb.categories import default_vocabulary
from kb.classify import classify, sector_prior
from kb.errors import KbError, ParseError
from kb.records import Record
from kb.taxonomy import normalize_code

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = (ROOT / ".." / "shared").resolve()


@dataclass
class GoldRecord:
    number: str
    title: str
    ccs: str
    ics: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


# -- loading the gold records --------------------------------------------------------

def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _lines(soup: BeautifulSoup) -> list[str]:
    return [line for line in (_clean(x) for x in soup.get_text("\n").split("\n")) if line]


def _after(lines: list[str], label: str) -> str:
    for i, line in enumerate(lines):
        if line.rstrip(": ：") == label and i + 1 < len(lines):
            return lines[i + 1]
    return ""


def fallback_detail(body: bytes) -> list[GoldRecord]:
    """A detail page no parser knows (jtst.mot.gov.cn mirrors std.samr's layout):
    标准号 / 中国标准分类号 / 国际标准分类号 label lines, the title in the page header."""
    soup = BeautifulSoup(body.decode("utf-8", errors="replace"), "lxml")
    lines = _lines(soup)
    ccs = normalize_code(_after(lines, "中国标准分类号").split(" ")[0]) or ""
    heading = soup.select_one(".page-header h4")
    number = _after(lines, "标准号")
    if not (ccs and heading and number):
        return []
    ics = re.findall(r"\d{2}\.\d{3}(?:\.\d{2})?", _after(lines, "国际标准分类号"))
    return [GoldRecord(number, _clean(heading.get_text()), ccs, ics)]


def gold_from_page(path: Path) -> list[GoldRecord]:
    """Records with CCS codes on one saved page: through crawlers.parsers, or the fallback
    above when no parser recognises the page."""
    try:
        result = parse_file(None, path)
    except ParseError:
        return fallback_detail(path.read_bytes())
    except KbError:
        return []
    return [GoldRecord(r.number, _clean(r.title), r.ccs[0], list(r.ics)) for r in result.records if r.ccs]


def load_gold(shared: Path) -> list[GoldRecord]:
    """All standards with a published CCS code in the saved pages, one per number.
    Codes that are not CCS level-3 codes are dropped (one plan repeats its ICS code there)."""
    level3 = {c.code for c in default_vocabulary().taxonomy.of("ccs", 3)}
    merged: dict[str, GoldRecord] = {}
    for path in sorted((shared / "pages").rglob("*")):
        if path.suffix not in (".html", ".json") or not path.is_file():
            continue
        body = path.read_bytes()
        if b"CCS" not in body and "中国标准分类号".encode() not in body:
            continue
        for item in gold_from_page(path):
            if not item.title or item.ccs not in level3:
                continue
            parsed = numbers.try_parse(item.number)
            key = parsed.key if parsed else item.number.upper()
            item.sources.append(str(path.relative_to(shared)))
            if key in merged:
                merged[key].sources += item.sources
                merged[key].ics = merged[key].ics or item.ics
            else:
                merged[key] = item
    return list(merged.values())


# -- evaluation ---------------------------------------------------------------------------

MODES = ("title+number", "title only", "+ICS")


def to_record(item: GoldRecord, mode: str) -> Record:
    ics = item.ics if mode == "+ICS" else []
    parsed = numbers.try_parse(item.number) if mode != "title only" else None
    if parsed:
        return Record.for_number(parsed, title=item.title, ics=ics)
    hidden = "?" if mode == "title only" else item.number  # no number, no sector
    return Record(id=hidden, number=hidden, title=item.title, ics=ics)


def ranking(assignments) -> tuple[list[str], list[str]]:
    """(level-3 codes in order, distinct letters in order) of the CCS assignments."""
    vocabulary = default_vocabulary()
    level3, letters = [], []
    for a in assignments:
        if a.scheme not in ("ccs", "user"):
            continue
        category = vocabulary.category(a.code)
        if category is not None and category.level == 3 and category.scheme == "ccs":
            level3.append(a.code)
        letter = vocabulary.letter_of(a.code)
        if letter and letter not in letters:
            letters.append(letter)
    return level3, letters


def evaluate(gold: list[GoldRecord], mode: str) -> dict:
    hits = {"l3@1": 0, "l3@3": 0, "letter@1": 0, "letter@3": 0, "none": 0}
    rows = []
    for item in gold:
        assignments = classify(to_record(item, mode))
        level3, letters = ranking(assignments)
        hits["l3@1"] += item.ccs in level3[:1]
        hits["l3@3"] += item.ccs in level3[:3]
        hits["letter@1"] += item.ccs[0] in letters[:1]
        hits["letter@3"] += item.ccs[0] in letters[:3]
        hits["none"] += not assignments
        rows.append((item, assignments))
    return {"n": len(gold), "hits": hits, "rows": rows}


def announcement_records(shared: Path) -> list[Record]:
    records = []
    for path in sorted((shared / "records" / "announcements").glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")).get("items", []):
            first = item["std_code"].splitlines()[0]  # joint standards list two numbers
            parsed = numbers.try_parse(first)
            if parsed:
                records.append(Record.for_number(parsed, title=item["std_name"]))
    return records


def sector_agreement(records: list[Record]) -> tuple[int, int]:
    """How often the title alone lands in a letter the record's sector points to.
    Agreement, not accuracy: the announcements carry no CCS codes."""
    agree = total = 0
    for record in records:
        prior = sector_prior(record)
        if prior is None:
            continue
        blind = Record(id="?", number="?", title=record.title)
        _, letters = ranking(classify(blind))
        if letters:
            total += 1
            agree += letters[0] in prior.letters
    return agree, total


def _series(item: GoldRecord) -> str:
    parsed = numbers.try_parse(item.number)
    return parsed.series_key if parsed else item.number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every record's guesses")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    default_vocabulary()
    load_seconds = time.perf_counter() - start
    gold = load_gold(args.shared)
    letters = sorted({g.ccs[0] for g in gold})
    print(f"gold records with a published CCS code: {len(gold)} "
          f"(letters {''.join(letters)}; {sum(1 for g in gold if g.ics)} with ICS)")
    print()
    print(f"| mode | n | CCS-3 top-1 | CCS-3 top-3 | letter top-1 | letter top-3 |")
    print(f"|---|---|---|---|---|---|")
    per_series = list({_series(g): g for g in gold}.values())  # GB 5606 卷烟 counts once
    results = {}
    for mode in MODES:
        for label, items in ((mode, gold), (f"{mode}, one per series", per_series)):
            result = evaluate(items, mode)
            results[label] = result
            n, h = result["n"], result["hits"]
            cells = " | ".join(f"{h[k]}/{n} = {h[k] / n:.0%}" for k in ("l3@1", "l3@3", "letter@1", "letter@3"))
            print(f"| {label} | {n} | {cells} |")

    records = announcement_records(args.shared)
    start = time.perf_counter()
    for record in records:
        classify(record)
    seconds = time.perf_counter() - start
    print()
    print(f"vocabulary build (taxonomy + jieba): {load_seconds:.2f} s; "
          f"classifying the {len(records)} announcement records: {seconds:.2f} s")
    agree, total = sector_agreement(records)
    print(f"announcements (no gold codes): the title alone lands in its sector's letters for "
          f"{agree}/{total} = {agree / max(total, 1):.0%} of the industry records with a guess")
    print("command: cd /work/main && .venv/bin/python -m eval.classify_accuracy")

    if args.verbose:
        print()
        for item, assignments in results["title+number"]["rows"]:
            level3, letters = ranking(assignments)
            mark = "✓" if item.ccs in level3[:1] else ("~" if item.ccs[0] in letters[:1] else "✗")
            print(f"{mark} {item.number} {item.title} | gold {item.ccs} | "
                  + ", ".join(f"{a.code} {a.confidence}" for a in assignments[:3]))
            if assignments:
                print(f"    {assignments[0].reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
