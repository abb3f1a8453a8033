#!/usr/bin/env python3
"""`kb check` on hostile documents: peak memory and wall time per case, each a fresh process.

    .venv/bin/python bench/hostile_documents.py [--only NAME,NAME] [--keep DIR]

Builds each case in a temporary folder, runs `python -m cli --index IX check FILE --json`
(the index of the shipped corpus, built once first) and reads the child's peak RSS from
a small wrapper process (getrusage of its one child): Linux starts a forked child's peak RSS
at its parent's RSS, so the child must be forked from a small process, not from this one
(which builds the cases in a child of its own, `--build DIR`, and parses big JSON outputs). Prints one row a case: exit code, citations found (or the one error line), wall
seconds and peak RSS in MB, beside the baseline (a 1 KB document) and what issue 18's
red-team run reported for the code before the limits of kb/texts/limits.py.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MB = 1 << 20
PARA = ("本文件按照GB/T 1.1—2020的规则起草。大米应符合《地理标志产品 佳木斯大米》（DB23/T 2419-2019），"
        "种子园按DB23/T 012营建，电缆应符合 GB/T 5023.1-2008。\n")
BEFORE = {  # issue 18, measured on the code before this branch
    "docx_3gb_bomb": "12.7 GB RSS", "pdf_1gb_flate": "8.1 GB, > 400 s", "dev_zero": "hang / memory",
    "fifo": "hang", "text_4mb": "78 s", "docx_20000_styles": "261 s", "html_wrong_charset": "0 citations, exit 0",
    "file_1gb": "read whole (1 GB)",
}


def small_docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zeros_member(archive: zipfile.ZipFile, name: str, size: int) -> None:
    with archive.open(name, "w", force_zip64=True) as handle:
        block = bytes(MB)
        for _ in range(size // MB):
            handle.write(block)


def flate_pdf(inflated: int) -> bytes:
    compressor = zlib.compressobj(9)
    block = b" " * MB
    data = b"".join(compressor.compress(block) for _ in range(inflated // MB)) + compressor.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def build_cases(folder: Path) -> dict[str, Path]:
    cases: dict[str, Path] = {}

    def put(name: str, suffix: str, body: bytes) -> None:
        cases[name] = folder / f"{name}{suffix}"
        cases[name].write_bytes(body)

    put("baseline", ".txt", PARA.encode("utf-8") * 5)
    put("text_4mb", ".txt", PARA.encode("utf-8") * (4 * MB // len(PARA.encode("utf-8"))))
    cases["docx_3gb_bomb"] = folder / "docx_3gb_bomb.docx"
    cases["docx_3gb_bomb"].write_bytes(small_docx(["按 GB/T 1.1-2020。"]))
    with zipfile.ZipFile(cases["docx_3gb_bomb"], "a", zipfile.ZIP_DEFLATED) as archive:
        zeros_member(archive, "word/media/filler.xml", 3 * 1024 * MB)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(1000):
            zeros_member(archive, f"word/media/image{n}.bin", 10 * MB)
    put("zip_bomb_10gb", ".docx", buffer.getvalue())
    put("pdf_1gb_flate", ".pdf", flate_pdf(1024 * MB))
    cases["file_1gb"] = folder / "file_1gb.txt"
    with open(cases["file_1gb"], "wb") as handle:
        handle.truncate(1024 * MB)
    cases["dev_zero"] = Path("/dev/zero")
    cases["fifo"] = folder / "fifo.txt"
    os.mkfifo(cases["fifo"])
    source = zipfile.ZipFile(io.BytesIO(small_docx([PARA.strip()] * 200)))
    styles = "".join(f'<w:style w:type="paragraph" w:styleId="S{n}"><w:name w:val="synthetic {n}"/></w:style>'
                     for n in range(20_000))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/styles.xml":
                data = data.replace(b"</w:styles>", styles.encode() + b"</w:styles>")
            if info.filename == "word/document.xml":  # every paragraph in one of the styles
                data = data.replace(b"<w:p>", b'<w:p><w:pPr><w:pStyle w:val="S19999"/></w:pPr>')
            target.writestr(info.filename, data)
    put("docx_20000_styles", ".docx", out.getvalue())
    put("html_wrong_charset", ".html", ('<html><head><meta charset="iso-8859-1"></head><body><div class="content">'
                                       + "".join(f"<p>{PARA}</p>" for _ in range(5)) + "</div></body></html>").encode())
    put("html_20000_nested_divs", ".html", ('<html><body>' + '<div class="content">' * 20_000 + PARA
                                           + "</div>" * 20_000 + "</body></html>").encode())
    put("pdf_damaged", ".pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    put("docx_not_a_zip", ".docx", b"PK\x03\x04 not a zip at all")
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, "GB/T 1.1-2020")
    pdf.set_encryption(owner_password="owner", user_password="user", encryption_method=EncryptionMethod.RC4)
    put("pdf_encrypted", ".pdf", bytes(pdf.output()))
    return cases


_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[2:], timeout=float(sys.argv[1])).returncode
sys.stderr.write(f"\\nPEAK_RSS_KB {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n")
sys.exit(code)
"""


def run(args: list[str], timeout: float) -> tuple[int, float, float, str, str]:
    """(exit code, wall s, peak RSS MB, stdout, stderr) of one command, run under _MEASURE."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        code = subprocess.run([sys.executable, "-c", _MEASURE, str(timeout), *args], stdout=out, stderr=err,
                              cwd=ROOT).returncode
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode()
        stderr, _, peak = stderr.rpartition("\nPEAK_RSS_KB ")
        return code, wall, int(peak or 0) / 1024, out.read().decode(), stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.build:
        print(json.dumps({name: str(path) for name, path in build_cases(Path(options.build)).items()}))
        return
    with tempfile.TemporaryDirectory(prefix="kb-hostile-") as temp:
        folder = Path(temp)
        index = folder / "ix"
        code, wall, rss, _, err = run([sys.executable, "-m", "cli", "--index", str(index), "build", "--json"], 600)
        if code:
            sys.exit(f"index build failed: {err.strip()}")
        started = time.perf_counter()
        code, wall, rss, out, err = run([sys.executable, __file__, "--build", str(folder)], 1800)
        if code:
            sys.exit(f"building the cases failed: {err.strip()}")
        cases = {name: Path(path) for name, path in json.loads(out).items()}
        print(f"cases built in {time.perf_counter() - started:.1f} s; limits: file 64 MB, DOCX parts 256 MB "
              "(one XML part 64 MB), PDF streams 64 MB each / 256 MB together, text 4M characters")
        wanted = options.only.split(",") if options.only else list(cases)
        print(f"| case | file | exit | citations / error | wall s | peak RSS MB | before (issue 18) |")
        print("|---|---|---|---|---|---|---|")
        for name in wanted:
            path = cases[name]
            size = path.stat().st_size if path.is_file() else 0
            code, wall, rss, out, err = run([sys.executable, "-m", "cli", "--index", str(index), "check", str(path),
                                             "--json", "--fail-on", "none"], options.timeout)
            if out.strip().startswith("{"):
                report = json.loads(out)
                result = f"{len(report['citations'])} citations" + (f"; {report['errors'][0]}" if report["errors"] else "")
            else:
                result = err.strip().splitlines()[0] if err.strip() else "(no output)"
            result = result.replace(str(folder) + "/", "")
            shown = f"{size / MB:,.1f} MB" if size else "-"
            print(f"| {name} | {shown} | {code} | {result[:110]} | {wall:.1f} | {rss:.0f} | {BEFORE.get(name, '')} |",
                  flush=True)


if __name__ == "__main__":
    main()
