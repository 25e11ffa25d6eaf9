"""The JSON text of an aws_iam_policy_document as the AWS provider writes it: Go's `json.MarshalIndent(doc,
"", "  ")` (`json`) or `json.Marshal(doc)` (`minified_json`), `<`, `>`, `&`, U+2028 and U+2029 escaped as Go
escapes them, unknown leaves kept in place as a `PartialJSON` (resolve/iam_document.py builds the document)."""
from __future__ import annotations

import json
from typing import Any

from ..model import Unknown


_ESC = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _str(s: str) -> str:
    # Go's encoder escapes these (as jsonencode does); other characters are written as UTF-8
    return "".join(_ESC.get(c, c) for c in json.dumps(s, ensure_ascii=False))


def _parts(v: Any, out: list, indent: int | None, level: int) -> None:
    """Go's json.Marshal / MarshalIndent(v, "", "  ") layout, unknown leaves kept as parts."""
    if isinstance(v, Unknown):
        out.append(v)
        return
    nl = "" if indent is None else "\n" + " " * (indent * (level + 1))
    end = "" if indent is None else "\n" + " " * (indent * level)
    colon = ":" if indent is None else ": "
    if isinstance(v, dict):
        if not v:
            out.append("{}")
            return
        out.append("{")
        for i, (k, x) in enumerate(v.items()):
            out.append(("," if i else "") + nl + _str(k) + colon)
            _parts(x, out, indent, level + 1)
        out.append(end + "}")
    elif isinstance(v, list):
        if not v:
            out.append("[]")
            return
        out.append("[")
        for i, x in enumerate(v):
            out.append(("," if i else "") + nl)
            _parts(x, out, indent, level + 1)
        out.append(end + "]")
    else:  # the document holds strings only, besides its structure
        out.append(_str(v if isinstance(v, str) else str(v)))


def encode(doc: dict, minified: bool = False, leaves: list | None = None) -> Any:
    from .functions import PartialJSON, merge_text
    parts: list = []
    _parts(doc, parts, None if minified else 2, 0)
    merged = merge_text(parts)
    unknowns = [p for p in merged if isinstance(p, Unknown)]
    if not unknowns:
        return "".join(merged)
    where, first = (leaves or [("the document", unknowns[0])])[0]
    refs = tuple(dict.fromkeys(r for u in unknowns for r in u.refs))
    return PartialJSON(f"aws_iam_policy_document: {where} is not known statically ({first.reason})", refs,
                       merged, doc)
