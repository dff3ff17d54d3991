"""The output cap: a result over ``CAL_MCP_MAX_OUTPUT_BYTES`` is trimmed inside, never replaced by nothing.

What goes, biggest first: items at the end of a list (a prefix stays, in order, at least one item)
and the tail of long strings. Values under ID keys (``id``, ``uid``, ``…Id``, ``…Uid``) are never
cut, so a write that created something still returns what it created. If that is not enough, only
the IDs are kept. The result's ``truncated`` note names every trimmed path and how much went.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Strings are cut to no fewer than this many characters before the fallbacks.
STRING_KEEP = 100
ELLIPSIS = "…"
# Trimmed paths named in the note; the rest are counted.
NOTE_PATHS = 8
ID_KEY = re.compile(r"^(id|uid|uuid|ID|UID|UUID)$|(Id|Uid|ID|UID|_id|_uid)$")
NOTE = (
    "Output capped at {limit} bytes; trimmed: {what}. IDs are kept whole. Ask for fewer at a time "
    "(take/limit and skip/offset, or narrower filters such as dates or status), or fetch one item by its ID, "
    "to see the rest."
)

Path = tuple[str | int, ...]


def is_id_key(key: Any) -> bool:
    return isinstance(key, str) and bool(ID_KEY.search(key))


def dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _size(value: Any) -> int:
    return len(dump(value).encode())


def _path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text if len(text) <= 80 else text[:79] + ELLIPSIS


class _Trimmer:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.lists: dict[Path, int] = {}  # path -> original length
        self.strings: dict[Path, int] = {}  # path -> original length in characters
        self.ids_only = False

    def candidates(self) -> list[tuple[int, Path, Any, str | int]]:
        """(bytes that could go, path, parent, key) for every list of 2+ items and every long string, biggest first."""
        found: list[tuple[int, Path, Any, str | int]] = []
        stack: list[tuple[Any, Path, Any, str | int]] = [(self.payload["data"], ("data",), self.payload, "data")]
        while stack:
            value, path, parent, key = stack.pop()
            if isinstance(value, dict):
                stack.extend(
                    (child, (*path, name), value, name) for name, child in value.items()
                    if isinstance(child, dict | list) or (isinstance(child, str) and not is_id_key(name))
                )
            elif isinstance(value, list):
                if len(value) > 1:
                    found.append((_size(value) * (len(value) - 1) // len(value), path, parent, key))
                stack.extend(
                    (child, (*path, index), value, index) for index, child in enumerate(value)
                    if isinstance(child, dict | list | str)
                )
            elif isinstance(value, str) and len(value) > STRING_KEEP + len(ELLIPSIS):
                found.append((len(value[STRING_KEEP:].encode()), path, parent, key))
        found.sort(key=lambda c: c[0], reverse=True)
        return found

    def trim_top_list(self, target: int, size: int) -> None:
        """The common case cheaply: a page of items is most of the payload, so keep a prefix of it first.

        (The general search below dumps every list it finds, which is slow on a page of thousands.)
        Only replaces the list by a slice, so the payload may still share its items with Cal's body.
        """
        data = self.payload["data"]
        if size <= target:
            return
        if isinstance(data, list):
            if len(data) > 1:
                self._trim(("data",), self.payload, "data", size - target, before=size)
            return
        if isinstance(data, dict):
            sized = [(_size(v), k) for k, v in data.items() if isinstance(v, list) and len(v) > 1]
            if sized:
                biggest, key = max(sized, key=lambda s: s[0])
                if biggest * 2 >= size:
                    self._trim(("data", key), data, key, size - target, before=biggest)

    def shrink(self, target: int) -> bool:
        """Trim until the payload is at most ``target`` bytes; False when lists and strings cannot go further."""
        for _ in range(100):
            excess = _size(self.payload) - target
            if excess <= 0:
                return True
            candidates = self.candidates()
            if not candidates:
                return False
            for _droppable, path, parent, key in candidates:
                if excess <= 0:
                    break
                excess -= self._trim(path, parent, key, excess)
        return _size(self.payload) <= target

    def _trim(self, path: Path, parent: Any, key: str | int, excess: int, before: int | None = None) -> int:
        """Trim one list or string by about ``excess`` bytes; return the bytes saved."""
        value = parent[key]
        before = _size(value) if before is None else before
        if isinstance(value, list):
            # Items are assumed of average size; a miss is corrected by the next pass.
            keep = int((before - excess) * len(value) / before * 0.98)
            self.lists.setdefault(path, len(value))
            parent[key] = value[: max(1, min(len(value) - 1, keep))]
        else:
            keep = len(value) - excess - len(ELLIPSIS.encode())
            self.strings.setdefault(path, len(value))
            parent[key] = value[: max(STRING_KEEP, min(len(value) - 2, keep))] + ELLIPSIS
        return before - _size(parent[key])

    def keep_only_ids(self) -> None:
        def project(value: Any) -> Any:
            if isinstance(value, dict):
                out = {}
                for key, child in value.items():
                    if isinstance(child, dict | list):
                        inner = project(child)
                        if inner:
                            out[key] = inner
                    elif is_id_key(key):
                        out[key] = child
                return out
            if isinstance(value, list):
                return [p for p in (project(v) for v in value) if p not in ({}, [])]
            return value

        data = self.payload["data"]
        self.payload["data"] = project(data) if isinstance(data, dict | list) else data
        self.ids_only = True

    def exists(self, path: Path) -> bool:
        value: Any = self.payload
        for part in path:
            in_dict = isinstance(value, dict) and part in value
            if not in_dict and not (isinstance(value, list) and isinstance(part, int) and part < len(value)):
                return False
            value = value[part]
        return True

    def note(self, limit: int) -> str:
        parts = [
            f"{_path_text(p)} (kept {len(self._at(p))} of {total} items)" for p, total in self.lists.items()
            if self.exists(p)
        ]
        parts += [
            f"{_path_text(p)} (cut from {total} characters)" for p, total in self.strings.items() if self.exists(p)
        ]
        if self.ids_only:
            parts.insert(0, "every field except IDs")
        if self.payload.get("data") is None and (self.lists or self.strings or self.ids_only):
            parts = ["all of data"]
        if len(parts) > NOTE_PATHS:
            parts = [*parts[:NOTE_PATHS], f"{len(parts) - NOTE_PATHS} more"]
        return NOTE.format(limit=limit, what="; ".join(parts) or "data")

    def _at(self, path: Path) -> Any:
        value: Any = self.payload
        for part in path:
            value = value[part]
        return value


def cap(payload: dict[str, Any], limit: int) -> tuple[dict[str, Any], str]:
    """``payload`` and its compact JSON, trimmed to at most ``limit`` bytes with a ``truncated`` note if needed."""
    text = dump(payload)
    if len(text.encode()) <= limit:
        return payload, text
    size = len(text.encode())
    reserve = 600
    work = {**payload}
    if isinstance(work["data"], dict):
        work["data"] = {**work["data"]}
    trimmer = _Trimmer(work)
    trimmer.trim_top_list(limit - reserve, size)
    trimmer.payload = json.loads(dump(trimmer.payload))  # a deep copy (now small) to trim in place
    for _ in range(20):
        fits = trimmer.shrink(limit - reserve)
        if not fits and not trimmer.ids_only:
            trimmer.keep_only_ids()
            fits = trimmer.shrink(limit - reserve)
        if not fits:
            trimmer.payload["data"] = None
        trimmed = {**trimmer.payload, "truncated": trimmer.note(limit)}
        text = dump(trimmed)
        overflow = len(text.encode()) - limit
        if overflow <= 0:
            return trimmed, text
        reserve += overflow
    trimmed = {"data": None, "truncated": NOTE.format(limit=limit, what="data")}
    return trimmed, dump(trimmed)
