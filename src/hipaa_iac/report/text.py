"""Text report for terminals and CI logs: failures grouped by file, file:line, policy, citation, fix."""
from __future__ import annotations

from collections import defaultdict

_COLORS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m",
           "unknown": "\033[35m", "suppressed": "\033[2m", "ok": "\033[32m", "reset": "\033[0m", "bold": "\033[1m"}


def render(report: dict, policies: dict | None = None, color: bool = False, compact: bool = False,
           show_passed: bool = False) -> str:
    def c(name: str, text: str) -> str:
        return f"{_COLORS[name]}{text}{_COLORS['reset']}" if color else text

    out: list[str] = []
    by_file: dict[str, list[dict]] = defaultdict(list)
    shown = ("failed", "unknown", "suppressed") + (("passed",) if show_passed else ())
    for r in report["results"]:
        if r["status"] in shown:
            by_file[r["file"] or "(plan)"].append(r)
    for f in sorted(by_file):
        out.append(c("bold", f))
        for r in by_file[f]:
            loc = f"{f}:{r['line']}" if r["line"] else f
            st = r["status"]
            if st == "failed":
                tag = c(r["severity"], f"FAILED {r['severity'].upper():8}")
            elif st == "unknown":
                tag = c("unknown", "UNKNOWN         ")
            elif st == "suppressed":
                tag = c("suppressed", "SUPPRESSED      ")
            else:
                tag = c("ok", "PASSED          ")
            out.append(f"  {tag} {loc}  {r['policy_id']}  {r['resource']}")
            if compact:
                continue
            out.append(f"      {r['title']}")
            out.append(f"      {r['message']}")
            if st == "failed":
                out.append(f"      HIPAA {', '.join(r['hipaa'])} | NIST 800-171 {', '.join(r['nist_800_171'])}")
                out.append(f"      Fix: {r['remediation']}")
            if st == "suppressed" and r.get("suppression"):
                s = r["suppression"]
                extra = f" until {s['expires']}" if s.get("expires") else ""
                who = f" approved by {s['approved_by']}" if s.get("approved_by") else ""
                out.append(f"      Suppressed ({s['kind']}){who}{extra}: {s.get('reason') or ''}")
        out.append("")
    for e in report["errors"]:
        loc = f"{e['file']}:{e['line']}" if e.get("line") else e["file"]
        out.append(c("critical", "ERROR ") + f"{loc}: {e['message']}")
    for w in report.get("warnings", []):
        loc = f"{w['file']}:{w['line']}" if w.get("line") else w["file"]
        out.append(c("medium", "WARNING ") + f"{loc}: {w['message']}")
    s = report["summary"]
    if report["errors"] or report.get("warnings"):
        out.append("")
    verdict = "incomplete" if report["errors"] else ("failed" if s["failed"] else "passed")
    out.append(
        f"hipaa-iac: {s['failed']} failed, {s['passed']} passed, {s['unknown']} unknown, {s['suppressed']} suppressed, "
        f"{s['errors']} errors; {s['resources']} resources in {s['files']} files, {s['policies']} policies "
        f"-> {verdict}")
    return "\n".join(out) + "\n"
