"""Plan values: copied out of the document, the paths a marks tree (after_unknown, after_sensitive) sets, and
an Unknown put in place at such a path."""
from __future__ import annotations

from typing import Any, Iterable

from ..model import Unknown

def _copy(value: Any) -> Any:
    """Copy of a JSON value (so marking unknowns never changes the caller's document)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _true_paths(marks: Any, path: tuple = ()) -> Iterable[tuple]:
    """Paths of every `true` in a marks tree (after_unknown, sensitive_values, after_sensitive)."""
    if marks is True:
        yield path
    elif isinstance(marks, dict):
        for k, v in marks.items():
            yield from _true_paths(v, path + (k,))
    elif isinstance(marks, list):
        for i, v in enumerate(marks):
            yield from _true_paths(v, path + (i,))


def _set_unknown(attrs: dict, path: tuple, value: Unknown) -> bool:
    """Put `value` at `path` in attrs, creating missing containers. False when the path crosses a
    scalar (the marks do not match the values)."""
    cur: Any = attrs
    for i, step in enumerate(path[:-1]):
        nxt_is_index = isinstance(path[i + 1], int)
        if isinstance(step, int):
            if not isinstance(cur, list):
                return False
            while len(cur) <= step:
                cur.append(None)
            if cur[step] is None:
                cur[step] = [] if nxt_is_index else {}
            cur = cur[step]
        else:
            if not isinstance(cur, dict):
                return False
            if cur.get(step) is None:
                cur[step] = [] if nxt_is_index else {}
            cur = cur[step]
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(cur, list):
            return False
        while len(cur) <= last:
            cur.append(None)
        cur[last] = value
    else:
        if not isinstance(cur, dict):
            return False
        cur[last] = value
    return True


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)
