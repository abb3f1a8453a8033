"""kb gaps: the flags (synthetic corpus with own CCS codes), the views and every report format
on the real corpus (XLSX read back, HTML with its chart, CSV, JSON), the HTML rendered by
headless Chromium, and bad output paths."""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import cli
from index.engine import KnowledgeIndex
from kb.coverage import gap_report
from kb.errors import BadInput, ReportError
from kb.paths import shipped_corpus_dir
from kb.reports import Sheet, bar_chart, display_width, write_csv, write_xlsx
from tests.test_coverage import synthetic_records

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

runner = CliRunner()
TODAY = dt.date(2026, 11, 26)


def build(corpus: Path, index: Path) -> list[str]:
    dirs = ["--index", str(index), "--corpus", str(corpus)]
    result = runner.invoke(cli.app, [*dirs, "build", "--json"])
    assert result.exit_code == 0, result.output
    return dirs


@pytest.fixture(scope="module")
def real(tmp_path_factory, kb_engine):
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(shipped_corpus_dir() / "standards.jsonl", corpus / "standards.jsonl")
    dirs = build(corpus, tmp_path_factory.mktemp("home") / "index")
    index = KnowledgeIndex.open(Path(dirs[1]))
    yield dirs, index
    index.close()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, kb_engine):
    corpus = tmp_path_factory.mktemp("synthetic")
    (corpus / "standards.jsonl").write_text("".join(r.to_json() + "\n" for r in synthetic_records()),
                                            encoding="utf-8")
    dirs = build(corpus, tmp_path_factory.mktemp("synthetic-home") / "index")
    index = KnowledgeIndex.open(Path(dirs[1]))
    yield dirs, index
    index.close()


def flags(report: dict) -> dict[str, list[str]]:
    return {row["code"]: row["flags"] for row in report["rows"]}


# -- the flags ------------------------------------------------------------------------------------

def test_every_flag_on_the_synthetic_corpus(synthetic):
    report = gap_report(synthetic[1], today=TODAY)
    assert flags(report) == {
        "B22": ["no_current", "pending"],  # only an upcoming NY/T
        "J71": ["all_overdue"],  # JB/T 11-2010, 16.9 years old
        "K13": ["withdrawn_unreplaced", "pending"],  # GB/T 8-2012 withdrawn; GB/T 9-2026 upcoming
        "M33": ["only_group"],  # T/CAS 10-2024
        "Q11": ["no_current", "withdrawn_unreplaced"],
    }
    cables = next(row for row in report["rows"] if row["code"] == "K13")
    assert {k: cables[k] for k in ("total", "national_mandatory", "national_recommended", "industry", "local",
                                   "group", "current", "unknown", "upcoming", "replaced", "withdrawn",
                                   "in_force", "overdue", "inferred")} == \
        {"total": 9, "national_mandatory": 1, "national_recommended": 4, "industry": 1, "local": 2, "group": 1,
         "current": 5, "unknown": 1, "upcoming": 1, "replaced": 1, "withdrawn": 1, "in_force": 6, "overdue": 2,
         "inferred": 1}
    assert cables["flag_labels"] == "有废止且无替代的标准；有即将实施的标准"
    assert report["flag_counts"] == {"no_current": 2, "only_group": 1, "all_overdue": 1,
                                     "withdrawn_unreplaced": 2, "pending": 2}


def test_level_filter_and_review_cycle(synthetic):
    national = gap_report(synthetic[1], level="national", today=TODAY)
    assert flags(national) == {"K13": ["all_overdue", "withdrawn_unreplaced", "pending"],
                               "Q11": ["no_current", "withdrawn_unreplaced"]}
    assert "只统计国家标准。" in national["notes"]
    lenient = gap_report(synthetic[1], level="national", max_age=10, today=TODAY)
    assert lenient["rows"][0]["flags"] == ["withdrawn_unreplaced", "pending"]
    assert lenient["rows"][0]["flag_labels"].startswith("有废止且无替代的标准")


def test_region_view(synthetic):
    report = gap_report(synthetic[1], by="region", today=TODAY)
    assert [(r["code"], r["name"], r["total"], r["top_categories"]) for r in report["rows"]] == \
        [("11", "北京", 1, "K13 (1)"), ("31", "上海", 1, "K13 (1)")]
    only_beijing = gap_report(synthetic[1], by="region", region="11", today=TODAY)
    assert [r["code"] for r in only_beijing["rows"]] == ["11"]


def test_real_corpus_views(real):
    report = gap_report(real[1], today=TODAY)
    assert (report["total"], report["in_force"], report["unconfirmed"]) == (1461, 1175, 1111)
    # the real records of ../shared/pages bring confirmed statuses, and with them flags
    assert report["flag_counts"] == {"no_current": 3, "only_group": 1, "all_overdue": 17,
                                     "withdrawn_unreplaced": 9, "pending": 0}
    rice = next(row for row in report["rows"] if row["code"] == "B22")
    assert (rice["name"], rice["total"], rice["in_force"], rice["inferred"]) == ("禾谷类作物与产品", 11, 10, 11)
    # DB23/T 1307-2008, replaced and known only by its number, takes B22 from DB23/T 1307-2026
    assert report["rows"][-1]["code"] == "" and report["rows"][-1]["name"] == "未分类"
    assert len(report["views"]["ccs"]["empty"]) == 1370
    ics = [(r["code"], r["total"]) for r in report["views"]["ics"]["rows"]]
    assert len(ics) == 24 and ics[:2] == [("01.040.55", 1), ("01.120", 3)] and ics[-1] == ("", 1422)
    regions = {r["code"]: r["total"] for r in report["views"]["region"]["rows"]}
    assert regions["23"] == 131 and sum(regions.values()) == 519
    assert any("按现行（未确认）处理" in n for n in report["notes"])


def test_a_short_review_cycle_flags_every_category_in_force(real):
    report = gap_report(real[1], max_age=0.2, today=TODAY)
    in_force = [row for row in report["rows"] if row["in_force"]]
    assert report["flag_counts"]["all_overdue"] == len(in_force)
    assert all("现行标准均超过0.2年复审周期" in row["flag_labels"] for row in in_force)


def test_bad_view_and_review_cycle(real):
    with pytest.raises(BadInput, match="无法识别的视图 'sector'"):
        gap_report(real[1], by="sector")
    result = runner.invoke(cli.app, [*real[0], "gaps", "--by", "sector"])
    assert result.exit_code == 2 and "错误：无法识别的视图 'sector'：可用 ccs, ics, region" in result.stderr


# -- the formats ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def written(real, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    files = {"xlsx": out / "缺口.xlsx", "html": out / "缺口.html", "csv": out / "缺口.csv"}
    result = runner.invoke(cli.app, [*real[0], "gaps", "--by", "ccs", "--xlsx", str(files["xlsx"]),
                                     "--html", str(files["html"]), "--csv", str(files["csv"])])
    assert result.exit_code == 0, result.output
    assert all(f"已写入 {path}" in result.stdout for path in files.values())
    return files


def test_xlsx_reads_back_one_sheet_per_view_with_frozen_headers(written, real):
    book = load_workbook(written["xlsx"])
    assert book.sheetnames == ["按中国标准分类（CCS）", "按国际标准分类（ICS）", "按地区（地方标准）", "无标准类目", "说明"]
    report = gap_report(real[1], today=TODAY)
    for name, rows in zip(book.sheetnames[:3], (report["rows"], report["views"]["ics"]["rows"],
                                                report["views"]["region"]["rows"])):
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.max_row == len(rows) + 1
    ccs = book["按中国标准分类（CCS）"]
    header = [c.value for c in ccs[1]]
    assert header[:4] == ["CCS分类号", "类目", "标准数", "强制性国标"] and header[-2:] == ["推断分类", "缺口标记"]
    b22 = next(r for r in ccs.iter_rows(min_row=2, values_only=True) if r[0] == "B22")
    assert b22[:3] == ("B22", "禾谷类作物与产品", 11)
    assert ccs.column_dimensions["B"].width >= 10 and ccs.auto_filter.ref.startswith("A1:")
    assert book["无标准类目"].max_row == 1371
    assert "复审周期" in str(book["说明"]["A3"].value) or any("复审周期" in str(c.value) for c in book["说明"]["A"])


def test_html_is_one_file_with_a_chart_and_sortable_tables(written):
    page = written["html"].read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<svg" in page and page.count('class="bar"') >= 25
    assert page.count('<table class="sortable">') == 4 and "addEventListener('click'" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert "<link" not in page and "<script src" not in page
    assert "B22 禾谷类作物与产品" in page and "按现行（未确认）处理" in page


def test_csv_has_chinese_headers_and_a_bom(written, real):
    text = written["csv"].read_text(encoding="utf-8")
    assert text.startswith("\ufeffCCS分类号,类目,标准数")
    rows = list(csv.reader(text.lstrip("\ufeff").splitlines()))
    assert len(rows) == len(gap_report(real[1], today=TODAY)["rows"]) + 1
    assert ["B22", "禾谷类作物与产品", "11"] == rows[[r[0] for r in rows].index("B22")][:3]


def test_json_and_human_output(real):
    data = json.loads(runner.invoke(cli.app, [*real[0], "gaps", "--by", "region", "--json"]).stdout)
    assert data["by"] == "region" and data["rows"][0]["code"] == "12" and set(data["views"]) == {"ccs", "ics", "region"}
    human = runner.invoke(cli.app, [*real[0], "gaps", "--max-age", "0.2"], env={"COLUMNS": "200"})
    assert human.exit_code == 0
    assert "标准覆盖缺口" in human.stdout and "现行标准均超过0.2年复审周期" in human.stdout


def _chromium():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (make test runs scripts/ensure-test-packages, which installs it)")
    return browser


def _screenshot(page: Path, shot: Path, size: str, env: dict | None = None) -> None:
    subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--user-data-dir={shot.parent / (shot.stem + '-profile')}", f"--screenshot={shot}",
                    f"--window-size={size}", page.resolve().as_uri()],
                   capture_output=True, timeout=120, check=False, env=env)
    assert shot.exists() and shot.stat().st_size > 0


def test_headless_chromium_renders_the_chart(written, tmp_path):
    Image = pytest.importorskip("PIL.Image", reason="Pillow is needed to read the screenshot")
    shot = tmp_path / "shot.png"
    _screenshot(written["html"], shot, "1200,900")
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 900)
    data = image.tobytes()
    pixels = [tuple(data[i:i + 3]) for i in range(0, len(data), 3)]
    assert sum(1 for p in pixels if p != (255, 255, 255)) > 20_000  # not blank
    bar_green = sum(1 for r, g, b in pixels if abs(r - 0x7c) < 12 and abs(g - 0xb8) < 12 and abs(b - 0x7f) < 12)
    assert bar_green > 5_000  # the 现行（未确认） bars of the chart are on screen


CELL, MARGIN = 120, 20  # px per character of the glyph probe, and from the page's corner


def _glyph_probe(report: Path, tmp_path: Path, name: str, env: dict | None = None) -> list[bytes]:
    """The report's title, in the report's own font stack, one character per 120 px cell at
    96 px, screenshotted: each cell's grey pixels."""
    Image = pytest.importorskip("PIL.Image", reason="Pillow is needed to read the screenshot")
    page = report.read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)[:6]
    fonts = re.search(r"body\{font-family:([^;]*);", page).group(1)
    cells = "".join(f'<div style="position:absolute;left:{MARGIN + i * CELL}px;top:{MARGIN}px;width:{CELL}px;height:{CELL}px;'
                    f'font-size:96px;line-height:{CELL}px;text-align:center">{char}</div>'
                    for i, char in enumerate(title))
    probe = tmp_path / f"{name}.html"
    probe.write_text(f'<!doctype html><meta charset="utf-8"><style>html{{overflow:hidden}}body{{margin:0;background:#fff;color:#000;'
                     f'font-family:{fonts}}}</style>{cells}', encoding="utf-8")
    shot = tmp_path / f"{name}.png"
    _screenshot(probe, shot, "1000,300", env)
    image = Image.open(shot).convert("L")
    return [image.crop((MARGIN + i * CELL, MARGIN, MARGIN + (i + 1) * CELL, MARGIN + CELL)).tobytes()
            for i in range(len(title))]


def _looks_like_tofu(cells: list[bytes]) -> bool:
    """Empty boxes: every character's cell is (nearly) the same picture, or has no ink."""
    def differs(a: bytes, b: bytes) -> int:
        return sum(1 for x, y in zip(a, b) if abs(x - y) > 96)

    inked = [sum(1 for x in cell if x < 128) for cell in cells]
    return min(inked) < 50 or max(differs(cells[0], cell) for cell in cells[1:]) < 200


def test_the_report_draws_chinese_glyphs_not_empty_boxes(written, tmp_path):
    """Against the fallback: with fontconfig limited to DejaVu (no CJK font) the same probe
    renders boxes, which the check recognises; with the system's fonts it must not."""
    real = _glyph_probe(written["html"], tmp_path, "real")
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f'<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path / "fc"}</cachedir></fontconfig>',
                    encoding="utf-8")
    fallback = _glyph_probe(written["html"], tmp_path, "fallback", env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    assert _looks_like_tofu(fallback), "the tofu check must recognise the no-CJK-font rendering"
    assert not _looks_like_tofu(real), \
        "Chinese renders as empty boxes: install a CJK font (make test runs scripts/ensure-test-packages: fonts-noto-cjk)"


# -- bad output paths and an empty corpus ----------------------------------------------------------

def test_unwritable_output_paths(real, tmp_path):
    missing = runner.invoke(cli.app, [*real[0], "gaps", "--xlsx", str(tmp_path / "no" / "such" / "g.xlsx")])
    assert missing.exit_code == 1
    assert f"错误：无法写入 {tmp_path / 'no' / 'such' / 'g.xlsx'}：目录" in missing.stderr
    assert "Traceback" not in missing.output
    folder = runner.invoke(cli.app, [*real[0], "gaps", "--html", str(tmp_path)])
    assert folder.exit_code == 2 and "is a directory" in folder.output
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if _can_write(locked):
            pytest.skip("running as a user who may write anywhere")
        result = runner.invoke(cli.app, [*real[0], "gaps", "--csv", str(locked / "g.csv")])
        assert result.exit_code == 1 and "错误：无法写入" in result.stderr
    finally:
        locked.chmod(0o700)


def _can_write(folder: Path) -> bool:
    try:
        (folder / ".probe").write_text("")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


def test_writer_refuses_a_directory(tmp_path):
    with pytest.raises(ReportError, match="它是目录"):
        write_csv(tmp_path, Sheet("x", [("a", "甲")], []))


def test_empty_corpus(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "standards.jsonl").write_text("", encoding="utf-8")
    dirs = ["--index", str(tmp_path / "index"), "--corpus", str(tmp_path / "corpus")]
    result = runner.invoke(cli.app, [*dirs, "gaps", "--xlsx", str(tmp_path / "g.xlsx")])
    assert result.exit_code == 1 and "错误：知识库中没有任何标准" in result.stderr
    assert not (tmp_path / "g.xlsx").exists()


# -- writer details ----------------------------------------------------------------------------------

def test_xlsx_writer_widths_and_values(tmp_path):
    sheet = Sheet("表", [("n", "标准号"), ("l", "列表"), ("f", "标记")],
                  [{"n": "DB23/T 4021-2026", "l": ["甲", "乙"], "f": True}, {"n": None, "l": [], "f": False}])
    book = load_workbook(write_xlsx(tmp_path / "t.xlsx", [sheet]))
    rows = list(book["表"].iter_rows(values_only=True))
    assert rows == [("标准号", "列表", "标记"), ("DB23/T 4021-2026", "甲、乙", "是"), (None, None, None)]
    assert book["表"].column_dimensions["A"].width == display_width("DB23/T 4021-2026") + 2


def test_bar_chart_stacks_statuses():
    svg = bar_chart([{"code": "K13", "total": 3, "current": 1, "unknown": 2}], lambda r: r["code"])
    assert svg.startswith("<svg") and svg.count('class="bar"') == 2 and ">K13<" in svg
    assert bar_chart([], lambda r: "") == ""


# -- formula injection (issue 18, item 4) ------------------------------------------------------

HOSTILE_CELLS = ["=HYPERLINK(\"http://evil.example\",\"点击\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
                 "\tTAB", "\rCR"]


def test_csv_and_xlsx_cells_that_look_like_formulas_are_neutralised(tmp_path):
    sheet = Sheet("缺口", [("number", "标准号"), ("title", "标准名称"), ("count", "数量")],
                  [{"number": f"DB11/T {i}-2025", "title": cell, "count": -i} for i, cell in enumerate(HOSTILE_CELLS, 1)])
    write_csv(tmp_path / "out.csv", sheet)
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [row[1] for row in rows[1:]] == ["'" + cell for cell in HOSTILE_CELLS]
    assert [row[2] for row in rows[1:]] == [str(-i) for i in range(1, 7)]  # numbers stay numbers
    write_xlsx(tmp_path / "out.xlsx", [sheet])
    ws = load_workbook(tmp_path / "out.xlsx").active
    cells = [ws.cell(row=r, column=2) for r in range(2, 8)]
    assert [c.value for c in cells] == ["'" + cell for cell in HOSTILE_CELLS]
    assert {c.data_type for c in cells} == {"s"}  # text, never a formula
    assert [ws.cell(row=r, column=3).value for r in range(2, 8)] == [-i for i in range(1, 7)]
