"""The one output layer: JSON, CSV, JSON-lines progress and human (rich) renderers.

Every read command hands its result here. JSON keeps Chinese as is
(ensure_ascii=False); human output uses Chinese field labels.
"""
from __future__ import annotations

import html

import csv
import json
import re
import sys
import time
from typing import Callable, Iterable

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape as escape_markup
from rich.table import Table

from kb.vocab import FORCE_LABELS, KIND_LABELS, LEVEL_LABELS, STATUS_LABELS, region_name

LABELS = {
    "number": "标准号", "title": "标准名称", "english_title": "英文名称", "level": "层级",
    "force": "性质", "status": "状态", "issue_date": "发布日期", "implementation_date": "实施日期",
    "withdrawal_date": "废止日期", "replaces": "代替标准", "replaced_by": "被代替为",
    "ics": "国际标准分类号", "ccs": "中国标准分类号", "dept": "主管部门",
    "technical_committee": "归口单位", "region": "地区", "organisation": "团体/企业",
    "drafting_orgs": "起草单位", "drafters": "起草人", "scope": "范围", "record_no": "备案号",
    "doc_type": "类别", "other_numbers": "其他编号", "age_years": "标龄(年)", "sources": "来源",
    "score": "得分", "snippet": "摘要", "kind": "类型", "path": "条款", "heading": "标题",
    "text": "内容", "matched_by": "匹配依据", "line": "行", "found": "原文",
    "file": "文件", "resolved": "对应版本", "latest": "最新版本", "note": "说明", "status_label": "状态",
    "query": "查询", "error": "错误", "date": "日期", "change": "变更", "previous_status": "原状态",
    "effective_date": "生效日期", "source": "来源", "via": "记录方式", "watched": "关注项",
    "page": "页", "cited_title": "文中名称", "title_mismatch": "名称不符",
}
STATUS_STYLES = {"current": "green", "upcoming": "cyan", "withdrawn": "red", "replaced": "yellow",
                 "unknown": "dim"}

# ANSI escape sequences (CSI, OSC and two-character ones), then any other control character
# except newline and tab, and the bidi overrides that reorder a line on screen.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
                      r"|\x9b[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text) -> str:
    """A string from data or a path with its control characters removed (they would move
    the cursor, recolour the terminal or hide text); newlines and tabs stay."""
    return _CONTROL.sub("", str(text))


def escape(text) -> str:
    """A string from data or a path, safe inside rich markup: no control characters and
    no markup (`[bold]`). Emoji codes (`:100:`) stay text because the consoles have emoji off."""
    return escape_markup(clean(text))


_stdout: Console | None = None
_stderr: Console | None = None


def out() -> Console:
    global _stdout
    if _stdout is None or _stdout.file is not sys.stdout:
        _stdout = Console(file=sys.stdout, highlight=False, soft_wrap=False, emoji=False)
    return _stdout


def err() -> Console:
    global _stderr
    if _stderr is None or _stderr.file is not sys.stderr:
        _stderr = Console(file=sys.stderr, highlight=False, soft_wrap=True, emoji=False)
    return _stderr


# -- machine formats ------------------------------------------------------------

def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def print_json_line(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def print_csv(rows: Iterable[dict], columns: list[str], header_labels: bool = True) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow([LABELS.get(c, c) if header_labels else c for c in columns])
    for row in rows:
        writer.writerow([clean("、".join(map(str, v))) if isinstance(v, list) else ("" if v is None else clean(v))
                         for v in (row.get(c) for c in columns)])


# -- human helpers ----------------------------------------------------------------

def status_text(code: str) -> str:
    label = STATUS_LABELS.get(code, code or "")
    return f"[{STATUS_STYLES.get(code, 'default')}]{escape(label)}[/]"


def level_text(level: str, force: str | None = None) -> str:
    text = escape(LEVEL_LABELS.get(level, level or ""))
    return f"{text}·{FORCE_LABELS[force]}" if force in FORCE_LABELS else text


def emphasis(snippet: str) -> str:
    """<em>…</em> from the highlighter → rich bold; the rest is HTML-escaped text."""
    parts = re.split(r"<em>(.*?)</em>", snippet)
    return "".join(f"[bold yellow]{escape(html.unescape(part))}[/]" if i % 2 else escape(html.unescape(part))
                   for i, part in enumerate(parts))


def emphasised(title: str, snippet: str) -> str:
    """The whole title, with the words the snippet marks (<em>…</em>) in bold."""
    words = sorted({escape(w) for w in re.findall(r"<em>(.*?)</em>", snippet) if w.strip()}, key=len, reverse=True)
    text = escape(title)
    if not words:
        return text
    return re.sub("|".join(map(re.escape, words)), lambda m: f"[bold yellow]{m.group(0)}[/]", text)


def warn(message: str) -> None:
    err().print(f"[yellow]警告：[/]{escape(message)}")


# -- failures: one line (and a hint) on stderr; under --json a final "error" event -----------

_command_started = time.monotonic()
_final_event_sent = False


def start_command() -> None:
    global _command_started, _final_event_sent
    _command_started, _final_event_sent = time.monotonic(), False


def error(message: str, hint: str = "") -> None:
    err().print(f"[red]错误：[/]{escape(message)}")
    if hint:
        err().print(f"[dim]提示：{escape(hint)}[/]")


def error_event(message: str, exit_code: int) -> None:
    """The documented last JSON line of a failure, unless a last line (a build's `error`, or
    `done` with corpus_errors) was sent already."""
    global _final_event_sent
    if not _final_event_sent:
        print_json_line({"t": round(time.monotonic() - _command_started, 3), "event": "error",
                         "message": message, "exit_code": exit_code})
    _final_event_sent = True


_USAGE_WORDS = [  # the command-line parser's messages, in Chinese
    (r"Got unexpected extra argument\(s\) \((.*)\)", r"多余的参数：\1（含空格的一整项请加引号）"),
    (r"No such option: (\S+)(?: \(Possible options: (.*)\))?", r"没有选项 \1"),
    (r"No such command '(.*)'\.", r"没有命令 \1"),
    (r"Option '(.*)' requires an argument\.", r"选项 \1 需要一个值"),
    (r"Missing argument '(.*)'\.", r"缺少参数 \1"),
    (r"Missing option '(.*)'\.", r"缺少选项 \1"),
    (r"Invalid value for '(.*?)': (.*)", r"\1 的值无效：\2"),
    (r"'.*' is not a valid (integer|int|int range)\.", "应为整数"),
    (r"'.*' is not a valid (float|float range)\.", "应为数字"),
    (r"(.*) is not in the range (.*)\.", r"\1 不在允许的范围 \2 内"),
    (r"Value '(.*)' is not a valid (\w+)\.", r"\1 不是有效的值"),
]


def usage_message(exc) -> str:
    """A usage error of the command-line parser as one Chinese line."""
    text = exc.format_message()
    for pattern, chinese in _USAGE_WORDS:
        text = re.sub(pattern, chinese, text)
    return text


# -- renderers -----------------------------------------------------------------------

def render_search(result: dict) -> None:
    console = out()
    console.print(f"共 {result['total']} 条结果: {escape(result['query'])}"
                  + ("（未找到同时包含所有词的结果，显示包含任一词的结果）" if result.get("matched_as") == "text-any" else ""))
    if result.get("note"):
        console.print(f"[dim]注：{escape(result['note'])}[/]", soft_wrap=True)
    if not result["hits"]:
        return
    table = Table(show_lines=False, expand=False)
    for column in ("标准号", "标准名称", "层级", "状态", "得分"):  # only the title wraps
        table.add_column(column, overflow="fold", no_wrap=column != "标准名称")
    for hit in result["hits"]:
        title = emphasised(hit["title"], hit.get("snippet", ""))
        table.add_row(escape(hit["number"]), title, level_text(hit["level"]), status_text(hit["status"]),
                      f"{hit['score']:.2f}")
    console.print(table)
    _search_facets(result)


def _search_facets(result: dict) -> None:
    facets = result.get("facets") or {}
    parts = []
    for name, label, word in (("level", "层级", lambda k: LEVEL_LABELS.get(k, k)),
                              ("status", "状态", lambda k: STATUS_LABELS.get(k, k)),
                              ("region", "地区", lambda k: region_name(k) or k)):
        if facets.get(name):
            parts.append(f"{label}: " + "  ".join(f"{escape(word(k))} {v}" for k, v in facets[name].items()))
    if parts:
        out().print("[dim]" + " | ".join(parts) + "[/]")


RECORD_FIELDS = ("number", "title", "english_title", "level", "status", "issue_date",
                 "implementation_date", "withdrawal_date", "replaces", "replaced_by", "other_numbers",
                 "ccs", "ics", "dept", "technical_committee", "region", "organisation",
                 "drafting_orgs", "drafters", "doc_type", "record_no", "age_years", "scope")


def render_record(record: dict, note: str = "") -> None:
    """One labelled record (Record.labelled())."""
    console = out()
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    shown_rows = []
    for name in RECORD_FIELDS:
        value = record.get(name)
        if value in (None, "", []):
            continue
        if name == "level":
            shown = level_text(value, record.get("force"))
        elif name == "status":
            shown = status_text(value)
            if record.get("status_note"):
                shown += f" [dim]（{escape(record['status_note'])}）[/]"
        elif name == "region":
            shown = escape(f"{region_name(value)} ({value})")
        elif isinstance(value, list):
            shown = escape("、".join(map(str, value)))
        else:
            shown = escape(str(value))
        table.add_row(LABELS[name], shown)
        shown_rows.append((LABELS[name], shown))
    console.print(table)
    width = max([cell_len(row[0]) for row in shown_rows] + [cell_len(LABELS["sources"])])
    label = LABELS["sources"] + " " * (width - cell_len(LABELS["sources"]))
    for source in record.get("sources") or []:  # on its own line, unwrapped, so it can be copied
        console.print(f" [bold]{label}[/]  {escape(source.get('url') or source.get('source', ''))}", soft_wrap=True)
    if note:
        console.print(f"[dim]{escape(note)}[/]")


def render_key_values(title: str, data: dict) -> None:
    console = out()
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in data.items():
        table.add_row(escape(str(key)), escape(str(value)))
    console.print(table)


def render_counts(title: str, counts: dict[str, dict[str, int]], labels: dict[str, Callable[[str], str]]) -> None:
    console = out()
    console.print(f"[bold]{escape(title)}[/]")
    for name, values in counts.items():
        word = labels.get(name, lambda k: k)
        console.print(f"  {escape(name)}: " + "  ".join(f"{escape(word(k))} {v}" for k, v in values.items()))


# -- progress -------------------------------------------------------------------------

PHASE_LABELS = {"records": "记录", "clauses": "条款"}


class Progress:
    """A callback for long work: JSON lines with --json, else a rich progress bar on stderr.

    Events with `done` and `total` get `eta`, the seconds left in the current phase at its
    rate so far. A build's phases: `start` (records), `phase` (clauses, counted in texts), and
    a `commit` after each, while Whoosh writes the segments (the bar says 写入磁盘 then)."""

    def __init__(self, as_json: bool, description: str = "处理中"):
        self.as_json = as_json
        self.description = description
        self._bar = None
        self._task = None
        self._started = self._phase_started = time.monotonic()

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        if kind in ("start", "phase"):
            self._phase_started = time.monotonic()
        elif kind not in ("done", "error") and event.get("done") and event.get("total") is not None:
            elapsed = time.monotonic() - self._phase_started
            event = {**event, "eta": round(elapsed / event["done"] * max(event["total"] - event["done"], 0), 1)}
        if self.as_json:
            if kind == "done" or (kind == "error" and "exit_code" in event):  # the last line
                global _final_event_sent
                _final_event_sent = True
            print_json_line({"t": round(time.monotonic() - self._started, 3), **event})
            return
        self._show(kind, event)

    def _label(self, event: dict, phase: str | None = None) -> str:
        phase = phase or event.get("phase") or ("records" if "action" in event else "")
        return f"{self.description} · {PHASE_LABELS[phase]}" if phase in PHASE_LABELS else self.description

    def _show(self, kind: str | None, event: dict) -> None:
        total, done = event.get("total"), event.get("done")
        if kind in ("start", "phase") and total:
            if self._bar is None:
                self._open()
            self._bar.reset(self._task, total=total, completed=0, description=self._label(event))
        elif self._bar is not None and kind == "commit":
            label = PHASE_LABELS.get(event.get("phase"), "")
            self._bar.update(self._task, description=f"{self.description} · 写入磁盘{('（' + label + '）') if label else ''}")
        elif self._bar is not None and done is not None:
            self._bar.update(self._task, completed=done, total=total)
        if kind in ("done", "error") and (kind == "done" or "exit_code" in event):
            self.close()

    def _open(self) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                   TimeRemainingColumn)

        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=err(), transient=True, disable=not err().is_terminal)
        self._bar.start()
        self._task = self._bar.add_task(self.description, total=None)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def render_stats(data: dict) -> None:
    console = out()
    console.print(f"[bold]知识库统计[/]  共 {data['total']} 条记录"
                  + (f"（索引 {escape(data['generation'])}，{escape(data.get('engine') or 'whoosh')} 引擎，"
                     f"建于 {escape(data.get('built_at'))}）" if data.get("generation") else ""))
    words = {"level": lambda k: LEVEL_LABELS.get(k, k), "status": lambda k: STATUS_LABELS.get(k, k),
             "region": lambda k: f"{region_name(k)}({k})", "kind": lambda k: KIND_LABELS.get(k, k), "sector": lambda k: k,
             "issue_year": lambda k: k}
    names = {"kind": "类型", "level": "层级", "status": "状态", "region": "地区", "sector": "行业",
             "issue_year": "发布年份"}
    for name, label in names.items():
        values = data.get(name) or {}
        if values:
            console.print(f"  {label}: " + "  ".join(f"{escape(words[name](k))} {v}" for k, v in values.items()))


def next_step(index_ready: bool, what: str = "这些记录") -> str:
    """What to run after the corpus changed: an update when an index serves, else a build."""
    if index_ready:
        return f"运行 `kb index update` 使索引包含{what}。"
    return f"还没有索引：运行 `kb build` 建立索引（包含{what}），或直接检索，首次使用时会自动建立。"


def render_import(summary: dict, index_ready: bool = True) -> None:
    out().print(f"导入 {len(summary['files'])} 个文件，读取 {summary['read']} 条：新增 {summary['new']}，"
                f"更新 {summary['updated']}，未变 {summary['unchanged']}，变更记录 {summary['changes']} 条")
    for error in summary["errors"]:
        warn(error)
    for skipped in summary.get("skipped", []):
        out().print(f"[dim]跳过 {escape(skipped)}[/]", soft_wrap=True)
    if summary["new"] or summary["updated"]:
        out().print(f"[dim]{next_step(index_ready)}[/]", soft_wrap=True)


def render_build(summary: dict) -> None:
    action = {"rebuild": "重建", "update": "更新"}[summary["action"]]
    text = f"索引{action}完成：{summary['records']} 条记录"
    if summary.get("clauses"):
        text += f"，{summary['clauses']} 个条款"
    if summary["action"] == "update":
        text += f"（新增 {summary['added']}，更新 {summary['updated']}，删除 {summary['deleted']}，未变 {summary['unchanged']}）"
    engine = f"（{escape(summary['engine'])} 引擎）" if summary.get("engine") else ""
    out().print(f"{text}，用时 {summary['seconds']:.2f} 秒，版本 {escape(summary['generation'])}{engine}")


def render_verify(report: dict) -> None:
    console = out()
    console.print(("[green]索引完好[/]" if report["ok"] else "[red]索引有问题[/]")
                  + f"  {escape(report.get('generation') or '')}")
    for check in report["checks"]:
        mark = "[green]✓[/]" if check["ok"] else "[red]✗[/]"
        console.print(f"  {mark} {escape(check['name'])}: {escape(check['detail'])}")


def render_error_entry(entry: dict) -> None:
    err().print(f"[red]错误：[/]{escape(entry['query'])}：{escape(entry['error'])}")


# -- check, batch get, changes, watch -----------------------------------------------------

CHECK_COLUMNS = ["file", "page", "line", "found", "number", "status_label", "resolved", "replaced_by", "latest",
                 "title", "cited_title", "note"]
GET_COLUMNS = ["query", "number", "title", "status_label", "issue_date", "implementation_date",
               "replaced_by", "note", "error"]
CHANGE_COLUMNS = ["date", "change", "number", "title", "status", "previous_status", "replaces",
                  "replaced_by", "effective_date", "source", "watched"]


def _one_line(text: str) -> str:
    return text.replace("\r", "").replace("\n", "↵").replace("\t", " ")


def render_check(report: dict, written: list[str] = ()) -> None:
    """Table of citations (行, 原文, 标准号, 状态, 替代为, 说明), the per-file summary for
    several files, the counts with what could not be judged, and the files written."""
    from kb.check import CHECK_LABELS

    console = out()
    several = len(report["files"]) > 1
    paged = any(item["page"] for item in report["citations"])
    table = Table(show_lines=False, expand=False)
    columns = (["文件"] if several else []) + (["页"] if paged else []) + ["行", "原文", "标准号", "状态", "替代为", "说明"]
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in ("页", "行", "标准号", "状态"))
    for item in report["citations"]:
        status = status_text(item["status"]) if item["in_kb"] else f"[dim]{escape(item['status_label'])}[/]"
        if item["status"] == "invalid":
            status = f"[red]{escape(item['status_label'])}[/]"
        if item["title_mismatch"]:
            status += f" [red]{CHECK_LABELS['title_mismatch']}[/]"
        replacement = "、".join(item["replaced_by"])
        if item["latest"] and item["latest"] not in item["replaced_by"]:
            replacement += f"（最新 {item['latest']}）"
        note = "；".join(t for t in (item["title"] if not item["title_mismatch"] else "", item["note"]) if t)
        row = [escape(_one_line(item["found"])), escape(item["number"]), status, escape(replacement), escape(note)]
        table.add_row(*([escape(item["file"])] if several else []), *([str(item["page"] or "")] if paged else []),
                      str(item["line"]), *row)
    if report["citations"]:
        console.print(table)
    if several:
        summary = Table(title="文件汇总", expand=False)
        for column in ("文件", "引用数", "判断日期", "结果"):
            summary.add_column(column, overflow="fold")
        for entry in report["per_file"]:
            verdict = f"[red]无法读取：{escape(entry['error'])}[/]" if entry["error"] else \
                ("[red]未通过[/]" if entry["failed"] else "[green]通过[/]")
            summary.add_row(escape(entry["file"]), str(entry["citations"]), entry["as_of"] or "今天", verdict)
        console.print(summary)
    counts = report["counts"]
    words = [f"{CHECK_LABELS[k]} {v}" for k, v in counts.items() if k in CHECK_LABELS and k != "title_mismatch"]
    missing = f"（其中未收录 {counts['missing']}）" if counts.get("missing") else ""
    console.print(f"共 {len(report['citations'])} 处引用" + (f"：{'，'.join(words)}{missing}" if words else ""))
    if counts.get("title_mismatch"):
        console.print(f"[red]{counts['title_mismatch']} 处引用的《名称》与标准号不符[/]")
    if report["unjudged"]:
        console.print(f"[yellow]{report['unjudged']} 处引用无法判断状态[/]（未收录、状态未知或编号无效；"
                      "--fail-on unknown 使未收录与状态未知的引用不通过）")
    for message in report["errors"]:
        error(message)
    if report["failed"]:
        failed = sum(1 for item in report["citations"] if item["failed"])
        reasons = [f"{failed} 处引用的状态属于 --fail-on {escape(','.join(report['fail_on']))}"] if failed else []
        reasons += [f"{len(report['errors'])} 个文件无法读取"] if report["errors"] else []
        console.print(f"[red]检查未通过[/]：{'，'.join(reasons)}")
    for path in written:
        console.print(f"已写入 {escape(path)}")


def render_answer(answer: dict) -> None:
    """One `kb get` answer: the record, its editions and, for a series, its parts."""
    if "error" in answer:
        return render_error_entry(answer)
    render_record(answer, answer.get("note", ""))
    console = out()
    if len(answer.get("editions") or []) > 1:
        table = Table(title="版本", expand=False)
        for column in ("标准号", "标准名称", "状态", "实施日期", "被代替为"):
            table.add_column(column, overflow="fold", no_wrap=column in ("标准号", "状态"))
        for edition in answer["editions"]:
            table.add_row(escape(edition["number"]), escape(edition["title"]), status_text(edition["status"]),
                          escape(edition["implementation_date"]), escape("、".join(edition["replaced_by"])))
        console.print(table)
    if answer.get("parts"):
        table = Table(title="系列各部分", expand=False)
        for column in ("部分", "选用版本", "标准名称", "状态", "全部版本"):
            table.add_column(column, overflow="fold", no_wrap=column in ("部分", "选用版本", "状态"))
        for part in answer["parts"]:
            table.add_row(escape(part["number"]), escape(part["current"]), escape(part["title"]),
                          status_text(part["status"]), escape("、".join(part["editions"])))
        console.print(table)


def render_changes(log: dict) -> None:
    from kb.changes import CHANGE_LABELS

    console = out()
    changes = log["changes"]
    watched = any(c.get("watched") for c in changes)
    table = Table(expand=False)
    for column in ["日期", "变更", "标准号", "标准名称", "状态", "说明"] + (["关注项"] if watched else []):
        table.add_column(column, overflow="fold", no_wrap=column in ("日期", "变更", "标准号", "状态"))
    for change in changes:
        notes = []
        if change.get("replaces") and change["change"] == "new":
            notes.append(f"代替 {'、'.join(change['replaces'])}")
        if change.get("replaced_by") and change["change"] == "replaced":
            notes.append(f"被 {'、'.join(change['replaced_by'])} 代替")
        if change.get("previous_status") and change["change"] != "fields_changed":
            notes.append(f"原状态 {STATUS_LABELS.get(change['previous_status'], change['previous_status'])}")
        if change.get("fields") and change["change"] == "fields_changed":
            notes.append("变更字段 " + "、".join(LABELS.get(f, f) for f in change["fields"]))
        if change.get("effective_date"):
            notes.append(f"{_effective_word(change)} {change['effective_date']}")
        row = [escape(str(change.get("date", ""))), escape(CHANGE_LABELS.get(change["change"], change["change"])),
               escape(change["number"]), escape(change.get("title") or ""), status_text(change.get("status", "")),
               escape("；".join(notes))]
        table.add_row(*row, *([escape("、".join(change.get("watched") or []))] if watched else []))
    if changes:
        console.print(table)
    console.print(f"共 {len(changes)} 条变更")
    for error in log.get("errors") or []:
        warn(f"已跳过 {error}")


def _effective_word(change: dict) -> str:
    """发布, 实施 or 废止: the entry says which date it is (older log lines: guessed from the change)."""
    kind = change.get("effective_date_kind")
    if kind:
        return {"issue": "发布", "implementation": "实施", "withdrawal": "废止"}.get(kind, "日期")
    return {"replaced": "废止", "withdrawn": "废止", "new": "日期"}.get(change["change"], "生效")


def render_watch(data: dict) -> None:
    console = out()
    for key, word in (("added", "已添加"), ("removed", "已移除"), ("unchanged", "已在关注列表中")):
        for item in data.get(key) or []:
            console.print(f"{word}：{escape(item['kind_label'])} {escape(item['value'])}")
    if not data["items"]:
        console.print("关注列表为空。添加：kb watch add \"GB/T 5606\"")
        return
    table = Table(title=f"关注列表（{escape(data['path'])}）", expand=False)
    table.add_column("类型")
    table.add_column("关注项", overflow="fold")
    for item in data["items"]:
        table.add_row(escape(item["kind_label"]), escape(item["value"]))
    console.print(table)


def render_crawl(summary: dict, index_ready: bool = True) -> None:
    """The end of `kb crawl`: the counts, then every page that failed, was refused or quarantined."""
    console = out()
    text = (f"抓取 {escape(summary['source'])}：{summary['pages']} 个页面（缓存 {summary['from_cache']}，"
            f"此前已完成 {summary['resumed']}），新增 {summary['new']}，更新 {summary['updated']}，"
            f"未变 {summary['unchanged']}")
    console.print(text + (f"，早于 --since 未收 {summary['too_old']}" if summary["too_old"] else ""))
    for key, label, style in (("failed", "失败", "red"), ("refused", "被拒绝", "yellow"),
                              ("quarantined", "无法解析（已隔离）", "yellow")):
        for url, reason in summary[key]:
            console.print(f"  [{style}]{label}[/] {escape(url)}：{escape(reason)}", soft_wrap=True)
    if not summary["complete"] or summary["failed"]:
        console.print("[dim]用 --resume 继续：已完成的页面不再抓取，失败的页面重试。[/]")
    if summary["new"] or summary["updated"]:
        console.print(f"[dim]{next_step(index_ready)}[/]", soft_wrap=True)


def render_sync(summary: dict) -> None:
    """The end of `kb sync`: one line per source, then its failed, refused and quarantined pages."""
    console = out()
    for row in summary["sources"]:
        mode = "增量" if row["incremental"] else "全量"
        console.print(f"同步 {escape(row['source'])}（{mode}）：{row['pages']} 个页面，新增 {row['new']}，"
                      f"更新 {row['updated']}（其中状态变更 {row['status_changed']}），失败 {len(row['failed'])}，"
                      f"被拒绝 {len(row['refused'])}，无法解析 {len(row['quarantined'])}，用时 {row['seconds']:.1f} 秒"
                      + ("" if row["complete"] else "，未完成（再次运行 kb sync 继续）"), soft_wrap=True)
        for key, label, style in (("failed", "失败", "red"), ("refused", "被拒绝", "yellow"),
                                  ("quarantined", "无法解析（已隔离）", "yellow")):
            for url, reason in row[key]:
                console.print(f"  [{style}]{label}[/] {escape(url)}：{escape(reason)}", soft_wrap=True)
    total = summary["total"]
    console.print(f"[bold]合计[/] {total['pages']} 个页面，新增 {total['new']}，更新 {total['updated']}，"
                  f"状态变更 {total['status_changed']}，失败页面 {total['failed']}；变更记录 {summary['changes']} 条"
                  "（kb changes 查看）")
    if summary["unreachable"]:
        warn(f"无法访问：{'、'.join(summary['unreachable'])}")
    if summary.get("index"):
        render_build(summary["index"])


class SyncProgress(Progress):
    """`kb sync` progress: one bar per source (pages done of pages expected, ETA), or JSON lines."""

    def __call__(self, event: dict) -> None:
        if self.as_json:
            return super().__call__(event)
        kind = event.get("event")
        if kind == "source_start":
            self.close()
            self.description = f"同步 {event['source']} ({event['position']}/{event['sources']})"
            super().__call__({**event, "event": "start", "total": max(1, event.get("total") or 1)})
        elif kind == "page":
            super().__call__({**event, "event": "page"})
        elif kind in ("source", "done"):
            self.close()


# -- texts and clauses ------------------------------------------------------------------

_REPEATS_PARENT = ("paragraph", "item")  # a law's 款 and 项 repeat their article's text


def render_clause(result: dict) -> None:
    """`kb clause`: the clause, then its sub-clauses (those that add text of their own)."""
    console = out()
    doc = result["doc"]
    console.print(f"[bold]{escape(doc['title'])}[/] [dim]{escape(doc['id'])}[/]")
    heading = f" {result['heading']}" if result.get("heading") else ""
    console.print(f"[bold cyan]{escape(result['path'])}{escape(heading)}[/]")
    if result.get("text"):
        console.print(escape(result["text"]), soft_wrap=True)
    if result.get("kind") != "article":
        _render_children(result.get("children") or [], 1)
    if result.get("note"):
        console.print(f"[dim]{escape(result['note'])}[/]")


def _render_children(children: list[dict], depth: int) -> None:
    console = out()
    for child in children:
        if child.get("kind") in _REPEATS_PARENT:
            continue
        heading = f" {child['heading']}" if child.get("heading") else ""
        console.print("  " * depth + f"[cyan]{escape(child['path'])}{escape(heading)}[/]")
        if child.get("text"):
            console.print(escape("  " * depth + child["text"]), soft_wrap=True)
        if child.get("kind") != "article":
            _render_children(child.get("children") or [], depth + 1)


def render_outline(result: dict) -> None:
    console = out()
    console.print(f"[bold]{escape(result['doc']['title'])}[/] [dim]{escape(result['doc']['id'])}[/]")

    def walk(nodes: list[dict], depth: int) -> None:
        for node in nodes:
            if node.get("kind") in _REPEATS_PARENT:
                continue
            title = node.get("heading") or node.get("summary") or ""
            console.print("  " * depth + f"[cyan]{escape(node['path'])}[/] {escape(title)}")
            walk(node.get("children") or [], depth + 1)

    walk(result.get("outline") or [], 0)


def render_terms(entries: list[dict]) -> None:
    console = out()
    if not entries:
        console.print("没有找到术语或定义")
        return
    for entry in entries:
        console.print(f"[bold]{escape(entry.get('term', ''))}[/]  [dim]{escape(entry['doc']['title'])} "
                      f"{escape(entry['path'])}[/]")
        console.print(escape(entry.get("definition", "")), soft_wrap=True)


def render_clause_search(result: dict) -> None:
    console = out()
    note = {"text-any": "（未找到同时包含所有词的条款，显示包含任一词的条款）",
            "ranked": "（按词语、问答学习与语义相近综合排序）"}.get(result.get("matched_as"), "")
    console.print(f"共 {result['total']} 个条款: {escape(result['query'])}" + note)
    for hit in result["hits"]:
        heading = f" {hit['heading']}" if hit.get("heading") else ""
        console.print(f"[bold]{escape(hit['doc_title'])}[/] [cyan]{escape(hit['path'])}{escape(heading)}[/]"
                      f" [dim]{hit['score']:.2f}[/]")
        console.print("  " + emphasis(hit["snippet"]), soft_wrap=True)


SKIPPED_SHOWN = 20


def render_ingest(summary: dict, index_ready: bool = True) -> None:
    console = out()
    console.print(f"收录文本：新增 {summary['new']}，更新 {summary['updated']}，未变 {summary['unchanged']}，"
                  f"跳过 {summary['skipped']} → {escape(summary['path'])}")
    skipped = summary.get("skipped_files") or []
    for item in skipped[:SKIPPED_SHOWN]:
        console.print(f"  [dim]跳过[/] {escape(item['path'])}：{escape(item['reason'])}", soft_wrap=True)
    if len(skipped) > SKIPPED_SHOWN:
        console.print(f"  [dim]另有 {len(skipped) - SKIPPED_SHOWN} 个文件跳过，见 --json 的 skipped_files。[/]")
    for error in summary.get("errors", []):
        warn(error)
    if summary.get("new") or summary.get("updated"):
        console.print(f"[dim]{next_step(index_ready, '这些文本的条款')}[/]", soft_wrap=True)


# -- coverage: kb cover, kb gaps, kb policy-gaps -------------------------------------------------

COVER_COLUMNS = ["number", "title", "level_label", "status_display", "issue_date", "implementation_date",
                 "age_years", "replaced_by", "region_name", "matched_by", "match", "reason"]
for _key, _label in {"level_label": "层级", "status_display": "状态", "region_name": "地区",
                     "match": "匹配说明", "reason": "匹配原因"}.items():
    LABELS.setdefault(_key, _label)


def _status_cell(row: dict) -> str:
    text = status_text(row["status"])
    return text.replace("未知", "现行（未确认）") if row["status"] == "unknown" else text


def _notes(notes) -> None:
    for note in notes:
        out().print(f"[dim]注：{escape(note)}[/]", soft_wrap=True)


def render_cover(result: dict) -> None:
    """Standards grouped by level (强制性国家标准 first), each with why it matched."""
    console = out()
    categories = "；".join(f"{c['label']}（{c['reason']}）" for c in result["categories"]) or "无"
    counts = result["counts"]
    console.print(f"[bold]{escape(result['query'])}[/]  类目：{escape(categories)}", soft_wrap=True)
    console.print(f"共 {counts['standards']} 条标准，在用 {counts['in_force']} 条（状态未确认 {counts['unconfirmed']} 条）")
    dated = any(row["implementation_date"] for row in result["standards"])
    replaced = any(row["replaced_by"] for row in result["standards"])
    narrow = console.width < COVER_WIDE_COLUMNS
    group = None
    table = None
    for row in result["standards"]:
        if row["level_group"] != group:
            if table is not None:
                console.print(table)
            group = row["level_group"]
            table = Table(title=row["level_label"], title_justify="left", expand=False)
            if narrow:  # four columns: the title cell also holds what replaced it and why it matched
                table.add_column("标准号", no_wrap=True)
                table.add_column("标准名称 · 匹配依据", overflow="fold")
                table.add_column("状态 · 发布日期", no_wrap=True)
                table.add_column("标龄", no_wrap=True)
                _cover_narrow_row(table, row, dated)
                continue
            table.add_column("标准号", no_wrap=True)
            table.add_column("标准名称", overflow="fold", ratio=3)
            table.add_column("状态", no_wrap=True)
            table.add_column("发布日期", no_wrap=True)
            if dated:
                table.add_column("实施日期", no_wrap=True)
            table.add_column("标龄", no_wrap=True)
            if replaced:
                table.add_column("被代替为", overflow="fold")
            table.add_column("匹配依据", overflow="fold", ratio=2)
        if narrow:
            _cover_narrow_row(table, row, dated)
            continue
        age = "" if row["age_years"] is None else f"{row['age_years']:g}"
        cells = [escape(row["number"]), escape(row["title"]), _status_cell(row), escape(row["issue_date"])]
        cells += [escape(row["implementation_date"])] if dated else []
        cells += [age] + ([escape("、".join(row["replaced_by"]))] if replaced else [])
        table.add_row(*cells, _match_lines(row["match"]))
    if table is not None:
        console.print(table)
    _notes(result["notes"])


COVER_WIDE_COLUMNS = 110  # narrower terminals get four columns, so nothing folds a number or a date


def _match_lines(match: str) -> str:
    """One reason a line (分类 J55（推断）；⏎标题含“数控机床”): a fold never strands 分类 from its code."""
    return "；\n".join(escape(part) for part in match.split("；"))


def _cover_narrow_row(table: Table, row: dict, dated: bool) -> None:
    title = escape(row["title"])
    if row["replaced_by"]:
        title += f"\n[dim]被代替为 {escape('、'.join(row['replaced_by']))}[/]"
    title += f"\n[dim]依据：{_match_lines(row['match'])}[/]"
    status = _status_cell(row) + (f"\n{escape(row['issue_date'])}" if row["issue_date"] else "")
    if dated and row["implementation_date"]:
        status += f"\n实施 {escape(row['implementation_date'])}"
    age = "" if row["age_years"] is None else f"{row['age_years']:g}"
    table.add_row(escape(row["number"]), title, status, age)


NOT_IN_KB_LABEL = "知识库未收录"


def render_gaps(report: dict, written: list[str] = ()) -> None:
    """The summary, the flagged rows of the chosen view, and the files written."""
    from kb.reports import gap_columns

    console = out()
    view = report["views"][report["by"]]
    flags = "  ".join(f"{label} {report['flag_counts'][flag]}" for flag, label in
                      (("no_current", "无现行"), ("only_group", "仅团体"), ("all_overdue", "均超复审周期"),
                       ("withdrawn_unreplaced", "废止无替代"), ("pending", "即将实施")))
    console.print(f"[bold]标准覆盖缺口[/]  {escape(view['title'])}：{len(view['rows'])} 项，标准 {report['total']} 条，"
                  f"在用 {report['in_force']} 条（状态未确认 {report['unconfirmed']} 条）")
    console.print(f"缺口标记：{flags}")
    if view.get("empty"):
        console.print(f"{NOT_IN_KB_LABEL}：{len(view['empty'])} 项（知识库没有这些{('类目' if report['by'] != 'region' else '地区')}的标准，不判为缺口）")
    flagged = [row for row in view["rows"] if row["flags"]]
    if flagged:
        table = Table(expand=False)
        columns = [c for c in gap_columns(report["by"]) if c[0] in
                   ("code", "name", "total", "in_force", "group", "overdue", "upcoming", "withdrawn", "flag_labels")]
        for _, label in columns:
            table.add_column(label, overflow="fold")
        for row in flagged[:60]:
            table.add_row(*(escape(str(row.get(key) if row.get(key) is not None else "")) for key, _ in columns))
        console.print(table)
        if len(flagged) > 60:
            console.print(f"[dim]另有 {len(flagged) - 60} 项有缺口标记，见 --xlsx/--html/--csv/--json。[/]")
    else:
        console.print("没有带缺口标记的项。")
    _notes(report["notes"])
    for path in written:
        console.print(f"已写入 {escape(path)}")


def render_policy_gaps(report: dict, written: list[str] = ()) -> None:
    """Each area the policy names: its clauses, the standards found, or 缺口."""
    from kb.reports import AREA_KIND_LABELS

    console = out()
    counts = report["counts"]
    console.print(f"[bold]{escape(report['doc']['title'])}[/]：{counts['clauses_with_areas']} 个条款提到 "
                  f"{counts['areas']} 个产品/行业领域，有在用标准 {counts['covered']} 个，缺口 {counts['gaps']} 个，"
                  f"{NOT_IN_KB_LABEL} {counts.get('not_in_kb', 0)} 个")
    table = Table(expand=False)
    for column in ("领域", "类型", "条款", "在用标准", "标准"):
        table.add_column(column, overflow="fold")
    for area in report["areas"]:
        shown = "、".join(s["number"] for s in area["standards"][:3])
        more = len(area["standards"]) - 3
        standards = escape(shown + (f" 等 {len(area['standards'])} 条" if more > 0 else "")) if shown \
            else f"[dim]{NOT_IN_KB_LABEL}[/]"
        if area.get("judgement") == "gap":
            standards = f"[red]缺口[/] {standards}"
        table.add_row(escape(area["area"]), escape(AREA_KIND_LABELS.get(area["kind"], area["kind"])),
                      escape("、".join(area["clauses"])), str(area["in_force"]), standards)
    console.print(table)
    _notes(report["notes"])
    for path in written:
        console.print(f"已写入 {escape(path)}")
