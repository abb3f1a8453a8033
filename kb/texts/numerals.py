"""Chinese numerals as they appear in clause labels: 第一百零三条, （十二）, 专栏六.

    >>> to_int("一百零三"), to_int("１０"), to_chinese(110)
    (103, 10, '一百一十')
"""
from __future__ import annotations

import unicodedata

DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
          "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
CHARS = "".join(DIGITS) + "".join(UNITS)
# A regex character class matching one numeral character, Chinese or Arabic (half and full width).
NUMERAL_CLASS = f"[{CHARS}0-9０-９]"


def to_int(text: str) -> int | None:
    """The value of a Chinese or Arabic numeral; None if `text` is not one."""
    text = unicodedata.normalize("NFKC", text.strip())
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if len(text) > 1 and not any(c in UNITS for c in text):
        return _digit_by_digit(text)
    total = section = 0
    digit: int | None = None
    for char in text:
        if char in DIGITS:
            if digit is not None and DIGITS[char] != 0:
                return None  # "一百二三" is not a numeral
            digit = DIGITS[char] or None  # 零 only separates: 一百零三
        elif char in UNITS:
            unit = UNITS[char]
            if unit == 10000:
                total = (total + section + (digit or 0)) * unit
                section, digit = 0, None
                continue
            section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


def _digit_by_digit(text: str) -> int | None:
    if all(c in DIGITS for c in text):
        return int("".join(str(DIGITS[c]) for c in text))
    return None


def to_chinese(number: int) -> str:
    """Canonical Chinese numeral: 10 → 十, 21 → 二十一, 105 → 一百零五, 110 → 一百一十."""
    if number < 0:
        raise ValueError("negative numeral")
    if number == 0:
        return "零"
    high, low = divmod(number, 10000)
    if not high:
        text = _below_10000(low)
        return text[1:] if text.startswith("一十") else text
    text = to_chinese(high) + "万"
    if low:
        text += ("零" if low < 1000 else "") + _below_10000(low)
    return text


def _below_10000(number: int) -> str:
    digits = "零一二三四五六七八九"
    parts: list[str] = []
    zero_pending = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, number = divmod(number, value)
        if digit:
            if zero_pending:
                parts.append("零")
                zero_pending = False
            parts.append(digits[digit] + unit)
        elif parts:
            zero_pending = True
        if not number:
            break
    return "".join(parts)
