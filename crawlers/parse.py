"""Parse one saved page or file: the library side of `kb parse SOURCE FILE [--url URL]`."""
from __future__ import annotations

import json
from pathlib import Path

from kb.errors import BadInput, NotFound, ParseError

from crawlers.parsers import PARSERS, detect_source
from crawlers.parsers.base import ParseResult


def recorded_url(path: Path) -> str:
    """The URL a saved response came from, if an INDEX.json beside it records one."""
    index = path.parent / "INDEX.json"
    try:
        entries = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(entries, list):
        return ""
    for entry in entries:
        if isinstance(entry, dict) and entry.get("file") == path.name:
            return str(entry.get("uri") or "")
    return ""


def parse_file(source: str | None, path: Path, url: str | None = None) -> ParseResult:
    """Run one parser (named, or detected from the URL and body) on a saved file.

    The URL defaults to the one INDEX.json records for the file, else "".
    Raises NotFound (no file), BadInput (unknown source), ParseError (page not recognised).
    """
    path = Path(path)
    if source is not None and source not in PARSERS:
        raise BadInput(f"无法识别的来源 {source!r}：可用 {', '.join(sorted(PARSERS))}")
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"文件不存在：{path}") from None
    except OSError as exc:
        raise BadInput(f"无法读取 {path}：{exc.strerror or exc}") from None
    if url is None:
        url = recorded_url(path)
    if source is None:
        try:
            source = detect_source(url, body)
        except ParseError as exc:
            raise ParseError(f"{path.name}：{exc}；请指明解析器，不要用 auto") from None
    return PARSERS[source](body, url)
