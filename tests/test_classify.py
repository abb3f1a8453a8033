"""kb.classify on real records: own codes, title terms, sector priors, injected lookup."""
from __future__ import annotations

import json

import pytest

from kb import numbers
from kb.categories import Sense, load_vocabulary
from kb.classify import Assignment, classify, ics_letters, sector_prior, title_words
from kb.records import Record
from tests.conftest import ANNOUNCEMENTS, PAGES

JB_QUERY = PAGES / "relaton-gb" / "spec" / "examples" / "jbt_13368_2018.json"


def jb_rows() -> dict[str, dict]:
    rows = json.loads(JB_QUERY.read_text(encoding="utf-8"))["rows"]
    return {row["STD_CODE"]: row for row in rows}


def announced(number: str) -> Record:
    for path in sorted(ANNOUNCEMENTS.glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
            if item["std_code"] == number:
                return Record.for_number(number, title=item["std_name"])
    raise LookupError(number)


def test_own_ccs_and_ics_codes_come_first_and_alone():
    row = jb_rows()["JB/T 13368-2018"]
    record = Record.for_number(row["STD_CODE"], title=row["C_NAME"], ccs=[row["CCS"]], ics=[row["ICS"]])
    assert classify(record) == [Assignment("J83", 1.0, "own CCS code", "ccs"),
                                Assignment("53.060", 1.0, "own ICS code", "ics")]


def test_title_term_and_sector_agree_on_a_real_jb_record():
    row = jb_rows()["JB/T 13362-2018"]  # 电力机车用屏蔽电泵, published CCS J71
    top = classify(Record.for_number(row["STD_CODE"], title=row["C_NAME"]))[0]
    assert top.code == row["CCS"] == "J71"
    assert top.reason == "title term 电泵: 泵 ∈ J71 泵; sector JB 机械 → J agrees"
    assert 0.5 <= top.confidence <= 0.95


def test_real_yd_cable_title_goes_to_k13_by_the_note_cross_reference():
    record = announced("YD/T 6955-2026")  # 通信电缆 物理发泡聚乙烯绝缘纵包铝带外导体辐射型漏泄同轴电缆
    top = classify(record)[0]
    assert top.code == "K13"
    assert top.reason.startswith("title term 通信电缆 → K13 电缆及其附件（S71 说明：通信电缆入K13）")


def test_real_yd_record_lands_in_m():
    record = announced("YD/T 6935.1-2026")  # 电信业务实名登记系统技术要求 第1部分：固定电话和移动电话卡
    top = classify(record)[0]
    assert top.code[0] == "M"
    assert top.reason.endswith("sector YD 通信 → M agrees")


def test_title_with_cable_gets_k_without_any_number():
    top = classify(Record(id="?", number="?", title="额定电压0.6/1kV电力电缆"))[0]
    assert (top.code, top.reason) == ("K13", "title term 电力电缆 ∈ K13 电缆及其附件（范围说明）")


def test_sector_alone_gives_the_letter_when_the_title_says_nothing_known():
    row = jb_rows()["JB/T 10750-2018"]  # 牵引车, published CCS J83
    assignments = classify(Record.for_number(row["STD_CODE"], title=row["C_NAME"]))
    assert assignments[0] == Assignment("J", 0.5, "sector JB 机械 → J 机械", "ccs")


def test_seismology_db_t_is_a_sector_not_a_region():
    record = Record.for_number("DB/T 116-2026", title="地震应急响应专题图制作要求")
    assert record.sector == "DB"
    assert sector_prior(record).letters == ("P", "A", "N")
    assert classify(record)[0].code[0] == "P"


def test_ics_only_record_keeps_its_ics_and_points_to_a_letter():
    record = Record.for_number("GB/T 1-2020", title="", ics=["29.060.20"])
    assignments = classify(record)
    assert assignments[0] == Assignment("29.060.20", 1.0, "own ICS code", "ics")
    assert assignments[1] == Assignment("K", 0.6, "ICS 29.060.20 → K 电工", "ccs")
    assert ics_letters("13.220.10") == ("C",)
    assert ics_letters("13.300") == ("Z", "C")
    assert ics_letters("95.020") == ()


def test_title_words_roles():
    assert title_words("电力机车用屏蔽电泵") == [("电力机车", 0.7, "modifier"), ("屏蔽", 1.0, "subject"),
                                           ("电泵", 1.2, "head")]
    assert title_words("卷烟 第1部分:抽样") == [("卷烟", 1.2, "head")]  # 抽样 is a document word
    assert title_words("叉车属具 软包夹") == [("叉车", 1.0, "subject"), ("属具", 1.2, "head"),
                                         ("软", 0.7, "later"), ("包夹", 0.7, "later")]


def test_injected_lookup_is_used_instead_of_the_vocabulary():
    calls = []

    def lookup(term):
        calls.append(term)
        return [Sense("X87", term, "name", 1.0, 1.0)] if term == "卷烟" else []

    top = classify(Record.for_number("GB 5606.1-2004", title="卷烟 第1部分:抽样"), lookup=lookup)[0]
    assert calls[0] == "卷烟"
    assert (top.code, top.reason) == ("X87", "title term 卷烟 ∈ X87 烟草制品")


def test_user_category_can_be_assigned(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("categories:\n  - {code: ICV, name: 智能网联汽车, parent: T40, terms: [车路协同]}\n",
                    encoding="utf-8")
    vocabulary = load_vocabulary([path])
    top = classify(Record(id="?", number="?", title="车路协同 路侧单元技术要求"), vocabulary)[0]
    assert (top.code, top.scheme) == ("ICV", "user")
    assert top.reason == "title term 车路协同 ∈ ICV 智能网联汽车（用户词表）"


def test_every_announcement_record_gets_bounded_confidences_and_reasons():
    records = []
    for path in sorted(ANNOUNCEMENTS.glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
            parsed = numbers.try_parse(item["std_code"].splitlines()[0])
            records.append(Record.for_number(parsed, title=item["std_name"]))
    assert len(records) == 1111
    guessed = 0
    for record in records:
        assignments = classify(record)
        guessed += bool(assignments)
        assert all(0.0 <= a.confidence <= 1.0 and a.reason for a in assignments)
        assert [a.confidence for a in assignments] == sorted((a.confidence for a in assignments), reverse=True)
    assert guessed >= 1050


@pytest.mark.parametrize("number, letter", [("YD/T 1-2020", "M"), ("JB/T 1-2020", "J"), ("SY/T 1-2020", "E"),
                                            ("MT/T 1-2020", "D"), ("YS/T 1-2020", "H"), ("YB/T 1-2020", "H")])
def test_sector_table(number, letter):
    assert sector_prior(Record.for_number(number)).letters[0] == letter


def test_teaching_a_word_changes_the_remembered_cuts():
    from kb.categories import cut, teach_words

    text = "岷沱嵘峦窑具"  # rare characters, taught nowhere else
    before = cut(text)
    teach_words(["岷沱嵘峦"])
    assert "岷沱嵘峦" not in before and "岷沱嵘峦" in cut(text)
