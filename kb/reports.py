"""Report files for officials: XLSX (one sheet per view, frozen header row), one
self-contained HTML page (inline CSS, an inline-SVG bar chart, tables sortable by a few
lines of inline JS, nothing fetched from elsewhere) and CSV (UTF-8 with BOM, for Excel).

Writers take `Sheet`s, so any table can be written; `gap_sheets` / `policy_sheets` turn the
answers of kb.coverage into sheets. Files are written to a temporary name and renamed, so a
failed write leaves no half file; any failure is one ReportError line.
"""
from __future__ import annotations

import csv
import html
import io
import os
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from kb.errors import ReportError

# -- tables ------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One table: a title (the XLSX sheet name), columns as (key, Chinese label), rows."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[dict]
    note: str = ""
    numeric: set[str] = field(default_factory=set)  # keys whose values sort as numbers

    def values(self, row: dict) -> list:
        return [cell_value(row.get(key)) for key, _ in self.columns]

    def spreadsheet_values(self, row: dict) -> list:
        """values() with formula-like text neutralised (for CSV and XLSX, never HTML)."""
        return [inert(value) for value in self.values(row)]


def cell_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """Text a spreadsheet would run as a formula gets a leading ' (OWASP CSV injection):
    titles and codes come from imported lists and crawled pages."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))


# -- writing safely -------------------------------------------------------------------------

def _write(path: Path, produce: Callable[[io.BufferedWriter], None]) -> Path:
    path = Path(path)
    target = path.expanduser()
    if target.is_dir():
        raise ReportError(f"无法写入 {path}：它是目录")
    folder = target.parent
    if not folder.is_dir():
        raise ReportError(f"无法写入 {path}：目录 {folder} 不存在")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ReportError(f"无法写入 {path}：{exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            produce(stream)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ReportError(f"无法写入 {path}：{exc.strerror or exc}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def write_csv(path: Path, sheet: Sheet) -> Path:
    """CSV with Chinese headers, UTF-8 with a BOM so that Excel reads it."""
    def produce(stream):
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow([label for _, label in sheet.columns])
        for row in sheet.rows:
            writer.writerow(sheet.spreadsheet_values(row))
        stream.write(("\ufeff" + text.getvalue()).encode("utf-8"))
    return _write(path, produce)


def write_xlsx(path: Path, sheets: Iterable[Sheet]) -> Path:
    """One worksheet per sheet: bold frozen header row, autofilter, widths fitted to the text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    for sheet in sheets:
        ws = book.create_sheet(_sheet_name(sheet.title, book.sheetnames))
        ws.append([label for _, label in sheet.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(vertical="center")
        for row in sheet.rows:
            ws.append(sheet.spreadsheet_values(row))
        ws.freeze_panes = "A2"
        if sheet.rows:
            ws.auto_filter.ref = ws.dimensions
        for index, (key, label) in enumerate(sheet.columns, 1):
            widest = max([display_width(label)] + [display_width(cell_value(r.get(key))) for r in sheet.rows[:2000]])
            ws.column_dimensions[get_column_letter(index)].width = min(60, max(6, widest + 2))
    return _write(path, book.save)


def _sheet_name(title: str, taken: list[str]) -> str:
    name = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name[:28]}({n})", n + 1
    return candidate


# -- HTML -------------------------------------------------------------------------------------

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:24px;color:#1d2733;background:#fff}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5a6675;margin:0 0 12px}.notes{color:#3d4957;font-size:13px;padding-left:18px}
table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}
th,td{border:1px solid #ccd4de;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#dde4ee;cursor:pointer;white-space:nowrap;position:sticky;top:0}
th[data-order=asc]::after{content:" ▲"}th[data-order=desc]::after{content:" ▼"}
td.num{text-align:right}tr:nth-child(even) td{background:#f6f8fb}
.flag{color:#b3261e;font-weight:600}figure{margin:8px 0}figcaption{font-size:13px;color:#5a6675}
details summary{cursor:pointer;margin:10px 0}
"""
_JS = """
document.querySelectorAll('table.sortable th').forEach(function(th,col){
 th.addEventListener('click',function(){
  var table=th.closest('table'),body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
  var asc=th.getAttribute('data-order')!=='asc',num=th.getAttribute('data-type')==='num';
  table.querySelectorAll('th').forEach(function(h){h.removeAttribute('data-order')});
  th.setAttribute('data-order',asc?'asc':'desc');
  rows.sort(function(a,b){
   var x=a.cells[col].textContent,y=b.cells[col].textContent;
   if(num){x=parseFloat(x);y=parseFloat(y);x=isNaN(x)?-1:x;y=isNaN(y)?-1:y;return asc?x-y:y-x}
   return asc?x.localeCompare(y,'zh'):y.localeCompare(x,'zh')});
  rows.forEach(function(r){body.appendChild(r)})})});
"""


def html_page(title: str, sheets: Iterable[Sheet], *, meta: str = "", notes: Iterable[str] = (),
              chart: str = "", chart_caption: str = "", collapsed: Iterable[str] = ()) -> str:
    """One self-contained page: title, notes, the chart, then one sortable table per sheet
    (sheets named in `collapsed` start folded)."""
    esc = html.escape
    parts = [f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
             f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{esc(title)}</title>'
             f"<style>{_CSS}</style></head><body><h1>{esc(title)}</h1>"]
    if meta:
        parts.append(f'<p class="meta">{esc(meta)}</p>')
    notes = list(notes)
    if notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    if chart:
        parts.append(f'<figure id="chart">{chart}<figcaption>{esc(chart_caption)}</figcaption></figure>')
    folded = set(collapsed)
    for sheet in sheets:
        table = _html_table(sheet)
        if sheet.title in folded:
            parts.append(f"<details><summary>{esc(sheet.title)}（{len(sheet.rows)} 行）</summary>{table}</details>")
        else:
            parts.append(f"<h2>{esc(sheet.title)}（{len(sheet.rows)} 行）</h2>"
                         + (f'<p class="meta">{esc(sheet.note)}</p>' if sheet.note else "") + table)
    parts.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(parts)


def _html_table(sheet: Sheet) -> str:
    esc = html.escape
    head = "".join(f'<th data-type="{"num" if key in sheet.numeric else "text"}">{esc(label)}</th>'
                   for key, label in sheet.columns)
    body = []
    for row in sheet.rows:
        cells = []
        for (key, _), value in zip(sheet.columns, sheet.values(row)):
            css = "num" if key in sheet.numeric else ("flag" if key == "flag_labels" and value else "")
            cells.append(f'<td class="{css}">{esc(str(value))}</td>' if css else f"<td>{esc(str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def write_html(path: Path, page: str) -> Path:
    return _write(path, lambda stream: stream.write(page.encode("utf-8")))


# -- the bar chart ---------------------------------------------------------------------------------

STATUS_COLOURS = (("current", "现行", "#2e7d32"), ("unknown", "现行（未确认）", "#7cb87f"),
                  ("upcoming", "即将实施", "#1e88e5"), ("replaced", "被代替", "#f2a900"),
                  ("withdrawn", "废止", "#c62828"))


def bar_chart(rows: list[dict], label: Callable[[dict], str], limit: int = 25) -> str:
    """Inline SVG: one horizontal bar per row (the `limit` largest by total), stacked by status."""
    esc = html.escape
    shown = sorted(rows, key=lambda r: (-r["total"], str(r.get("code"))))[:limit]
    if not shown:
        return ""
    left, width, bar, gap, top = 260, 1000, 18, 6, 40
    scale = (width - left - 60) / max(r["total"] for r in shown)
    height = top + len(shown) * (bar + gap) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-size="12" role="img">']
    x = left
    for key, name, colour in STATUS_COLOURS:
        out.append(f'<rect x="{x}" y="8" width="14" height="14" fill="{colour}"/>'
                   f'<text x="{x + 18}" y="20">{esc(name)}</text>')
        x += 30 + display_width(name) * 7
    for index, row in enumerate(shown):
        y = top + index * (bar + gap)
        text = label(row)
        text = text if display_width(text) <= 36 else text[:17] + "…"
        out.append(f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">{esc(text)}</text>')
        x = float(left)
        for key, name, colour in STATUS_COLOURS:
            length = row.get(key, 0) * scale
            if length > 0:
                out.append(f'<rect class="bar" x="{x:.1f}" y="{y}" width="{length:.1f}" height="{bar}" '
                           f'fill="{colour}"><title>{esc(text)} {esc(name)} {row.get(key, 0)}</title></rect>')
                x += length
        out.append(f'<text x="{x + 6:.1f}" y="{y + 13}">{row["total"]}</text>')
    out.append("</svg>")
    return "".join(out)


# -- kb gaps ---------------------------------------------------------------------------------------

GAP_COUNT_COLUMNS = [
    ("total", "标准数"), ("national_mandatory", "强制性国标"), ("national_recommended", "推荐性国标"),
    ("national_guidance", "国标指导性文件"), ("industry", "行业标准"), ("local", "地方标准"),
    ("group", "团体标准"), ("enterprise", "企业标准"), ("metrology", "计量技术法规"),
    ("current", "现行"), ("unknown", "现行（未确认）"), ("upcoming", "即将实施"), ("replaced", "被代替"),
    ("withdrawn", "废止"), ("in_force", "在用合计"), ("overdue", "超复审周期"),
    ("oldest_in_force", "最老在用标龄(年)"),
]
GAP_KEY_LABELS = {"ccs": ("CCS分类号", "类目"), "ics": ("ICS分类号", "类目"), "region": ("地区代码", "地区")}


def gap_columns(view: str) -> list[tuple[str, str]]:
    code, name = GAP_KEY_LABELS[view]
    columns = [("code", code), ("name", name), *GAP_COUNT_COLUMNS]
    if view == "ccs":
        columns.append(("inferred", "推断分类"))
    if view == "region":
        columns.append(("top_categories", "主要类目"))
    return columns + [("flag_labels", "缺口标记")]


def gap_sheets(report: dict) -> list[Sheet]:
    """The `by` view first, then the other two, the CCS categories with no standard, and notes."""
    numeric = {key for key, _ in GAP_COUNT_COLUMNS} | {"inferred"}
    order = [report["by"]] + [v for v in ("ccs", "ics", "region") if v != report["by"]]
    sheets = [Sheet(report["views"][v]["title"], gap_columns(v), report["views"][v]["rows"], numeric=numeric)
              for v in order]
    sheets.append(Sheet("无标准类目", [("code", "CCS分类号"), ("name", "类目")], report["views"]["ccs"]["empty"],
                        note="CCS 三级类目中，知识库里没有任何标准的类目。"))
    sheets.append(Sheet("说明", [("note", "说明")], [{"note": n} for n in _gap_explanations(report)]))
    return sheets


def _gap_explanations(report: dict) -> list[str]:
    filters = "，".join(f"{k}={v}" for k, v in report["filters"].items() if v) or "无"
    lines = [f"生成日期 {report['today']}；统计标准 {report['total']} 条；筛选：{filters}。"]
    lines += report["notes"]
    lines += ["缺口标记：无现行标准 = 类目下没有现行（含未确认）的标准；仅有团体标准 = 现行的都是团体标准；"
              f"现行标准均超过复审周期 = 现行的标龄都大于 {report['max_age']:g} 年；有废止且无替代的标准；"
              "有即将实施的标准。"]
    return lines


def gap_html(report: dict) -> str:
    view = report["views"][report["by"]]
    placed = [r for r in view["rows"] if r["code"]]  # the unclassified rest would dwarf the bars
    chart = bar_chart(placed, lambda r: f"{r['code']} {r['name']}")
    counts = "，".join(f"{label} {report['flag_counts'][flag]}" for flag, label in
                       (("no_current", "无现行"), ("only_group", "仅团体"), ("all_overdue", "均超期"),
                        ("withdrawn_unreplaced", "废止无替代"), ("pending", "即将实施")))
    meta = (f"{report['today']} · 标准 {report['total']} 条，在用 {report['in_force']} 条"
            f"（其中状态未确认 {report['unconfirmed']} 条）· 缺口标记：{counts}")
    sheets = gap_sheets(report)[:-1]
    return html_page("标准覆盖缺口报告", sheets, meta=meta, notes=report["notes"], chart=chart,
                     chart_caption=f"{view['title']}：标准最多的 {min(25, len(placed))} 项，按状态分段"
                                   + ("（未分类的不在图中）" if len(placed) < len(view["rows"]) else ""),
                     collapsed=["无标准类目"])


def write_gap_reports(report: dict, *, xlsx: Path | None = None, html_file: Path | None = None,
                      csv_file: Path | None = None) -> list[str]:
    """Write the report files asked for; return their paths."""
    written = []
    if xlsx:
        written.append(str(write_xlsx(xlsx, gap_sheets(report))))
    if html_file:
        written.append(str(write_html(html_file, gap_html(report))))
    if csv_file:
        written.append(str(write_csv(csv_file, gap_sheets(report)[0])))
    return written


# -- kb policy-gaps --------------------------------------------------------------------------------

AREA_KIND_LABELS = {"product": "产品", "industry": "行业/服务"}
AREA_HOW_LABELS = {"enumeration": "列举", "head": "中心词", "vocabulary": "类目词"}


def policy_rows(report: dict) -> list[dict]:
    """One row per area: where the policy names it and what covers it."""
    rows = []
    for area in report["areas"]:
        standards = area["standards"]
        rows.append({"area": area["area"], "kind": AREA_KIND_LABELS.get(area["kind"], area["kind"]),
                     "how": AREA_HOW_LABELS.get(area["how"], area["how"]), "clauses": area["clauses"],
                     "standards": len(standards), "in_force": area["in_force"],
                     "gap": "" if area["judgement"] == "covered" else area["judgement_label"],
                     "numbers": [f"{s['number']}（{s['status_display']}）" for s in standards[:10]],
                     "categories": area["categories"], "context": area["context"]})
    return rows


POLICY_AREA_COLUMNS = [("area", "领域"), ("kind", "类型"), ("how", "提取规则"), ("clauses", "条款"),
                       ("standards", "标准数"), ("in_force", "在用标准数"), ("gap", "缺口或未收录"),
                       ("numbers", "标准（前10条）"), ("categories", "相关类目"), ("context", "原文")]


def policy_sheets(report: dict) -> list[Sheet]:
    standards = [{"area": a["area"], **s} for a in report["areas"] for s in a["standards"]]
    clauses = [{"path": c["path"], "heading": c["heading"], "areas": c["areas"]} for c in report["clauses"]]
    return [
        Sheet("领域", POLICY_AREA_COLUMNS, policy_rows(report), numeric={"standards", "in_force"}),
        Sheet("缺口", [("area", "领域"), ("judgement_label", "判断"), ("clauses", "条款"), ("context", "原文")],
              [a for a in report["areas"] if a["judgement"] != "covered"]),
        Sheet("标准", [("area", "领域"), ("number", "标准号"), ("title", "标准名称"), ("level_label", "层级"),
                      ("status_display", "状态"), ("issue_date", "发布日期"), ("age_years", "标龄(年)"),
                      ("replaced_by", "被代替为"), ("reason", "匹配原因")], standards, numeric={"age_years"}),
        Sheet("条款", [("path", "条款"), ("heading", "标题"), ("areas", "领域")], clauses),
        Sheet("说明", [("note", "说明")], [{"note": f"{report['doc']['title']}（{report['doc']['id']}）"}]
              + [{"note": n} for n in report["notes"]]),
    ]


def write_policy_xlsx(report: dict, path: Path) -> str:
    return str(write_xlsx(path, policy_sheets(report)))


# -- kb check ------------------------------------------------------------------------------

CHECK_FILE_COLUMNS = [("file", "文件"), ("date", "文件日期"), ("as_of", "判断日期"), ("citations", "引用数"),
                      ("failed", "未通过"), ("counts_text", "各状态数"), ("error", "错误")]
CHECK_CITATION_COLUMNS = [("file", "文件"), ("page", "页"), ("line", "行"), ("found", "原文"),
                          ("number", "标准号"), ("status_label", "状态"), ("resolved", "对应版本"),
                          ("replaced_by", "被代替为"), ("latest", "最新版本"), ("title", "标准名称"),
                          ("cited_title", "文中名称"), ("title_mismatch", "名称不符"), ("note", "说明"),
                          ("failed", "未通过")]


def check_sheets(report: dict, labels: dict[str, str]) -> list[Sheet]:
    """Per-file summary and every citation of a `kb check` report (`labels`: status → 中文)."""
    files = [{**entry, "counts_text": "，".join(f"{labels.get(k, k)} {v}" for k, v in entry["counts"].items())}
             for entry in report["per_file"]]
    citations = [{**item, "found": item["found"].replace("\n", " ")} for item in report["citations"]]
    return [Sheet("文件汇总", CHECK_FILE_COLUMNS, files, numeric={"citations"}),
            Sheet("引用", CHECK_CITATION_COLUMNS, citations, numeric={"page", "line"})]


def write_check_reports(report: dict, labels: dict[str, str], *, xlsx: Path | None = None,
                        csv_file: Path | None = None) -> list[str]:
    """The workbook (both sheets) and/or the citations as CSV; the paths written."""
    sheets = check_sheets(report, labels)
    written = []
    if xlsx:
        written.append(str(write_xlsx(xlsx, sheets)))
    if csv_file:
        written.append(str(write_csv(csv_file, sheets[1])))
    return written
