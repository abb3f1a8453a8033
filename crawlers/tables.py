"""Standard lists kept in Excel or CSV, with Chinese (or English) column headers.

    标准号 | 标准名称 | 发布日期 | 实施日期 | 状态 | 代替标准 | …

Rows become records; a row whose number does not parse is reported with its row
number and the other rows still import.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from kb import numbers
from kb.errors import BadInput, NumberError, ParseError
from kb.records import Record, Source, sha256
from kb.vocab import FORCE_WORDS, normalize_status

# header word → Record field
HEADERS = {
    "标准号": "number", "标准编号": "number", "编号": "number", "标准代号": "number", "std_code": "number",
    "number": "number",
    "标准名称": "title", "名称": "title", "中文名称": "title", "中文标题": "title", "std_name": "title",
    "title": "title",
    "英文名称": "english_title", "英文标题": "english_title", "english_title": "english_title",
    "发布日期": "issue_date", "publish_date": "issue_date", "issue_date": "issue_date",
    "实施日期": "implementation_date", "implementation_date": "implementation_date",
    "废止日期": "withdrawal_date", "expiry_date": "withdrawal_date", "withdrawal_date": "withdrawal_date",
    "状态": "status", "标准状态": "status", "status": "status",
    "代替标准": "replaces", "代替标准号": "replaces", "代替文件号": "replaces", "全部代替标准": "replaces",
    "replaces_code": "replaces", "replaces": "replaces",
    "被代替标准": "replaced_by", "replaced_by": "replaced_by",
    "中国标准分类号": "ccs", "CCS": "ccs", "ccs": "ccs",
    "国际标准分类号": "ics", "ICS": "ics", "ics": "ics",
    "主管部门": "dept", "发布部门": "dept", "备案部门": "dept", "dept": "dept",
    "归口单位": "technical_committee",
    "起草单位": "drafting_orgs", "起草人": "drafters",
    "范围": "scope", "适用范围": "scope", "scope": "scope",
    "备案号": "record_no", "record_no": "record_no",
    "标准性质": "force", "性质": "force",
}
_LIST_SEP = re.compile(r"\s*[、，,；;\n]\s*")


@dataclass
class TableImport:
    records: list[Record] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "file：第 N 行：reason"


def _date(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not m:
        raise ValueError(f"{text!r} 不是日期（如 2026-08-01 或 2026年8月1日）")
    return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()


def header_map(headers: list[str]) -> dict[int, str]:
    mapping = {}
    for i, header in enumerate(headers):
        name = HEADERS.get(str(header or "").strip().lstrip("\ufeff"))
        if name and name not in mapping.values():
            mapping[i] = name
    return mapping


class Unreadable(str):
    """A CSV row the csv module could not read: why."""


def row_record(values: dict[str, object], source: Source, warnings: list[str] | None = None) -> Record:
    """The row's record; what was kept but not understood is added to `warnings`."""
    warnings = [] if warnings is None else warnings
    numbers_ = numbers.parse_list(str(values.get("number") or ""))
    if not numbers_:
        raise NumberError("没有标准号")
    fields: dict = {"sources": [source], "other_numbers": [n.canonical for n in numbers_[1:]]}
    for name, value in values.items():
        if name == "number" or value in (None, ""):
            continue
        if name in ("issue_date", "implementation_date", "withdrawal_date"):
            fields[name] = _date(value)
        elif name in ("replaces", "replaced_by"):
            fields[name] = [n.canonical for n in numbers.parse_list(str(value))]
        elif name in ("ccs", "ics", "drafting_orgs", "drafters"):
            fields[name] = [v for v in _LIST_SEP.split(str(value).strip()) if v]
        elif name == "status":
            fields[name] = normalize_status(str(value))
            if fields[name] == "unknown" and str(value).strip() not in ("未知", "unknown"):
                warnings.append(f"未知的状态 {str(value).strip()[:40]!r}，记为未知")
        elif name == "force":
            fields[name] = FORCE_WORDS.get(str(value).strip())
        else:
            fields[name] = str(value).strip()
    own = numbers_[0].canonical
    for name in ("replaces", "replaced_by"):
        if own in fields.get(name, []):
            fields[name] = [n for n in fields[name] if n != own]
            warnings.append(f"{own} 不能代替自身；已从 {name} 中去掉")
    return Record.for_number(numbers_[0], **fields)


def _rows_from_csv(data: bytes, path: Path) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ParseError(f"{path} 不是 UTF-8 或 GB18030 编码的文本")
    rows: list[list] = []
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            rows.append(next(reader))
        except StopIteration:
            return rows
        except csv.Error as exc:  # a field over csv.field_size_limit(), say: this row only
            rows.append(Unreadable(f"无法读取的 CSV 行（{exc}）"))


def _rows_from_xlsx(path: Path, sheet: str | None) -> list[list]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ParseError(f"{path} 不是可读取的 XLSX 工作簿（{exc.__class__.__name__}）") from None
    try:
        if sheet and sheet not in book.sheetnames:
            raise BadInput(f"{path} 中没有工作表 {sheet!r}；现有的工作表：{'、'.join(book.sheetnames)}")
        ws = book[sheet] if sheet else book.worksheets[0]
        return [list(row) for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()


def read_rows(path: Path, sheet: str | None = None) -> list[list]:
    """Rows of a CSV or XLSX file, header first."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _rows_from_xlsx(path, sheet)
    try:
        return _rows_from_csv(path.read_bytes(), path)
    except OSError as exc:
        raise ParseError(f"无法读取 {path}：{exc.strerror}") from None


def import_table(path: Path, sheet: str | None = None) -> TableImport:
    """Records from a CSV or XLSX list; needs at least a 标准号 column."""
    rows = read_rows(path, sheet)
    if not rows:
        raise ParseError(f"{path} 是空的")
    mapping = header_map(rows[0])
    if "number" not in mapping.values():
        raise BadInput(f"{path} 中没有标准号列；现有的表头："
                       f"{'、'.join(str(h) for h in rows[0] if h)}")
    data = path.read_bytes()
    source = Source(source="table", url=path.resolve().as_uri(), content_hash=sha256(data))
    result = TableImport()
    for rowno, row in enumerate(rows[1:], 2):
        if isinstance(row, Unreadable):
            result.errors.append(f"{path.name}：第 {rowno} 行：{row}")
            continue
        if not any(v not in (None, "") for v in row):
            continue
        values = {name: row[i] for i, name in mapping.items() if i < len(row)}
        warnings: list[str] = []
        try:
            result.records.append(row_record(values, source, warnings))
        except (NumberError, ValueError) as exc:
            result.errors.append(f"{path.name}：第 {rowno} 行：{exc}")
        result.errors += [f"{path.name}：第 {rowno} 行：{w}" for w in warnings]
    return result
