"""Watch lists: the standards a user follows, in <KB_HOME>/watch.json (user state, not corpus).

An item is one of
    number  a standard number in any spelling: "DB23/T 2419-2019" (that edition),
            "GB/T 5606.1" (every edition of that part)
    series  a number without part or year: "GB/T 5606" (every part, every edition)
    ccs     a CCS category: "K13" (records whose ccs list has it; "ccs:K" for a whole letter)
    term    words that must all appear in the title: "佳木斯大米"
The kind is recognised from the text; "ccs:…", "term:…", "number:…", "series:…" force it.

An item matches a change entry (kb.changes) or a record dict by its number, the numbers it
replaces or is replaced by, its ccs list and its title.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from filelock import FileLock, Timeout

from kb import numbers
from kb.errors import BadInput, KbError, Locked, NotFound
from kb.records import now_iso

WATCH_FILE = "watch.json"
KINDS = ("number", "series", "ccs", "term")
KIND_LABELS = {"number": "标准号", "series": "系列", "ccs": "中国标准分类号", "term": "标题词"}
_CCS = re.compile(r"[A-Z]\d{2}")


@lru_cache(maxsize=4096)
def _parsed(text: str) -> numbers.StandardNumber | None:
    return numbers.try_parse(text)


@dataclass(frozen=True)
class WatchItem:
    kind: str
    value: str  # canonical: a number, a series, a CCS code or the term as typed

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.value}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "kind_label": KIND_LABELS[self.kind]}

    def matches(self, entry: dict) -> bool:
        """Does a change entry or record dict (number, replaces, replaced_by, ccs, title) concern this item?"""
        if self.kind == "ccs":
            return any(str(code).strip().upper().startswith(self.value) for code in entry.get("ccs") or [])
        if self.kind == "term":
            title = str(entry.get("title") or "").casefold()
            return all(word in title for word in self.value.casefold().split())
        wanted = _parsed(self.value)
        for text in [entry.get("number") or "", *(entry.get("replaces") or []),
                     *(entry.get("replaced_by") or []), *(entry.get("other_numbers") or [])]:
            number = _parsed(str(text))
            if number is None:
                continue
            if self.kind == "series" and number.series_key == wanted.series_key:
                return True
            if self.kind == "number":
                if wanted.year is not None and number.key == wanted.key:
                    return True
                if wanted.year is None and number.edition_free_key == wanted.edition_free_key:
                    return True
        return False


def parse_item(text: str) -> WatchItem:
    """Recognise what a watch item is: number, series, CCS category or title term."""
    text = (text or "").strip()
    kind, _, rest = text.partition(":")
    if kind.lower() in KINDS and rest.strip():
        kind, text = kind.lower(), rest.strip()
    else:
        kind = ""
    if not text:
        raise BadInput("关注项为空：请给出标准号、系列、CCS 分类号（如 K13）或标题词")
    if kind == "ccs" or (not kind and _CCS.fullmatch(text.upper())):
        code = text.upper()
        if not re.fullmatch(r"[A-Z](\d{2})?", code):
            raise BadInput(f"{text!r} 不是 CCS 类目（如 K13，或一级类目字母如 K）")
        return WatchItem("ccs", code)
    if kind == "term":
        return WatchItem("term", " ".join(text.split()))
    number = numbers.try_parse(text)
    if number is None:
        if kind in ("number", "series"):
            numbers.parse(text)  # raises NumberError with the reason
        return WatchItem("term", " ".join(text.split()))
    if kind == "series" or (kind != "number" and number.year is None and not number.part):
        return WatchItem("series", number.series)
    return WatchItem("number", number.canonical if number.year is not None else number.edition_free)


class WatchList:
    """The items of one watch file. `add`/`remove` save atomically under a file lock."""

    def __init__(self, path: Path, items: list[WatchItem] | None = None):
        self.path = path
        self.items = list(items or [])

    @classmethod
    def load(cls, home: Path) -> "WatchList":
        path = home / WATCH_FILE
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            items = [WatchItem(str(i["kind"]), str(i["value"])) for i in data["items"]]
        except OSError as exc:
            raise KbError(f"无法读取关注列表 {path}：{exc.strerror}") from None
        except (ValueError, KeyError, TypeError):
            raise KbError(f"关注列表 {path} 格式不对；请修正或删除") from None
        bad = [i.label for i in items if i.kind not in KINDS]
        if bad:
            raise KbError(f"关注列表 {path} 中有无法识别的类型：{'、'.join(bad)}；请修正或删除")
        for item in items:  # a hand-edited value must be what its kind says
            try:
                valid = parse_item(item.label).kind == item.kind or item.kind == "term"
            except BadInput:
                valid = False
            if not valid:
                raise KbError(f"关注列表 {path} 中有无效的条目 {item.label[:60]!r}；请修正或删除")
        return cls(path, items)

    def matching(self, entry: dict) -> list[WatchItem]:
        return [item for item in self.items if item.matches(entry)]

    def to_dict(self) -> dict:
        return {"path": str(self.path), "items": [item.to_dict() for item in self.items]}

    def save(self) -> None:
        """Write to a temp file beside it, fsync, rename over it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": 1, "updated_at": now_iso(),
                "items": [{"kind": i.kind, "value": i.value} for i in self.items]}
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _locked(home: Path) -> FileLock:
    home.mkdir(parents=True, exist_ok=True)
    return FileLock(str(home / f".{WATCH_FILE}.lock"), timeout=10)


def change_watch(home: Path, action: str, texts: list[str]) -> dict:
    """`kb watch add|remove`: {"added"|"removed": [...], "unchanged": [...], "items": [...]}.
    Removing an item that is not watched raises NotFound (nothing is saved)."""
    if action not in ("add", "remove"):
        raise BadInput(f"无法识别的关注操作 {action!r}")
    wanted = [parse_item(text) for text in texts]
    try:
        with _locked(home):
            watch = WatchList.load(home)
            done, unchanged = [], []
            for item in wanted:
                present = item in watch.items
                if action == "add" and not present:
                    watch.items.append(item)
                    done.append(item)
                elif action == "remove" and present:
                    watch.items.remove(item)
                    done.append(item)
                else:
                    unchanged.append(item)
            if action == "remove" and unchanged:
                raise NotFound(f"不在关注列表中：{'、'.join(i.label for i in unchanged)}",
                               hint="`kb watch list` 列出关注的内容")
            if done:
                watch.save()
    except Timeout:
        raise Locked(f"另一个进程正在修改关注列表 {home / WATCH_FILE}") from None
    except OSError as exc:
        raise KbError(f"无法写入关注列表 {home / WATCH_FILE}：{exc.strerror or exc}") from None
    key = "added" if action == "add" else "removed"
    return {key: [i.to_dict() for i in done], "unchanged": [i.to_dict() for i in unchanged],
            **watch.to_dict()}
