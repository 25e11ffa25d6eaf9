"""`hipaa-iac graph`: the resource graph as plain JSON, unknowns marked, sensitive values redacted."""
from __future__ import annotations

from typing import Any

from .graph import Graph
from .model import Resource, Unknown


def _plain(value: Any, path: str, sensitive: set[str]) -> Any:
    if path in sensitive:
        return {"sensitive": True}
    if isinstance(value, Unknown):
        return {"unknown": value.reason}
    if isinstance(value, dict):
        return {k: _plain(v, f"{path}.{k}" if path else k, sensitive) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, f"{path}.{i}", sensitive) for i, v in enumerate(value)]
    return value


def dump_resource(r: Resource) -> dict:
    sens = set(r.sensitive)
    return {"address": r.address, "mode": r.mode, "type": r.type, "name": r.name, "module": r.module,
            "file": r.file, "line": r.line, "end_line": r.end_line, "source": r.source, "parser": r.parser,
            "action": r.action, "attributes": _plain(r.attributes, "", sens), "lines": dict(sorted(r.lines.items())),
            "sensitive": sorted(sens)}


def dump(g: Graph) -> dict:
    return {"resources": [dump_resource(r) for r in sorted(g.resources, key=lambda r: (r.file or "", r.address))],
            "edges": [list(e) for e in g.edges()],
            "parsers": dict(sorted(g.parsers.items())),
            "errors": [e.as_dict() for e in g.errors], "warnings": [w.as_dict() for w in g.warnings]}
