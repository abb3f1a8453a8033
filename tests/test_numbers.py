"""The standard-number grammar: every real number in ../shared parses, and parse ∘ format round-trips."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb import numbers
from kb.errors import NumberError
from kb.vocab import REGION_ABBREVIATIONS, REGIONS, SECTORS
from tests.conftest import ANNOUNCEMENTS


def announcement_items():
    for path in sorted(ANNOUNCEMENTS.glob("*.json")):
        yield from json.loads(path.read_text(encoding="utf-8"))["items"]


def test_every_real_announcement_number_parses():
    items = list(announcement_items())
    assert len(items) == 1111
    parsed = [numbers.parse_list(item["std_code"]) for item in items]
    assert all(parsed)
    # Joint Sichuan–Chongqing standards carry two numbers, one per line.
    joint = [p for p in parsed if len(p) == 2]
    assert [[n.canonical for n in p] for p in joint][0] == ["DB51/T 10016-2026", "DB50/T 10016-2026"]
    levels = {n.level for p in parsed for n in p}
    assert levels == {"national", "industry", "local"}


def test_every_real_replaces_field_splits():
    total = 0
    for item in announcement_items():
        replaced = numbers.parse_list(item["replaces_code"])
        total += len(replaced)
    assert total > 250
    assert [n.canonical for n in numbers.parse_list("代替DB23/T 2419—2019")] == ["DB23/T 2419-2019"]
    assert [n.canonical for n in numbers.parse_list("MT/T 560-2008，MT/T 596-2006，MT/T 852-2000")] == [
        "MT/T 560-2008", "MT/T 596-2006", "MT/T 852-2000"]
    assert [n.canonical for n in numbers.parse_list("YS/T 53. 1 -2010  、 YS/T 53.2-2010 、YS/T 53.3 -2010")] == [
        "YS/T 53.1-2010", "YS/T 53.2-2010", "YS/T 53.3-2010"]
    assert [n.canonical for n in numbers.parse_list("SY/T 6858.2-2012,SY/T 6858.1-2012")] == [
        "SY/T 6858.2-2012", "SY/T 6858.1-2012"]
    assert numbers.parse_list("无") == []
    assert numbers.parse_list("") == []


@pytest.mark.parametrize("text, canonical, level, force, region, sector", [
    ("ＤＢ２３／Ｔ　２４１９—２０２６", "DB23/T 2419-2026", "local", "recommended", "23", None),
    ("db23t2419-2026", "DB23/T 2419-2026", "local", "recommended", "23", None),
    ("DB23/T2419", "DB23/T 2419", "local", "recommended", "23", None),
    ("DB3301/T 0322.3-2020", "DB3301/T 0322.3-2020", "local", "recommended", "3301", None),
    ("DB11/ 1234-2015", "DB11/ 1234-2015", "local", "mandatory", "11", None),
    ("DB/T 12-2020", "DB/T 12-2020", "industry", "recommended", None, "DB"),
    ("GB/T 1.1-2020", "GB/T 1.1-2020", "national", "recommended", None, None),
    ("GB 4943.1－2022", "GB 4943.1-2022", "national", "mandatory", None, None),
    ("GB/Z 41270.6–2026", "GB/Z 41270.6-2026", "national", "guidance", None, None),
    ("GBZ 2.1-2019", "GBZ 2.1-2019", "national", "mandatory", None, None),
    ("GBZ/T 194-2007", "GBZ/T 194-2007", "national", "recommended", None, None),
    ("GSB16-1452", "GSB 16-1452", "national", None, None, None),
    ("GBn 123-1990", "GBn 123-1990", "national", None, None, None),
    ("GJB 9001C-2017".replace("C", ""), "GJB 9001-2017", "national", "mandatory", None, None),
    ("JB/T 13368―2018", "JB/T 13368-2018", "industry", "recommended", None, "JB"),
    ("JBT13368-2018", "JB/T 13368-2018", "industry", "recommended", None, "JB"),
    ("KA 56.2-2026", "KA 56.2-2026", "industry", "mandatory", None, "KA"),
    ("GB 3100-93", "GB 3100-1993", "national", "mandatory", None, None),
    ("T/CAS 115-2005", "T/CAS 115-2005", "group", None, None, None),
    ("T/GZAEPI 001—2018", "T/GZAEPI 001-2018", "group", None, None, None),
    ("Q/GDW 1234-2014", "Q/GDW 1234-2014", "enterprise", None, None, None),
    ("JJG 1028-2024", "JJG 1028-2024", "metrology", None, None, None),
    ("JJF 1070-2023", "JJF 1070-2023", "metrology", None, None, None),
    ("JJG（京）12-2020", "JJG(京) 12-2020", "metrology", None, "11", None),
    ("GB 15629.11-2003/XG1-2006", "GB 15629.11-2003/XG1-2006", "national", "mandatory", None, None),
    ("GB 2760-2014 第1号修改单", "GB 2760-2014/XG1", "national", "mandatory", None, None),
])
def test_forms(text, canonical, level, force, region, sector):
    parsed = numbers.parse(text)
    assert parsed.canonical == canonical
    assert parsed.published == text.strip()
    assert (parsed.level, parsed.force, parsed.region, parsed.sector) == (level, force, region, sector)


def test_structured_parts():
    parts = numbers.parse("GB/Z 37551.202-2026").parts()
    assert parts["prefix"] == "GB" and parts["type"] == "Z"
    assert (parts["number"], parts["part"], parts["year"]) == ("37551", "202", 2026)
    assert numbers.parse("JJG(京) 12-2020").region == "11"
    assert numbers.parse("T/CAS 115-2005").organisation == "CAS"
    assert numbers.parse("JB/T 1-2000").administration == SECTORS["JB"][1]


def test_part_keys_do_not_collide():
    assert numbers.parse("GB/T 1.1").edition_free_key != numbers.parse("GB/T 1.10").edition_free_key
    assert numbers.parse("GB/T 5606.1-2004").series_key == "GB/T5606"


@pytest.mark.parametrize("text, message", [
    ("GB/T", "后缺少顺序号"),
    ("", "标准号为空"),
    ("XYZ 123-2020", "无法识别的代号 'XYZ'"),
    ("DB99/T 12-2020", "地区代码 DB99 无法识别"),
    ("GB/T 123-1850", "年份 '1850' 不合理"),
    ("电线电缆", "标准号以 GB/T、DB11/T、T/CAS 等代号开头"),
])
def test_bad_numbers(text, message):
    with pytest.raises(NumberError, match=message):
        numbers.parse(text)


# -- round trips -----------------------------------------------------------------

digits = st.text("0123456789", min_size=1, max_size=5)
years = st.one_of(st.none(), st.integers(1950, 2030))
parts = st.one_of(st.just(""), digits.map(lambda d: d.lstrip("0") or "1"),
                  st.tuples(st.integers(1, 20), st.integers(1, 20)).map(lambda t: f"{t[0]}.{t[1]}"))
org = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=2, max_size=7)

national = st.builds(lambda p, t: (p, t), st.sampled_from(["GB", "GBZ", "GJB"]), st.sampled_from(["", "T", "Z"]))
sector = st.builds(lambda p, t: (p, t), st.sampled_from(sorted(SECTORS)), st.sampled_from(["", "T"]))
local = st.builds(lambda r, c, t: ("DB" + r + c, t), st.sampled_from(sorted(REGIONS)),
                  st.sampled_from(["", "01", "0102"]), st.sampled_from(["", "T"]))
group = org.map(lambda o: ("T/" + o, ""))
enterprise = org.map(lambda o: ("Q/" + o, ""))
metrology = st.builds(lambda s, loc: (s + (f"({loc})" if loc else ""), ""), st.sampled_from(["JJG", "JJF"]),
                      st.sampled_from(["", *sorted(REGION_ABBREVIATIONS)[:5]]))
prefixes = st.one_of(national, sector, local, group, enterprise, metrology)


@st.composite
def standard_numbers(draw):
    prefix, type_ = draw(prefixes)
    if prefix == "GBZ" and type_ == "Z":
        type_ = "T"
    year = draw(years)
    return numbers.StandardNumber(prefix=prefix, type=type_, number=draw(digits), part=draw(parts),
                                  year=year)


def spellings(n: numbers.StandardNumber):
    text = n.canonical
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return [text, text.replace("-", "—"), text.replace("-", "－"), text.replace(" ", ""),
            text.replace(" ", "  ").replace("/", " / ") if n.level != "local" else text,
            full_width, text.lower() if n.prefix != "GBn" else text]


@given(standard_numbers())
def test_parse_format_round_trip(n):
    assert numbers.parse(n.canonical) == n
    assert numbers.parse(n.canonical).canonical == n.canonical


@given(standard_numbers())
def test_every_spelling_parses_to_the_same_number(n):
    for text in spellings(n):
        assert numbers.parse(text).canonical == n.canonical, text
