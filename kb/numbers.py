"""Standard-number grammar: parse any published spelling, format one canonical form.

    >>> n = parse("ＤＢ２３／Ｔ　２４１９—２０２６")
    >>> n.canonical, n.level, n.region, n.force
    ('DB23/T 2419-2026', 'local', '23', 'recommended')

Parsing works on a prepared string: NFKC (full-width to half-width), every dash
to "-", upper case, and whitespace removed except between two digits, where it
is the only thing separating a region code from a sequence number.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from kb.errors import NumberError
from kb.vocab import (METROLOGY_SERIES, NATIONAL_SERIES, REGION_ABBREVIATIONS, REGIONS,
                      SECTORS)

DASHES = "—–―‐‑‒−﹣‒⁃"
_DASH_TABLE = str.maketrans({d: "-" for d in DASHES})
_CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")}

_CODES = sorted([*NATIONAL_SERIES, *SECTORS], key=len, reverse=True)
_CODE_ALT = "|".join(re.escape(c.upper()) for c in _CODES)
_ORG = r"[0-9A-Z]*[A-Z](?:-[A-Z]+)?"

PREFIX_PATTERN = (
    rf"(?:T/(?P<group>{_ORG})"
    rf"|Q/(?P<enterprise>{_ORG})"
    r"|(?P<metro>JJ[GF])(?:\((?P<metro_loc>[\u4e00-\u9fff]{1,2})\))?"
    r"|DB(?P<region>\d{2,6})(?:/(?P<local_t>T)?|(?P<local_t2>T)|\x20)"
    rf"|(?P<code>{_CODE_ALT})(?:/(?P<type>[TZ])|(?P<type2>T)(?=\d))?"
    r")"
)
BODY_PATTERN = (
    r"(?P<number>\d+)(?:\.(?P<part>\d+(?:\.\d+)*))?"
    r"(?:-(?P<year>\d{4}|\d{2})(?!\d))?"
    r"(?:/?XG(?P<amend>\d+)(?:-(?P<amend_year>\d{4}|\d{2}))?"
    r"|第(?P<amend_cn>[\d〇一二三四五六七八九十]+)号修改单)?"
)
_GSB = re.compile(r"GSB(?P<cat>\d{2})-(?P<seq>\d{1,5})(?:-(?P<year>\d{4}))?")
_NUMBER = re.compile(PREFIX_PATTERN + BODY_PATTERN)
_PREFIX_ONLY = re.compile(PREFIX_PATTERN)


@dataclass(frozen=True)
class StandardNumber:
    """The parts of a standard number. Equality ignores the published spelling."""

    prefix: str  # GB, GBZ, JB, DB23, T/CAS, Q/GDW, JJG, JJG(京), GSB
    type: str = ""  # "T" (recommended), "Z" (guidance) or ""
    number: str = ""  # sequence, digits as published (leading zeros kept)
    part: str = ""  # "1", "1.1", "202"
    year: int | None = None
    amendment: int | None = None
    amendment_year: int | None = None
    published: str = field(default="", compare=False, hash=False)

    # -- derived parts --------------------------------------------------------

    @property
    def level(self) -> str:
        p = self.prefix
        if p.startswith("T/"):
            return "group"
        if p.startswith("Q/"):
            return "enterprise"
        if p.startswith("JJ"):
            return "metrology"
        if p in NATIONAL_SERIES:
            return "national"
        if re.fullmatch(r"DB\d+", p):
            return "local"
        return "industry"

    @property
    def region(self) -> str | None:
        """GB/T 2260 code for local standards and local metrology regulations."""
        if self.level == "local":
            return self.prefix[2:]
        m = re.fullmatch(r"JJ[GF]\((.+)\)", self.prefix)
        return REGION_ABBREVIATIONS.get(m.group(1)) if m else None

    @property
    def sector(self) -> str | None:
        """The industry prefix (JB, YD …) of an industry standard."""
        return self.prefix if self.level == "industry" else None

    @property
    def sector_name(self) -> str:
        return SECTORS[self.prefix][0] if self.sector in SECTORS else ""

    @property
    def administration(self) -> str:
        return SECTORS[self.prefix][1] if self.sector in SECTORS else ""

    @property
    def organisation(self) -> str | None:
        """The organisation code of a group (T/…) or enterprise (Q/…) standard."""
        return self.prefix[2:] if self.level in ("group", "enterprise") else None

    @property
    def force(self) -> str | None:
        """mandatory, recommended or guidance; None where the law sets no force."""
        if self.level in ("group", "enterprise", "metrology") or self.prefix in ("GSB", "GBn"):
            return None
        return {"T": "recommended", "Z": "guidance"}.get(self.type, "mandatory")

    # -- formatting -----------------------------------------------------------

    @property
    def designation(self) -> str:
        """Prefix with its type: GB/T, DB23/T, T/CAS, JJG(京); DB11/ for mandatory local."""
        if self.type:
            return f"{self.prefix}/{self.type}"
        return f"{self.prefix}/" if self.level == "local" else self.prefix

    @property
    def series(self) -> str:
        """Number without part and year: GB/T 5606."""
        return f"{self.designation} {self.number}"

    @property
    def edition_free(self) -> str:
        """Number with part, without year or amendment: GB/T 5606.1."""
        return self.series + (f".{self.part}" if self.part else "")

    @property
    def canonical(self) -> str:
        text = self.edition_free
        if self.year is not None:
            text += f"-{self.year}"
        if self.amendment is not None:
            text += f"/XG{self.amendment}"
            if self.amendment_year is not None:
                text += f"-{self.amendment_year}"
        return text

    @property
    def key(self) -> str:
        """Lookup key: canonical, upper case, no spaces (DB23/T2419-2026)."""
        return number_key(self.canonical)

    @property
    def series_key(self) -> str:
        return number_key(self.series)

    @property
    def edition_free_key(self) -> str:
        return number_key(self.edition_free)

    def without_year(self) -> "StandardNumber":
        return replace(self, year=None, amendment=None, amendment_year=None)

    def __str__(self) -> str:
        return self.canonical

    def parts(self) -> dict:
        """Structured parts, as JSON output shows them."""
        return {
            "canonical": self.canonical,
            "published": self.published or self.canonical,
            "prefix": self.prefix,
            "type": self.type,
            "level": self.level,
            "force": self.force,
            "region": self.region,
            "sector": self.sector,
            "organisation": self.organisation,
            "number": self.number,
            "part": self.part,
            "year": self.year,
            "amendment": self.amendment,
            "amendment_year": self.amendment_year,
        }


def number_key(text: str) -> str:
    """Upper case without spaces; the form every lookup key takes."""
    return re.sub(r"\s+", "", text).upper().replace("GBN", "GBn")


def prepare(text: str) -> str:
    """NFKC, dashes to "-", upper case (GBn kept), spaces only between two digits."""
    text = unicodedata.normalize("NFKC", text).translate(_DASH_TABLE).upper()
    text = re.sub(r"(?<=\d)\s+(?=\d)", "\x00", text)
    text = re.sub(r"\s+", "", text).replace("\x00", " ")
    return text


def _year(digits: str | None) -> int | None:
    if not digits:
        return None
    year = int(digits)
    if len(digits) == 2:
        year += 1900 if year >= 50 else 2000
    if not 1900 <= year <= 2099:
        raise NumberError(f"年份 {digits!r} 不合理")
    return year


def _cn_int(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + int(_CN_DIGITS[text[1]])
    return int("".join(_CN_DIGITS.get(c, "") for c in text.replace("十", "")) or 0)


def _from_match(m: re.Match, published: str) -> StandardNumber:
    g = m.groupdict()
    type_ = ""
    if g["group"]:
        prefix = "T/" + g["group"]
    elif g["enterprise"]:
        prefix = "Q/" + g["enterprise"]
    elif g["metro"]:
        prefix = g["metro"] + (f"({g['metro_loc']})" if g["metro_loc"] else "")
        if g["metro_loc"] and g["metro_loc"] not in REGION_ABBREVIATIONS:
            raise NumberError(f"{published!r} 中的地区 {g['metro_loc']!r} 无法识别")
    elif g["region"] is not None:
        region = g["region"]
        if region[:2] not in REGIONS:
            raise NumberError(f"{published!r} 中的地区代码 DB{region} 无法识别")
        prefix = "DB" + region
        type_ = "T" if (g["local_t"] or g["local_t2"]) else ""
    else:
        prefix = "GBn" if g["code"] == "GBN" else g["code"]
        type_ = g["type"] or g["type2"] or ""
    amendment = g["amend"] or g["amend_cn"]
    return StandardNumber(
        prefix=prefix,
        type=type_,
        number=g["number"],
        part=g["part"] or "",
        year=_year(g["year"]),
        amendment=_cn_int(amendment) if amendment else None,
        amendment_year=_year(g["amend_year"]),
        published=published.strip(),
    )


def parse(text: str) -> StandardNumber:
    """Parse one standard number in any published spelling; raise NumberError if it is not one."""
    if not text or not text.strip():
        raise NumberError("标准号为空")
    prepared = prepare(text)
    gsb = _GSB.fullmatch(prepared)
    if gsb:
        return StandardNumber(prefix="GSB", number=f"{gsb['cat']}-{gsb['seq']}",
                              year=_year(gsb["year"]), published=text.strip())
    m = _NUMBER.fullmatch(prepared)
    if m:
        return _from_match(m, text)
    raise NumberError(_diagnose(text, prepared))


def _diagnose(text: str, prepared: str) -> str:
    prefix = _PREFIX_ONLY.match(prepared)
    if not prefix:
        head = re.match(r"[A-Z/]+", prepared)
        if head:
            return f"不是标准号：{text.strip()!r}（无法识别的代号 {head.group().rstrip('/')!r}）"
        return f"不是标准号：{text.strip()!r}（标准号以 GB/T、DB11/T、T/CAS 等代号开头）"
    rest = prepared[prefix.end():]
    if not rest or not rest[0].isdigit():
        return f"不是标准号：{text.strip()!r}（{prefix.group()!r} 后缺少顺序号）"
    return f"不是标准号：{text.strip()!r}（代号后的 {rest!r} 无法识别）"


def try_parse(text: str) -> StandardNumber | None:
    try:
        return parse(text)
    except NumberError:
        return None


_LIST_LEAD = re.compile(r"^\s*(?:全部|部分)?(?:代替|替代|代|替)(?:标准)?(?:号)?[:：]?\s*")
_LIST_SPLIT = re.compile(r"\s*(?:[、，,；;\n]|\s和\s|及)\s*")
_NONE_WORDS = {"", "无", "-", "—", "/", "暂无", "NONE", "N/A"}


def parse_list(text: str | None) -> list[StandardNumber]:
    """Parse a list of numbers: "代替DB23/T 2419—2019", "A、B", "A，B", "A,B", one a line, or "无"."""
    if text is None:
        return []
    text = _LIST_LEAD.sub("", unicodedata.normalize("NFKC", text).strip())
    if text.upper() in _NONE_WORDS:
        return []
    items = [item for item in _LIST_SPLIT.split(text) if item.strip()]
    return [parse(_LIST_LEAD.sub("", item)) for item in items]


def canonical(text: str) -> str:
    """Shortcut: the canonical form of one published number."""
    return parse(text).canonical
