"""JSON report (contract: schema_version 1, ../shared/DESIGN.md; schema in src/hipaa_iac/data/report.schema.json)."""
from __future__ import annotations

import json


def render(report: dict, policies: dict | None = None) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
