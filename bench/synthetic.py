"""Synthetic standard records for scale benchmarks, shaped like the shipped corpus.

    python -m bench.synthetic --records 300000 --seed 7 --out /tmp/synthetic-corpus

Everything is learned from corpus/standards.jsonl (the real records) and sampled
with one seeded RNG, so a seed always gives the same corpus:

- prefix, level, region, sector, force and dept: the designation of a real record
  picked at random (so their joint distribution is the real one);
- sequence numbers: digit count of that designation's real numbers; part
  probability and year: the real distributions;
- titles: a word bigram chain over the jieba cuts of the real titles, kept to the
  real title lengths;
- scopes: short generated sentences (the real records carry none) built from the
  title and section words;
- status, issue date and replaces: the real frequencies.

The output is named synthetic everywhere and never committed.
"""
from __future__ import annotations

import argparse
import bisect
import json
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from kb import numbers
from kb.corpus import STANDARDS_FILE
from kb.records import Record

ROOT = Path(__file__).resolve().parents[1]
REAL_CORPUS = ROOT / "corpus" / STANDARDS_FILE
DEFAULT_RECORDS = 300_000

_SECTIONS = ("术语和定义", "技术要求", "试验方法", "检验规则", "标志、包装、运输和贮存", "基本要求",
             "管理要求", "评价指标", "操作流程", "安全要求", "质量控制", "记录与档案")
_SCOPE_USES = ("的设计、生产和检验", "的建设与运行管理", "的检测与评价", "的生产、经营和监督管理",
               "的技术服务", "的质量控制", "的安装、调试和验收", "的采购与使用")


class _Weighted:
    """Draw from a Counter in O(log n) with one RNG."""

    def __init__(self, counts: Counter):
        self.items = list(counts)
        total, self.cum = 0, []
        for item in self.items:
            total += counts[item]
            self.cum.append(total)
        self.total = total

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


@dataclass
class Model:
    templates: list[Record]
    digits: dict[str, _Weighted]
    years: _Weighted
    part_rate: float
    statuses: _Weighted
    issue_dates: _Weighted
    replaces_rate: float
    starts: _Weighted
    next_words: dict[str, _Weighted]
    title_lengths: _Weighted
    words: list[str]


def _cut(text: str) -> list[str]:
    from index.analysis import jieba_tokenizer

    return [w for w in jieba_tokenizer().cut(text, HMM=False) if w.strip()]


def learn(path: Path = REAL_CORPUS) -> Model:
    records = [Record.from_dict(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    digits: dict[str, Counter] = defaultdict(Counter)
    years, statuses, dates, starts, lengths, vocab = Counter(), Counter(), Counter(), Counter(), Counter(), Counter()
    bigrams: dict[str, Counter] = defaultdict(Counter)
    parts = 0
    for record in records:
        parsed = numbers.parse(record.number)
        digits[parsed.designation][len(parsed.number)] += 1
        if parsed.year:
            years[parsed.year] += 1
        parts += bool(parsed.part)
        statuses[record.status] += 1
        dates[record.issue_date] += 1
        if record.title:
            words = _cut(record.title)
            lengths[len(record.title)] += 1
            starts[words[0]] += 1
            vocab.update(words)
            for a, b in zip(words, [*words[1:], ""]):
                bigrams[a][b] += 1
    return Model(
        templates=records,
        digits={k: _Weighted(v) for k, v in digits.items()},
        years=_Weighted(years),
        part_rate=parts / len(records),
        statuses=_Weighted(statuses),
        issue_dates=_Weighted(dates),
        replaces_rate=sum(1 for r in records if r.replaces) / len(records),
        starts=_Weighted(starts),
        next_words={k: _Weighted(v) for k, v in bigrams.items()},
        title_lengths=_Weighted(lengths),
        words=[w for w, _ in vocab.most_common() if re.search(r"[\u4e00-\u9fff]{2}", w)],
    )


def _title(model: Model, rng: random.Random) -> str:
    want = model.title_lengths.draw(rng)
    for _ in range(20):
        words = [model.starts.draw(rng)]
        while len(words) < 30:
            nxt = model.next_words.get(words[-1])
            word = nxt.draw(rng) if nxt else ""
            if not word:
                break
            words.append(word)
        title = "".join(words)
        if abs(len(title) - want) <= max(3, want // 4):
            return title
    return title


def _scope(model: Model, rng: random.Random, title: str) -> str:
    sections = rng.sample(_SECTIONS, 3)
    subject = rng.choice(model.words[:2000])
    return (f"本文件规定了{title}的{sections[0]}、{sections[1]}和{sections[2]}。"
            f"本文件适用于{subject}{rng.choice(_SCOPE_USES)}。")


def _number(model: Model, rng: random.Random, template: Record, seen: set[str]) -> numbers.StandardNumber:
    parsed = template.parsed_number
    digit_counts = model.digits.get(parsed.designation)
    for attempt in range(200):
        # a designation with short numbers (KA 34) runs out of them at scale: widen by a digit
        size = (digit_counts.draw(rng) if digit_counts else 4) + attempt // 20
        seq = str(rng.randrange(10 ** (size - 1) if size > 1 else 1, 10 ** size))
        part = str(rng.randint(1, 12)) if rng.random() < model.part_rate else ""
        candidate = numbers.StandardNumber(prefix=parsed.prefix, type=parsed.type, number=seq, part=part,
                                           year=model.years.draw(rng))
        if candidate.key not in seen:
            seen.add(candidate.key)
            return candidate
    raise RuntimeError(f"cannot find a free number for {parsed.designation}")


def generate(count: int, seed: int = 7, model: Model | None = None):
    """Yield `count` synthetic records; the same seed gives the same records."""
    model = model or learn()
    rng = random.Random(seed)
    seen: set[str] = set()
    for _ in range(count):
        template = rng.choice(model.templates)
        number = _number(model, rng, template, seen)
        title = _title(model, rng)
        replaces = []
        if rng.random() < model.replaces_rate:
            replaces = [numbers.StandardNumber(prefix=number.prefix, type=number.type, number=number.number,
                                               part=number.part, year=number.year - rng.randint(3, 15)).canonical]
        yield Record.for_number(
            number, title=title, scope=_scope(model, rng, title), dept=template.dept,
            status=model.statuses.draw(rng), issue_date=model.issue_dates.draw(rng), replaces=replaces,
        )


def write_corpus(out_dir: Path, count: int, seed: int = 7) -> Path:
    """Write `count` synthetic records as <out_dir>/standards.jsonl; return the file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / STANDARDS_FILE
    with open(path, "w", encoding="utf-8") as handle:
        for record in generate(count, seed):
            handle.write(record.to_json() + "\n")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic standards corpus (never commit it).")
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="corpus directory to write standards.jsonl into")
    args = parser.parse_args(argv)
    path = write_corpus(args.out, args.records, args.seed)
    print(f"wrote {args.records} synthetic records to {path}")


if __name__ == "__main__":
    main()
