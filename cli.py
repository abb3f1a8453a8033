"""kb — search and look up Chinese standards, metrology regulations, policies and laws.

Thin: each command parses its options, calls one library function and hands the
result to kb.render. Errors (kb.errors.KbError) become one "Error: …" line and
the exit code of their class; see README "Exit codes".
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from kb import paths, render
from kb.errors import BadInput, KbError


class KbGroup(TyperGroup):
    """Turns every KbError into one line on stderr and its exit code; no tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KbError as exc:
            render.err().print(f"[red]Error:[/] {render.escape(str(exc))}")
            if exc.hint:
                render.err().print(f"[dim]Hint: {render.escape(exc.hint)}[/]")
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            render.err().print("Error: interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug: one line, unless KB_DEBUG asks for the traceback
            if os.environ.get("KB_DEBUG"):
                raise
            render.err().print(f"[red]Error:[/] internal error: {render.escape(f'{type(exc).__name__}: {exc}')}"
                               " (set KB_DEBUG=1 for the traceback)")
            raise typer.Exit(1) from None


app = typer.Typer(cls=KbGroup, no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help=__doc__.split("\n\n")[0])
index_app = typer.Typer(no_args_is_help=True, help="Build, update and check the search index.")
app.add_typer(index_app, name="index")

# -- shared options (declared once) -----------------------------------------------

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV output with Chinese column headers.")]
WaitOpt = Annotated[float, typer.Option("--wait", help="Seconds to wait for another writer's lock (exit 3 after).")]
LevelOpt = Annotated[Optional[str], typer.Option("--level", help="national, industry, local, group, enterprise or metrology (or 国家标准 …).")]
StatusOpt = Annotated[Optional[str], typer.Option("--status", help="current, upcoming, withdrawn, replaced (or 现行, 即将实施, 废止, 被代替).")]
RegionOpt = Annotated[Optional[str], typer.Option("--region", help="Region code or name: 11, 北京.")]


class Context:
    def __init__(self, index: Optional[Path], corpus: Optional[Path]):
        self.index_dir = paths.index_dir(index)
        self.corpus_dir = paths.corpus_dir(corpus)

    def open_index(self, as_json: bool = False):
        from index.api import open_index

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
    from kb.vocab import LEVEL_WORDS, LEVELS, STATUS_WORDS, STATUSES, normalize_region

    def pick(value, allowed, words, name):
        if value is None:
            return None
        code = value if value in allowed else words.get(value)
        if code is None:
            raise BadInput(f"unknown {name} {value!r}: use one of {', '.join(allowed)}")
        return code

    try:
        region_code = normalize_region(region)[:2] if region else None
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return {"level": pick(level, LEVELS, LEVEL_WORDS, "level"),
            "status": pick(status, STATUSES, STATUS_WORDS, "status"), "region": region_code}


# -- commands ----------------------------------------------------------------------

@app.command()
def build(ctx: typer.Context, as_json: JsonOpt = False, wait: WaitOpt = 0.0):
    """Build the search index from the corpus (same as `kb index rebuild`).

    Example: kb build --json
    """
    index_rebuild(ctx, as_json=as_json, wait=wait)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Words, a "quoted phrase" or a standard number.')],
    level: LevelOpt = None, status: StatusOpt = None, region: RegionOpt = None,
    year: Annotated[Optional[int], typer.Option("--year", help="Year of the number (2026).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Number of hits.")] = 10,
    as_json: JsonOpt = False,
):
    """Full-text search over standards, with highlighted snippets and facet counts.

    Example: kb search 水稻 --level local
    """
    kb = ctx.obj.open_index()
    result = kb.search(query, limit=limit, year=year, **_filters(level, status, region)).to_dict()
    render.print_json(result) if as_json else render.render_search(result)


@app.command()
def get(
    ctx: typer.Context,
    number: Annotated[list[str], typer.Argument(help="One or more standard numbers, in any spelling.")],
    as_json: JsonOpt = False,
):
    """Look up standards by number: status, dates, replaces and replaced-by.

    Example: kb get "DB23/T 2419—2026" db23t2419-2019
    """
    from kb.lookup import lookup_numbers

    answers = lookup_numbers(ctx.obj.open_index(), number)
    if as_json:
        render.print_json(answers[0] if len(answers) == 1 else answers)
    else:
        for answer in answers:
            render.render_error_entry(answer) if "error" in answer else render.render_record(answer, answer.get("note", ""))
    if any("error" in answer for answer in answers):
        raise typer.Exit(1)


@app.command()
def stats(ctx: typer.Context, as_json: JsonOpt = False):
    """Counts of the knowledge base by kind, level, status, region and year.

    Example: kb stats --json
    """
    from kb.stats import corpus_stats

    kb = ctx.obj.open_index()
    data = {"generation": kb.generation.name, "built_at": kb.meta.get("built_at"),
            **corpus_stats(kb.all_records())}
    render.print_json(data) if as_json else render.render_stats(data)


@app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Announcement JSON, CSV or XLSX files, or directories.")],
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="XLSX sheet name (default: the first).")] = None,
    as_json: JsonOpt = False,
):
    """Import standard lists into the corpus (merged by canonical number), then run `kb index update`.

    Example: kb import ../shared/records/announcements/ 标准清单.xlsx
    """
    from crawlers.importer import import_files
    from kb.changes import record_changes

    report = import_files(files, ctx.obj.corpus_dir, sheet=sheet, record_changes=record_changes)
    render.print_json(report.summary()) if as_json else render.render_import(report.summary())
    if report.errors:
        raise typer.Exit(1)


# -- index lifecycle -------------------------------------------------------------------

@index_app.command("rebuild")
def index_rebuild(ctx: typer.Context, as_json: JsonOpt = False, wait: WaitOpt = 0.0):
    """Build a new index generation from the corpus and switch to it atomically.

    Example: kb index rebuild --json --wait 600
    """
    from index.build import rebuild

    report = rebuild(ctx.obj.corpus_dir, ctx.obj.index_dir, progress=render.Progress(as_json, "建立索引"), wait=wait)
    _finish_build(report, as_json)


@index_app.command("update")
def index_update(ctx: typer.Context, as_json: JsonOpt = False, wait: WaitOpt = 0.0):
    """Apply only the corpus records that changed since the last build.

    Example: kb index update --json
    """
    from index.build import update

    report = update(ctx.obj.corpus_dir, ctx.obj.index_dir, progress=render.Progress(as_json, "更新索引"), wait=wait)
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
        raise typer.Exit(4)


def _finish_build(report, as_json: bool) -> None:
    if not as_json:
        render.render_build(report.summary())
    for error in report.corpus_errors:
        render.warn(f"skipped {error}")
    if report.corpus_errors:
        raise KbError(f"{len(report.corpus_errors)} corpus line(s) could not be read; "
                      f"the other {report.records} records were indexed")


def main() -> None:
    app(prog_name="kb")


if __name__ == "__main__":
    main()
