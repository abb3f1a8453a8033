"""Number lists for batch lookups (`kb get --from FILE`): one number a line, or a CSV/XLSX column.

    read_number_list(Path("清单.xlsx"), column="标准号")

A CSV or XLSX file is read with crawlers.tables (read_rows); without --column the
standard-number column is found from the header words tables.HEADERS knows (标准号,
标准编号, std_code …), or a header-less first column of numbers is taken as is.
"""
from __future__ import annotations

from pathlib import Path

from kb import numbers
from kb.errors import BadInput, ParseError
from crawlers.tables import header_map, read_rows

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def _cell(value) -> str:
    return "" if value is None else str(value).strip()


def _column_index(header: list, column: str | None, path: Path) -> int | None:
    """The index of the number column; None for a header-less list."""
    names = [_cell(h).lstrip("\ufeff") for h in header]
    if column is not None:
        if column.strip() not in names:
            shown = ", ".join(n for n in names if n) or "none"
            raise BadInput(f"{path} 中没有列 {column!r}；现有的列：{shown}")
        return names.index(column.strip())
    mapped = [i for i, name in header_map(names).items() if name == "number"]
    if mapped:
        return mapped[0]
    if names and numbers.try_parse(names[0]) is not None:
        return None
    raise BadInput(f"{path}：无法判断哪一列是标准号；"
                   f"请用 --column 指定（现有的列：{'、'.join(n for n in names if n) or '无'}）")


def _decode(data: bytes, path: Path) -> str:
    if b"\x00" in data[:4096]:
        raise ParseError(f"{path} 不是文本文件（每行一个标准号）、CSV 或 XLSX")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ParseError(f"{path} 既不是 UTF-8 也不是 GB18030 编码的文本")


def _text_list(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"无法读取 {path}：{exc.strerror}") from None
    listed = [line.strip() for line in _decode(data, path).splitlines()]
    return [line for line in listed if line and not line.startswith("#")]


def _table_column(path: Path, column: str | None, sheet: str | None) -> list[str]:
    rows = read_rows(path, sheet)
    if not rows:
        raise BadInput(f"{path} 是空文件")
    index = _column_index(rows[0], column, path)
    body = rows if index is None else rows[1:]
    index = index or 0
    return [_cell(row[index]) for row in body if index < len(row) and _cell(row[index])]


def read_number_list(path: Path, column: str | None = None, sheet: str | None = None) -> list[str]:
    """The numbers listed in `path`, in order, blanks (and # comments in text lists) skipped."""
    if not path.exists() or path.is_dir():
        raise BadInput(f"{path}：文件不存在")
    if path.suffix.lower() in TABLE_SUFFIXES:
        found = _table_column(path, column, sheet)
    elif column is not None:
        raise BadInput(f"--column 只用于 CSV 或 XLSX 文件，不能用于 {path.name}")
    else:
        found = _text_list(path)
    if not found:
        raise BadInput(f"{path} 中没有标准号")
    return found
