"""The record model: one standard or metrology regulation, as stored in corpus/ JSONL.

The JSON shape is a contract (SCHEMA_VERSION). Each line of a corpus file is
`Record.to_dict()`; `Record.from_dict()` validates it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields

from kb import numbers
from kb.errors import CorpusError
from kb.vocab import (FORCE_LABELS, LEVEL_LABELS, LEVELS, STATUS_LABELS, STATUSES,
                      normalize_status, region_name)

SCHEMA_VERSION = 1
KINDS = ("standard", "metrology", "policy", "law")
ANNOUNCEMENT_SOURCES = ("sacinfo.announcement", "announcement.json")  # they give no status


@dataclass
class Source:
    """Where a record's facts came from."""

    source: str  # parser or importer name, e.g. "sacinfo.announcement"
    url: str = ""
    fetched_at: str = ""  # ISO 8601
    content_hash: str = ""  # sha256 of the response body or input file

    @classmethod
    def from_dict(cls, data: dict) -> "Source":
        if not isinstance(data, dict):
            raise CorpusError(f"source 须为 JSON 对象，而不是{_json_type(data)}")
        return cls(**{k: str(data.get(k) or "") for k in ("source", "url", "fetched_at", "content_hash")})


@dataclass
class Record:
    """A standard (or metrology regulation). Dates are ISO strings or ""."""

    id: str
    number: str  # canonical number
    kind: str = "standard"
    published_number: str = ""  # as the source printed it
    other_numbers: list[str] = field(default_factory=list)  # joint standards carry two numbers
    title: str = ""
    english_title: str = ""
    level: str = ""
    force: str | None = None  # mandatory / recommended / guidance
    status: str = "unknown"  # a code of vocab.STATUSES, as the source reported it
    issue_date: str = ""
    implementation_date: str = ""
    withdrawal_date: str = ""
    replaces: list[str] = field(default_factory=list)
    replaced_by: list[str] = field(default_factory=list)
    ics: list[str] = field(default_factory=list)
    ccs: list[str] = field(default_factory=list)
    dept: str = ""  # issuing or filing administration (主管部门 / 备案部门)
    technical_committee: str = ""  # 归口单位
    region: str = ""  # GB/T 2260 code for local standards
    sector: str = ""  # industry prefix for industry standards
    organisation: str = ""  # group / enterprise organisation (团体名称)
    drafting_orgs: list[str] = field(default_factory=list)
    drafters: list[str] = field(default_factory=list)
    scope: str = ""
    doc_type: str = ""  # metrology: 检定规程 / 检定系统表 / 校准规范
    record_no: str = ""  # 备案号 of industry and local filings
    sources: list[Source] = field(default_factory=list)
    schema: int = SCHEMA_VERSION

    # -- construction ---------------------------------------------------------

    @classmethod
    def for_number(cls, number: str | numbers.StandardNumber, **values) -> "Record":
        """A record whose id, number and number-derived fields come from the grammar."""
        parsed = number if isinstance(number, numbers.StandardNumber) else numbers.parse(number)
        defaults = {
            "id": parsed.canonical,
            "number": parsed.canonical,
            "published_number": parsed.published or parsed.canonical,
            "kind": "metrology" if parsed.level == "metrology" else "standard",
            "level": parsed.level,
            "force": parsed.force,
            "region": parsed.region or "",
            "sector": parsed.sector or "",
            "organisation": parsed.organisation or "",
        }
        defaults.update({k: v for k, v in values.items() if v not in (None, "", [])})
        return cls(**defaults)

    @classmethod
    def from_dict(cls, data: dict) -> "Record":
        """Validate one corpus line; raise CorpusError naming the bad field."""
        if not isinstance(data, dict):
            raise CorpusError("一条记录须为 JSON 对象")
        schema = data.get("schema", SCHEMA_VERSION)
        if schema != SCHEMA_VERSION:
            raise CorpusError(f"记录的 schema {schema} 不是 {SCHEMA_VERSION}")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise CorpusError(f"未知的字段：{'、'.join(sorted(unknown))}")
        for required in ("id", "number"):
            if not data.get(required):
                raise CorpusError(f"缺少 {required!r}")
        values = dict(data)
        sources = data.get("sources") or []
        if not isinstance(sources, list):
            raise CorpusError(f"sources 须为列表，而不是{_json_type(sources)}")
        values["sources"] = [Source.from_dict(s) for s in sources]
        record = cls(**values)
        record.validate()
        return record

    def validate(self) -> None:
        """Types first (a corpus line is untrusted JSON), then values."""
        for name in _TEXT_FIELD_NAMES:
            value = getattr(self, name)
            if type(value) is not str:
                raise CorpusError(f"{_name(self)}：{name} 须为字符串，而不是{_json_type(value)}")
        for name in _LIST_FIELDS:
            value = getattr(self, name)
            if type(value) is not list or any(type(v) is not str for v in value):
                raise CorpusError(f"{_name(self)}：{name} 须为字符串列表")
        if self.force is not None and self.force not in FORCE_LABELS:
            raise CorpusError(f"{self.id}：force {self.force!r} 不是 {'、'.join(FORCE_LABELS)} 之一")
        if type(self.schema) is not int:
            raise CorpusError(f"{self.id}：schema 须为数字")
        if self.kind not in KINDS:
            raise CorpusError(f"{self.id}：kind {self.kind!r} 不是 {'、'.join(KINDS)} 之一")
        if self.level and self.level not in LEVELS:
            raise CorpusError(f"{self.id}：level {self.level!r} 不是 {'、'.join(LEVELS)} 之一")
        if self.status not in STATUSES:
            raise CorpusError(f"{self.id}：status {self.status!r} 不是 {'、'.join(STATUSES)} 之一")
        for name in ("issue_date", "implementation_date", "withdrawal_date"):
            value = getattr(self, name)
            if value and not _is_date(value):
                raise CorpusError(f"{self.id}：{name} {value[:40]!r} 不是日期（YYYY-MM-DD）")
        if self.number in self.replaces or self.number in self.replaced_by:
            raise CorpusError(f"{self.id}：标准不能代替自身")

    # -- serialization --------------------------------------------------------

    def to_dict(self) -> dict:
        """asdict(self), without its generic deep copy (a tenth of indexing time): the
        fields are strings, None and lists of strings, plus the Source list."""
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        for name in _LIST_FIELDS:
            data[name] = list(data[name])
        data["sources"] = [asdict(source) for source in self.sources]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    def content_hash(self) -> str:
        """Hash of the facts, ignoring provenance: changes when the record changes."""
        data = self.to_dict()
        data.pop("sources")
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]

    # -- derived views ----------------------------------------------------------

    @property
    def parsed_number(self) -> numbers.StandardNumber:
        return numbers.parse(self.number)

    def status_on(self, today: dt.date | None = None) -> str:
        """Status as of `today`: dates override a stale 即将实施 or 现行."""
        return effective_status(self, today)

    def age_years(self, today: dt.date | None = None) -> float | None:
        """标龄: years since issue (or implementation) date; 0 for one dated in the future."""
        start = self.issue_date or self.implementation_date
        if not start:
            year = self.parsed_number.year if self.kind in ("standard", "metrology") else None
            if not year:
                return None
            start = f"{year}-01-01"
        today = today or dt.date.today()
        return max(0.0, round((today - dt.date.fromisoformat(start)).days / 365.25, 1))

    def labelled(self, today: dt.date | None = None) -> dict:
        """The record as JSON output shows it: stored fields plus Chinese labels."""
        data = self.to_dict()
        status = self.status_on(today)
        data["status"] = status
        data["status_label"] = STATUS_LABELS[status]
        data["level_label"] = LEVEL_LABELS.get(self.level, "")
        data["force_label"] = FORCE_LABELS.get(self.force or "", "")
        data["region_name"] = region_name(self.region)
        data["age_years"] = self.age_years(today)
        if status == "unknown":
            data["status_note"] = self.unknown_status_reason()
        return data

    def unknown_status_reason(self) -> str:
        """Why the status is 未知: what the record's sources did not say."""
        if self.sources and all(s.source in ANNOUNCEMENT_SOURCES for s in self.sources):
            return "公告只载发布日期，未载实施日期和状态；kb sync 从标准平台取得后更新"
        return "来源未给出状态和实施日期"


_FIELD_NAMES = tuple(f.name for f in fields(Record))
_LIST_FIELDS = ("other_numbers", "replaces", "replaced_by", "ics", "ccs", "drafting_orgs", "drafters")
_TEXT_FIELD_NAMES = tuple(name for name in _FIELD_NAMES if name not in (*_LIST_FIELDS, "force", "sources", "schema"))
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _json_type(value) -> str:
    return {dict: "对象", list: "列表", str: "字符串", int: "数字", float: "数字",
            bool: " true/false", type(None): " null"}.get(type(value), " " + type(value).__name__)


def _name(record: Record) -> str:
    return record.id if type(record.id) is str else repr(record.id)[:40]


def has_surrogate(value) -> bool:
    """A lone UTF-16 surrogate anywhere in a JSON value (it cannot be written as UTF-8)."""
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_surrogate(v) for v in value)
    return False


def check_text(record: Record) -> None:
    """Raise CorpusError if a field holds a lone surrogate (untrusted JSON pages can)."""
    if has_surrogate(record.to_dict()):
        raise CorpusError(f"{_name(record)}：某个字段含有孤立的代理字符（不是有效的 Unicode 文本）")


def effective_status(record: Record, today: dt.date | None = None) -> str:
    """现行/即将实施 follow the dates; 废止 and 被代替 stay."""
    today_iso = (today or dt.date.today()).isoformat()
    if record.status in ("withdrawn", "replaced"):
        # An old edition stays in force until its replacement's implementation date.
        if record.withdrawal_date and record.withdrawal_date > today_iso:
            return "current"
        return record.status
    if record.withdrawal_date and record.withdrawal_date <= today_iso:
        return "replaced" if record.replaced_by else "withdrawn"
    if record.implementation_date:
        return "upcoming" if record.implementation_date > today_iso else "current"
    return record.status


def status_code(word: str | None) -> str:
    """Re-exported for parsers: 现行 → current."""
    return normalize_status(word)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
