"""Spelling variants of a standard number, as people type them.

    >>> sorted(spelling_variants("DB23/T 2419-2026"))[:3]
    ['canonical', 'dash U+002D', 'dash U+2010']
"""
from __future__ import annotations

import re

from kb.numbers import DASHES

_FULLWIDTH = str.maketrans({**{chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}, " ": "\u3000"})
_YEAR = re.compile(r"-(\d{4})$")


def spelling_variants(number: str) -> dict[str, str]:
    """name → spelling: full-width, each dash, spaces removed and added, lower case, no year."""
    variants = {
        "canonical": number,
        "fullwidth": number.translate(_FULLWIDTH),
        "no spaces": number.replace(" ", ""),
        "spaces added": re.sub(r"\s*([/-])\s*", r" \1 ", number).replace(" ", "  ", 1),
        "lower case": number.lower(),
        "lower, no spaces": number.lower().replace(" ", ""),
    }
    if _YEAR.search(number):
        for dash in "-" + DASHES:
            variants[f"dash U+{ord(dash):04X}"] = _YEAR.sub(dash + r"\1", number)
        variants["fullwidth, em dash"] = _YEAR.sub("—" + r"\1", number).translate(_FULLWIDTH)
        variants["no year"] = _YEAR.sub("", number)
        variants["no year, lower"] = _YEAR.sub("", number).lower()
    return variants
