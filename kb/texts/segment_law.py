"""Laws and regulations: 编 / 分编 / 章 / 节 headings, 条 articles, 款 paragraphs, 项 items.

Input is the document text, one paragraph a line (Markdown heading marks already
removed by the reader). Paths:

    序言                      a labelled preamble (宪法)
    前文                      unlabelled text before the first heading or article
    第二编                    编; 分编 under it: 第二编第一分编
    第一章 / 第二编第一章      章, prefixed by its 编 where there is one
    第一章第二节              节 under its 章
    附则                      an unnumbered 附则 heading
    第十条 / 第十条之一         articles: unique in a law, so never prefixed
    第十条第二款              款, only when the article has two or more paragraphs
    第十条第二款第一项         项 of a paragraph
    第四条第一项              项 of a single-paragraph article

Numbers in paths are canonical Chinese numerals whatever the source printed
(第10条 → 第十条). An article's text is the whole article; its 款 and 项 children repeat
parts of it so that each can be cited on its own.
"""
from __future__ import annotations

import re

from kb.texts.clauses import Clause, ClauseTree, append_text
from kb.texts.numerals import NUMERAL_CLASS, to_chinese, to_int

_N = NUMERAL_CLASS
_SPACE = "[\\s\u3000\u2002\u2003\u00a0]"
ARTICLE = re.compile(rf"第(?P<num>{_N}+)条(?:之(?P<sub>{_N}+))?")
# Characters that show "第X条" is a reference inside a sentence, not an article label.
_REFERENCE_FOLLOWERS = set("的规第、，,至和或及中所款项（(；;。")
HEADING = re.compile(rf"第(?P<num>{_N}+)(?P<unit>分编|编|章|节){_SPACE}*(?P<title>[^。；]{{0,40}})$")
UNNUMBERED_HEADING = re.compile(rf"(?P<title>附{_SPACE}*则|序{_SPACE}*言)$")
ITEM = re.compile(rf"[（(](?P<num>{_N}+)[）)]{_SPACE}*")
SUBITEM = re.compile(r"[0-9０-９]+[.．、]")
TOC = re.compile(rf"目{_SPACE}*录$")
_RANK = {"编": 1, "分编": 2, "章": 3, "节": 4, "附则": 3}
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])[\s\u3000\u2002]+(?=[\u4e00-\u9fff])")


def clean_heading(title: str) -> str:
    """"总 则" → "总则", "航 空 人 员" → "航空人员"; other spacing is kept."""
    return _CJK_GAP.sub("", title.strip()) if title.strip() else ""


def article_start(line: str, expected: int) -> re.Match | None:
    """The article label starting `line`, or None when the line only mentions an article.

    A label followed by a space always starts an article; one run into its text
    ("第一条为了…", usual in web captures) only when it is the next number."""
    match = ARTICLE.match(line)
    if not match:
        return None
    rest = line[match.end():]
    if not rest or rest[0] in " \t\u3000\u2002\u2003\u00a0":
        return match
    number = to_int(match["num"])
    if rest[0] in _REFERENCE_FOLLOWERS or number is None:
        return None
    return match if (number == expected or match["sub"]) else None


def article_path(match: re.Match) -> str | None:
    number = to_int(match["num"])
    if number is None:
        return None
    path = f"第{to_chinese(number)}条"
    if match["sub"]:
        sub = to_int(match["sub"])
        if sub is None:
            return None
        path += f"之{to_chinese(sub)}"
    return path


def segment_law(text: str) -> ClauseTree:
    return _LawBuilder().build(text.splitlines())


class _LawBuilder:
    def __init__(self) -> None:
        self.tree = ClauseTree()
        self.stack: list[tuple[int, Clause]] = []  # open headings with their rank
        self.article: Clause | None = None
        self.article_lines: list[str] = []
        self.loose: Clause | None = None  # where text outside articles goes
        self.next_number = 1
        self.seen_article = False

    def build(self, lines: list[str]) -> ClauseTree:
        lines = [line.strip() for line in lines if line.strip()]
        index = 0
        while index < len(lines):
            line = lines[index]
            if not self.seen_article and TOC.match(line):
                index = _skip_toc(lines, index + 1)
                continue
            self.feed(line)
            index += 1
        self.close_article()
        return self.tree

    def feed(self, line: str) -> None:
        match = article_start(line, self.next_number)
        if match:
            path = article_path(match)
            if path:
                self.start_article(match, path, line[match.end():].strip())
                return
        if len(line) <= 45:
            heading = HEADING.match(line)
            if heading and to_int(heading["num"]) is not None:
                self.start_heading(heading["unit"], to_int(heading["num"]), line, heading["title"])
                return
            unnumbered = UNNUMBERED_HEADING.match(line)
            if unnumbered:
                title = clean_heading(unnumbered["title"])
                if title == "序言" and not self.seen_article:
                    self.close_article()
                    self.stack = []
                    self.loose = self.tree.add("序言", "序言", "preamble")
                    return
                if title == "附则":
                    self.start_heading("附则", 0, line, "")
                    return
        if self.article is not None:
            self.article_lines.append(line)
            return
        if self.loose is None:
            self.loose = self.tree.add("前文", "", "preamble")
        append_text(self.loose, line)

    def start_heading(self, unit: str, number: int, line: str, title: str) -> None:
        self.close_article()
        rank = _RANK[unit]
        while self.stack and self.stack[-1][0] >= rank:
            self.stack.pop()
        parent = self.stack[-1][1] if self.stack else None
        if unit == "附则":
            path, label, kind, heading = "附则", clean_heading(line), "chapter", ""
        else:
            label = f"第{to_chinese(number)}{unit}"
            path = _heading_prefix(unit, self.stack) + label
            kind = {"编": "part", "分编": "subpart", "章": "chapter", "节": "section"}[unit]
            heading = clean_heading(title)
        clause = self.tree.add(path, label, kind, parent, heading=heading)
        self.stack.append((rank, clause))
        self.loose = clause

    def start_article(self, match: re.Match, path: str, first_line: str) -> None:
        self.close_article()
        parent = self.stack[-1][1] if self.stack else None
        self.article = self.tree.add(path, match.group(0), "article", parent)
        self.seen_article = True
        self.article_lines = [first_line] if first_line else []
        if not match["sub"]:
            self.next_number = (to_int(match["num"]) or 0) + 1

    def close_article(self) -> None:
        article = self.article
        if article is None:
            return
        self.article = None
        article.text = "\n".join(self.article_lines)
        groups: list[tuple[str, list[tuple[str, str]]]] = []  # (paragraph, [(item number, item text)])
        for line in self.article_lines:
            item = ITEM.match(line)
            number = to_int(item["num"]) if item else None
            if item and number is not None:
                if not groups:
                    groups.append(("", []))
                groups[-1][1].append((to_chinese(number), line))
            elif SUBITEM.match(line) and groups and groups[-1][1]:
                number, text = groups[-1][1][-1]
                groups[-1][1][-1] = (number, f"{text}\n{line}")
            else:
                groups.append((line, []))
        if len(groups) == 1:
            self._add_items(article, groups[0][1], article.path)
            return
        for index, (paragraph, items) in enumerate(groups, 1):
            label = f"第{to_chinese(index)}款"
            text = "\n".join([paragraph, *(t for _, t in items)]) if paragraph else \
                "\n".join(t for _, t in items)
            clause = self.tree.add(article.path + label, label, "paragraph", article, text=text)
            self._add_items(clause, items, clause.path)

    def _add_items(self, parent: Clause, items: list[tuple[str, str]], prefix: str) -> None:
        for number, text in items:
            label = f"第{number}项"
            self.tree.add(prefix + label, label, "item", parent, text=ITEM.sub("", text, count=1))


def _skip_toc(lines: list[str], index: int) -> int:
    """Skip a table of contents: the heading lines after 目录, up to the first one repeated."""
    if index >= len(lines) or not HEADING.match(lines[index]):
        return index
    first = re.sub(_SPACE, "", lines[index])
    for later in range(index + 1, len(lines)):
        if re.sub(_SPACE, "", lines[later]) == first:
            return later
    return index


def _heading_prefix(unit: str, stack: list[tuple[int, Clause]]) -> str:
    """Chapters restart their numbers in each 编, sections in each 章."""
    wanted = {"分编": ("part",), "章": ("part",), "节": ("chapter",), "编": ()}[unit]
    for _, clause in reversed(stack):
        if clause.kind in wanted:
            return clause.path
    return ""
