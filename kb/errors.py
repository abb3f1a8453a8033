"""One error hierarchy. cli.py turns each into one "错误：…" line (in Chinese) and its exit code."""
from __future__ import annotations


class KbError(Exception):
    """Base class: a failure the user can understand and act on."""

    exit_code = 1
    hint: str = ""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        if hint:
            self.hint = hint


class BadInput(KbError):
    """Malformed user input (a number, a query, an option value)."""

    exit_code = 2


class NumberError(BadInput):
    """A string that is not a standard number."""


class BadQuery(BadInput):
    """A search query that cannot be parsed."""


class NotFound(KbError):
    """Nothing in the knowledge base answers the request."""


class CorpusError(KbError):
    """A corpus file that cannot be read or written."""


class ParseError(KbError):
    """A page or file that a parser does not recognise."""


class FetchError(KbError):
    """A network fetch that failed after its retries."""


class Locked(KbError):
    """Another writer holds the index lock."""

    exit_code = 3


class IndexMissing(KbError):
    """The index does not exist or is corrupt."""

    exit_code = 4
    hint = "运行 `kb index rebuild`（或 `kb build`）"


class VersionMismatch(KbError):
    """The index was built by another schema or analyzer version."""

    exit_code = 5
    hint = "运行 `kb index rebuild`"


class ReportError(KbError):
    """A report file (XLSX, HTML, CSV) that cannot be written."""
