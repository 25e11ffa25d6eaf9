"""The report contract (data/report.schema.json, schema_version 1): the report dict every reporter renders,
and the exit code it gives (0 passed, 1 a failed result at or above the threshold, 2 the analysis is incomplete).
"""
from __future__ import annotations

from .. import __version__
from ..vocab import NIST_REVISION  # not ..controls: that reads YAML, off the scan path
from ..graph import Graph
from ..model import ScanError

from ..vocab import SEVERITY_RANK as SEVERITY_ORDER  # noqa: E402  (its old name)
from ..vocab import STATUSES


def summarize(results: list[dict], graph: Graph, n_policies: int, errors: list) -> dict:
    counts = {s: 0 for s in STATUSES}
    for r in results:
        counts[r["status"]] += 1
    return {"files": graph.files_read, "resources": sum(1 for r in graph.resources if r.mode == "managed"),
            "policies": n_policies, **counts, "errors": len(errors)}


def build_report(results: list[dict], graph: Graph, policies: list, errors: list, warnings: list,
                 roots: list[str], scope: str) -> dict:
    return {
        "schema_version": 1,
        "tool": {"name": "hipaa-iac", "version": __version__, "nist_revision": NIST_REVISION},
        "scan": {"roots": roots, "policy_pack": __version__, "policies": len(policies), "scope": scope,
                 "generated_at": None},
        "summary": summarize(results, graph, len(policies), errors),
        "results": results,
        "errors": [e.as_dict() if isinstance(e, ScanError) else e for e in errors],
        "warnings": [w.as_dict() if isinstance(w, ScanError) else w for w in warnings],
    }


def exit_code(report: dict, threshold: str, unknown_mode: str, allow_parse_errors: bool = False) -> int:
    if report["errors"] and not allow_parse_errors:
        return 2
    t = SEVERITY_ORDER[threshold]
    for r in report["results"]:
        if SEVERITY_ORDER.get(r["severity"], 0) < t:
            continue
        if r["status"] == "failed" or (r["status"] == "unknown" and unknown_mode == "fail"):
            return 1
    return 0
