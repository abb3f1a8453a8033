"""Helpers every parser shares: explicit decoding, text cleanup, dates, codes, records.

Everything here is pure. Failures raise kb.errors.ParseError with a one-line message.
"""
from __future__ import annotations

import codecs
import datetime as dt
import json
import logging
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup

from kb import numbers
from kb.errors import NumberError, ParseError
from kb.records import Record, Source, sha256
from kb.vocab import normalize_status

log = logging.getLogger("crawlers.parsers")

CHINA_TZ = dt.timezone(dt.timedelta(hours=8))  # the platforms' ms-epoch dates are Beijing dates

# -- decoding -----------------------------------------------------------------

_DECLARED = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
_GB_FAMILY = {"gbk", "gb2312", "gb18030", "gb_2312-80", "x-gbk", "cp936"}


def decode_html(body: bytes, what: str) -> str:
    """Decode an HTML page: its declared charset, else UTF-8, else GB18030."""
    if body and body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8):]
    if not body or not body.strip():
        raise ParseError(f"{what}：响应体为空")
    declared = _DECLARED.search(body[:8192])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        codec = "gb18030" if name in _GB_FAMILY else name
        try:
            return body.decode(codec)
        except LookupError:
            raise ParseError(f"{what}：页面声明了未知的字符集 {name!r}") from None
        except UnicodeDecodeError:
            raise ParseError(f"{what}：页面声明为 {name}，但其字节不是 {name}"
                             "（编码有误？）") from None
    for codec in ("utf-8", "gb18030"):
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    raise ParseError(f"{what}：响应体不是 UTF-8 或 GB18030 编码的文本")


def load_json(body: bytes, what: str):
    """Parse a JSON body (UTF-8, as RFC 8259 requires)."""
    if body and body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8):]
    if not body or not body.strip():
        raise ParseError(f"{what}：响应体为空")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{what}：JSON 响应体不是 UTF-8（编码有误？）") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what}：不是有效的 JSON（第 {exc.lineno} 行：{exc.msg}）") from None


def load_json_object(body: bytes, what: str, *keys: str) -> dict:
    """A JSON object holding all of `keys`; ParseError otherwise."""
    data = load_json(body, what)
    if not isinstance(data, dict) or any(k not in data for k in keys):
        raise ParseError(f"{what}：JSON 中没有 {' / '.join(keys)}；不是这个解析器认识的页面")
    return data


MAX_DEPTH = 256  # element nesting kept; deeper wrappers are dropped, their content kept


def soup_of(text: str) -> BeautifulSoup:
    """The page's soup. A page nested deeper than MAX_DEPTH (20,000 <div>s, say) is
    flattened first, since every CSS select walks the ancestors of what it matches."""
    return BeautifulSoup(flatten_deep(text), "lxml")


_TAG = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<(/?)([A-Za-z][\w:-]*)\b[^>]*>", re.S | re.I)
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_SELF_CLOSING = frozenset("p li td th tr option dt dd".split())  # a second one closes the first
_KEEP_TOP = 8  # html, body and the page's top containers are never dropped


def flatten_deep(text: str) -> str:
    """`text` itself, or (nested deeper than MAX_DEPTH) the page without enough of its outer
    wrappers (tags below the top 8 levels, outermost first) to bring it to MAX_DEPTH: the
    innermost structure and all text stay. One pass over the tags."""
    stack: list[list] = []  # open tags: [name, span of the open tag]; [8, cursor) are dropped
    cursor = _KEEP_TOP
    drops: list[tuple[int, int]] = []
    for match in _TAG.finditer(text):
        name = (match.group(3) or "").lower()
        if not name or name in _VOID or match.group(0).endswith("/>"):
            continue
        if not match.group(2):
            if name in _SELF_CLOSING and stack and stack[-1][0] == name:
                stack.pop()
            stack.append([name, match.span()])
            cursor = max(_KEEP_TOP, min(cursor, len(stack) - 1))
            if len(stack) - (cursor - _KEEP_TOP) > MAX_DEPTH:
                drops.append(stack[cursor][1])
                cursor += 1
            continue
        for i in range(len(stack) - 1, max(-1, len(stack) - 17), -1):  # an unmatched close is ignored
            if stack[i][0] == name:
                if _KEEP_TOP <= i < cursor:
                    drops.append(match.span())
                del stack[i:]
                cursor = max(_KEEP_TOP, min(cursor, len(stack)))
                break
    if not drops:
        return text
    kept, start = [], 0
    for begin, end in sorted(drops):
        kept.append(text[start:begin])
        start = end
    kept.append(text[start:])
    return "".join(kept)


# -- refusals and redirects ------------------------------------------------------

_WAF = re.compile(r"Knownsec CloudWAF|创宇盾|jiasule|error_403")


def refusal(text: str) -> str:
    """The reason if the page is a firewall block page (ttbz answers 403 with one), else ""."""
    if not _WAF.search(text[:20000]):
        return ""
    rule = re.search(r'"rule_id"\s*:\s*"?(\d+)', text)
    message = re.search(r'"error_403_en"\s*:\s*"([^"]+)"', text)
    reason = message.group(1) if message else "请求被网站防火墙拦截"
    return f"{reason}（规则 {rule.group(1)}）" if rule else reason


_REDIRECT_TITLE = re.compile(r"<title>\s*(30[12378] [A-Za-z ]+?)\s*</title>", re.I)


def reject_redirect(text: str, what: str) -> None:
    """A saved 3xx body is not a page: say so instead of failing later."""
    m = _REDIRECT_TITLE.search(text[:2000])
    if m:
        raise ParseError(f"{what}：这是重定向响应（{m.group(1)}），不是页面；"
                         "请跟随重定向（crawlers.parsers.openstd.redirect_target）")


def check_page(text: str, what: str) -> str:
    """Refusal reason ("" if none); ParseError for a redirect body or a truncated page.

    A page cut short would silently lose its last rows, so every <html> it opens (some
    pages embed a second document) must be closed.
    """
    reason = refusal(text)
    if reason:
        return reason
    reject_redirect(text, what)
    lower = text.lower()
    opened, closed = lower.count("<html"), lower.count("</html")
    if closed == 0 or closed < opened:
        raise ParseError(f"{what}：页面不完整（没有结尾的 </html>）")
    return ""


# -- text -------------------------------------------------------------------------

def clean(text: str | None) -> str:
    """Strip, and fold HTML layout whitespace (newlines, tabs, nbsp) to one space.

    Runs of plain spaces inside a title are kept: titles stay as published.
    """
    if not text:
        return ""
    text = text.replace("\xa0", " ").replace("\r", "\n")
    text = re.sub(r"[ \u3000]*[\n\t]+[\s]*", " ", text)
    return text.strip()


def tight(text: str | None) -> str:
    """All whitespace removed (numbers, codes, names)."""
    return re.sub(r"\s+", "", (text or "").replace("\xa0", ""))


def strip_tags(text: str) -> str:
    """Remove inline tags such as <sacinfo> (search highlights) from a string."""
    return re.sub(r"<[^>]+>", "", text or "")


_NAME_SPLIT = re.compile(r"\s*[、，,；;\n]\s*")


def split_names(text: str | None) -> list[str]:
    """Split a list of organisations or people: 、 ， , ； ; or new lines."""
    names = []
    for part in _NAME_SPLIT.split(clean(text).replace("　", " ")):
        part = part.strip(" 。.")
        if part and part not in ("无", "-", "/"):
            names.append(part)
    return names


def drafter_name(text: str) -> str:
    """A drafter as listed; the trailing 等 ('and others') of a truncated list removed."""
    name = tight(text)
    return name[:-1] if name.endswith("等") and len(name) > 2 else name


# -- dates ------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_EMPTY = {"", "无", "-", "—", "/", "暂无", "null", "None"}


def iso_date(value, what: str = "date") -> str:
    """YYYY-MM-DD from 2018-02-09, 2018年05月08日, 2018/5/8 or a ms epoch; "" when absent."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)):
        return epoch_ms_date(value)
    text = clean(str(value))
    if text in _EMPTY:
        return ""
    if re.fullmatch(r"\d{12,13}", text):
        return epoch_ms_date(int(text))
    m = _DATE.search(text)
    if not m:
        raise ParseError(f"无法把{what} {text!r} 读作日期")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        raise ParseError(f"{what} {text!r} 不是真实的日期") from None


def epoch_ms_date(ms: int | float) -> str:
    """The Beijing calendar date of a millisecond epoch (1538323200000 → 2018-10-01)."""
    return dt.datetime.fromtimestamp(ms / 1000, CHINA_TZ).date().isoformat()


# -- classification codes ---------------------------------------------------------

_ICS = re.compile(r"(?<![\d.])(\d{2})(?:\.(\d{2,3})(?:\.(\d{2}))?)?(?![\d])")
_CCS = re.compile(r"(?<![A-Za-z])([A-Z])\s?(\d{2})(?![\d.])")


def ics_codes(text: str | None) -> list[str]:
    """ICS codes in a cell; a group cut to two digits (53.06) is restored (53.060)."""
    codes: list[str] = []
    for field, group, sub in _ICS.findall(text or ""):
        code = field
        if group:
            code += "." + group.ljust(3, "0")
            if sub:
                code += "." + sub
        if code not in codes:
            codes.append(code)
    return codes


def ccs_codes(text: str | None) -> list[str]:
    """CCS codes in a cell ("J83", "Q 34" → "Q34")."""
    codes: list[str] = []
    for letter, digits in _CCS.findall(text or ""):
        if letter + digits not in codes:
            codes.append(letter + digits)
    return codes


# -- numbers and records ----------------------------------------------------------

def parse_number(text: str, what: str) -> numbers.StandardNumber:
    try:
        return numbers.parse(clean(text))
    except NumberError as exc:
        raise ParseError(f"{what}：{exc}") from None


def canonical_list(text: str | None, what: str) -> list[str]:
    """Canonical numbers of a replaces field (代替…, A、B, A，B, 无)."""
    try:
        return [n.canonical for n in numbers.parse_list(text)]
    except NumberError as exc:
        raise ParseError(f"{what}：{exc}") from None


def source_of(name: str, url: str, body: bytes) -> list[Source]:
    return [Source(source=name, url=url, content_hash=sha256(body))]


def build(number: str | numbers.StandardNumber, name: str, url: str, body: bytes, **fields) -> Record:
    """Record.for_number with this page as its only source; bad numbers raise ParseError."""
    parsed = number if isinstance(number, numbers.StandardNumber) else parse_number(number, name)
    return Record.for_number(parsed, sources=source_of(name, url, body), **fields)


def rows_to_records(rows, make, what: str) -> list[Record]:
    """Apply make(row) to each list row; a row that fails is skipped with a warning."""
    records = []
    for index, row in enumerate(rows, 1):
        try:
            record = make(row)
        except ParseError as exc:
            log.warning("%s：跳过第 %d 行：%s", what, index, exc)
            continue
        if record is not None:
            records.append(record)
    return records


# -- URLs --------------------------------------------------------------------------

def absolute(url: str, href: str, default_base: str) -> str:
    return urljoin(url if url.startswith("http") else default_base, href)


def with_query(url: str, **params) -> str:
    """The URL with some query parameters set (others kept, in order)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))


def page_count(total, size) -> int:
    """Pages of a list of `total` rows, `size` a page (0 when either is not a number)."""
    try:
        total, size = int(total), int(size)
    except (TypeError, ValueError):
        return 0
    return -(-total // size) if total > 0 and size > 0 else 0


def query_value(url: str, name: str) -> str:
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key == name:
            return value
    return ""


def table_columns(header: list[str], needed: tuple[str, ...], what: str) -> dict[str, int]:
    """Column of each header name; ParseError when one of `needed` is missing."""
    if any(name not in header for name in needed):
        raise ParseError(f"{what}：表格缺少以下列之一：{'、'.join(needed)}")
    return {name: header.index(name) for name in header}


def list_row_record(cells: list, column: dict[str, int], status_name: str, what: str, url: str,
                    body: bytes) -> Record:
    """A record from one row of a platform's list table (标准号, 标准名称, status, 发布/实施日期)."""
    if len(cells) < len(column):
        raise ParseError(f"一行有 {len(cells)} 个单元格，表头有 {len(column)} 个")

    def cell(name: str) -> str:
        return clean(cells[column[name]].get_text(" "))

    return build(cell("标准号"), what, url, body, title=cell("标准名称"),
                 status=normalize_status(cell(status_name)),
                 issue_date=iso_date(cell("发布日期"), "发布日期"),
                 implementation_date=iso_date(cell("实施日期"), "实施日期"))

