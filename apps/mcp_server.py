"""`kb mcp`: the knowledge base as MCP tools over stdio, for AI assistants.

Each tool returns the JSON the matching CLI command prints with --json (apps.service).
A failure (a bad argument, a number not in the knowledge base, an unknown tool or
argument) is an MCP tool error with one line; the server keeps serving.
"""
from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import Field, ValidationError

from apps.service import KnowledgeBase, MAX_QUERY_CHARS
from kb.errors import KbError

INSTRUCTIONS = (
    "离线的中国标准知识库：国家/行业/地方/团体标准与计量技术规范的状态和替代关系，"
    "标准化法、计量法、产品质量法等法规及北京质量强国政策的条款。"
    "An offline knowledge base of Chinese standards (status, replacements, coverage) and the laws and "
    "policies around them. Standard numbers may be given in any spelling (db23t2419-2019, ＧＢ／Ｔ １.１—２０２０)."
)

def _arg(kind, description: str, **limits):
    """An argument type with its description (Chinese / English) for the JSON schema."""
    return Annotated[kind, Field(description=description, **limits)]


Query = _arg(str, '检索词或标准号 / words, a "quoted phrase" or a standard number', max_length=MAX_QUERY_CHARS)
Level = _arg(Optional[Literal["national", "industry", "local", "group", "enterprise", "metrology"]], "层级 / level")
Status = _arg(Optional[Literal["current", "upcoming", "withdrawn", "replaced", "unknown"]],
              "状态 / status: current 现行, upcoming 即将实施, withdrawn 废止, replaced 被代替, unknown 未知")
Region = _arg(Optional[str], "地区代码或名称 / region code or name: 11, 北京, 23, 黑龙江", max_length=20)
Year = _arg(Optional[int], "标准号年份 / year of the number", ge=1950, le=2100)
Limit = _arg(int, "返回条数 / number of hits", ge=1, le=100)
Number = _arg(str, "标准号，任意写法 / a standard number in any spelling: GB/T 1.1-2020, db23t2419-2019, YS/T 575",
              max_length=100)
CitingText = _arg(str, "要检查的文本 / the text that cites standards")
FailOn = _arg(str, "哪些状态算不合格 / statuses that fail, comma-separated: replaced, withdrawn, upcoming, unknown, "
                   "missing, current or none", max_length=100)
CoverQuery = _arg(str, "产品词、类目名或 CCS/ICS 代码 / a product term (水稻), a category name (水泥) or a code "
                       "(K13, 29.060.20)", max_length=MAX_QUERY_CHARS)
CoverRegion = _arg(Optional[str], "只列该地区的地方标准 / list only this region's local standards: 11, 北京", max_length=20)
IncludeWithdrawn = _arg(bool, "也列出被代替和废止的 / also replaced and withdrawn ones")
GapView = _arg(Literal["ccs", "ics", "region"], "视图 / view: CCS categories, ICS codes or regions")
MaxAge = _arg(float, "复审周期（年）/ review cycle in years (标准化法 第二十九条: 5)", gt=0, le=100)
Policy = _arg(Optional[str], "已收录的政策 / a stored policy: 质量强国首善之区建设意见", max_length=MAX_QUERY_CHARS)
PolicyText = _arg(Optional[str], "或政策全文 / or the policy's text")
Doc = _arg(str, "文本名称、简称或 id / a text's title, alias or id: 标准化法, 计量法, 质量强国首善之区建设意见, GB/T 1.1-2020",
           max_length=MAX_QUERY_CHARS)
ClausePath = _arg(Optional[str], "条款 / clause path: 第十条, 10, 八(一), 专栏6, 5.2; omit it to give a whole citation "
                                 "in doc", max_length=100)
Depth = _arg(Optional[int], "层数 / levels to show", ge=1, le=10)
WithinDoc = _arg(Optional[str], "只在这个文本中检索 / only in this text", max_length=MAX_QUERY_CHARS)
TextKind = _arg(Optional[Literal["law", "policy", "standard"]], "文本类型 / kind of text")
Since = _arg(Optional[str], "起始日期 / first day: 2026-08-01 or 7d", max_length=20)
ChangeKinds = _arg(Optional[list[Literal["new", "replaced", "withdrawn", "status_changed", "fields_changed"]]],
                   "变化类型 / kinds of change")


TOOLS: list[tuple[str, str]] = [
    ("search_standards",
     "全文检索标准（标准号、名称、范围），可按层级/状态/地区/年份筛选，返回高亮摘要和分面计数。"
     "Full-text search over standards and metrology regulations (number and title rank above scope), "
     "with filters, <em>-highlighted snippets and facet counts by level, status and region. Use it to find "
     "standards by topic or a number you only half know; use get_standard for a number you know."),
    ("get_standard",
     "按标准号查一条标准（任意写法）：状态（按今天计）、层级、日期、代替与被代替、全部版本、替代链。"
     "Look up one standard by number in any spelling: status as of today, level, dates, what it replaces "
     "and what replaced it, every edition (a yearless number gives the current edition) and the replacement "
     "chain both ways (`chain`). A bare series such as YS/T 575 lists its parts."),
    ("check_citations",
     "检查一段文本引用的标准是否现行：每处引用的状态、替代标准、是否收录。"
     "Check the standards a text cites (a specification, a contract, a draft): each citation with its line, "
     "status (current/upcoming/withdrawn/replaced/unknown), in_kb (false = 未收录), the replacement and the "
     "newest edition (`latest`). `failed` is true when a citation has a fail_on status."),
    ("cover",
     "哪些标准覆盖某产品或类目（CCS/ICS 代码、类目名或产品词），按层级分组、现行在前，附匹配原因。"
     "Which standards cover a product term (水稻), a CCS/ICS code (K13, 29.060.20) or a category name "
     "(水泥): grouped by level, in force first, each with why it matched."),
    ("coverage_gaps",
     "标准覆盖缺口：按 CCS 类目、ICS 或地区统计各层级各状态的标准数，并标出无现行标准、仅有团体标准、均超复审周期等缺口。"
     "Coverage gaps for officials: per CCS category, ICS code or region, standards by level and status and "
     "the gap flags (no current standard, only group standards, all past the review cycle, withdrawn without "
     "replacement, pending). Large: prefer by=region or a level/region filter."),
    ("policy_gaps",
     "把政策逐条对到标准：每条款提到的产品和产业领域、已有标准，以及没有现行标准的缺口。"
     "Trace a policy to standards clause by clause: the product and industry areas each clause names, the "
     "standards for each, and the gaps. Give a stored policy (doc) or paste a policy text (text)."),
    ("get_clause",
     "取法律、政策或标准的某一条款原文（如 标准化法 第十条、质量强国首善之区建设意见 八(一)、GB/T 1.1-2020 5.2）。"
     "The text of one clause of a law, policy or standard with its sub-clauses: doc=标准化法 path=第十条 "
     "(or 10), doc=质量强国首善之区建设意见 path=八(一) or 专栏6, or a whole citation in doc (标准化法第十条)."),
    ("outline",
     "文本的条款目录（章、条；部分、专栏；章节条款）。"
     "The clause tree of a stored law, policy or standard text: chapters and articles, sections and 专栏, "
     "numbered clauses; use it before get_clause to find a path."),
    ("search_clauses",
     "在法律、政策和标准文本的条款中全文检索，返回条款路径和高亮摘要。"
     "Full-text search over the clauses of the stored laws, policies and standard texts: each hit with its "
     "document, clause path (for get_clause) and a highlighted snippet. Good for legal questions in plain words."),
    ("changes",
     "导入和抓取带来的变化：新增、被代替、废止、状态或字段变化。"
     "What imports and crawls changed in the knowledge base: new, replaced, withdrawn, status_changed or "
     "fields_changed entries, newest last, filtered by date, level, status, region or kind."),
]


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def _one_line(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()]
    return "invalid arguments 参数无效: " + "; ".join(parts)


def build_server(kb: KnowledgeBase):
    """The MCP server with the tools of TOOLS, answering from `kb`."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    class KbServer(MCPServer):
        async def call_tool(self, name, arguments, context=None):
            tool = self._tool_manager.get_tool(name)
            if tool is None:
                raise ToolError(f"unknown tool 未知工具 {name[:80]!r}; tools: {', '.join(n for n, _ in TOOLS)}")
            known = set(tool.parameters.get("properties", {}))
            unknown = sorted(set(arguments or {}) - known)
            if unknown:
                raise ToolError(f"unknown argument 未知参数 {', '.join(repr(u[:40]) for u in unknown[:5])} for {name}; "
                                f"arguments: {', '.join(sorted(known))}")
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as exc:
                if isinstance(exc.__cause__, ValidationError):
                    raise ToolError(_one_line(exc.__cause__)) from None
                raise

    server = KbServer("stdkb", instructions=INSTRUCTIONS, log_level="WARNING")

    def tool(fn):
        """Register fn as the tool of its name; its answer as JSON, a KbError or a bug as one line."""
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return _dumps(fn(*args, **kwargs))
            except KbError as exc:
                raise ToolError(str(exc) + (f" ({exc.hint})" if exc.hint else "")) from None
            except Exception as exc:  # a bug: one line for the model, the server goes on
                logging.getLogger("stdkb.mcp").exception("tool %s failed", fn.__name__)
                raise ToolError(f"内部错误：{type(exc).__name__}: {str(exc)[:200]}") from None
        server.add_tool(run, name=fn.__name__, description=dict(TOOLS)[fn.__name__], structured_output=False)
        return fn

    @tool
    def search_standards(query: Query, level: Level = None, status: Status = None, region: Region = None,
                         year: Year = None, limit: Limit = 10) -> str:
        return kb.search(query, level=level, status=status, region=region, year=year, limit=limit)

    @tool
    def get_standard(number: Number) -> str:
        return kb.get_standard(number)

    @tool
    def check_citations(text: CitingText, fail_on: FailOn = "replaced,withdrawn") -> str:
        return kb.check_text(text, name="text", fail_on=fail_on)

    @tool
    def cover(query: CoverQuery, region: CoverRegion = None, include_withdrawn: IncludeWithdrawn = False) -> str:
        return kb.cover(query, region=region, include_withdrawn=include_withdrawn)

    @tool
    def coverage_gaps(by: GapView = "ccs", level: Level = None, region: Region = None, max_age: MaxAge = 5) -> str:
        return kb.gaps(by=by, level=level, region=region, max_age=max_age)

    @tool
    def policy_gaps(doc: Policy = None, text: PolicyText = None) -> str:
        return kb.policy_gaps(doc=doc, text=text)

    @tool
    def get_clause(doc: Doc, path: ClausePath = None) -> str:
        return kb.clause(doc, path)

    @tool
    def outline(doc: Doc, depth: Depth = None) -> str:
        return kb.outline(doc, depth)

    @tool
    def search_clauses(query: Query, doc: WithinDoc = None, kind: TextKind = None, limit: Limit = 10) -> str:
        return kb.search_clauses(query, doc=doc, doc_kind=kind, limit=limit)

    @tool
    def changes(since: Since = None, level: Level = None, status: Status = None, region: Region = None,
                kind: ChangeKinds = None) -> str:
        return kb.changes(since=since, level=level, status=status, region=region, kinds=kind)

    return server


def list_tools() -> list[dict]:
    """The tools as a client lists them: name, description, inputSchema."""
    import anyio

    server = build_server(KnowledgeBase(Path("."), Path(".")))  # nothing is opened to list
    tools = anyio.run(server.list_tools)
    return [{"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in tools]


def serve_stdio(index_dir: Path, corpus_dir: Path) -> None:
    """Run the MCP server on stdin/stdout until the client closes it."""
    build_server(KnowledgeBase(index_dir, corpus_dir)).run("stdio")
