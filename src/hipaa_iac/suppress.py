"""Suppressions: inline waivers, the exceptions file, baselines. (Being completed: issue 5.)"""
from __future__ import annotations

import json


def apply_suppressions(results, graph, config, root, exceptions_path, baseline_path, today):
    """Mark suppressed results in place; return (errors, warnings)."""
    return [], []


def write_baseline(path: str, report: dict) -> int:
    from .fsutil import atomic_write
    items = sorted({(r["policy_id"], r["resource"], r["file"] or "") for r in report["results"]
                    if r["status"] in ("failed", "unknown")})
    atomic_write(path, json.dumps({"version": 1, "findings": [
        {"policy_id": p, "resource": a, "file": f} for p, a, f in items]}, indent=2) + "\n")
    return len(items)
