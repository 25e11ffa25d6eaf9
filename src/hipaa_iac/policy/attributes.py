"""Reading a resource's attributes as a policy sees them: the values at a dotted path with `*` (every element
of a list of blocks), the first value not known statically inside a value, and whether an attribute counts as
set the way Terraform and the providers treat it. Used by policy/evaluate.py, partial.py and messages.py.
"""
from __future__ import annotations

from typing import Any

from ..model import Unknown, UnknownBlock

_MISSING = object()


_PARTS: dict[str, list[str]] = {}


def resolve_path(attrs: Any, path: str) -> list[tuple[str, Any]]:
    """All (concrete path, value) matches of a dotted path with `*` wildcards; value _MISSING when absent."""
    parts = _PARTS.get(path)
    if parts is None:
        parts = _PARTS[path] = path.split(".")
    out: list[tuple[str, Any]] = []

    def missing(concrete: list[str], rest: int) -> str:
        """The path of an absent value, down to the attribute asked for (`blob_properties.versioning_enabled`)."""
        return ".".join(concrete + [p for p in parts[rest:] if p != "*"])

    def walk(value: Any, i: int, concrete: list[str]) -> None:
        if isinstance(value, UnknownBlock):  # a dynamic block that may not exist at all
            out.append((".".join(concrete), value.unknown))
            return
        if i == len(parts):
            out.append((".".join(concrete), value))
            return
        if isinstance(value, Unknown):
            out.append((".".join(concrete), value))
            return
        part = parts[i]
        if isinstance(value, dict):
            if part == "*":
                walk(value, i + 1, concrete)  # the index-less form of a single block
            elif part in value:
                walk(value[part], i + 1, concrete + [part])
            else:
                out.append((missing(concrete + [part], i + 1), _MISSING))
        elif isinstance(value, list):
            if part == "*":
                if not value:
                    out.append((missing(concrete, i + 1), _MISSING))
                for j, v in enumerate(value):
                    walk(v, i + 1, concrete + [str(j)])
            elif part.isdigit():
                j = int(part)
                if j < len(value):
                    walk(value[j], i + 1, concrete + [part])
                else:
                    out.append((missing(concrete + [part], i + 1), _MISSING))
            elif len(value) == 1 and isinstance(value[0], dict):
                walk(value[0], i, concrete + ["0"])
            elif any(isinstance(v, Unknown) for v in value):
                out.append((".".join(concrete), next(v for v in value if isinstance(v, Unknown))))
            else:
                out.append((missing(concrete + [part], i + 1), _MISSING))
        else:
            out.append((missing(concrete + [part], i + 1), _MISSING))

    walk(attrs, 0, [])
    return out


def unknown_in(value: Any) -> Unknown | None:
    """The first Unknown inside a value (a dynamic block over an unknown collection counts), or None."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, UnknownBlock):
        return value.unknown
    if isinstance(value, dict):
        for v in value.values():
            u = unknown_in(v)
            if u is not None:
                return u
    elif isinstance(value, list):
        for v in value:
            u = unknown_in(v)
            if u is not None:
                return u
    return None


def _is_reference(u: Unknown) -> bool:
    """A reference to another resource's attribute (or a plan value computed from one): it is configured,
    only its value waits for apply."""
    return (u.ref_address is not None or u.reason == "known after apply"
            or u.reason.endswith(" is known only after apply"))


def is_set(v: Any, allowed_refs=None) -> "bool | Unknown":
    """Whether an attribute counts as set, as Terraform treats it: null, "" and empty collections are not set
    (providers read them as unset); an Unknown is set when it is a reference or a string with a known start,
    and otherwise stays unknown (a variable with no value, an absent optional() key, ...)."""
    if v is _MISSING or v is None:
        return False
    if isinstance(v, Unknown):
        if v.prefix or _is_reference(v):
            return True
        return v
    if isinstance(v, UnknownBlock):
        return v.unknown
    if isinstance(v, (str, list, dict)) and len(v) == 0:
        return False
    if isinstance(v, list) and all(isinstance(x, UnknownBlock) for x in v):
        return v[0].unknown
    return True
