"""ttbz.org.cn parsers on the real list, detail and 403 pages."""
from __future__ import annotations

import pytest

from crawlers.parsers import ttbz
from kb.errors import ParseError
from conftest import PAGES

EXAMPLES = PAGES / "relaton-gb" / "spec" / "examples"
DECODED = PAGES / "relaton-gb" / "decoded"
DETAIL_URL = "http://www.ttbz.org.cn/StandardManage/Detail/22746/"


def test_detail_page():
    (record,) = ttbz.parse_detail((EXAMPLES / "22746.html").read_bytes(), DETAIL_URL).records
    assert (record.number, record.published_number) == ("T/GZAEPI 001-2018", "T/GZAEPI 001—2018")
    assert (record.level, record.force, record.status) == ("group", None, "current")
    assert record.title == "环保型家用吸油烟机"
    assert record.english_title == "Environmental protection type household range hood"
    # the CCS cell reads "Y68       ICS 97.040.99": the second ICS code joins the ICS list
    assert (record.ccs, record.ics) == (["Y68"], ["13.020.01", "97.040.99"])
    assert (record.issue_date, record.implementation_date) == ("2018-05-08", "2018-07-01")
    assert record.organisation == "广州环境保护产业协会"
    assert record.drafting_orgs == [
        "广州市环境技术中心", "广州环境保护产业协会", "深圳市环境监测协会", "广东省油烟净化产业技术创新联盟",
        "华帝股份有限公司", "宁波方太厨具有限公司", "广州贝思兰环保科技有限公司", "中山市樱雪集团有限公司",
        "广州市恒鼎酒店设备有限公司", "杭州老板电器股份有限公司", "广东美的厨房电器制造有限公司",
        "武汉创新环保工程有限公司", "广东万和电气有限公司", "广州市标准化促进会"]
    assert len(record.drafters) == 31
    assert record.drafters[:3] == ["游江峰", "谢玉蓉", "张家楠"]
    assert record.drafters[14:16] == ["李斌", "高佳佳"]  # published as "李斌，高佳佳"
    assert record.drafters[-1] == "陈江玲"
    assert record.scope.splitlines() == [
        "本标准规定了环保型家用吸油烟机的术语和定义、产品分类、要求、试验方法、检验规则及标志、包装、运输和贮存的要求。",
        "本标准适用于在家庭厨房环境中使用的外排式吸油烟机和具有“外排功能”的两用式吸油烟机。",
        "本标准不适用于：",
        "——为工业和商业目的安装的吸油烟机；",
        "——安装在特殊场合的吸油烟机，如腐蚀性或爆炸性气体（灰尘、蒸汽或瓦斯气体）存在的场合。",
    ]
    assert record.sources[0].source == "ttbz.detail"


def test_list_page_with_one_hit():
    url = "http://www.ttbz.org.cn/Home/Standard?searchType=2&key=T/GZAEPI%20001%E2%80%942018"
    result = ttbz.parse_list((EXAMPLES / "tgzaepi_001_2018.html").read_bytes(), url)
    (record,) = result.records
    assert (record.number, record.title, record.organisation) == (
        "T/GZAEPI 001-2018", "环保型家用吸油烟机", "广州环境保护产业协会")
    assert record.status == "unknown"  # this older list has no 状态 column
    assert result.links == [DETAIL_URL]  # PageCount 1: no next page


def test_list_page_without_hits():
    name = "t_gzaepi_001_20018__00.html"
    result = ttbz.parse_list((DECODED / name).read_bytes(), "")
    assert result.records == [] and result.links == [] and result.refused == ""


def test_list_next_page():
    body = (EXAMPLES / "tgzaepi_001_2018.html").read_bytes().replace(
        b'id="PageCount" name="PageCount" value="1"', b'id="PageCount" name="PageCount" value="4"')
    result = ttbz.parse_list(body, "http://www.ttbz.org.cn/Home/Standard?searchType=2&key=T/GZAEPI")
    assert result.links[-1] == "http://www.ttbz.org.cn/Home/Standard?searchType=2&key=T/GZAEPI&page=2"


@pytest.mark.parametrize("parser", [ttbz.parse_list, ttbz.parse_detail])
def test_the_403_page_is_a_refusal_not_an_error(parser):
    result = parser((DECODED / "t-zs-0467_2023__00.html").read_bytes(),
                    "http://www.ttbz.org.cn/Home/Standard?key=T/ZS%200467%E2%80%942023&searchType=2")
    assert result.records == [] and result.links == []
    assert result.refused == ("Knownsec CloudWAF: Your request has been blocked due to suspected hacking"
                              "（规则 80001）")


def test_detail_parser_on_a_list_page_is_an_error():
    with pytest.raises(ParseError, match="不是 ttbz.org.cn 的详情页"):
        ttbz.parse_detail((EXAMPLES / "tgzaepi_001_2018.html").read_bytes(), "")
