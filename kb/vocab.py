"""Normalization tables: levels, status words, number prefixes, regions.

Every parser and renderer imports its vocabulary from here, so a word is
mapped in exactly one place.
"""
from __future__ import annotations

# -- levels -----------------------------------------------------------------

LEVELS = ("national", "industry", "local", "group", "enterprise", "metrology")
LEVEL_LABELS = {
    "national": "国家标准",
    "industry": "行业标准",
    "local": "地方标准",
    "group": "团体标准",
    "enterprise": "企业标准",
    "metrology": "计量技术法规",
}
LEVEL_WORDS = {label: level for level, label in LEVEL_LABELS.items()}
LEVEL_WORDS.update({"国标": "national", "行标": "industry", "地标": "local", "团标": "group"})

# Record.kind: a standard or a metrology regulation (JJG/JJF)
KIND_LABELS = {"standard": "标准", "metrology": "计量技术法规"}

FORCE_LABELS = {"mandatory": "强制性", "recommended": "推荐性", "guidance": "指导性"}
FORCE_WORDS = {label: force for force, label in FORCE_LABELS.items()}
FORCE_WORDS.update({"强制": "mandatory", "推荐": "recommended", "指导性技术文件": "guidance"})

# -- status -----------------------------------------------------------------

STATUSES = ("current", "upcoming", "withdrawn", "replaced", "unknown")
STATUS_LABELS = {
    "current": "现行",
    "upcoming": "即将实施",
    "withdrawn": "废止",
    "replaced": "被代替",
    "unknown": "未知",
}
STATUS_WORDS = {label: code for code, label in STATUS_LABELS.items()}
STATUS_WORDS.update({
    "有效": "current",
    "现行有效": "current",
    "有更新版": "current",  # dbba: still in force, a newer edition exists
    "尚未实施": "upcoming",
    "未实施": "upcoming",
    "作废": "withdrawn",
    "已废止": "withdrawn",
    "废止标准": "withdrawn",
    "已被代替": "replaced",
    "被替代": "replaced",
    "替代": "replaced",
})


def normalize_status(word: str | None) -> str:
    """Map a platform's status word (现行, 被代替 …) or a status code to a code."""
    if not word:
        return "unknown"
    word = word.strip()
    if word in STATUSES:
        return word
    return STATUS_WORDS.get(word, "unknown")


# -- number prefixes --------------------------------------------------------

# National series other than GB itself.
NATIONAL_SERIES = {
    "GB": "国家标准",
    "GBZ": "国家职业卫生标准",
    "GSB": "国家标准样品",
    "GBn": "国家内部标准",
    "GJB": "国家军用标准",
}

# Sector (industry) prefixes with their sector name and administration.
# Base list: taxonomy/gb-prefixes.yaml; extended with prefixes that appear in
# real announcements (KA, RF, NB …) and common engineering series.
SECTORS: dict[str, tuple[str, str]] = {
    "NY": ("农业", "农业农村部"),
    "SC": ("水产", "农业农村部"),
    "SL": ("水利", "水利部"),
    "QB": ("轻工", "工业和信息化部"),
    "FZ": ("纺织", "工业和信息化部"),
    "YY": ("医药", "国家药品监督管理局"),
    "MZ": ("民政", "民政部"),
    "JY": ("教育", "教育部"),
    "YC": ("烟草", "国家烟草专卖局"),
    "YB": ("黑色冶金", "工业和信息化部"),
    "YS": ("有色金属", "工业和信息化部"),
    "SY": ("石油天然气", "国家能源局"),
    "HG": ("化工", "工业和信息化部"),
    "SH": ("石油化工", "工业和信息化部"),
    "JC": ("建材", "工业和信息化部"),
    "DZ": ("地质矿产", "自然资源部"),
    "TD": ("土地管理", "自然资源部"),
    "CH": ("测绘", "自然资源部"),
    "JB": ("机械", "工业和信息化部"),
    "QC": ("汽车", "工业和信息化部"),
    "MH": ("民用航空", "中国民用航空局"),
    "WJ": ("兵工民品", "国家国防科技工业局"),
    "CB": ("船舶", "国家国防科技工业局"),
    "HB": ("航空", "国家国防科技工业局"),
    "QJ": ("航天", "国家国防科技工业局"),
    "EJ": ("核工业", "国家国防科技工业局"),
    "TB": ("铁道", "国家铁路局"),
    "JT": ("交通", "交通运输部"),
    "JTG": ("公路工程", "交通运输部"),
    "JTJ": ("交通工程", "交通运输部"),
    "JTS": ("水运工程", "交通运输部"),
    "LD": ("劳动和劳动安全", "人力资源和社会保障部"),
    "SJ": ("电子", "工业和信息化部"),
    "YD": ("通信", "工业和信息化部"),
    "GY": ("广播电视", "国家广播电视总局"),
    "DY": ("电影", "国家电影局"),
    "DL": ("电力", "国家能源局"),
    "NB": ("能源", "国家能源局"),
    "JR": ("金融", "中国人民银行"),
    "HY": ("海洋", "自然资源部"),
    "DA": ("档案", "国家档案局"),
    "SN": ("出入境检验检疫", "海关总署"),
    "WH": ("文化", "文化和旅游部"),
    "TY": ("体育", "国家体育总局"),
    "SB": ("国内贸易", "商务部"),
    "WB": ("物资管理", "国家发展和改革委员会"),
    "HJ": ("环境保护", "生态环境部"),
    "XB": ("稀土", "工业和信息化部"),
    "CJ": ("城镇建设", "住房和城乡建设部"),
    "CJJ": ("城镇建设工程", "住房和城乡建设部"),
    "JG": ("建筑工业", "住房和城乡建设部"),
    "JGJ": ("建筑工程", "住房和城乡建设部"),
    "CY": ("新闻出版", "国家新闻出版署"),
    "MT": ("煤炭", "国家能源局"),
    "WS": ("卫生", "国家卫生健康委员会"),
    "GA": ("公共安全", "公安部"),
    "XF": ("消防救援", "应急管理部"),
    "BB": ("包装", "工业和信息化部"),
    "DB": ("地震", "中国地震局"),  # DB/T alone; DB + region digits is local
    "LB": ("旅游", "文化和旅游部"),
    "LY": ("林业", "国家林业和草原局"),
    "QX": ("气象", "中国气象局"),
    "WM": ("外经贸", "商务部"),
    "HS": ("海关", "海关总署"),
    "YZ": ("邮政", "国家邮政局"),
    "GM": ("密码", "国家密码管理局"),
    "AQ": ("安全生产", "应急管理部"),
    "KA": ("矿山安全", "国家矿山安全监察局"),
    "YJ": ("应急管理", "应急管理部"),
    "RF": ("人民防空", "国家人民防空办公室"),
    "GH": ("供销合作", "中华全国供销合作总社"),
    "LS": ("粮食", "国家粮食和物资储备局"),
    "TJ": ("铁道交通", "国家铁路局"),
    "ZY": ("中医药", "国家中医药管理局"),
    "WW": ("文物保护", "国家文物局"),
    "SF": ("司法", "司法部"),
    "RB": ("认证认可", "国家认证认可监督管理委员会"),
    "TSG": ("特种设备安全技术规范", "国家市场监督管理总局"),
    "GC": ("工程建设", "住房和城乡建设部"),
    "SW": ("税务", "国家税务总局"),
    "ZW": ("政务", "国务院办公厅"),
}

METROLOGY_SERIES = {"JJG": "国家计量检定规程", "JJF": "国家计量技术规范"}

# -- regions (GB/T 2260) -------------------------------------------------------

REGIONS = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建",
    "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
}
# One-character abbreviations used in local metrology numbers: JJG(京) …
REGION_ABBREVIATIONS = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "蒙": "15", "辽": "21", "吉": "22",
    "黑": "23", "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36",
    "鲁": "37", "豫": "41", "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46",
    "渝": "50", "川": "51", "蜀": "51", "贵": "52", "黔": "52", "云": "53", "滇": "53",
    "藏": "54", "陕": "61", "甘": "62", "陇": "62", "青": "63", "宁": "64", "新": "65",
}
REGION_WORDS = {name: code for code, name in REGIONS.items()}


def region_name(code: str | None) -> str:
    """北京 for 11 or 1101; empty when unknown."""
    if not code:
        return ""
    return REGIONS.get(code[:2], "")


def normalize_region(value: str) -> str:
    """Accept 11, 1101, 北京, 北京市 or 京; return the region code or raise ValueError."""
    value = value.strip()
    if value.isdigit() and 2 <= len(value) <= 6 and value[:2] in REGIONS:
        return value
    stripped = value.removesuffix("市").removesuffix("省").removesuffix("自治区")
    if stripped in REGION_WORDS:
        return REGION_WORDS[stripped]
    if value in REGION_ABBREVIATIONS:
        return REGION_ABBREVIATIONS[value]
    raise ValueError(f"无法识别的地区 {value!r}：请用 GB/T 2260 代码（如 11）或名称（如 北京）")


# -- search filters --------------------------------------------------------------

def search_filters(level: str | None = None, status: str | None = None, region: str | None = None) -> dict:
    """--level/--status/--region as the user gave them (national or 国家标准, 11 or 北京) →
    the codes the index filters on; BadInput for a word that is none of them."""
    from kb.errors import BadInput

    def pick(value, allowed, words, name):
        if value is None or value == "":
            return None
        code = value if value in allowed else words.get(value)
        if code is None:
            raise BadInput(f"无法识别的{name} {value!r}：可用 {', '.join(allowed)}")
        return code

    try:
        region_code = normalize_region(region)[:2] if region else None
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return {"level": pick(level, LEVELS, LEVEL_WORDS, "层级"),
            "status": pick(status, STATUSES, STATUS_WORDS, "状态"), "region": region_code}
