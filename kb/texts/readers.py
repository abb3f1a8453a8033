"""Readers: bytes of a file (plain text, Markdown, HTML, PDF, DOCX) → text, title and dates.

Every reader is pure: `(body: bytes, name: str) -> ReadResult`, where `name` is the
file name or URL (used for the format, the fallback title and a version date in
names like `标准化法(2017-11-04).md`). The text comes back one paragraph a line.
`document_lines` gives every line as the document shows it (nothing re-joined, PDF pages
kept) for citation checks. Unreadable or oversized input (kb.texts.limits) raises
kb.errors.ParseError with one line saying why.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

from kb import numbers
from kb.errors import ParseError
from kb.texts import limits

FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
           ".html": "html", ".htm": "html", ".shtml": "html", ".pdf": "pdf", ".docx": "docx"}


@dataclass
class ReadResult:
    text: str  # one paragraph a line
    title: str = ""  # from the text itself ("" if it states none)
    dates: dict[str, str] = field(default_factory=dict)  # issued / amended / effective / version
    format: str = "text"
    name_title: str = ""  # title taken from the file name
    number: str = ""  # a standard's number, from its cover

    @property
    def best_title(self) -> str:
        return self.title or self.name_title


@dataclass(frozen=True)
class Line:
    text: str
    page: int | None = None  # PDF page, from 1


# -- names, encodings, dates ----------------------------------------------------

_NAME_DATE = re.compile(r"[（(](\d{4}-\d{2}-\d{2})[）)]$")


def name_parts(name: str) -> tuple[str, str]:
    """(title, version date) from a file name or URL: 标准化法(2017-11-04).md → 标准化法, 2017-11-04."""
    if re.match(r"[a-z]+://", name):
        name = unquote(urlparse(name).path)
    stem = PurePosixPath(name.replace("\\", "/")).name
    stem = re.sub(r"\.[A-Za-z0-9]{1,8}$", "", stem).strip()
    match = _NAME_DATE.search(stem)
    if match:
        return stem[:match.start()].strip(), match.group(1)
    return stem, ""


def format_of(name: str) -> str:
    suffix = PurePosixPath(urlparse(name).path if "://" in name else name).suffix.lower()
    if suffix == ".doc":
        raise ParseError(f"{_short(name)}：不支持旧的二进制 .doc 文件；请另存为 .docx")
    return FORMATS.get(suffix, "text")


def decode(body: bytes, name: str = "", declared: str = "") -> str:
    """Decode explicitly, trusting no label the bytes contradict: valid UTF-8 is UTF-8 whatever
    the label; else the declared charset, unless it is a one-byte charset (latin-1 …) and the
    bytes read as Chinese in GB18030; else GB18030. Binary input is refused."""
    if b"\x00" in body[:4096]:
        raise ParseError(f"{_short(name)}：是二进制数据，不是文本")
    text = _try_decode(body, "utf-8-sig")
    if text is None and declared:
        text = _try_decode(body, declared)
        if text is not None and (len(text) == len(body) or not _plausible_chinese(text)):
            chinese = _try_decode(body, "gb18030")
            text = chinese if chinese is not None and _plausible_chinese(chinese) else text
    if text is None:
        text = _try_decode(body, "gb18030")
        if text is not None and not _plausible_chinese(text):
            text = None
    if text is None:
        raise ParseError(f"{_short(name)}：不是 UTF-8 或 GB18030 编码的文本")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _try_decode(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes almost anything; real text is mostly common CJK, ASCII and punctuation."""
    if not text:
        return True
    common = sum(1 for c in text if c.isascii() or "\u4e00" <= c <= "\u9fa5" or "\u3000" <= c <= "\u303f"
                 or "\uff00" <= c <= "\uffef" or c in "—…“”‘’·")
    return common / len(text) > 0.9


_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})-(\d{2})-(\d{2})")
_AMENDED = re.compile(r"修订|修正|修改")
_ISSUED = re.compile(r"通过|公布|发布|批准|颁布|印发|制定")
_EFFECTIVE = re.compile(r"施行|实施|生效")


def iso_date(match: re.Match) -> str:
    """YYYY-MM-DD of a matched date; "" for an impossible one (2月30日)."""
    year, month, day = (match.group(1), match.group(2), match.group(3)) if match.group(1) \
        else (match.group(4), match.group(5), match.group(6))
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


def dates_in(lines: list[str]) -> dict[str, str]:
    """issued (first 通过/公布/发布), amended (last 修订/修正), effective (施行) from date lines.

    Each date is classified by the words up to the next date, so
    "…第一次修正根据2009年8月27日…第二次修正" gives two amendments."""
    found: dict[str, str] = {}
    for line in lines:
        matches = list(_DATE.finditer(line))
        for i, match in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            words = line[match.end():end]
            date = iso_date(match)
            if not date:
                continue
            if _AMENDED.search(words):
                found["amended"] = max(date, found.get("amended", date))
            elif _EFFECTIVE.search(words) and not _ISSUED.search(words):
                found.setdefault("effective", date)
            elif _ISSUED.search(words) or not words.strip(" ）)"):
                found.setdefault("issued", date)
    return found


def _dated_lines(lines: list[str]) -> list[str]:
    """Lines that state dates in a body without a header: near the top, starting with a date or
    wrapped in parentheses, or a closing signature date."""
    picked = []
    for index, line in enumerate(lines):
        near_top, near_end = index < 12, index >= len(lines) - 6
        if not (near_top or near_end) or len(line) > 160:
            continue
        bare = line.strip("（）() 　")
        if _DATE.match(bare) or (near_top and line[:1] in "（(" and _DATE.search(line)):
            picked.append(line)
    return picked


def stated_date(lines: list[str], name: str = "") -> str:
    """The date a document states for itself (YYYY-MM-DD, "" if none): the version date in its
    file name, else the issue, amendment or effective date of its date lines (a standard's
    cover "2020-03-31发布", a policy's closing signature date)."""
    name_date = name_parts(name)[1] if name else ""
    dates = dates_in(_dated_lines([line.strip() for line in lines if line.strip()]))
    return name_date or dates.get("issued") or dates.get("amended") or dates.get("effective") or ""


def _version(dates: dict[str, str], name_date: str) -> dict[str, str]:
    version = name_date or dates.get("amended") or dates.get("issued") or ""
    return {**dates, "version": version} if version else dict(dates)


# -- plain text -----------------------------------------------------------------

BOILERPLATE = re.compile(
    r"^(扫一扫.*|.*微信公众号|.*(分享到|打印本页|关闭窗口|【打印】|【关闭】|返回顶部|收藏本页).*"
    r"|.*(字体|字号)[：:]?\s*【?[大中小].*|责任编辑[：:].*|相关链接|.*版权所有.*|网站标识码.*|.*ICP备.*)$")


def clean_lines(text: str) -> list[str]:
    """Non-empty lines, trimmed, without trailing page boilerplate (扫一扫关注, 微信公众号 …)."""
    lines = [line.strip().strip("\ufeff") for line in text.split("\n")]
    lines = [line for line in lines if line]
    while lines and len(lines[-1]) <= 40 and BOILERPLATE.match(lines[-1]):
        lines.pop()
    return lines


_MARKER = re.compile(r"^(第[一二三四五六七八九十百千零〇\d]+[编章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]"
                     r"|\d+(\.\d+)*\s|专栏|——|[A-Z]\.\d|附\s*录|注|示例|表\s*\d|图\s*\d)")


def looks_like_title(line: str) -> bool:
    return (4 <= len(line) <= 60 and not re.search(r"[。；，,;]", line) and not _MARKER.match(line)
            and not _DATE.match(line))


def read_text(body: bytes, name: str = "") -> ReadResult:
    """Plain text: first line is the title if it looks like one; boilerplate is stripped."""
    lines = clean_lines(decode(body, name))
    if not lines:
        raise ParseError(f"{_short(name)}：没有文字")
    return _result(lines, name, "text")


def _result(lines: list[str], name: str, fmt: str, title: str = "") -> ReadResult:
    name_title, name_date = name_parts(name) if name else ("", "")
    number, cover_title = standard_cover(lines)
    if number:
        title = title or cover_title
    elif not title and len(lines) > 1 and looks_like_title(lines[0]):
        title, lines = lines[0], lines[1:]
    dates = dates_in(_dated_lines(lines))
    return ReadResult(text="\n".join(lines), title=title, dates=_version(dates, name_date),
                      format=fmt, name_title=name_title, number=number)


# -- Markdown (../shared/corpus/laws format) -------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_COMMENT = re.compile(r"<!--(?!\s*INFO END).*?-->", re.S)
INFO_END = "<!-- INFO END -->"


def read_markdown(body: bytes, name: str = "") -> ReadResult:
    """`# title`, optional `# subtitle`, date lines, `<!-- INFO END -->`, then `## 第X章` and articles."""
    text = _FRONT_MATTER.sub("", decode(body, name).lstrip("\ufeff"), count=1)
    text = _COMMENT.sub("", text)
    if INFO_END in text:
        header, _, rest = text.partition(INFO_END)
    else:
        header, rest = "", text
    titles: list[str] = []
    header_lines: list[str] = []
    for line in clean_lines(header):
        if line.startswith("#"):
            titles.append(line.lstrip("#").strip())
        else:
            header_lines.append(line)
    body_lines = []
    for line in clean_lines(rest):
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            if not header and not titles and line.startswith("# "):
                titles.append(heading)
                continue
            line = heading
        if line:
            body_lines.append(line)
    name_title, name_date = name_parts(name) if name else ("", "")
    title = "·".join(t for t in titles[:2] if t)
    dates = dates_in(header_lines) if header else dates_in(_dated_lines(body_lines))
    if not body_lines and not header_lines:
        raise ParseError(f"{_short(name)}：没有文字")
    return ReadResult(text="\n".join(body_lines), title=title, dates=_version(dates, name_date),
                      format="markdown", name_title=name_title)


# -- HTML government pages ---------------------------------------------------------

_DROP_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
              "button", "select", "input", "svg", "template", "head"]
_CHROME = re.compile(r"(^|[-_ ])(nav|menu|header|footer|breadcrumb|crumb|share|sidebar|side|topbar|"
                     r"bottom|copyright|print|toolbar|banner|login|search|foot|head|related|links?)($|[-_ \d])",
                     re.I)
_CONTENT = re.compile(r"TRS_Editor|zoom|article|content|main|detail|zhengwen|text|body|pages?_?con|conTxt",
                      re.I)
_BLOCKS = ["p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br", "table", "section",
           "article", "blockquote", "pre", "dd", "dt"]
_BYLINE = re.compile(r"^(来源|发布时间|发布日期|发文日期|作者|浏览次数|点击数|阅读量)\s*[：:]")
_SITE_SUFFIX = re.compile(r"\s*[-_|–—]\s*[^-_|–—]*(政府|网|委员会|部|局|厅|门户|官网)[^-_|–—]*$")
_DECLARED = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)")


def html_charset(body: bytes) -> str:
    """The charset a page declares in its first 4 KB ("" if none); GB2312/GBK read as GB18030."""
    declared = _DECLARED.search(body[:4096].decode("ascii", "ignore"))
    charset = declared.group(1).lower() if declared else ""
    return "gb18030" if charset in ("gb2312", "gbk", "x-gbk") else charset


def _html_lines(body: bytes, name: str) -> tuple[str, list[str]]:
    """(title, main text lines) of a page: navigation, header, footer and scripts dropped;
    table cells kept apart by a tab."""
    from bs4 import BeautifulSoup

    markup = decode(body, name, html_charset(body))
    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception as exc:  # lxml gives up on some binary garbage
        raise ParseError(f"{_short(name)}：无法读取的 HTML（{exc.__class__.__name__}）") from exc
    meta_title = _meta(soup, "ArticleTitle") or _meta(soup, "og:title")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is None or tag.name in ("html", "body"):
            continue
        marks = " ".join([*(tag.get("class") or []), tag.get("id") or ""])
        if marks and _CHROME.search(marks) and not _CONTENT.search(marks):
            tag.decompose()
    main = _main_element(soup)
    if main is None:
        raise ParseError(f"{_short(name)}：页面中没有文字")
    title = meta_title or _heading_in(main) or _SITE_SUFFIX.sub("", page_title)
    text = re.sub(r"[ \u00a0]+", " ", _text_with_breaks(main))
    lines = [re.sub(r"\s*\t[\s\t]*", "\t", line.strip(" \t")) for line in text.split("\n")]
    return title.strip(), clean_lines("\n".join(lines))


def _text_with_breaks(root) -> str:
    """The text under `root`, a line break around each block and for <br>, a tab after each
    table cell; one iterative walk (bs4's insert_after is quadratic in nesting depth)."""
    from bs4 import CData, NavigableString, Tag

    parts: list[str] = []
    stack = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            parts.append("\t" if node.name in ("td", "th") else "")
            parts.append("\n" if node.name in _BLOCKS else "")
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
                continue
            parts.append("\n" if node.name in _BLOCKS else "")
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
        elif type(node) in (NavigableString, CData):
            parts.append(str(node))
    return "".join(parts)


def read_html(body: bytes, name: str = "") -> ReadResult:
    """A government page: the main text only (navigation, header, footer and scripts dropped)."""
    title, lines = _html_lines(body, name)
    if lines and title and lines[0].replace(" ", "") == title.replace(" ", ""):
        lines = lines[1:]
    while lines and _BYLINE.match(lines[0]):
        lines = lines[1:]
    if not lines:
        raise ParseError(f"{_short(name)}：页面中没有文字")
    return _result(lines, name, "html", title=title)


def _meta(soup, key: str) -> str:
    tag = soup.find("meta", attrs={"name": key}) or soup.find("meta", attrs={"property": key})
    return (tag.get("content") or "").strip() if tag else ""


def _text_weights(soup) -> dict[int, int]:
    """id(tag) → characters of text minus twice those in links, for every tag, in one
    bottom-up pass (20,000 nested containers cost 20,000 steps, not 20,000²)."""
    from bs4 import CData, NavigableString

    text: dict[int, int] = {}
    links: dict[int, int] = {}
    for tag in reversed(soup.find_all(True)):
        chars = linked = 0
        for child in tag.children:
            if type(child) in (NavigableString, CData):
                chars += len(child.strip())
            elif id(child) in text:
                chars += text[id(child)]
                linked += links[id(child)]
        text[id(tag)], links[id(tag)] = chars, (chars if tag.name == "a" else linked)
    return {key: text[key] - 2 * links[key] for key in text}


def _main_element(soup):
    """<article>/<main>, else the content-like container with the most non-link text, else <body>."""
    weights = _text_weights(soup)
    for name in ("article", "main"):
        tag = soup.find(name)
        if tag is not None and weights.get(id(tag), 0) > 50:
            return tag
    candidates = [tag for tag in soup.find_all(["div", "section", "td"])
                  if _CONTENT.search(" ".join([*(tag.get("class") or []), tag.get("id") or ""]))]
    best = max(candidates, key=lambda tag: weights.get(id(tag), 0), default=None)
    if best is not None and weights.get(id(best), 0) > 50:
        return best
    return soup.body or soup


def _heading_in(main) -> str:
    for tag in main.find_all(["h1", "h2", "h3", "p", "div"], limit=30):
        classes = " ".join(tag.get("class") or [])
        if tag.name in ("h1", "h2", "h3") or re.search(r"title", classes, re.I):
            text = tag.get_text(" ", strip=True)
            if 4 <= len(text) <= 80:
                return text
    return ""


# -- PDF --------------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(r"^[-—–\s]*([0-9]{1,4}|[IVXⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+)[-—–\s]*$")
_ENDS_SENTENCE = tuple("。；：！？!?;:”\"）)】")
CELL_GAP_EMS = 1.5  # a horizontal gap this many font sizes wide separates cells or columns


def _page_lines(page) -> list[str]:
    """A page's lines, top to bottom, from pdfplumber's words: words on one line are joined
    by a space, or by a tab across a gap wider than CELL_GAP_EMS (a table cell, a column)."""
    from pdfplumber.utils import cluster_objects

    words = page.extract_words(x_tolerance=1.5, y_tolerance=3, extra_attrs=["size"])
    lines = []
    for row in sorted(cluster_objects(words, "top", 3), key=lambda r: min(w["top"] for w in r)):
        row.sort(key=lambda w: w["x0"])
        parts = [row[0]["text"]]
        for before, word in zip(row, row[1:]):
            gap = word["x0"] - before["x1"]
            size = max(before["size"], word["size"], 1)
            parts.append(("\t" if gap > CELL_GAP_EMS * size else " " if gap > 0.1 * size else "") + word["text"])
        line = "".join(parts).strip()
        if line:
            lines.append(line)
    return lines


def _pdf_failure(name: str, exc: Exception) -> ParseError:
    if re.search(r"password|encrypt", f"{exc!r} {exc.__cause__!r} {exc.args!r}", re.I):
        return ParseError(f"{_short(name)}：PDF 已加密（需要密码）；请另存一份未加密的副本")
    return ParseError(f"{_short(name)}：PDF 已损坏或无法读取（{exc.__class__.__name__}）")


def pdf_lines(body: bytes, name: str = "") -> list[Line]:
    """The lines of a PDF's text layer with their pages; page numbers and running headers
    and footers (first or last lines repeated on several pages) dropped."""
    import pdfplumber

    if not body.lstrip()[:5] == b"%PDF-":
        raise ParseError(f"{_short(name)}：不是 PDF 文件")
    limits.check_size(body, _short(name))
    limits.check_pdf_streams(body, _short(name))
    try:
        with pdfplumber.open(io.BytesIO(body)) as pdf:
            pages = []
            for page in pdf.pages:
                pages.append(_page_lines(page))
                page.close()
    except ParseError:
        raise
    except Exception as exc:  # pdfminer raises many types for damaged files
        raise _pdf_failure(name, exc) from exc
    if not all(pages):
        pages = _fill_from_pdfium(body, pages)
    running = _running_lines(pages)
    lines = [Line(text, number) for number, page in enumerate(pages, 1) for text in page
             if not _PAGE_NUMBER.match(text) and text not in running]
    if not lines:
        raise ParseError(f"{_short(name)}：PDF 没有文字层（扫描件？）")
    return lines


def _fill_from_pdfium(body: bytes, pages: list[list[str]]) -> list[list[str]]:
    """Pages pdfminer found no text on, read again with PDFium (a pdfplumber dependency):
    pdfminer cannot map a CID font whose encoding is an embedded CMap (fpdf2's OpenType
    CJK fonts) back to text. PDFium's lines keep no cell tabs."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(body)
    except Exception:  # noqa: BLE001 - pdfminer's reading stands
        return pages
    try:
        filled = []
        for number, lines in enumerate(pages):
            if not lines and number < len(document):
                textpage = document[number].get_textpage()
                text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
                textpage.close()
                lines = [line.strip() for line in text.split("\n") if line.strip()]
            filled.append(lines)
        return filled
    except Exception:  # noqa: BLE001
        return pages
    finally:
        document.close()


def read_pdf(body: bytes, name: str = "") -> ReadResult:
    """A PDF with a text layer (pdfplumber); wrapped lines re-joined into paragraphs."""
    return _result(join_wrapped([line.text for line in pdf_lines(body, name)]), name, "pdf")


def _running_lines(pages: list[list[str]]) -> set[str]:
    """First or last lines repeated on several pages: running headers and footers."""
    if len(pages) < 2:
        return set()
    edges: dict[str, int] = {}
    for page in pages:
        for line in {*page[:1], *page[-1:]}:
            edges[line] = edges.get(line, 0) + 1
    return {line for line, count in edges.items() if count >= 2}


def join_wrapped(lines: list[str]) -> list[str]:
    """Re-join paragraphs a PDF wrapped: a line as long as the page's full lines, not ending a
    sentence, continues on the next line unless that one starts a new numbered part. Two
    Latin letters or digits meeting at the join keep a space between them ("2019 and")."""
    lengths = sorted(len(line) for line in lines)
    full = lengths[int(len(lengths) * 0.9)] if lengths else 0
    joined: list[str] = []
    for line in lines:
        previous = joined[-1] if joined else ""
        if (len(previous) >= max(12, 0.85 * full) and not previous.endswith(_ENDS_SENTENCE)
                and not _MARKER.match(line)):
            glue = " " if previous[-1:].isascii() and previous[-1:].isalnum() and line[:1].isascii() \
                and line[:1].isalnum() else ""
            joined[-1] += glue + line
        else:
            joined.append(line)
    return joined


# -- DOCX -------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RUN_TEXT = {f"{_W}t": None, f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n",
             f"{_W}noBreakHyphen": "-"}
_WRAPPERS = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}smartTag", f"{_W}ins"}
_NOTE_PARTS = ("word/footnotes.xml", "word/endnotes.xml")
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


@dataclass
class DocxContent:
    title: str  # from the document's properties ("" if none)
    first_style: str  # lower-case style name of the first paragraph ("title", "heading 1" …)
    body: list[str]  # paragraphs (split at line breaks) and table rows (cells tab-separated)
    notes: list[str]  # footnotes and endnotes
    margins: list[str]  # headers and footers, each text once

    def all_lines(self) -> list[str]:
        return [*self.body, *self.notes, *self.margins]


def _xml(data: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    return etree.fromstring(data, parser)


def _paragraph_text(paragraph) -> str:
    parts = []
    for element in paragraph.iter(*_RUN_TEXT):
        if element.tag == f"{_W}t":
            parts.append(element.text or "")
        elif element.getparent().tag == f"{_W}r":  # not a tab stop in the paragraph's properties
            parts.append(_RUN_TEXT[element.tag])
    return "".join(parts)


def _block_lines(container, styles: dict[str, str], first_style: list[str]) -> list[str]:
    """Lines of a body, cell or note: paragraphs split at breaks; a table row a line, its
    cells joined by tabs. `first_style` receives the style name of the first paragraph."""
    lines: list[str] = []
    for child in container.iterchildren():
        if child.tag == f"{_W}p":
            text = _paragraph_text(child)
            if text.strip() and not first_style:
                style = child.find(f"{_W}pPr/{_W}pStyle")
                first_style.append(styles.get(style.get(f"{_W}val"), "") if style is not None else "")
            lines.extend(text.split("\n"))
        elif child.tag == f"{_W}tbl":
            for row in child.iterchildren(f"{_W}tr"):
                cells = [" ".join(t.strip() for t in _block_lines(cell, styles, ["cell"]) if t.strip())
                         for cell in row.iterchildren(f"{_W}tc")]
                if any(cells):
                    lines.append("\t".join(cells))
        elif child.tag in _WRAPPERS:
            lines.extend(_block_lines(child, styles, first_style))
    return [line.strip() for line in lines if line.strip()]


def _style_names(archive, name: str) -> dict[str, str]:
    """styleId → lower-case style name, in one pass (a document may define 20,000 styles)."""
    if "word/styles.xml" not in archive.namelist():
        return {}
    root = _xml(limits.read_part(archive, "word/styles.xml", name))
    names = {}
    for style in root.iterchildren(f"{_W}style"):
        label = style.find(f"{_W}name")
        names[style.get(f"{_W}styleId")] = (label.get(f"{_W}val") if label is not None else "").lower()
    return names


def _main_part(archive, name: str) -> str:
    if "_rels/.rels" in archive.namelist():
        for rel in _xml(limits.read_part(archive, "_rels/.rels", name)):
            if rel.get("Type") == _OFFICE_DOCUMENT:
                return rel.get("Target", "").lstrip("/")
    return "word/document.xml"


def docx_content(body: bytes, name: str = "") -> DocxContent:
    """A Word document's text, read with zipfile and lxml under the size limits."""
    from lxml import etree

    limits.check_size(body, _short(name))
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        limits.check_zip_sizes(archive, _short(name))
        names = set(archive.namelist())
        main = _main_part(archive, name)
        if main not in names:
            raise KeyError(main)
        styles = _style_names(archive, name)
        first_style: list[str] = []
        root = _xml(limits.read_part(archive, main, name))
        document_body = root.find(f"{_W}body")
        lines = _block_lines(document_body if document_body is not None else root, styles, first_style)
        notes = []
        for part in (p for p in _NOTE_PARTS if p in names):
            for note in _xml(limits.read_part(archive, part, name)):
                if note.get(f"{_W}type") in (None, "normal"):
                    notes.extend(_block_lines(note, styles, ["note"]))
        margins: list[str] = []
        for part in sorted(p for p in names if re.fullmatch(r"word/(header|footer)\d*\.xml", p)):
            margins.extend(line for line in _block_lines(_xml(limits.read_part(archive, part, name)),
                                                         styles, ["margin"]) if line not in margins)
        title = ""
        if "docProps/core.xml" in names:
            core = _xml(limits.read_part(archive, "docProps/core.xml", name))
            found = core.find("{http://purl.org/dc/elements/1.1/}title")
            title = (found.text or "").strip() if found is not None else ""
    except ParseError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, etree.XMLSyntaxError, OSError,
            EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error) as exc:
        raise ParseError(f"{_short(name)}：DOCX 已损坏或无法读取（{exc.__class__.__name__}）") from exc
    return DocxContent(title, first_style[0] if first_style else "", lines, notes, margins)


def read_docx(body: bytes, name: str = "") -> ReadResult:
    """A Word document: paragraphs and table rows in order; the title from its properties or
    its first Title/Heading paragraph."""
    content = docx_content(body, name)
    title, lines = content.title, content.body
    if not title and lines and content.first_style.startswith(("title", "heading")):
        title, lines = lines[0], lines[1:]
    if lines and title and lines[0] == title:
        lines = lines[1:]
    lines = clean_lines("\n".join(lines))
    if not lines:
        raise ParseError(f"{_short(name)}：文档中没有文字")
    return _result(lines, name, "docx", title=title)


# -- every format as lines, for citation checks -----------------------------------------------

def _markdown_row(line: str) -> str:
    """A Markdown table row's cells joined by tabs; its |---| rule an empty line."""
    if not line.lstrip().startswith("|"):
        return line
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return "" if all(re.fullmatch(r":?-+:?", cell) for cell in cells) else "\t".join(cells)


def document_lines(body: bytes, name: str, fmt: str | None = None) -> list[Line]:
    """Every line of a document in reading order, nothing re-joined: TXT and Markdown as the
    file's lines (blank ones too, so numbers are the file's); HTML the page's main text;
    PDF the text layer with pages; DOCX the body, then footnotes and endnotes, then headers
    and footers."""
    fmt = fmt or format_of(name)
    limits.check_size(body, _short(name))
    if fmt in ("text", "markdown"):
        lines = [Line(text) for text in decode(body, name).lstrip("\ufeff").split("\n")]
        if fmt == "markdown":
            lines = [Line(_markdown_row(line.text)) for line in lines]
    elif fmt == "html":
        title, texts = _html_lines(body, name)
        lines = [Line(text) for text in texts]
    elif fmt == "pdf":
        lines = pdf_lines(body, name)
    elif fmt == "docx":
        content = docx_content(body, name)
        lines = [Line(text) for text in content.all_lines()]
    else:
        raise ParseError(f"{_short(name)}：未知的格式 {fmt!r}")
    limits.check_text_size("\n".join(line.text for line in lines), _short(name))
    return lines


# -- standards: number and title from the cover ----------------------------------------------

_COVER_SKIP = re.compile(r"^(ICS|CCS|代替|替代)|^(中华人民共和国)?[\u4e00-\u9fff]{0,8}(国家|行业|地方|团体|企业)标准$"
                         r"|^中华人民共和国|发布|实施|[A-Za-z]{4}")


def standard_cover(lines: list[str]) -> tuple[str, str]:
    """(canonical number, title) from a standard's cover: the number line, then the title line."""
    for index, line in enumerate(lines[:15]):
        candidate = re.split(r"\s{2,}|\s代替|\s替代", line.strip())[0]
        number = numbers.try_parse(candidate) if len(candidate) <= 30 else None
        if number is None or number.year is None:
            continue
        for later in lines[index + 1:index + 6]:
            if re.search(r"[\u4e00-\u9fff]", later) and not _COVER_SKIP.search(later):
                return number.canonical, later.strip()
        return number.canonical, ""
    return "", ""


def read_bytes(body: bytes, name: str, fmt: str | None = None) -> ReadResult:
    """Dispatch on the format (from the name's extension unless given)."""
    fmt = fmt or format_of(name)
    limits.check_size(body, _short(name))
    reader = {"text": read_text, "markdown": read_markdown, "html": read_html,
              "pdf": read_pdf, "docx": read_docx}.get(fmt)
    if reader is None:
        raise ParseError(f"{_short(name)}：无法识别的格式 {fmt!r}")
    return reader(body, name)


def _short(name: str) -> str:
    return name or "input"
