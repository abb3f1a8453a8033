"""Real Chinese test documents: PDFs drawn with Debian's Noto Sans CJK font and DOCX files.

fpdf2 embeds Noto's CFF (OpenType) outlines with an embedded CMap that pdfminer cannot map
back to text, so the font is first cut down to the characters a test draws and converted
to TrueType outlines with fontTools (cu2qu), the way a TrueType CJK font would be embedded.
The font is looked up with fc-match (Chinese), then at Debian's paths; a machine without
it fails with the package to install.
"""
from __future__ import annotations

import hashlib
import io
import subprocess
import tempfile
from pathlib import Path

import pytest

DEBIAN_FONTS = [  # (path, collection index) of fonts-noto-cjk
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
]
MISSING = ("no CJK font found (fc-match :lang=zh-cn, /usr/share/fonts/opentype/noto): install Debian's "
           "fonts-noto-cjk (scripts/ensure-test-packages does, see README's test command)")


def cjk_font() -> tuple[str, int]:
    """(path, collection index) of a Chinese OpenType font on this machine."""
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}|%{index}", ":lang=zh-cn"], capture_output=True,
                               text=True, timeout=20).stdout
        path, _, index = found.partition("|")
        if "CJK" in path and Path(path).exists():
            return path, int(index or 0)
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    for path, index in DEBIAN_FONTS:
        if Path(path).exists():
            return path, index
    pytest.fail(MISSING)


def truetype_subset(text: str) -> Path:
    """A TrueType font holding the glyphs of `text`, cut from the CJK font (cached per text)."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    path, index = cjk_font()
    chars = "".join(sorted(set(text + "0123456789-")))
    target = Path(tempfile.gettempdir()) / f"kb-cjk-{hashlib.sha256((path + chars).encode()).hexdigest()[:16]}.ttf"
    if target.exists():
        return target
    font = TTFont(path, fontNumber=index, lazy=True)
    options = subset.Options()
    options.desubroutinize = True
    options.layout_features = []
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"], font["glyf"] = newTable("loca"), glyf
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion, maxp.numGlyphs = 0x00010000, len(order)
    for field in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxTwilightPoints",
                  "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                  "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"
    partial = target.with_suffix(".tmp")
    font.save(str(partial))
    partial.replace(target)
    return target


def build_pdf(pages: list[list], header: str = "", size: float = 10) -> bytes:
    """A PDF: each page a list of lines; a line is a string, or a list of (width mm, text)
    cells drawn side by side. `header` runs on top of every page, "- N -" at the foot."""
    from fpdf import FPDF

    def texts(line):
        return [line] if isinstance(line, str) else [text for _, text in line]

    every = header + "".join(t for page in pages for line in page for t in texts(line)) + "- "
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_font("CJK", fname=str(truetype_subset(every)))
    pdf.set_font("CJK", size=size)
    for number, page in enumerate(pages, 1):
        pdf.add_page()
        if header:
            pdf.cell(0, 7, header, new_x="LMARGIN", new_y="NEXT")
        for line in page:
            for width, text in ([(0, line)] if isinstance(line, str) else line):
                pdf.cell(width, 7, text)
            pdf.ln(7)
        pdf.set_y(-20)
        pdf.cell(0, 7, f"- {number} -", align="C")
    return bytes(pdf.output())


def build_docx(paragraphs: list, header: str = "") -> bytes:
    """A DOCX: a paragraph is a string (the first one a Heading 1), a list of strings (lines
    joined by line breaks; "\\f" before a line makes it a page break), or ("table", rows)."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    for index, item in enumerate(paragraphs):
        if isinstance(item, tuple):
            rows = item[1]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
        elif isinstance(item, str):
            document.add_heading(item, level=1) if index == 0 else document.add_paragraph(item)
        else:
            paragraph = document.add_paragraph()
            for n, line in enumerate(item):
                if n:
                    paragraph.add_run().add_break(WD_BREAK.PAGE if line.startswith("\f") else WD_BREAK.LINE)
                paragraph.add_run(line.lstrip("\f"))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
