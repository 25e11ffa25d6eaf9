"""JSON report (contract: schema_version 1, ../shared/DESIGN.md; schema in src/hipaa_iac/data/report.schema.json)."""
from __future__ import annotations

import json


def render(report: dict, policies: dict | None = None) -> str:
    """Pretty at the top level, one result per line: readable, diff-friendly, and written by the C encoder
    (an indented dump of 10,000 results takes seconds in pure Python)."""
    enc = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
    out = ["{"]
    keys = list(report)
    for i, k in enumerate(keys):
        v = report[k]
        comma = "," if i < len(keys) - 1 else ""
        if isinstance(v, list) and v:
            items = ",\n".join("    " + enc.encode(x) for x in v)
            out.append(f"  {enc.encode(k)}: [\n{items}\n  ]{comma}")
        else:
            out.append(f"  {enc.encode(k)}: {enc.encode(v)}{comma}")
    out.append("}")
    return "\n".join(out) + "\n"
