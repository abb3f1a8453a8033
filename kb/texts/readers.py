"""Readers: bytes of a file (plain text, Markdown, HTML, PDF, DOCX) → text, title and dates.

Every reader is pure: `(body: bytes, name: str) -> ReadResult`, where `name` is the
file name or URL (used for the format, the fallback title and a version date in
names like `标准化法(2017-11-04).md`). The text comes back one paragraph a line.
Unreadable input raises kb.errors.ParseError with one line saying why.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

from kb import numbers
from kb.errors import ParseError

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
    """Decode explicitly: a declared charset, else UTF-8, else GB18030; binary input is refused."""
    if b"\x00" in body[:4096]:
        raise ParseError(f"{_short(name)}：是二进制数据，不是文本")
    for encoding in [declared, "utf-8-sig", "gb18030"]:
        if not encoding:
            continue
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if encoding == "gb18030" and not _plausible_chinese(text):
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise ParseError(f"{_short(name)}：不是 UTF-8 或 GB18030 编码的文本")


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


def read_html(body: bytes, name: str = "") -> ReadResult:
    """A government page: the main text only (navigation, header, footer and scripts dropped)."""
    from bs4 import BeautifulSoup

    head = body[:4096].decode("ascii", "ignore")
    declared = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", head)
    charset = declared.group(1).lower() if declared else ""
    if charset in ("gb2312", "gbk"):
        charset = "gb18030"
    markup = decode(body, name, charset)
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
    for br in main.find_all("br"):
        br.replace_with("\n")
    for block in main.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    lines = clean_lines(re.sub(r"[ \t\u00a0]+", " ", main.get_text()))
    if lines and title and lines[0].replace(" ", "") == title.replace(" ", ""):
        lines = lines[1:]
    while lines and _BYLINE.match(lines[0]):
        lines = lines[1:]
    if not lines:
        raise ParseError(f"{_short(name)}：页面中没有文字")
    return _result(lines, name, "html", title=title.strip())


def _meta(soup, key: str) -> str:
    tag = soup.find("meta", attrs={"name": key}) or soup.find("meta", attrs={"property": key})
    return (tag.get("content") or "").strip() if tag else ""


def _text_weight(tag) -> int:
    text = len(tag.get_text(strip=True))
    links = sum(len(a.get_text(strip=True)) for a in tag.find_all("a"))
    return text - 2 * links


def _main_element(soup):
    """<article>/<main>, else the content-like container with the most non-link text, else <body>."""
    for name in ("article", "main"):
        tag = soup.find(name)
        if tag is not None and _text_weight(tag) > 50:
            return tag
    candidates = [tag for tag in soup.find_all(["div", "section", "td"])
                  if _CONTENT.search(" ".join([*(tag.get("class") or []), tag.get("id") or ""]))]
    best = max(candidates, key=_text_weight, default=None)
    if best is not None and _text_weight(best) > 50:
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


# -- PDF and DOCX --------------------------------------------------------------------

_PAGE_NUMBER = re.compile(r"^[-—–\s]*([0-9]{1,4}|[IVXⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+)[-—–\s]*$")
_ENDS_SENTENCE = tuple("。；：！？!?;:”\"）)】")


def read_pdf(body: bytes, name: str = "") -> ReadResult:
    """A PDF with a text layer (pdfplumber); page numbers and running headers are dropped."""
    import pdfplumber

    if not body.lstrip()[:5] == b"%PDF-":
        raise ParseError(f"{_short(name)}：不是 PDF 文件")
    try:
        with pdfplumber.open(io.BytesIO(body)) as pdf:
            pages = [(page.extract_text() or "") for page in pdf.pages]
    except Exception as exc:  # pdfminer raises many types for damaged files
        raise ParseError(f"{_short(name)}：PDF 已损坏或无法读取（{exc.__class__.__name__}）") from exc
    page_lines = [[ln.strip() for ln in page.split("\n") if ln.strip()] for page in pages]
    running = _running_lines(page_lines)
    lines = [ln for page in page_lines for ln in page
             if not _PAGE_NUMBER.match(ln) and ln not in running]
    if not lines:
        raise ParseError(f"{_short(name)}：PDF 没有文字层（扫描件？）")
    return _result(join_wrapped(lines), name, "pdf")


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
    sentence, continues on the next line unless that one starts a new numbered part."""
    lengths = sorted(len(line) for line in lines)
    full = lengths[int(len(lengths) * 0.9)] if lengths else 0
    joined: list[str] = []
    for line in lines:
        previous = joined[-1] if joined else ""
        if (len(previous) >= max(12, 0.85 * full) and not previous.endswith(_ENDS_SENTENCE)
                and not _MARKER.match(line)):
            joined[-1] += line
        else:
            joined.append(line)
    return joined


def read_docx(body: bytes, name: str = "") -> ReadResult:
    """A Word document: paragraphs and table rows in order; the title from its properties or
    its first Title/Heading paragraph."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(body))
    except Exception as exc:  # zipfile, KeyError, lxml errors for damaged packages
        raise ParseError(f"{_short(name)}：DOCX 已损坏或无法读取（{exc.__class__.__name__}）") from exc
    lines: list[str] = []
    title = (document.core_properties.title or "").strip()
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            text = paragraph.text.strip()
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            if text and not title and not lines and style.startswith(("Title", "Heading")):
                title = text
                continue
            lines.extend(t.strip() for t in text.split("\n") if t.strip())
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = [cell.text.strip() for cell in row.cells]
                if any(cells):
                    lines.append("\t".join(cells))
    if lines and title and lines[0] == title:
        lines = lines[1:]
    lines = clean_lines("\n".join(lines))
    if not lines:
        raise ParseError(f"{_short(name)}：文档中没有文字")
    return _result(lines, name, "docx", title=title)


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
    reader = {"text": read_text, "markdown": read_markdown, "html": read_html,
              "pdf": read_pdf, "docx": read_docx}.get(fmt)
    if reader is None:
        raise ParseError(f"{_short(name)}：无法识别的格式 {fmt!r}")
    return reader(body, name)


def _short(name: str) -> str:
    return name or "input"
