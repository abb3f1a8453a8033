"""Snippets: the matched words of a stored text marked <em>…</em>, the rest escaped.
One highlighter for both engines, over our own analyzer (index.analysis)."""
from __future__ import annotations

import html

from whoosh.highlight import ContextFragmenter, Formatter, get_text, highlight as whoosh_highlight


class EmFormatter(Formatter):
    """Marks matched terms as <em>…</em>; the terminal renderer turns them bold. The text's
    own HTML is escaped, so the only markup in a snippet is the highlights."""

    between = "…"

    def format_token(self, text, token, replace=False):
        return f"<em>{html.escape(get_text(text, token, replace), quote=False)}</em>"

    def _text(self, text):
        return html.escape(text, quote=False)


def plain_snippet(text: str) -> str:
    """A snippet without highlights, escaped like the highlighted ones."""
    return html.escape(text, quote=False)


_analyzers: dict = {}


def highlight(text: str, terms, maxchars: int, surround: int, subwords: bool = True) -> str:
    """The best fragments of `text` holding `terms` (analyzed tokens), or "" when none is there."""
    if not text or not terms:
        return ""
    if subwords not in _analyzers:
        from index.analysis import chinese_analyzer

        _analyzers[subwords] = chinese_analyzer(subwords=subwords)
    return whoosh_highlight(text, frozenset(terms), _analyzers[subwords],
                            ContextFragmenter(maxchars=maxchars, surround=surround), EmFormatter())
