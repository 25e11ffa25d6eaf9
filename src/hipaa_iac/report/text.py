"""Text report for terminals and CI logs: failures grouped by file, file:line, policy, citation, fix."""
from __future__ import annotations

from collections import defaultdict

from ..vocab import SEVERITIES

_COLORS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m",
           "unknown": "\033[35m", "suppressed": "\033[2m", "ok": "\033[32m", "reset": "\033[0m", "bold": "\033[1m"}


TAG_WIDTH = len("SUPPRESSED")  # FAILED, UNKNOWN, SUPPRESSED, PASSED padded to one column
SEV_WIDTH = max(len(s) for s in SEVERITIES)


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def summary_line(report: dict) -> str:
    """`hipaa-iac: 2 failed, ...; 12 resources in 1 file, 90 policies -> failed`."""
    s = report["summary"]
    verdict = "incomplete" if report["errors"] else ("failed" if s["failed"] else "passed")
    return (f"hipaa-iac: {s['failed']} failed, {s['passed']} passed, {s['unknown']} unknown, "
            f"{s['suppressed']} suppressed, {plural(s['errors'], 'error')}; {plural(s['resources'], 'resource')} "
            f"in {plural(s['files'], 'file')}, {plural(s['policies'], 'policy', 'policies')} -> {verdict}")


def render(report: dict, policies: dict | None = None, color: bool = False, compact: bool = False,
           show_passed: bool = False, quiet: bool = False) -> str:
    """quiet: failed results (one line each) and errors only, then the summary line."""
    def c(name: str, text: str) -> str:
        return f"{_COLORS[name]}{text}{_COLORS['reset']}" if color else text

    out: list[str] = []
    by_file: dict[str, list[dict]] = defaultdict(list)
    shown = ("failed",) if quiet else ("failed", "unknown", "suppressed") + (("passed",) if show_passed else ())
    compact = compact or quiet
    for r in report["results"]:
        if r["status"] in shown:
            by_file[r["file"] or "(plan)"].append(r)
    for f in sorted(by_file):
        out.append(c("bold", f))
        for r in by_file[f]:
            loc = f"{f}:{r['line']}" if r["line"] else f
            st = r["status"]
            if st == "failed":
                tag = c(r["severity"], f"{'FAILED':{TAG_WIDTH}} {r['severity'].upper():{SEV_WIDTH}}")
            else:
                name = {"unknown": "unknown", "suppressed": "suppressed"}.get(st, "ok")
                tag = c(name, f"{st.upper():{TAG_WIDTH}} {'':{SEV_WIDTH}}")
            out.append(f"  {tag} {loc}  {r['policy_id']}  {r['resource']}")
            if compact:
                continue
            out.append(f"      {r['title']}")
            out.append(f"      {r['message']}")
            if st == "failed":
                out.append(f"      HIPAA {', '.join(r['hipaa'])} | NIST SP 800-171 Rev. 2 {', '.join(r['nist_800_171'])}")
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
    for w in ([] if quiet else report.get("warnings", [])):
        loc = f"{w['file']}:{w['line']}" if w.get("line") else w["file"]
        out.append(c("medium", "WARNING ") + f"{loc}: {w['message']}")
    if report["errors"] or (report.get("warnings") and not quiet):
        out.append("")
    out.append(summary_line(report))
    return "\n".join(out) + "\n"
