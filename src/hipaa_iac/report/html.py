"""Evidence report for auditors: one self-contained HTML file (inline CSS and JS, no external URL).

Sections (stable ids for tests and auditors' tooling): #summary (with the verdict against the gate, the scan
date, repository and commit), #findings (every failed result, flat), #unknowns (every unknown result with its
reason), #hipaa-matrix, #nist-matrix, #waivers, #coverage, #findings-errors, #policies. Only the policies of
the clouds present in the scan are shown (a scan of AWS code lists no Azure policy with zero results). The
page fits a phone's width (wide tables scroll inside their own box) and prints with a page break before
each major section. Reporters never evaluate: every number here is counted from `report`.
The wording is "supports evidence for", never a claim of compliance: a scan of infrastructure code is
one input to an assessment, not the assessment.

Layout: this module renders the page and its opening sections (summary, findings, matrices);
report/html_sections.py the closing ones; report/html_page.py holds escaping, style, script and template.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from hipaa_iac.controls import load_controls, sort_key
from hipaa_iac.report.html_page import _CSS, _JS, _PAGE, _script_json, e
from hipaa_iac.report.html_sections import (EXPIRING_DAYS, _coverage, _footer, _location, _policy_index, _problems,
                                           _waivers)
from hipaa_iac.vocab import SEVERITIES, STATUSES, STATUSES_WORST_FIRST  # noqa: F401

__all__ = ["EXPIRING_DAYS", "e", "present_clouds", "render", "verdict"]


def render(report: dict, policies: dict[str, dict], *, today: dt.date | None = None) -> str:
    """The HTML document. `today` judges waiver expiry; default: the scan date, else the current date."""
    scan = report.get("scan") or {}
    today = today or _scan_date(scan.get("generated_at")) or dt.date.today()
    results = list(report.get("results") or [])
    policies = present_clouds(policies, results)
    controls = load_controls()
    body = "\n".join([
        _header(report),
        _summary(report, results),
        _flat("findings", "Findings", [r for r in results if r.get("status") == "failed"],
              "Every failed result, most severe first: the resource, where it is written, what is wrong and the fix.",
              "No failed result in this scan."),
        _flat("unknowns", "Unknown results", [r for r in results if r.get("status") == "unknown"],
              "Results that could not be decided statically, with the reason. Scan with the real variables "
              "files or a plan to decide them.", "No unknown result in this scan."),
        _matrix("hipaa-matrix", "HIPAA Security Rule (45 CFR Part 164)", "hipaa", "data-citation",
                controls["hipaa"], results, policies),
        _matrix("nist-matrix", "NIST SP 800-171 rev2", "nist_800_171", "data-control",
                controls["nist_800_171"], results, policies),
        _waivers(results, report.get("warnings") or [], today),
        _coverage(policies, controls["hipaa"]),
        _problems(report),
        _policy_index(policies),
        _footer(report, controls),
    ])
    from hipaa_iac.report import csv_report  # the same CSV as `-f csv`, offered as a download

    data = {"csv": csv_report.render(report, policies)}
    return _PAGE.format(title=e(_title(report)), css=_CSS, body=body, js=_JS, data=_script_json(data))


# ---------------------------------------------------------------------------------------------- parts
CLOUD_PREFIXES = {"aws": ("aws_",), "azure": ("azurerm_", "azuread_", "azapi_"), "gcp": ("google_",)}


def present_clouds(policies: dict[str, dict], results: list[dict]) -> dict[str, dict]:
    """The policies of the clouds the scan has results or resources for (all of them when none is known)."""
    clouds = set()
    for r in results:
        pol = policies.get(r.get("policy_id")) or {}
        if pol.get("cloud"):
            clouds.add(pol["cloud"])
        rtype = str(r.get("resource_type") or "")
        clouds.update(c for c, prefixes in CLOUD_PREFIXES.items() if rtype.startswith(prefixes))
    if not clouds:
        return policies
    return {pid: p for pid, p in policies.items() if not p.get("cloud") or p.get("cloud") in clouds}


def _subject(report: dict) -> str:
    """What was scanned, for the title: the repository name (and the path inside it), else the roots' last
    path components; never a machine's absolute path."""
    scan = report.get("scan") or {}
    repo = scan.get("repository") or {}
    if repo.get("name"):
        path = repo.get("path")
        return repo["name"] + (f"/{path}" if path and path not in (".", "") and not path.startswith("..") else "")
    roots = [str(r).replace("\\", "/").rstrip("/") for r in scan.get("roots") or []]
    shown = [r.rsplit("/", 1)[-1] if r.startswith("/") or r[1:3] == ":/" else r for r in roots]
    return ", ".join(x for x in shown if x) or "scan"


def _title(report: dict) -> str:
    return "HIPAA safeguards evidence: " + _subject(report)


def verdict(report: dict) -> tuple[str, str]:
    """(passed | failed | incomplete, sentence) against the gate of the run that produced the report."""
    scan = report.get("scan") or {}
    gate = scan.get("gate") or {}
    summary = report.get("summary") or {}
    state = gate.get("verdict") or ("incomplete" if summary.get("errors") or report.get("errors")
                                    else "failed" if summary.get("failed") else "passed")
    threshold = gate.get("severity_threshold")
    rule = (f"findings of severity {threshold} or higher fail the scan"
            + ("; unknown results fail it too" if gate.get("unknown") == "fail" else "")) if threshold else \
        "the threshold of the run is not recorded in this report"
    text = {"passed": "Passed: no failed result at or above the threshold",
            "failed": "Failed: at least one failed result at or above the threshold",
            "incomplete": "Incomplete: some input could not be read or parsed, so no verdict is given"}[state]
    return state, f"{text} ({rule})."


def _scan_date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _header(report: dict) -> str:
    return (f'<header><h1>{e(_title(report))}</h1>'
            '<p class="lede">Evidence from a static scan of infrastructure code: which HIPAA Security Rule '
            'safeguards the scanned configuration supports, per citation, with every finding behind the '
            'numbers. It supports an assessment; it does not replace one.</p>'
            '<nav class="no-print"><a href="#summary">Summary</a> <a href="#findings">Findings</a> '
            '<a href="#unknowns">Unknown</a> <a href="#hipaa-matrix">HIPAA</a> '
            '<a href="#nist-matrix">NIST 800-171</a> <a href="#waivers">Waivers</a> '
            '<a href="#coverage">Coverage</a> <a href="#findings-errors">Errors</a> '
            '<button type="button" data-action="expand">Expand all</button> '
            '<button type="button" data-action="collapse">Collapse all</button> '
            '<button type="button" data-action="csv">Download results CSV</button></nav></header>')


def _summary(report: dict, results: list[dict]) -> str:
    tool = report.get("tool") or {}
    scan = report.get("scan") or {}
    summary = report.get("summary") or {}
    repo = scan.get("repository") or {}
    facts = [("Scan date", scan.get("generated_at") or "not recorded")]
    if repo.get("name"):
        facts.append(("Repository", repo["name"]))
        facts.append(("Commit", (repo.get("commit") or "unknown") + (f" (branch {repo['branch']})" if repo.get("branch") else "")))
    facts += [
        ("Scanned roots", ", ".join(map(str, scan.get("roots") or [])) or "-"),
        ("Tool", f"{tool.get('name', 'hipaa-iac')} {tool.get('version', '')}".strip()),
        ("Policy pack", f"{scan.get('policy_pack', '-')} ({scan.get('policies', '-')} policies)"),
        ("Scope", {"phi-path": "resources in the path of ePHI only"}.get(scan.get("scope"), "all resources")),
    ]
    facts += [("Files", summary.get("files", "-")), ("Resources", summary.get("resources", "-")),
              ("Policies evaluated", summary.get("policies", "-"))]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)
    cards = "".join(
        f'<div class="card s-{s}" data-status="{s}"><span class="n">{e(summary.get(s, 0))}</span>'
        f'<span class="l">{s}</span></div>' for s in (*STATUSES, "errors"))
    counts = {(sev, st): 0 for sev in SEVERITIES for st in STATUSES}
    for r in results:
        key = (str(r.get("severity", "")).lower(), r.get("status"))
        if key in counts:
            counts[key] += 1
    head = "".join(f"<th>{s}</th>" for s in STATUSES)
    rows = "".join(
        f'<tr data-severity="{sev}"><th class="sev sev-{sev}">{sev}</th>'
        + "".join(f'<td class="num" data-status="{st}">{counts[sev, st]}</td>' for st in STATUSES)
        + "</tr>" for sev in SEVERITIES)
    state, sentence = verdict(report)
    banner = f'<p class="verdict v-{state}" data-verdict="{state}"><strong>{e(sentence)}</strong></p>'
    if summary.get("errors") or report.get("errors"):
        banner += ('<p class="banner incomplete">The analysis is incomplete: some inputs could not be read '
                  'or parsed (see <a href="#findings-errors">errors</a>). Counts cover what was read.</p>')
    return (f'<section id="summary"><h2>Summary</h2>{banner}<dl class="facts">{dl}</dl>'
            f'<div class="cards">{cards}</div>'
            f'<div class="scroll"><table class="by-severity"><caption>Results by severity and status</caption>'
            f'<thead><tr><th>severity</th>{head}</tr></thead><tbody>{rows}</tbody></table></div></section>')


def _flat(section_id: str, heading: str, results: list[dict], hint: str, empty: str) -> str:
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    items = sorted(results, key=lambda r: (rank.get(str(r.get("severity", "")).lower(), 9), str(r.get("file")),
                                           r.get("line") or 0, str(r.get("policy_id")), str(r.get("resource"))))
    lis = []
    for r in items:
        fix = (f'<p class="fix"><strong>Fix:</strong> {e(r.get("remediation"))}</p>'
               if r.get("status") == "failed" and r.get("remediation") else "")
        lis.append(
            f'<li class="result st-{e(r.get("status"))}" data-policy="{e(r.get("policy_id"))}" '
            f'data-resource="{e(r.get("resource"))}"><p class="what"><span class="sev sev-{e(r.get("severity"))}">'
            f'{e(r.get("severity"))}</span> <code class="pid">{e(r.get("policy_id"))}</code> {e(r.get("title"))}</p>'
            f'<p class="where"><code class="res">{e(r.get("resource"))}</code> at <code class="loc">'
            f'{e(_location(r))}</code></p><p class="why">{e(r.get("message"))}</p>{fix}'
            f'<p class="cite muted">HIPAA {e(", ".join(r.get("hipaa") or []) or "-")}; NIST SP 800-171 Rev. 2 '
            f'{e(", ".join(r.get("nist_800_171") or []) or "-")}</p></li>')
    body = f'<ol class="flat">{"".join(lis)}</ol>' if lis else f'<p class="muted">{e(empty)}</p>'
    return (f'<section id="{section_id}"><h2>{e(heading)} ({len(items)})</h2><p class="hint">{e(hint)}</p>'
            f'{body}</section>')


def _matrix(section_id: str, heading: str, kind: str, attr: str, table: dict[str, dict],
            results: list[dict], policies: dict[str, dict]) -> str:
    supporting: dict[str, set[str]] = {}
    for pid, pol in policies.items():
        for cid in pol.get(kind) or []:
            supporting.setdefault(cid, set()).add(pid)
    findings: dict[str, list[dict]] = {}
    for r in results:
        cids = r.get(kind)
        if cids is None:
            cids = (policies.get(r.get("policy_id"), {}) or {}).get(kind) or []
        for cid in cids:
            findings.setdefault(cid, []).append(r)
    cited = sorted(set(supporting) | set(findings), key=lambda c: sort_key(kind, c))
    ncols = 8 if kind == "hipaa" else 7
    rows = []
    for cid in cited:
        entry = table.get(cid)
        rs = findings.get(cid, [])
        counts = {s: sum(1 for r in rs if r.get("status") == s) for s in STATUSES}
        state = next((s for s in STATUSES_WORST_FIRST if counts[s]), "none")
        title = entry["title"] if entry else "(not in the control catalogue)"
        if entry and entry.get("rule") == "privacy":
            title += " (Privacy Rule)"
        extra = ""
        if kind == "hipaa":
            kind_label = ("" if not entry else "standard" if entry["kind"] == "standard"
                          else {"R": "required", "A": "addressable"}[entry["ra"]])
            extra = f'<td class="ra">{kind_label}</td>'
        attrs = " ".join(f'data-{s}="{counts[s]}"' for s in STATUSES)
        rows.append(
            f'<tr class="row-{state}" {attr}="{e(cid)}" data-policies="{len(supporting.get(cid, ()))}"'
            f' {attrs}>'
            f'<th scope="row" class="cid">{e(cid)}</th><td class="title">{e(title)}</td>{extra}'
            f'<td class="num">{len(supporting.get(cid, ()))}</td>'
            + "".join(f'<td class="num c-{s}{" zero" if not counts[s] else ""}">{counts[s]}</td>'
                      for s in STATUSES)
            + f'</tr><tr class="drill" data-drill-for="{e(cid)}"><td></td><td colspan="{ncols - 1}">'
            f'{_drilldown(rs, sorted(supporting.get(cid, ())))}</td></tr>')
    ra_head = ('<th title="standard, or a required or addressable implementation specification">Type</th>'
               if kind == "hipaa" else "")
    label = "Citation" if kind == "hipaa" else "Requirement"
    if not rows:
        rows.append(f'<tr class="empty"><td colspan="{ncols}">No policy in this pack '
                    'maps to these controls.</td></tr>')
    return (f'<section id="{section_id}"><h2>{e(heading)}</h2>'
            '<p class="hint">One row per control that at least one policy in the pack maps to. Counts are '
            'results of this scan; open a row for the resources and source locations behind them.</p>'
            f'<div class="scroll"><table class="matrix"><thead><tr><th>{label}</th><th>Title</th>{ra_head}'
            '<th>Policies</th><th>Passed</th><th>Failed</th><th>Unknown</th><th>Suppressed</th>'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div></section>')


def _drilldown(results: list[dict], supporting: list[str]) -> str:
    if not results:
        return (f'<details><summary>0 results</summary><p class="muted">No resource in this scan was judged '
                f'by the supporting policies: {e(", ".join(supporting)) or "-"}.</p></details>')
    order = {s: i for i, s in enumerate(STATUSES_WORST_FIRST)}
    items = sorted(results, key=lambda r: (order.get(r.get("status"), 9), str(r.get("file")),
                                           r.get("line") or 0, str(r.get("policy_id")), str(r.get("resource"))))
    rows = "".join(
        f'<tr class="st-{e(r.get("status"))}"><td><span class="badge b-{e(r.get("status"))}">'
        f'{e(r.get("status"))}</span></td><td class="sev sev-{e(r.get("severity"))}">{e(r.get("severity"))}</td>'
        f'<td><code class="pid">{e(r.get("policy_id"))}</code></td>'
        f'<td><code class="res">{e(r.get("resource"))}</code></td>'
        f'<td><code class="loc">{e(_location(r))}</code></td><td>{e(r.get("message"))}</td></tr>'
        for r in items)
    return (f'<details><summary>{len(results)} result{"s" if len(results) != 1 else ""}</summary>'
            '<div class="scroll"><table class="inner"><thead><tr><th>status</th><th>severity</th><th>policy</th><th>resource</th>'
            f'<th>file:line</th><th>message</th></tr></thead><tbody>{rows}</tbody></table></div></details>')

