"""Corpus set-up shared by the check, change, watch and batch-lookup tests.

The real announcement records (../shared/records/announcements) carry no implementation
dates, so every one of them has status "unknown" unless another replaces it. The few
current / withdrawn / upcoming cases come from a small synthetic CSV with explicit dates
(`synthetic_statuses.csv`, written by the tests). Statuses follow dates, so the tests fix
"today" at TODAY, the day these records were taken into the corpus.
"""
from __future__ import annotations

import datetime as dt
import types
from pathlib import Path

from crawlers.importer import import_files
from kb.changes import record_changes
from tests.conftest import ANNOUNCEMENTS

TODAY = dt.date(2026, 11, 26)

SYNTHETIC_STATUSES = """\
标准号,标准名称,发布日期,实施日期,废止日期,状态,代替标准,中国标准分类号
GB/T 1.1-2020,标准化工作导则 第1部分：标准化文件的结构和起草规则,2020-03-31,2020-10-01,,现行,GB/T 1.1-2009,A00
GB/T 5023.1-2008,额定电压450/750V及以下聚氯乙烯绝缘电缆 第1部分：一般要求,2008-06-30,2009-05-01,,现行,,K13
GB/T 5023.8-2026,（示例）额定电压450/750V及以下聚氯乙烯绝缘电缆 第8部分,2026-10-15,2027-05-01,,即将实施,,K13
GB/T 12345-1990,（示例）已废止的标准,1990-01-10,1990-07-01,2017-03-23,废止,,A01
"""


class _FrozenDate(dt.date):
    @classmethod
    def today(cls):
        return cls(TODAY.year, TODAY.month, TODAY.day)


def freeze_today(monkeypatch) -> None:
    """Statuses (kb.records) and change dates (kb.changes) as of TODAY."""
    import kb.changes
    import kb.records

    frozen = types.SimpleNamespace(date=_FrozenDate, datetime=dt.datetime, timezone=dt.timezone,
                                   timedelta=dt.timedelta)
    monkeypatch.setattr(kb.records, "dt", frozen)
    monkeypatch.setattr(kb.changes, "dt", frozen)


def write_synthetic_statuses(directory: Path) -> Path:
    path = directory / "synthetic_statuses.csv"
    path.write_text(SYNTHETIC_STATUSES, encoding="utf-8")
    return path


def build_corpus(corpus: Path, inputs: Path) -> Path:
    """Import every real announcement, then the synthetic statuses, into `corpus`."""
    corpus.mkdir(parents=True, exist_ok=True)
    inputs.mkdir(parents=True, exist_ok=True)
    import_files([ANNOUNCEMENTS, write_synthetic_statuses(inputs)], corpus, record_changes=record_changes)
    return corpus
