"""kb import: announcement JSON, CSV and XLSX lists with Chinese headers, merged by canonical number."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from crawlers.importer import import_files
from crawlers.tables import import_table
from kb.changes import record_changes
from kb.corpus import STANDARDS_FILE, load_records
from kb.errors import BadInput, CorpusError
from tests.conftest import ANNOUNCEMENTS


def test_import_real_announcements(tmp_path):
    report = import_files([ANNOUNCEMENTS], tmp_path)
    assert report.read == 1111
    records = load_records(tmp_path / "standards.jsonl").records
    assert len(records) == 1380  # 1,111 announced + 269 known only as replaced
    new = records["DB23/T 2419-2026"]
    assert new.title == "地理标志产品 佳木斯大米"
    assert new.published_number == "DB23/T 2419—2026"
    assert new.dept == "黑龙江省市场监督管理局" and new.region == "23" and new.record_no
    assert new.sources[0].url.startswith("https://std.sacinfo.org.cn/gnocDb/queryInfo")
    old = records["DB23/T 2419-2019"]
    assert (old.status, old.replaced_by, old.title) == ("replaced", ["DB23/T 2419-2026"], "")
    joint = records["DB51/T 10016-2026"]
    assert joint.other_numbers == ["DB50/T 10016-2026"]
    # Re-importing changes nothing.
    again = import_files([ANNOUNCEMENTS], tmp_path)
    assert not again.new and not again.updated and len(again.unchanged) == 1111


def test_csv_with_chinese_headers(tmp_path):
    path = tmp_path / "清单.csv"
    path.write_text("标准号,标准名称,发布日期,实施日期,状态,代替标准\n"
                    "GB/T 5023.1—2008,额定电压450/750V及以下聚氯乙烯绝缘电缆 第1部分：一般要求,2008-06-30,2009年5月1日,现行,GB/T 5023.1-1997\n"
                    "ＧＢ／Ｔ　１２７０６．１－２０２０,额定电压1kV到35kV挤包绝缘电力电缆及附件,2020-03-06,2021-02-01,现行,\n"
                    "not a number,坏行,,,,\n", encoding="utf-8-sig")
    table = import_table(path)
    assert [r.number for r in table.records] == ["GB/T 5023.1-2008", "GB/T 12706.1-2020"]
    assert table.records[0].implementation_date == "2009-05-01"
    assert table.records[0].replaces == ["GB/T 5023.1-1997"]
    assert table.records[0].status == "current"
    assert table.errors == ["清单.csv：第 4 行：不是标准号：'not a number'（无法识别的代号 'NOTANUMBER'）"]


def test_gb18030_csv(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("标准号,标准名称\nJJG 1028-2024,放射治疗模拟定位X射线辐射源检定规程\n".encode("gb18030"))
    [record] = import_table(path).records
    assert record.kind == "metrology" and record.title.startswith("放射治疗")


def test_xlsx_list(tmp_path):
    path = tmp_path / "list.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "标准编号", "标准名称", "发布日期", "废止日期", "标准状态"])
    sheet.append([1, "DB11/T 1234-2015", "测试用地方标准", "2015-06-01", "2020-01-01", "废止"])
    book.save(path)
    [record] = import_table(path).records
    assert (record.number, record.level, record.region, record.status, record.withdrawal_date) == (
        "DB11/T 1234-2015", "local", "11", "withdrawn", "2020-01-01")


def test_table_without_number_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("名称,日期\nx,y\n", encoding="utf-8")
    with pytest.raises(BadInput, match="没有标准号列"):
        import_table(path)


def test_import_refuses_to_overwrite_a_corpus_with_bad_lines(tmp_path):
    corpus = tmp_path / "standards.jsonl"
    corpus.write_text('{"id": "x"\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="standards.jsonl:1: 无效的 JSON"):
        import_files([ANNOUNCEMENTS / "001_gb_2026_31.json"], tmp_path)
    assert corpus.read_text(encoding="utf-8") == '{"id": "x"\n'


def test_import_in_two_steps_logs_the_replacement(tmp_path):
    first = tmp_path / "old.csv"
    first.write_text("标准号,标准名称\nDB23/T 2419—2019,地理标志产品 佳木斯大米\n", encoding="utf-8")
    import_files([first], tmp_path, record_changes=record_changes)
    report = import_files([ANNOUNCEMENTS / "003_db_2026_07.json"], tmp_path, record_changes=record_changes)
    by_number = {c["number"]: c for c in report.changes}
    assert by_number["DB23/T 2419-2019"]["change"] == "replaced"
    assert by_number["DB23/T 2419-2019"]["replaced_by"] == ["DB23/T 2419-2026"]
    assert by_number["DB23/T 2419-2026"]["change"] == "new"
    logged = [json.loads(line) for line in (tmp_path / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(logged) == 1 + len(report.changes)


# -- hostile lists (issue 18, item 7) -----------------------------------------------------------

def test_a_131k_character_field_costs_its_row_and_odd_rows_are_reported(tmp_path):
    table = tmp_path / "synthetic_hostile.csv"
    table.write_text("标准号,标准名称,状态,代替标准\n"
                     f'DB11/T 1-2025,"{"长" * 140_000}",现行,\n'
                     "DB11/T 2-2025,正常的标准,暂停,\n"
                     "DB11/T 3-2025,自代替的标准,现行,DB11/T 3-2025\n"
                     "DB11/T 5-2025,甲,现行,DB11/T 6-2025\n"
                     "DB11/T 6-2025,乙,现行,DB11/T 5-2025\n", encoding="utf-8")
    report = import_files([table], tmp_path / "corpus")
    assert report.errors == [
        "synthetic_hostile.csv：第 2 行：无法读取的 CSV 行（field larger than field limit (131072)）",
        "synthetic_hostile.csv：第 3 行：未知的状态 '暂停'，记为未知",
        "synthetic_hostile.csv：第 4 行：DB11/T 3-2025 不能代替自身；已从 replaces 中去掉",
        "替换关系成环：DB11/T 5-2025 → DB11/T 6-2025 → DB11/T 5-2025"]
    records = load_records(tmp_path / "corpus" / STANDARDS_FILE).records
    assert sorted(records) == ["DB11/T 2-2025", "DB11/T 3-2025", "DB11/T 5-2025", "DB11/T 6-2025"]
    assert records["DB11/T 3-2025"].replaces == [] and records["DB11/T 2-2025"].status == "unknown"


@pytest.mark.parametrize("name, message", [
    ("质" * 300, "质" * 300 + "：文件或目录不存在"),
    ("/dev/zero", "/dev/zero：不是普通文件（设备、FIFO 或套接字不能导入）")])
def test_a_300_character_name_or_a_device_is_one_clear_error(tmp_path, name, message):
    with pytest.raises(BadInput) as error:
        import_files([Path(name)], tmp_path / "corpus")
    assert str(error.value) == message
