"""The suppression stage: every source applied to the results in place."""
from __future__ import annotations

import os

from ..model import ScanError
from .baseline import load_baseline
from .exceptions import ExceptionEntry, load_exceptions
from .inline import inline_waivers
from .match import SUPPRESSIBLE, _display, _relative_to, fingerprint


def apply_suppressions(results, graph, config, root, exceptions_path, baseline_path, today):
    """Mark suppressed results in place; return (errors, warnings)."""
    root = os.path.abspath(root or ".")
    max_days = int(getattr(config, "max_exception_days", 365) if config is not None else 365)
    errors: list[ScanError] = []
    warnings: list[ScanError] = []

    entries: list[ExceptionEntry] = []
    exc_base = root
    if exceptions_path:
        entries, e_err, e_warn = load_exceptions(exceptions_path, root, today, max_days)
        errors += e_err
        warnings += e_warn
        exc_base = os.path.dirname(os.path.abspath(exceptions_path))

    active, i_warn = inline_waivers(graph, config, today, max_days) if graph is not None else ({}, [])
    warnings += i_warn

    fps: set[str] = set()
    bl_base = root
    bl_shown = None
    if baseline_path:
        fps, bl_base, b_err = load_baseline(baseline_path, root)
        errors += b_err
        bl_shown = _display(baseline_path, root)

    for r in results:
        if r["status"] not in SUPPRESSIBLE:
            continue
        sup = None
        for e in entries:
            if e.matches(r, root, exc_base):
                e.matched = True
                if sup is None:
                    sup = e.suppression()
        if sup is None:
            w = active.get((r["resource"], r["policy_id"]))
            if w is not None:
                sup = w.suppression()
        if sup is None and fps:
            rel = _relative_to(root, r.get("file"), bl_base) or ""
            mroot = _relative_to(root, r.get("module_root") or ".", bl_base)
            if fingerprint(r["policy_id"], r["resource"], rel, mroot) in fps:
                sup = {"kind": "baseline", "reason": f"in baseline {bl_shown}", "approved_by": None,
                       "ticket": None, "expires": None, "source": bl_shown}
        if sup is not None:
            r["status"] = "suppressed"
            r["suppression"] = sup

    for e in entries:
        if not e.matched:
            warnings.append(ScanError(_display(exceptions_path, root), e.line,
                                      f"exception {e.number} matches nothing ({e.policy} on {e.resource})"))
    return errors, _unique(warnings)


def _unique(items: list[ScanError]) -> list[ScanError]:
    seen = set()
    out = []
    for w in items:
        key = (w.file, w.line, w.message)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out
