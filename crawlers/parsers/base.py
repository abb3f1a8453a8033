"""What every parser takes and returns.

A parser is a pure function `parse(body: bytes, url: str) -> ParseResult`:
no I/O, explicit decoding, records built with `Record.for_number`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from kb.records import Record


@dataclass
class ParseResult:
    records: list[Record] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # detail or next pages to follow
    refused: str = ""  # the site refused us (e.g. ttbz 403 page): the reason, not a parse error
    details: dict[str, str] = field(default_factory=dict)  # record id → its detail page (list parsers)
    pages: int = 0  # how many pages the whole list has, when the page says so (0: unknown)


Parser = Callable[[bytes, str], ParseResult]
