"""Product and industry areas named in a policy clause (for `kb policy-gaps`).

    >>> [a.text for a in extract_areas("加强对外墙保温材料、水泥、电线电缆、钢筋等重点建材产品质量监督抽查")]
    ['外墙保温材料', '水泥', '电线电缆', '钢筋']

Three rules; each area says which one found it (`Area.how`):

- enumeration: items listed with 、 and closed by 等 + a class noun. Under a product class
  (…等重点建材产品) or a field class (…等领域, …等产业, …等服务领域) every item is an area;
  under another class (…等工作, …等制度) an item counts only by the next two rules.
- head: a noun phrase ending in a product or industry head (材料, 产品, 设备, 汽车, 服务,
  物流, 器械, 药品 …) with a modifier of at least two characters (冷链物流, 养老服务).
- vocabulary: an enumeration item or a single word that names a category of the CCS
  vocabulary (`names_category`: 水泥 = Q11 水泥, 疫苗 ∈ C27).

Each phrase is cut by jieba (with part-of-speech flags); the noun phrase is the run of
words before the head back to the first verb, preposition, conjunction, number or
particle (加强对|外墙保温材料). Generic modifiers (重点, 基本, 高端 …) are dropped
(基本养老服务 → 养老服务), and so are words that name no product: policy words (质量,
体系, 机制, 能力 …) and, for services, the quality infrastructure itself (计量测试服务,
检验检测服务): the policy's tools, not the areas it names.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Callable

from kb.categories import default_vocabulary, segmenter

PRODUCT_HEADS = ("材料", "建材", "产品", "商品", "消费品", "设备", "装备", "器械", "器材", "仪器", "仪表",
                 "药品", "药物", "疫苗", "试剂", "耗材", "零部件", "元器件", "部件", "电机", "终端",
                 "机器人", "传感器", "软件", "汽车", "食品", "农产品", "化妆品", "服装", "服饰", "家居",
                 "减速器", "驱动器", "芯片", "电池", "器具")
INDUSTRY_HEADS = ("服务", "物流", "旅游", "餐饮", "家政")
FIELD_CLASSES = ("领域", "产业", "行业", "业态", "服务业", "服务")
_HEADS = tuple(sorted(PRODUCT_HEADS + INDUSTRY_HEADS, key=len, reverse=True))

# Words that open a clause before its noun phrase: verbs, and places (北京服务 is a brand).
LEAD_WORDS = frozenset("""
加强 强化 推进 推动 促进 开展 发展 提升 提高 支持 鼓励 培育 加快 实施 扩大 完善 研发 生产 开发 打造
建设 健全 制定 加大 严查 加速 聚焦 围绕 面向 依托 落实 引导 推广 推行 深化 优化 构建 建立 大力 积极
全面 持续 着力 做好 做强 提供 增加 保障 满足 发挥 突破 实现 规范 引进 组织 参与 探索 研制 打响 推出
拓展 延伸 研究 应用 使用 购买 倡导 创建 争创 严格 严厉 打击 制售 投保 搭建 通过 吸引 利用 充分
针对 特别 特别是 包括 代表 一批 一系列 各类 各种 多种 一些 其他 相关 有关 国内外 世界 本市 全市
北京 北京市 首都 京津冀 国家 国际 中国 区域 全国 试点 新增 创新 重大 牵头 积极参与 领域 行业 产业
""".split())
# One-character words that always end a noun phrase.
_FUNCTION_CHARS = frozenset("的对在和及与或等由向以为把将从于用使被让给是有其之而并、")
_STOP_FLAGS = frozenset("v vd vi p c u uj ul uz ud ug uv d m mq r q f t y e o".split())
# Verbs that belong inside product and industry names.
NOUNISH_VERBS = frozenset("制造 诊断 保温 监护 照护 租赁 定制 出租 装配 传感 控制 检测 显示 驾驶 养殖 种植 "
                          "加工 冷藏 冷冻 仓储 配送 包装 维修 建造 植入 穿戴 健身 康复 治疗 出行".split())
MODIFIERS = ("中高端", "高品质", "综合性", "重点", "关键", "基本", "高端", "新型", "新兴", "优质", "先进", "主要", "特色",
             "精品", "优势", "传统", "现代", "国产", "新")

# Items that are policy words, not products or industries.
STOP_AREAS = frozenset("""
质量 标准 标准化 计量 认证 认可 认证认可 检验 检测 检验检测 合格评定 技术 管理 服务 产品 商品 设备 装备
材料 工程 品牌 创新 安全 监管 政务服务 公共服务 专业服务 技术服务 生活服务 生产服务 配套服务 综合服务
售后服务 公益服务 融合服务 产业服务 协同服务 政府购买服务 市民服务 高价值服务 现代服务 专业化服务 系统
产业链 供应链 基础设施 科技 信息 数据 数字 网络 平台 市场 企业 行业 产业 领域 文化 教育 研发设计
试验检测 可靠性验证 标准验证 质量控制 技术评价 研判 预警 评议 应对 监测 采信 分析 发布 知识产权
工程设计产品 数字消费产品 消费产品 管理系统 标杆产品 缺陷产品 绿色产品 绿色商品 新产品 工程设备
设计 制造 物质 高精尖产业 假冒伪劣商品 验证 监护 档案 节能 商标 工艺 专用设备
""".split())
# Endings of words that name a quality, an activity or an institution, not a product.
_NOT_AREA_END = re.compile(r"(?:化|性|率|度|制度|机制|体系|能力|水平|平台|中心|基地|项目|活动|行动|计划|战略|"
                           r"工作|环境|要求|规则|政策|模式|场景|资源|人员|机构|单位|主体|企业|组织|示范区|"
                           r"建设|管理|监管|提升|升级|发展|应用|创新|保护|治理|改革|需求|方案|品牌|标准|"
                           r"认证|评价|评定|攻关|研究|制定|研制|交流|合作|保障|支撑|赋能|转型|问题|"
                           r"服务业|行业|业态|集群|市场|体验|环节|链|区|城|店|生产商|供应商|服务商|公共服务)$")
# Quality-infrastructure words: a service named by them is the policy's tool, not an area.
_QI_WORDS = re.compile(r"计量|标准|检验|检测|认证|认可|合格评定|质量|知识产权|品牌|监管|政务")
_QI_PRODUCT_WORDS = re.compile(r"标准|质量|知识产权|品牌|监管|政务")  # 计量器具, 检测仪 are products
# Modifiers that say nothing about what: 技术装备, 智能设备, 核心部件, 金牌服务.
GENERIC_MODIFIERS = frozenset("""
技术 复杂 产品 智能 产业链 高价值 产业链高价值 金牌 进场 核心 制造 装备 工程技术 信用 基础 配套 专用
""".split())
_CHUNKS = re.compile(r"[。；;！？!?，,：:（）()“”\"《》\n]")
_ENUM_CLASS = re.compile(r"等(?=[\u4e00-\u9fff])")


@dataclass(frozen=True)
class Area:
    """One product or industry area a clause names."""

    text: str
    kind: str  # product or industry
    how: str  # enumeration, head or vocabulary
    context: str  # the phrase it came from

    def to_dict(self) -> dict:
        return {"area": self.text, "kind": self.kind, "how": self.how, "context": self.context}


NamesCategory = Callable[[str], bool]

_pos = None
_pos_lock = threading.Lock()


def _tokens(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) of `text`, cut like kb.categories.cut (no HMM), with the
    shipped vocabulary's terms known to the segmenter."""
    global _pos
    if _pos is None:
        with _pos_lock:
            if _pos is None:
                import jieba.posseg

                default_vocabulary()  # teaches the segmenter its terms: the same cut in every process
                _pos = jieba.posseg.POSTokenizer(segmenter())
    return [(p.word, p.flag) for p in _pos.lcut(text, HMM=False) if p.word.strip()]


def extract_areas(text: str, names_category: NamesCategory | None = None) -> list[Area]:
    """Areas named in `text`, in order of appearance, each once.

    `names_category(item)` says whether an enumeration item names a vocabulary category;
    without it only the enumeration and head rules apply."""
    text = unicodedata.normalize("NFKC", text or "")
    found: dict[str, Area] = {}
    for chunk in _CHUNKS.split(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        listed, classes = _enumerations(chunk, names_category)
        taken = [a.text for a in listed] + classes
        heads = [a for a in _head_phrases(chunk) if not any(a.text in t or t in a.text for t in taken)]
        taken += [a.text for a in heads]
        named = [a for a in _category_words(chunk, names_category) if not any(a.text in t for t in taken)]
        for area in listed + heads + named:
            found.setdefault(area.text, area)
    return list(found.values())


# -- enumerations -------------------------------------------------------------------

def _enumerations(chunk: str, names_category: NamesCategory | None) -> tuple[list[Area], list[str]]:
    """Every "A、B、C等<class>" list of a chunk (a chunk may hold two: "A、B等产品和C、D等领域"),
    and the class phrases (which name the list, not an area of their own)."""
    areas: list[Area] = []
    classes: list[str] = []
    start = 0
    for match in _ENUM_CLASS.finditer(chunk):
        listed = chunk[start:match.start()]
        cls, rest = _class_phrase(chunk[match.end():])
        start = len(chunk) - len(rest)
        if "、" not in listed:
            continue
        classes.append(cls)
        field_class = any(word in cls for word in FIELD_CLASSES)
        product_class = not field_class and any(cls.endswith(h) for h in PRODUCT_HEADS)
        for raw in listed.split("、"):
            for piece in re.split(r"以及|及|和", raw):
                text = noun_phrase(piece)
                if not is_area_word(text) or not _names_no_tool(text):
                    continue
                if product_class:
                    areas.append(Area(text, "product", "enumeration", chunk))
                elif field_class:
                    areas.append(Area(text, _kind(text, "industry"), "enumeration", chunk))
                elif _is_head_phrase(text):
                    areas.append(Area(text, _kind(text, "product"), "head", chunk))
                elif names_category is not None and names_category(text):
                    areas.append(Area(text, "product", "vocabulary", chunk))
    return areas, classes


def _class_phrase(after: str) -> tuple[str, str]:
    """Split the text after 等 into the class noun phrase and the rest
    ("中高端产品和体育、金融" → ("中高端产品", "和体育、金融"))."""
    taken = ""
    for word, flag in _tokens(after[:16]):
        if word in _FUNCTION_CHARS or (flag in _STOP_FLAGS and len(word) > 1 and word not in NOUNISH_VERBS):
            break
        taken += word
        if len(taken) >= 2 and any(taken.endswith(h) for h in FIELD_CLASSES + PRODUCT_HEADS):
            break
    return taken, after[len(taken):]


# -- head phrases ------------------------------------------------------------------------

def _head_phrases(chunk: str) -> list[Area]:
    areas = []
    words = _tokens(chunk)
    for index, (word, _) in enumerate(words):
        if not _ends_with_head(word):
            continue
        following = words[index + 1][0] if index + 1 < len(words) else ""
        if following in ("业", "化") or _ends_with_head(following):
            continue  # 旅游|商品: the phrase goes on to the next head
        phrase = noun_phrase_of(words[: index + 1])
        if _is_head_phrase(phrase) and is_area_word(phrase) and _names_no_tool(phrase):
            areas.append(Area(phrase, _kind(phrase, "product"), "head", chunk))
    return areas


def _category_words(chunk: str, names_category: NamesCategory | None) -> list[Area]:
    """Single words of the chunk that name a vocabulary category (疫苗, 农药, 传感器)."""
    if names_category is None:
        return []
    return [Area(word, _kind(word, "product"), "vocabulary", chunk) for word, _ in _tokens(chunk)
            if is_area_word(word) and _names_no_tool(word) and names_category(word)]


def _is_head_phrase(text: str) -> bool:
    """A head with a modifier of its own: 冷链物流 (冷链), not 技术装备 or 专业服务."""
    head = _ends_with_head(text)
    modifier = text[: len(text) - len(head)] if head else ""
    return len(modifier) >= 2 and modifier not in GENERIC_MODIFIERS and not modifier.endswith("专业")


# -- noun phrases --------------------------------------------------------------------------

def noun_phrase(text: str) -> str:
    """The noun phrase that ends `text`, without leading verbs and generic modifiers
    ("加强对外墙保温材料" → "外墙保温材料", "在消费品" → "消费品")."""
    text = re.sub(r"[\s“”\"'‘’《》〈〉]", "", text).rstrip("等")
    return noun_phrase_of(_tokens(text)) if text else ""


def noun_phrase_of(words: list[tuple[str, str]]) -> str:
    """The run of noun-like words at the end of `words`, generic modifiers dropped."""
    taken: list[str] = []
    for position in range(len(words) - 1, -1, -1):
        word, flag = words[position]
        if word == "与" and taken and position > 0 and not _is_stop(*words[position - 1]) \
                and not _ends_with_head(words[position - 1][0]):
            taken.insert(0, word)  # 智能制造与装备 is one name; 制造装备与检验设备 two
            continue
        if _is_stop(word, flag):
            break
        taken.insert(0, word)
    while taken and taken[0] == "与":
        taken.pop(0)
    phrase = "".join(taken)
    changed = True
    while changed:
        changed = False
        for modifier in MODIFIERS:
            if phrase.startswith(modifier) and len(phrase) - len(modifier) >= 2:
                phrase, changed = phrase[len(modifier):], True
    return phrase


def _is_stop(word: str, flag: str) -> bool:
    if word in LEAD_WORDS or not re.search(r"[\u4e00-\u9fff]", word):
        return True
    if len(word) == 1:
        return word in _FUNCTION_CHARS
    if word.endswith("化"):
        return True  # 国际化旅游商品 → 旅游商品
    return flag in _STOP_FLAGS and word not in NOUNISH_VERBS


def _ends_with_head(text: str) -> str:
    return next((h for h in _HEADS if text.endswith(h)), "")


def _kind(text: str, default: str) -> str:
    if any(text.endswith(h) for h in INDUSTRY_HEADS):
        return "industry"
    if any(text.endswith(h) for h in PRODUCT_HEADS):
        return "product"
    return default


def _names_no_tool(text: str) -> bool:
    """False for a quality-infrastructure service (计量测试服务) or product (质量管理软件):
    the policy's own tools, not the areas it names."""
    if _kind(text, "industry") == "product":
        return not _QI_PRODUCT_WORDS.search(text)
    return not _QI_WORDS.search(text)


def is_area_word(text: str) -> bool:
    """Could `text` name a product or an industry? (not a policy word, not too short or long)"""
    if not 2 <= len(text) <= 14 or not re.fullmatch(r"[\u4e00-\u9fff]+", text):
        return False
    return text not in STOP_AREAS and not _NOT_AREA_END.search(text)
