"""Size limits on input documents, so that no file can exhaust memory or hang a reader.

    body = read_file(Path("技术要求.pdf"))   # regular files only, at most MAX_FILE_BYTES
    check_pdf_streams(body, "技术要求.pdf")   # no flate stream inflates past its cap
    check_zip_sizes(archive, "技术要求.docx") # no zip bomb

Each refusal is a kb.errors.ParseError with one line saying what was too big and the limit.
"""
from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from pathlib import Path

from kb.errors import ParseError

MB = 1 << 20
MAX_FILE_BYTES = 64 * MB  # any input document
MAX_UNPACKED_BYTES = 256 * MB  # a DOCX's parts, together
MAX_PART_BYTES = 64 * MB  # one XML part of a DOCX
MAX_STREAM_BYTES = 64 * MB  # one inflated PDF stream
MAX_STREAMS_BYTES = 256 * MB  # all inflated PDF streams, together
MAX_TEXT_CHARS = 4_000_000  # extracted text of one document (about 2,000 pages)

_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
_CHUNK = 1 * MB


def _mb(size: int) -> str:
    return f"{size / MB:.0f} MB"


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Devices, FIFOs and sockets are
    refused before they are opened (opening a FIFO blocks; /dev/zero never ends)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise ParseError(f"无法读取 {path}：{exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ParseError(f"{path} 是目录")
    if not stat.S_ISREG(info.st_mode):
        raise ParseError(f"{path}：不是普通文件（设备、FIFO 或套接字）；请给出文档文件")
    if info.st_size > limit:
        raise ParseError(f"{path}：文件过大（{_mb(info.st_size)}；上限为 {_mb(limit)}）")
    try:
        with open(path, "rb") as handle:
            body = handle.read(limit + 1)
    except OSError as exc:
        raise ParseError(f"无法读取 {path}：{exc.strerror}") from None
    if len(body) > limit:  # grew after stat
        raise ParseError(f"{path}：文件过大（超过上限 {_mb(limit)}）")
    return body


def check_size(body: bytes, name: str, limit: int = MAX_FILE_BYTES) -> None:
    """Bytes handed over directly (a crawled page) obey the same file limit."""
    if len(body) > limit:
        raise ParseError(f"{name}：过大（{_mb(len(body))}；上限为 {_mb(limit)}）")


def check_zip_sizes(archive: zipfile.ZipFile, name: str) -> None:
    """A zip bomb is refused from its directory: the sizes its parts declare. Python's zipfile
    never inflates a part past its declared size, so these bounds hold for every read."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.filename.endswith(".xml") and info.file_size > MAX_PART_BYTES:
            raise ParseError(f"{name}：部件 {info.filename} 解压后为 {_mb(info.file_size)}"
                             f"（上限为 {_mb(MAX_PART_BYTES)}；是压缩炸弹？）")
    if total > MAX_UNPACKED_BYTES:
        raise ParseError(f"{name}：解压后为 {_mb(total)}（上限为 {_mb(MAX_UNPACKED_BYTES)}；是压缩炸弹？）")


def read_part(archive: zipfile.ZipFile, part: str, name: str) -> bytes:
    with archive.open(part) as handle:
        data = handle.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise ParseError(f"{name}：部件 {part} 解压后超过 {_mb(MAX_PART_BYTES)}（是压缩炸弹？）")
    return data


def check_pdf_streams(body: bytes, name: str) -> None:
    """Inflate every flate stream in chunks, keeping nothing, and refuse the PDF when one
    stream or all of them together inflate past the caps (pdfminer inflates each stream
    whole, in memory). Streams that are not zlib data (images, encrypted) are skipped."""
    total = 0
    for match in _STREAM_START.finditer(body):
        inflater = zlib.decompressobj()
        size, position = 0, match.end()
        end = body.find(b"endstream", position)
        end = len(body) if end < 0 else end
        try:
            pending = inflater.decompress(body[position:min(end, position + _CHUNK)], _CHUNK)
            position = min(end, position + _CHUNK)
            while True:
                size += len(pending)
                if size > MAX_STREAM_BYTES:
                    raise ParseError(f"{name}：一个 PDF 数据流解压后超过 {_mb(MAX_STREAM_BYTES)}"
                                     "（是解压炸弹？）")
                if inflater.eof:
                    break
                if inflater.unconsumed_tail:
                    pending = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
                elif position < end:
                    pending = inflater.decompress(body[position:min(end, position + _CHUNK)], _CHUNK)
                    position = min(end, position + _CHUNK)
                else:
                    break
        except zlib.error:
            pass
        total += size
        if total > MAX_STREAMS_BYTES:
            raise ParseError(f"{name}：PDF 的数据流解压后共超过 {_mb(MAX_STREAMS_BYTES)}"
                             "（是解压炸弹？）")


def check_text_size(text: str, name: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise ParseError(f"{name}：文字有 {len(text):,} 个字符（上限为 {MAX_TEXT_CHARS:,}）")
