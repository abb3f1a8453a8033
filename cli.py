"""kb — search and look up Chinese standards, metrology regulations, policies and laws.

Thin: each command parses its options, calls one library function and hands the
result to kb.render. Errors (kb.errors.KbError) become one "错误：…" line and
the exit code of their class; see README "Exit codes".
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer._click import exceptions as usage_errors
from typer.core import TyperGroup

from kb import paths, render
from kb.errors import BadInput, KbError


class KbGroup(TyperGroup):
    """Turns every failure into one line on stderr (错误：…, often 提示：… after it) and its exit
    code, and under --json also into a final `error` event on stdout; no tracebacks."""

    def parse_args(self, ctx, args):
        ctx.meta["json"] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        render.start_command()
        try:
            _text_arguments([*getattr(ctx, "_protected_args", []), *ctx.args])
            return super().invoke(ctx)
        except KbError as exc:
            _fail(ctx, str(exc), exc.hint, exc.exit_code)
        except (typer.Exit, typer.Abort, BrokenPipeError, usage_errors.NoArgsIsHelpError):
            raise
        except usage_errors.UsageError as exc:
            command = " ".join(["kb", *exc.ctx.command_path.split()[1:]]) if exc.ctx else "kb"
            _fail(ctx, render.usage_message(exc), f"运行 `{command} --help` 查看用法", 2)
        except typer.TyperException:
            raise
        except KeyboardInterrupt:
            _fail(ctx, "已中断（Ctrl-C）", "", 130)
        except (SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # a bug (or an engine's panic, not an Exception): one line
            if os.environ.get("KB_DEBUG"):
                raise
            from index.engine import damage

            damaged = damage(exc)  # a damaged index surfaces inside its engine: exit 4, rebuild
            if damaged is not None:
                _fail(ctx, str(damaged), damaged.hint, damaged.exit_code)
            _fail(ctx, f"内部错误：{type(exc).__name__}: {exc}", "设置 KB_DEBUG=1 可显示调用栈", 1)


def _fail(ctx, message: str, hint: str, exit_code: int):
    render.error(message, hint)
    if ctx.meta.get("json"):
        render.error_event(message, exit_code)
    raise typer.Exit(exit_code) from None


def _text_arguments(args: list[str]) -> None:
    """Arguments that are not UTF-8 (a raw \\xff byte) arrive as lone surrogates: refuse them."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = arg.encode("utf-8", "surrogateescape")[:60]
            raise BadInput(f"参数 {raw!r} 不是 UTF-8 文本") from None


def _finite_wait(value: float) -> float:
    if not 0 <= value <= 86400:  # nan and inf fail too
        raise typer.BadParameter("须为 0 到 86400 之间的秒数")
    return value


app = typer.Typer(cls=KbGroup, no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help=__doc__.split("\n\n")[0])
index_app = typer.Typer(no_args_is_help=True, help="Build, update and check the search index.\n\n"
                        "Example: kb index update --json --wait 600; kb index verify")
app.add_typer(index_app, name="index")
watch_app = typer.Typer(no_args_is_help=True, help="Follow numbers, series, CCS categories or title words; "
                        "`kb changes --watched` reports their changes.\n\n"
                        "Example: kb watch add \"GB/T 1.1\" K13; kb changes --watched")
app.add_typer(watch_app, name="watch")

# -- shared options (declared once) -----------------------------------------------

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV output with Chinese column headers.")]
WaitOpt = Annotated[float, typer.Option("--wait", callback=_finite_wait,
                                         help="Seconds to wait for another writer's lock (exit 3 after).")]
ProcsOpt = Annotated[int, typer.Option("--procs", min=1, max=16, help="Indexing processes: 2 is faster only with an idle second core (BENCHMARKS.md).")]
EngineOpt = Annotated[Optional[str], typer.Option("--engine", help="Index engine: whoosh (the default) or tantivy (fast at national scale; README, 'Choosing an engine'). Default: the serving index's engine, else $KB_ENGINE, else whoosh.")]
LevelOpt = Annotated[Optional[str], typer.Option("--level", help="national, industry, local, group, enterprise or metrology (or 国家标准 …).")]
StatusOpt = Annotated[Optional[str], typer.Option("--status", help="current, upcoming, withdrawn, replaced or unknown (or 现行, 即将实施, 废止, 被代替, 未知).")]
WordsArg = typer.Argument(help='Words (no quotes needed), a "quoted phrase" or a standard number.')
RegionOpt = Annotated[Optional[str], typer.Option("--region", help="Region code or name: 11, 北京.")]


class Context:
    def __init__(self, index: Optional[Path], corpus: Optional[Path]):
        self.index_dir = paths.usable_dir(paths.index_dir(index), "--index")
        self.corpus_dir = paths.corpus_dir(corpus)

    def index_ready(self) -> bool:
        from index.store import current_name

        return current_name(self.index_dir) is not None

    def open_index(self, as_json: bool = False):
        from index.api import open_index  # loads the build code only for a first build

        return open_index(self.index_dir, self.corpus_dir,
                          progress=render.Progress(False, "首次使用，正在建立索引"))


@app.callback()
def main_options(
    ctx: typer.Context,
    index: Annotated[Optional[Path], typer.Option("--index", help="Index directory (default: $KB_HOME/index or the per-user data dir).")] = None,
    corpus: Annotated[Optional[Path], typer.Option("--corpus", help="Corpus directory (default: $KB_CORPUS or the shipped corpus/).")] = None,
):
    """Search engine and knowledge base for Chinese standards, metrology regulations, policies and laws."""
    ctx.obj = Context(index, corpus)


def _filters(level, status, region) -> dict:
    from kb.vocab import search_filters

    return search_filters(level, status, region)


# -- commands ----------------------------------------------------------------------

@app.command()
def build(ctx: typer.Context, as_json: JsonOpt = False, wait: WaitOpt = 0.0, procs: ProcsOpt = 1,
          engine: EngineOpt = None):
    """Build the search index from the corpus (same as `kb index rebuild`).

    Example: kb build --json
    Example: kb build --engine tantivy
    """
    index_rebuild(ctx, as_json=as_json, wait=wait, procs=procs, engine=engine)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[list[str], WordsArg],
    level: LevelOpt = None, status: StatusOpt = None, region: RegionOpt = None,
    year: Annotated[Optional[int], typer.Option("--year", help="Year of the number (2026).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Number of hits.")] = 10,
    clauses: Annotated[bool, typer.Option("--clauses", help="Search the clauses of laws, policies and standard texts instead: a plain-language question finds the clauses that answer it.")] = False,
    words: Annotated[bool, typer.Option("--words", help="With --clauses: clauses with the query's words only (word ranking, no learned expansion or sentence vectors).")] = False,
    as_json: JsonOpt = False,
):
    """Full-text search over standards (or, with --clauses, over clauses), with highlighted snippets and facets.

    Example: kb search 水稻 --level local; kb search 计量器具 --clauses; kb search 买到假货怎么赔偿 --clauses
    """
    text = " ".join(query)
    kb = ctx.obj.open_index()
    if clauses:
        result = kb.search_clauses(text, limit=limit, words=words).to_dict()
        return render.print_json(result) if as_json else render.render_clause_search(result)
    result = kb.search(text, limit=limit, year=year, **_filters(level, status, region)).to_dict()
    render.print_json(result) if as_json else render.render_search(result)


@app.command()
def get(
    ctx: typer.Context,
    number: Annotated[Optional[list[str]], typer.Argument(help="Standard numbers in any spelling, quotes optional (kb get DB23/T 2419-2026); a yearless one shows every edition, a series (YS/T 575) every part.")] = None,
    from_file: Annotated[Optional[Path], typer.Option("--from", help="A list of numbers: one a line, or a CSV/XLSX column.")] = None,
    column: Annotated[Optional[str], typer.Option("--column", help="The CSV/XLSX column with the numbers (default: 标准号 or a known synonym).")] = None,
    as_json: JsonOpt = False, as_csv: CsvOpt = False,
):
    """Look up standards by number: status, dates, replaces and replaced-by (JSON: one object, or a list for several or --from).

    Example: kb get DB23/T 2419—2026 db23t2419-2019; kb get --from 清单.xlsx --column 标准号 --csv
    """
    from crawlers.number_lists import read_number_list
    from kb.lookup import join_number_words, lookup_numbers

    texts = join_number_words(number or []) + (read_number_list(from_file, column) if from_file else [])
    answers = lookup_numbers(ctx.obj.open_index(), texts, keep_going=from_file is not None)
    if as_json:
        render.print_json(answers[0] if len(answers) == 1 and from_file is None else answers)
    elif as_csv:
        render.print_csv(answers, render.GET_COLUMNS)
    else:
        for answer in answers:
            render.render_answer(answer)
    if any("error" in answer for answer in answers):
        raise typer.Exit(1)


@app.command()
def check(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Documents (TXT, Markdown, HTML, PDF, DOCX) or folders, checked recursively by extension.")],
    fail_on: Annotated[str, typer.Option("--fail-on", help="What fails (exit 1): replaced, withdrawn, invalid, title_mismatch, upcoming, unknown (incl. not in the KB), missing (not in the KB), current; or none.")] = "replaced,withdrawn,invalid,title_mismatch",
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Judge citations without a year by the edition in force on this day (YYYY-MM-DD); default: the date the document states, else today.")] = None,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", dir_okay=False, help="Also write an Excel workbook: per-file summary and every citation.")] = None,
    csv_file: Annotated[Optional[Path], typer.Option("--csv-file", dir_okay=False, help="Also write every citation as CSV to this file.")] = None,
    as_json: JsonOpt = False, as_csv: CsvOpt = False,
):
    """Check the standards documents cite: current, upcoming, withdrawn, replaced (by what), unknown (未收录) or invalid, and wrong 《titles》; exit 1 on a --fail-on status or an unreadable file (for CI).

    Example: kb check 技术要求.docx 规范/ --fail-on replaced,withdrawn,unknown --as-of 2024-05-01 --xlsx 引用检查.xlsx
    """
    from kb.check import CHECK_LABELS, check_paths, parse_as_of, parse_fail_on
    from kb.reports import write_check_reports

    parse_fail_on(fail_on)  # bad options fail before the index opens
    report = check_paths(paths, ctx.obj.open_index(), fail_on=fail_on, as_of=parse_as_of(as_of))
    written = write_check_reports(report, CHECK_LABELS, xlsx=xlsx, csv_file=csv_file)
    if as_json or as_csv:
        render.print_json(report) if as_json else render.print_csv(report["citations"], render.CHECK_COLUMNS)
        for error in report["errors"]:
            render.error(error)
    else:
        render.render_check(report, written)
    if report["failed"]:
        raise typer.Exit(1)


@app.command()
def changes(
    ctx: typer.Context,
    since: Annotated[Optional[str], typer.Option("--since", help="First day to report: 2026-08-01, or 7d for the last 7 days.")] = None,
    level: LevelOpt = None, status: StatusOpt = None, region: RegionOpt = None,
    kind: Annotated[Optional[list[str]], typer.Option("--kind", help="new, replaced, withdrawn, status_changed or fields_changed (repeatable).")] = None,
    watched: Annotated[bool, typer.Option("--watched", help="Only changes matching the watch list (kb watch).")] = False,
    as_json: JsonOpt = False, as_csv: CsvOpt = False,
):
    """List what imports and crawls changed: new, replaced, withdrawn, status or fields changed (JSON: a list).

    Example: kb changes --since 7d --watched --json
    """
    from kb.changes import list_changes
    from kb.watch import WatchList

    watch = WatchList.load(paths.home_dir()) if watched else None
    log = list_changes(ctx.obj.corpus_dir, since=since, kinds=kind, watch=watch, **_filters(level, status, region))
    if as_json or as_csv:
        render.print_json(log.changes) if as_json else render.print_csv(log.changes, render.CHANGE_COLUMNS)
        for error in log.errors:
            render.warn(f"已跳过 {error}")
    else:
        render.render_changes(log.to_dict())


@app.command()
def stats(ctx: typer.Context, as_json: JsonOpt = False):
    """Counts of the knowledge base by kind, level, status, region and year.

    Example: kb stats --json
    """
    from kb.stats import index_stats

    kb = ctx.obj.open_index()
    data = {"generation": kb.generation.name, "engine": kb.engine, "built_at": kb.meta.get("built_at"),
            **index_stats(kb)}
    render.print_json(data) if as_json else render.render_stats(data)


@app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[Optional[list[Path]], typer.Argument(help="Announcement JSON, CSV or XLSX files, or directories.")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="XLSX sheet name (default: the first).")] = None,
    saved_pages: Annotated[Optional[Path], typer.Option("--saved-pages", help="A folder of saved platform pages (../shared/pages): every record they hold.")] = None,
    as_json: JsonOpt = False,
):
    """Import standard lists into the corpus (merged by canonical number), then run `kb index update`.

    Example: kb import ../shared/records/announcements/ 标准清单.xlsx

    Example: kb import --saved-pages ../shared/pages
    """
    from crawlers.importer import import_files, import_saved_pages
    from kb.changes import record_changes

    if saved_pages is not None:
        report = import_saved_pages(saved_pages, ctx.obj.corpus_dir, record_changes=record_changes)
    elif files:
        report = import_files(files, ctx.obj.corpus_dir, sheet=sheet, record_changes=record_changes)
    else:
        raise BadInput("请给出要导入的文件，或 --saved-pages DIR")
    render.print_json(report.summary()) if as_json else render.render_import(report.summary(), ctx.obj.index_ready())
    if report.errors:
        raise typer.Exit(1)


@app.command("parse")
def parse_(
    source: Annotated[str, typer.Argument(help="Parser: samr.search, samr.detail, openstd.list, ttbz.detail … or auto.")],
    file: Annotated[Path, typer.Argument(help="A saved page or API answer.")],
    url: Annotated[Optional[str], typer.Option("--url", help="The page's address (default: INDEX.json beside the file).")] = None,
    as_json: JsonOpt = False,
):
    """Run one platform parser on a saved page and show its records and links (writes nothing).

    Example: kb parse openstd.detail ../shared/pages/relaton-gb/decoded/gb_t_1_1__09.html
    """
    from crawlers.parse import parse_file

    result = parse_file(None if source == "auto" else source, file, url)
    data = {"records": [r.to_dict() for r in result.records], "links": result.links, "refused": result.refused}
    if as_json:
        return render.print_json(data)
    for record in data["records"]:
        render.render_record(record)
    for link in result.links:
        render.out().print(f"[dim]链接 {render.escape(link)}[/]", soft_wrap=True)
    if result.refused:
        render.warn(f"网站拒绝了请求：{result.refused}")


@app.command("crawl")
def crawl_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="samr, openstd, hbba, dbba, ttbz, jjg or sacinfo (or the platform's host).")],
    query: Annotated[Optional[str], typer.Option("--query", help="A number, title words or a URL on the platform (default: its newest entries).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Keep only standards issued on or after this day (YYYY-MM-DD).")] = None,
    max_pages: Annotated[Optional[int], typer.Option("--max-pages", help="Stop after N pages; --resume continues.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the last crawl of SOURCE and --query: finished pages are not fetched again.")] = False,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Fetch from this mirror instead, e.g. http://127.0.0.1:8765.")] = None,
    as_json: JsonOpt = False,
):
    """Crawl one official platform into the corpus (robots.txt obeyed, ~1 request per 2 s); exit 1 if a page failed.

    Example: kb crawl openstd --query "GB/T 1.1" --max-pages 20
    """
    from contextlib import closing

    from crawlers.crawl import crawl
    from kb.changes import record_changes
    with closing(render.Progress(as_json, f"抓取 {source}")) as progress:  # JSON lines, or a bar
        report = crawl(source, query, since=since, max_pages=max_pages, resume=resume, base_url=base_url,
                       corpus_dir=ctx.obj.corpus_dir, progress=progress, record_changes=record_changes)
    if not as_json:  # with --json the "done" line is the summary
        render.render_crawl(report.summary(), ctx.obj.index_ready())
    if report.failed:
        raise typer.Exit(1)


@app.command("sync")
def sync_(
    ctx: typer.Context,
    sources: Annotated[Optional[list[str]], typer.Argument(help="samr, openstd, hbba, dbba, ttbz, jjg (default: all of them).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Keep only standards issued on or after this day (YYYY-MM-DD).")] = None,
    max_pages: Annotated[Optional[int], typer.Option("--max-pages", help="At most N pages per source; the next kb sync continues.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Walk every list page, not just those since the last sync (details still only for changed records).")] = False,
    base_url: Annotated[Optional[str], typer.Option("--base-url", envvar="KB_BASE_URL", help="Fetch from this mirror instead ($KB_BASE_URL), e.g. http://127.0.0.1:8765.")] = None,
    wait: WaitOpt = 600.0, as_json: JsonOpt = False,
):
    """Bring the knowledge base up to date from every platform's lists (newest first, only what changed), then the index.

    Example: kb sync --json

    Example: kb sync hbba jjg --since 2026-01-01
    """
    from contextlib import closing
    from functools import partial

    from crawlers.sync import sync
    from index.build import refresh
    from kb.changes import record_changes

    refresh_index = partial(refresh, ctx.obj.corpus_dir, ctx.obj.index_dir, render.Progress(as_json, "更新索引"), wait)
    with closing(render.SyncProgress(as_json, "同步")) as progress:
        report = sync(sources, since=since, max_pages=max_pages, full=full, base_url=base_url, corpus_dir=ctx.obj.corpus_dir,
                      progress=progress, record_changes=record_changes, refresh_index=lambda: refresh_index().summary())
    if not as_json:  # with --json the "done" line is the summary
        render.render_sync(report.summary())
    if report.unreachable:
        raise typer.Exit(1)


# -- texts and clauses -------------------------------------------------------------------

DocArg = Annotated[list[str], typer.Argument(metavar="DOC...", help="A text: its title, an alias (标准化法), a standard number (quotes optional) or an id.")]


@app.command()
def clause(ctx: typer.Context,
           doc: Annotated[list[str], typer.Argument(metavar="DOC [PATH]", help="A text (title, alias such as 标准化法, standard number or id), then the clause: 第十条, 10, 第10条, 八(一), 专栏6, 5.2 … (or one whole citation: 标准化法第十条).")],
           as_json: JsonOpt = False):
    """Show one clause of a law, policy or standard, with its sub-clauses.

    Example: kb clause 标准化法 第十条; kb clause 质量强国首善之区建设意见 "八(一)"; kb clause 计量法实施细则 第二十一条
    """
    from kb.texts.lookup import lookup_words
    from kb.texts.model import load_texts

    result = lookup_words(load_texts(ctx.obj.corpus_dir), doc)
    render.print_json(result) if as_json else render.render_clause(result)


@app.command()
def outline(ctx: typer.Context, doc: DocArg,
            depth: Annotated[Optional[int], typer.Option("--depth", min=1, help="Levels to show.")] = None,
            as_json: JsonOpt = False):
    """The clause tree of a text: chapters and articles, sections and 专栏, numbered clauses.

    Example: kb outline 计量法 --depth 1
    """
    from kb.texts.lookup import document_outline
    from kb.texts.model import load_texts

    result = document_outline(load_texts(ctx.obj.corpus_dir), " ".join(doc), depth)
    render.print_json(result) if as_json else render.render_outline(result)


@app.command()
def term(ctx: typer.Context, word: Annotated[list[str], typer.Argument(metavar="WORD...", help="A term, e.g. 计量器具 (several words are one term).")],
         as_json: JsonOpt = False):
    """Terms and definitions from the texts (术语和定义, 本法所称…是指…), with their source clause.

    Example: kb term 计量器具
    """
    from kb.texts.lookup import terms
    from kb.texts.model import load_texts

    entries = terms(load_texts(ctx.obj.corpus_dir), " ".join(word))
    render.print_json(entries) if as_json else render.render_terms(entries)


@app.command()
def ingest(ctx: typer.Context,
           paths_: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Text, Markdown, HTML, PDF or DOCX files, or directories.")],
           kind: Annotated[Optional[str], typer.Option("--kind", help="policy, law or standard (default: guessed).")] = None,
           title: Annotated[Optional[str], typer.Option("--title", help="Title for a single file.")] = None,
           as_json: JsonOpt = False):
    """Add policy, law and standard texts to the corpus (corpus/texts.jsonl), then run `kb index update`.

    Example: kb ingest ../shared/corpus/laws --kind law
    """
    from kb.texts.ingest import ingest as ingest_texts

    report = ingest_texts(paths_, kind=kind, title=title, corpus=ctx.obj.corpus_dir,
                          progress=render.Progress(as_json, "收录文本"))
    render.print_json_line(report.summary()) if as_json else render.render_ingest(report.summary(), ctx.obj.index_ready())
    if report.errors:
        raise typer.Exit(1)


# -- coverage ------------------------------------------------------------------------------

XlsxOpt = Annotated[Optional[Path], typer.Option("--xlsx", dir_okay=False, help="Also write an Excel workbook: one sheet per view, frozen header row.")]
HtmlOpt = Annotated[Optional[Path], typer.Option("--html", dir_okay=False, help="Also write one self-contained HTML page: bar chart, sortable tables.")]


@app.command()
def cover(
    ctx: typer.Context,
    query: Annotated[list[str], typer.Argument(metavar="QUERY...", help="A CCS/ICS code (K13, 29.060.20), a category name (水泥) or a product term (水稻); several words are one query.")],
    region: Annotated[Optional[str], typer.Option("--region", help="Code or name (11, 北京): list only this region's local standards (national, industry, group ones apply everywhere).")] = None,
    include_withdrawn: Annotated[bool, typer.Option("--include-withdrawn", help="Also list replaced and withdrawn standards (and earlier editions), with their replacements.")] = False,
    as_json: JsonOpt = False, as_csv: CsvOpt = False,
):
    """Which standards cover a product category or term: by code, title or scope, grouped by level, in force first.

    Example: kb cover 水稻; kb cover K13 --json; kb cover 电线电缆 --region 11 --csv
    """
    from kb.coverage import cover as find_cover

    result = find_cover(ctx.obj.open_index(), " ".join(query), region=_filters(None, None, region)["region"],
                        include_withdrawn=include_withdrawn)
    if as_json or as_csv:
        render.print_json(result) if as_json else render.print_csv(result["standards"], render.COVER_COLUMNS)
    else:
        render.render_cover(result)


@app.command()
def gaps(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="View: ccs (categories), ics or region (local standards).")] = "ccs",
    level: LevelOpt = None, region: RegionOpt = None,
    max_age: Annotated[float, typer.Option("--max-age", min=0.1, help="Review cycle in years (标准化法 第二十九条: 5).")] = 5,
    xlsx: XlsxOpt = None, html: HtmlOpt = None, csv_file: Annotated[Optional[Path], typer.Option("--csv", help="Write the view as CSV to this file.", dir_okay=False)] = None,
    as_json: JsonOpt = False,
):
    """Where coverage is thin: per category (or region) counts by level and status, and gap flags; XLSX/HTML/CSV reports.

    Example: kb gaps --by ccs --max-age 5 --xlsx 缺口.xlsx --html 缺口.html
    """
    from kb.coverage import gap_report
    from kb.reports import write_gap_reports

    filters = _filters(level, None, region)
    report = gap_report(ctx.obj.open_index(), by=by, level=filters["level"], region=filters["region"], max_age=max_age)
    written = write_gap_reports(report, xlsx=xlsx, html_file=html, csv_file=csv_file)
    render.print_json(report) if as_json else render.render_gaps(report, written)


@app.command("policy-gaps")
def policy_gaps_(
    ctx: typer.Context,
    doc: Annotated[str, typer.Argument(help="A stored policy (title, alias or id) or a policy file (TXT, Markdown, HTML, PDF, DOCX).")],
    xlsx: XlsxOpt = None, as_json: JsonOpt = False,
):
    """Trace a policy to standards: clause by clause, the product and industry areas it names, their standards, and the gaps.

    Example: kb policy-gaps 质量强国首善之区建设意见 --xlsx 政策缺口.xlsx
    """
    from kb.coverage import load_policy, policy_gaps
    from kb.reports import write_policy_xlsx

    report = policy_gaps(ctx.obj.open_index(), load_policy(doc, ctx.obj.corpus_dir))
    written = [write_policy_xlsx(report, xlsx)] if xlsx else []
    render.print_json(report) if as_json else render.render_policy_gaps(report, written)


# -- servers ------------------------------------------------------------------------------

@app.command("mcp")
def mcp_(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print the tools (name, description, JSON schema of the arguments) as JSON and exit.")] = False):
    """Serve the knowledge base to AI assistants as MCP tools over stdio (README: "MCP server").

    Example: kb mcp   (an MCP client starts it; see README for the client configuration); kb mcp --json
    """
    from apps.mcp_server import list_tools, serve_stdio

    if as_json:
        return render.print_json(list_tools())
    serve_stdio(ctx.obj.index_dir, ctx.obj.corpus_dir)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (default: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free port).")] = 8000,
    as_json: Annotated[bool, typer.Option("--json", help='Announce the address as one JSON line {"event": "listening", "url"} on stdout.')] = False,
):
    """Run the local web app (in Chinese) and its JSON API (/api) until Ctrl-C.

    Example: kb serve --port 8000, then open http://127.0.0.1:8000/
    """
    from apps.web.app import serve as serve_web

    def announce(url: str) -> None:
        if as_json:
            render.print_json_line({"event": "listening", "url": url})
        else:
            render.err().print(f"标准知识库：{url} （Ctrl-C 停止）")

    serve_web(ctx.obj.index_dir, ctx.obj.corpus_dir, host=host, port=port, announce=announce)


# -- index lifecycle -------------------------------------------------------------------

@index_app.command("rebuild")
def index_rebuild(ctx: typer.Context, as_json: JsonOpt = False, wait: WaitOpt = 0.0, procs: ProcsOpt = 1,
                  engine: EngineOpt = None):
    """Build a new index generation from the corpus and switch to it atomically.

    Example: kb index rebuild --json --wait 600
    Example: kb index rebuild --engine tantivy
    """
    from index.build import WriterSettings, rebuild

    report = rebuild(ctx.obj.corpus_dir, ctx.obj.index_dir, progress=render.Progress(as_json, "建立索引"), wait=wait,
                     settings=WriterSettings(procs=procs), engine=engine)
    _finish_build(report, as_json)


@index_app.command("update")
def index_update(ctx: typer.Context, as_json: JsonOpt = False, wait: WaitOpt = 0.0, engine: EngineOpt = None):
    """Apply only the corpus records that changed since the last build, with the engine
    that built the serving index.

    Example: kb index update --json
    """
    from index.build import update

    report = update(ctx.obj.corpus_dir, ctx.obj.index_dir, progress=render.Progress(as_json, "更新索引"), wait=wait,
                    engine=engine)
    _finish_build(report, as_json)


@index_app.command("verify")
def index_verify(ctx: typer.Context, as_json: JsonOpt = False):
    """Check the serving index: segments open, counts match the corpus, known numbers answer.

    Example: kb index verify --json
    """
    from index.verify import verify

    report = verify(ctx.obj.index_dir, ctx.obj.corpus_dir)
    render.print_json_line(report) if as_json else render.render_verify(report)
    if not report["ok"]:
        raise typer.Exit(report["exit_code"])


def _finish_build(report, as_json: bool) -> None:
    if not as_json:
        render.render_build(report.summary())
    for error in report.corpus_errors:
        render.warn(f"已跳过 {error}")
    if report.corpus_errors:
        raise KbError(f"语料中有 {len(report.corpus_errors)} 行无法读取；"
                      f"其余 {report.records} 条记录已建入索引")


# -- watch list ----------------------------------------------------------------------------

WatchItems = Annotated[list[str], typer.Argument(help='Numbers ("DB23/T 2419-2019"), series ("GB/T 5606"), CCS codes (K13) or title words; ccs:/term:/number:/series: force the kind.')]


@watch_app.command("add")
def watch_add(items: WatchItems, as_json: JsonOpt = False):
    """Watch numbers, series, CCS categories or title words (kept in $KB_HOME/watch.json).

    Example: kb watch add "GB/T 5606" K13 佳木斯大米
    """
    from kb.watch import change_watch

    data = change_watch(paths.home_dir(), "add", items)
    render.print_json(data) if as_json else render.render_watch(data)


@watch_app.command("remove")
def watch_remove(items: WatchItems, as_json: JsonOpt = False):
    """Stop watching items (any spelling of a number; exit 1 if one is not watched).

    Example: kb watch remove "gb/t5606"
    """
    from kb.watch import change_watch

    data = change_watch(paths.home_dir(), "remove", items)
    render.print_json(data) if as_json else render.render_watch(data)


@watch_app.command("list")
def watch_list(as_json: JsonOpt = False):
    """Show the watch list.

    Example: kb watch list --json
    """
    from kb.watch import WatchList

    data = WatchList.load(paths.home_dir()).to_dict()
    render.print_json(data) if as_json else render.render_watch(data)


def main() -> None:
    try:
        app(prog_name="kb")
    except BrokenPipeError:  # `kb … | head` closed the pipe: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


if __name__ == "__main__":
    main()
