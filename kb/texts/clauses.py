"""The clause tree: every citable part of a document, addressed by a stable path.

A `Clause` knows its parent and children by path; a `ClauseTree` keeps all clauses
in document order. Paths are unique within a document (see kb/texts/__init__.py for
the scheme); when a source numbers two parts alike, the second gets `#2`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator


@dataclass
class Clause:
    path: str  # stable address: 第十条, 八(一), 专栏6/3, 5.2.1, 附录A
    label: str  # the marker as printed: 第十条, (一), 专栏6, 5.2.1
    heading: str  # the clause's title, if it has one: 总则, 指导思想, 范围
    text: str  # body text (see ClauseTree.full_text for the text with descendants)
    kind: str  # chapter, article, paragraph, item, part, box, clause, term, annex …
    parent: str = ""  # parent path; "" for top-level clauses
    children: list[str] = field(default_factory=list)
    level: int = 1  # depth in the tree, 1 for top level
    refs: list[str] = field(default_factory=list)  # standard numbers cited here (canonical)

    def to_dict(self) -> dict:
        return {"path": self.path, "label": self.label, "heading": self.heading, "text": self.text,
                "kind": self.kind, "parent": self.parent, "children": list(self.children),
                "level": self.level, "refs": list(self.refs)}


class ClauseTree:
    """All clauses of one document, in document order."""

    def __init__(self) -> None:
        self.clauses: dict[str, Clause] = {}
        self.roots: list[str] = []

    def __len__(self) -> int:
        return len(self.clauses)

    def __iter__(self) -> Iterator[Clause]:
        return iter(self.clauses.values())

    def __contains__(self, path: str) -> bool:
        return path in self.clauses

    def get(self, path: str) -> Clause | None:
        return self.clauses.get(path)

    def add(self, path: str, label: str, kind: str, parent: Clause | None = None,
            heading: str = "", text: str = "") -> Clause:
        """Append a clause under `parent` (None: top level); duplicate paths get #2, #3 …"""
        unique = path
        count = 1
        while unique in self.clauses:
            count += 1
            unique = f"{path}#{count}"
        clause = Clause(path=unique, label=label, heading=heading, text=text, kind=kind,
                        parent=parent.path if parent else "",
                        level=parent.level + 1 if parent else 1)
        self.clauses[unique] = clause
        if parent is None:
            self.roots.append(unique)
        else:
            parent.children.append(unique)
        return clause

    def children(self, clause: Clause) -> list[Clause]:
        return [self.clauses[p] for p in clause.children]

    def descendants(self, clause: Clause) -> Iterator[Clause]:
        for child in self.children(clause):
            yield child
            yield from self.descendants(child)

    def of_kind(self, *kinds: str) -> list[Clause]:
        return [c for c in self.clauses.values() if c.kind in kinds]

    def full_text(self, clause: Clause) -> str:
        """The clause's heading and text followed by those of its descendants.

        Law articles already hold their paragraphs and items (which repeat them as
        children), so for those the text alone is the full text."""
        if clause.kind in REPEATED_BY_CHILDREN:
            return clause.text
        lines = [line for line in (clause.heading, clause.text) if line]
        for child in self.children(clause):
            lines.append(" ".join(p for p in (child.label, self.full_text(child)) if p))
        return "\n".join(lines)


# Kinds whose text already contains the text of their children (law citation units).
REPEATED_BY_CHILDREN = frozenset({"article", "paragraph"})


def append_text(clause: Clause, line: str) -> None:
    clause.text = f"{clause.text}\n{line}" if clause.text else line
