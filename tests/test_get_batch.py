"""`kb get`: many numbers at once (arguments, a text list, a CSV or XLSX column), and yearless
numbers answered with the current edition, every edition and, for a series, every part."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import cli
from crawlers.number_lists import read_number_list
from kb.corpus import STANDARDS_FILE, load_records
from kb.errors import BadInput, NotFound
from kb.lookup import RecordIndex, answer, lookup_numbers
from tests.standards_fixtures import TODAY, build_corpus, freeze_today

pytestmark = pytest.mark.both_engines  # every index here is built by each engine in turn

runner = CliRunner()


@pytest.fixture(scope="module")
def setup(tmp_path_factory, kb_engine):
    base = tmp_path_factory.mktemp("get")
    corpus = build_corpus(base / "corpus", base / "inputs")
    dirs = ["--index", str(base / "ix"), "--corpus", str(corpus)]
    assert runner.invoke(cli.app, [*dirs, "build", "--json"]).exit_code == 0
    index = RecordIndex(load_records(corpus / STANDARDS_FILE).records.values())
    return {"dirs": dirs, "index": index}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    freeze_today(monkeypatch)


def kb(setup, *args):
    return runner.invoke(cli.app, [*setup["dirs"], *args])


# -- series and editions (library) ---------------------------------------------------------------

def test_series_lists_every_part_and_edition(setup):
    result = answer(setup["index"], "YS/T 575", TODAY)
    assert result["number"] == "YS/T 575.1-2026"
    assert [(p["number"], p["current"], p["editions"]) for p in result["parts"]] == [
        ("YS/T 575.1", "YS/T 575.1-2026", ["YS/T 575.1-2026", "YS/T 575.1-2007"]),
        ("YS/T 575.2", "YS/T 575.2-2026", ["YS/T 575.2-2026", "YS/T 575.2-2007"]),
        ("YS/T 575.3", "YS/T 575.3-2007", ["YS/T 575.3-2007"]),
        ("YS/T 575.8", "YS/T 575.8-2026", ["YS/T 575.8-2026", "YS/T 575.8-2007"]),
    ]
    assert result["parts"][2]["status"] == "replaced"
    assert result["note"] == ("YS/T 575 未注明年份，显示最新版本 YS/T 575.1-2026；其他版本：YS/T 575.1-2007；"
                              "系列共 4 项：YS/T 575.1、YS/T 575.2、YS/T 575.3、YS/T 575.8")


def test_series_with_an_unparted_standard_and_parts(setup):
    result = answer(setup["index"], "AQ 9010", TODAY)
    assert result["number"] == "AQ 9010-2019"
    assert [e["number"] for e in result["editions"]] == ["AQ 9010-2019"]
    assert [p["number"] for p in result["parts"]] == ["AQ 9010", "AQ 9010.1", "AQ 9010.2", "AQ 9010.3",
                                                      "AQ 9010.4", "AQ 9010.5"]


def test_yearless_part_prefers_the_current_edition(setup):
    # GB/T 1.1-2009 is replaced (since 2020-10-01) by GB/T 1.1-2020, which is current.
    result = answer(setup["index"], "ＧＢ／Ｔ １.１", TODAY)
    assert result["number"] == "GB/T 1.1-2020" and result["status"] == "current"
    assert [(e["number"], e["status"]) for e in result["editions"]] == [
        ("GB/T 1.1-2020", "current"), ("GB/T 1.1-2009", "replaced")]
    assert "parts" not in result
    assert result["note"] == "GB/T 1.1 未注明年份，显示现行版本 GB/T 1.1-2020；其他版本：GB/T 1.1-2009"


def test_dated_number_is_that_edition(setup):
    result = answer(setup["index"], "DB23/T 2419—2019", TODAY)
    assert (result["number"], result["status"], result["replaced_by"]) == (
        "DB23/T 2419-2019", "replaced", ["DB23/T 2419-2026"])
    assert "editions" not in result and "note" not in result


def test_record_index_agrees_with_the_whoosh_index(setup):
    from index.engine import KnowledgeIndex
    from pathlib import Path

    kb_index = KnowledgeIndex.open(Path(setup["dirs"][1]))
    try:
        for text in ("YS/T 575", "YS/T 575.1", "DB23/T2419", "db23t2419-2026", "AQ 9010"):
            assert sorted(r.number for r in kb_index.lookup(text)) == \
                sorted(r.number for r in setup["index"].lookup(text)), text
    finally:
        kb_index.close()
    with pytest.raises(NotFound, match="知识库中没有 GB/T 9999999"):
        setup["index"].lookup("GB/T 9999999")


def test_batch_keeps_going_past_unknown_numbers(setup):
    answers = lookup_numbers(setup["index"], ["GB/T 1.1-2020", "GB/T 9999999-2020", "GB/T"], TODAY)
    assert answers[0]["number"] == "GB/T 1.1-2020"
    assert answers[1] == {"query": "GB/T 9999999-2020", "error": "知识库中没有 GB/T 9999999-2020"}
    assert answers[2]["error"].startswith("不是标准号：'GB/T'")


# -- number lists ---------------------------------------------------------------------------------

def test_number_list_from_text(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("# 采购清单\nGB/T 1.1-2020\n\n  DB23/T 2419—2019  \n", encoding="utf-8")
    assert read_number_list(path) == ["GB/T 1.1-2020", "DB23/T 2419—2019"]


def test_number_list_from_csv_column_and_detected_header(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("序号,标准编号,备注\n1,GB/T 1.1-2020,\n2,,空行\n3,YS/T 575,系列\n", encoding="utf-8-sig")
    assert read_number_list(path) == ["GB/T 1.1-2020", "YS/T 575"]  # 标准编号 is a known header word
    assert read_number_list(path, column="备注") == ["空行", "系列"]
    with pytest.raises(BadInput, match=r"中没有列 '标准号'；现有的列：序号, 标准编号, 备注"):
        read_number_list(path, column="标准号")


def test_number_list_without_header(tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("GB/T 1.1-2020\nDB23/T 2419-2026\n", encoding="utf-8")
    assert read_number_list(path) == ["GB/T 1.1-2020", "DB23/T 2419-2026"]


def _xlsx(path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


# -- CLI -------------------------------------------------------------------------------------------

def test_get_from_xlsx_column_json(setup, tmp_path):
    path = _xlsx(tmp_path / "清单.xlsx", [["名称", "标准号"], ["佳木斯大米", "DB23/T 2419—2026"],
                                        ["导则", "GB/T 1.1"], ["不存在", "GB/T 9999999-2020"]])
    result = kb(setup, "get", "--from", str(path), "--column", "标准号", "--json")
    assert result.exit_code == 1  # one number is not in the knowledge base
    answers = json.loads(result.stdout)
    assert [a.get("number") for a in answers] == ["DB23/T 2419-2026", "GB/T 1.1-2020", None]
    assert answers[1]["note"].startswith("GB/T 1.1 未注明年份，显示现行版本 GB/T 1.1-2020")
    assert answers[2]["error"] == "知识库中没有 GB/T 9999999-2020"


def test_get_from_a_one_number_file_is_still_a_list(setup, tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("DB23/T 2419-2026\n", encoding="utf-8")
    result = kb(setup, "get", "--from", str(path), "--json")
    assert result.exit_code == 0
    assert [a["number"] for a in json.loads(result.stdout)] == ["DB23/T 2419-2026"]


def test_get_one_number_is_one_object(setup):
    result = kb(setup, "get", "GB/T 1.1", "--json")
    data = json.loads(result.stdout)
    assert isinstance(data, dict) and data["number"] == "GB/T 1.1-2020"


def test_get_csv(setup, tmp_path):
    result = kb(setup, "get", "DB23/T 2419-2019", "GB/T 12345-1990", "--csv")
    assert result.exit_code == 0
    rows = result.stdout.splitlines()
    assert rows[0] == "查询,标准号,标准名称,状态,发布日期,实施日期,被代替为,说明,错误"
    assert rows[1] == "DB23/T 2419-2019,DB23/T 2419-2019,,被代替,,,DB23/T 2419-2026,,"
    assert rows[2] == "GB/T 12345-1990,GB/T 12345-1990,（示例）已废止的标准,废止,1990-01-10,1990-07-01,,,"


def test_get_series_human_lists_parts(setup):
    result = kb(setup, "get", "YS/T 575")
    assert result.exit_code == 0
    for text in ("系列各部分", "YS/T 575.3-2007", "YS/T 575.8-2026", "被代替"):
        assert text in result.stdout


@pytest.mark.parametrize("args, code, message", [
    (["get", "--from", "MISSING.csv"], 2, "错误：MISSING.csv：文件不存在"),
    (["get"], 2, "错误：请给出标准号，或用 --from 文件"),
])
def test_get_bad_input(setup, args, code, message):
    result = kb(setup, *args)
    assert result.exit_code == code
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output


def test_get_missing_column_is_one_line(setup, tmp_path):
    path = _xlsx(tmp_path / "list.xlsx", [["名称", "编码"], ["佳木斯大米", "DB23/T 2419-2026"]])
    result = kb(setup, "get", "--from", str(path), "--column", "标准号")
    assert result.exit_code == 2
    assert result.stderr == f"错误：{path} 中没有列 '标准号'；现有的列：名称, 编码\n"


def test_get_unreadable_list(setup, tmp_path):
    path = tmp_path / "synthetic_broken.xlsx"
    path.write_bytes(b"not a workbook")
    result = kb(setup, "get", "--from", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"错误：{path} 不是可读取的 XLSX 工作簿")


def test_empty_list_and_column_on_a_text_list(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("# nothing yet\n\n", encoding="utf-8")
    with pytest.raises(BadInput, match="中没有标准号"):
        read_number_list(path)
    with pytest.raises(BadInput, match="--column 只用于 CSV 或 XLSX 文件，不能用于 empty.txt"):
        read_number_list(path, column="标准号")
