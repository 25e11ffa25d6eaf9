"""Compiled data files (data/pack.json, data/eligible/*.json) written one record per line: containers down to
`depth` levels get one element per line, everything deeper is compact JSON. A policy added or changed is then a
one-line diff instead of a change to a single line of hundreds of kilobytes, and two branches that touch
different policies merge without a conflict. Readers use plain json.load."""
from __future__ import annotations

import json
from typing import Any


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def dumps_records(value: Any, depth: int, indent: int = 0) -> str:
    if depth <= 0 or not isinstance(value, (dict, list)) or not value:
        return _compact(value)
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(str(k))}:{dumps_records(value[k], depth - 1, indent + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + dumps_records(v, depth - 1, indent + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
