"""Evidence report for auditors: one self-contained HTML file (inline CSS and JS, no external URL).

Sections (stable ids for tests and auditors' tooling): #summary (with the verdict against the gate, the scan
date, repository and commit), #findings (every failed result, flat), #unknowns (every unknown result with its
reason), #hipaa-matrix, #nist-matrix, #waivers, #coverage, #findings-errors, #policies. Only the policies of
the clouds present in the scan are shown (a scan of AWS code lists no Azure policy with zero results). The
page fits a phone's width (wide tables scroll inside their own box) and prints with a page break before
each major section. Reporters never evaluate: every number here is counted from `report`.
The wording is "supports evidence for", never a claim of compliance: a scan of infrastructure code is
one input to an assessment, not the assessment.
"""
from __future__ import annotations

import datetime as dt
import json
from html import escape
from typing import Any

from hipaa_iac.controls import load_controls, sort_key

from hipaa_iac.vocab import SEVERITIES, STATUSES, STATUSES_WORST_FIRST  # noqa: E402,F401
EXPIRING_DAYS = 30


def e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


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


def _location(r: dict) -> str:
    file, line = r.get("file") or "", r.get("line")
    return f"{file}:{line}" if line is not None else file


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


def _expiry_state(expires: Any, today: dt.date) -> tuple[str, str]:
    if not expires:
        return "", "no expiry"
    try:
        day = dt.date.fromisoformat(str(expires)[:10])
    except ValueError:
        return "", str(expires)
    if day < today:
        return "expired", f"{day.isoformat()} (expired)"
    if (day - today).days <= EXPIRING_DAYS:
        return "expiring", f"{day.isoformat()} (expires within {EXPIRING_DAYS} days)"
    return "", day.isoformat()


def _waivers(results: list[dict], warnings: list[dict], today: dt.date) -> str:
    expired_warnings = [w for w in warnings if "expired" in str(w.get("message", "")).lower()]
    expired_sources = {f"{w.get('file')}:{w.get('line')}" for w in expired_warnings}
    rows = []
    for r in results:
        sup = r.get("suppression")
        if r.get("status") != "suppressed" and not sup:
            continue
        sup = sup or {}
        cls, expires = _expiry_state(sup.get("expires"), today)
        if sup.get("source") in expired_sources:
            cls, expires = "expired", f"{sup.get('expires') or '-'} (reported expired)"
        rows.append(
            f'<tr class="waiver {cls}" data-policy="{e(r.get("policy_id"))}"'
            f' data-resource="{e(r.get("resource"))}">'
            f'<td><code class="pid">{e(r.get("policy_id"))}</code></td>'
            f'<td><code class="res">{e(r.get("resource"))}</code>'
            f'<br><code class="loc">{e(_location(r))}</code></td><td>{e(sup.get("kind") or "-")}</td>'
            f'<td>{e(sup.get("reason") or "-")}</td><td>{e(sup.get("approved_by") or "-")}</td>'
            f'<td>{e(sup.get("ticket") or "-")}</td><td class="expires">{e(expires)}</td>'
            f'<td><code>{e(sup.get("source") or "-")}</code></td></tr>')
    for w in expired_warnings:
        rows.append(
            f'<tr class="waiver expired reported" data-source="{e(w.get("file"))}:{e(w.get("line"))}">'
            f'<td colspan="3">no longer suppresses</td><td colspan="4">{e(w.get("message"))}</td>'
            f'<td><code>{e(_location(w))}</code></td></tr>')
    if not rows:
        rows.append('<tr class="empty"><td colspan="8">No exception, baseline entry or inline waiver '
                    'applied in this scan.</td></tr>')
    return ('<section id="waivers"><h2>Exceptions and inline waivers</h2>'
            '<p class="hint">Every result suppressed by an exceptions file entry, a baseline or an inline '
            f'comment, judged on {e(today.isoformat())}. Expired entries are highlighted; an expired '
            'exception no longer suppresses, and its finding is counted as failed.</p>'
            '<div class="scroll"><table class="waivers"><thead><tr><th>policy</th><th>resource</th><th>kind</th><th>reason</th>'
            '<th>approved by</th><th>ticket</th><th>expires</th><th>source</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _coverage(policies: dict[str, dict], hipaa: dict[str, dict]) -> str:
    mapped = {c for p in policies.values() for c in (p.get("hipaa") or [])}
    security = [c for c, v in hipaa.items() if v["rule"] == "security"]
    supported = [c for c in security if c in mapped]
    technical_gap = [c for c in security if hipaa[c]["technical"] and c not in mapped]
    process = [c for c in security if not hipaa[c]["technical"]]
    other = sorted((c for c in mapped if c not in security), key=lambda c: sort_key("hipaa", c))

    def items(cids: list[str], mark_mapped: bool = False) -> str:
        if not cids:
            return '<p class="muted">None.</p>'
        lis = []
        for c in cids:
            v = hipaa.get(c)
            note = f' <span class="muted">({e(v["note"])})</span>' if v and v.get("note") else ""
            also = (' <span class="badge b-partial">partly supported by this pack</span>'
                    if mark_mapped and c in mapped else "")
            title = v["title"] if v else "(not in the control catalogue)"
            lis.append(f'<li data-citation="{e(c)}"><code>{e(c)}</code> {e(title)}{note}{also}</li>')
        return f'<ul class="cols">{"".join(lis)}</ul>'

    return ('<section id="coverage"><h2>Coverage statement</h2>'
            f'<p>This policy pack supports evidence for <strong>{len(supported)}</strong> of the '
            f'<strong>{len(security)}</strong> HIPAA Security Rule standards and implementation specifications '
            '(45 CFR 164.308 to 164.316). A passed result shows that the scanned infrastructure code '
            'configures the safeguard as the policy describes; it says nothing about resources outside the '
            'scan, about what runs on them, or about the administrative and physical safeguards below.</p>'
            f'<h3>Supported by this pack ({len(supported)})</h3>{items(supported)}'
            f'<h3>Could be supported by infrastructure code, not checked by this pack ({len(technical_gap)})</h3>'
            '<p>Infrastructure code could support these, but no policy in this pack maps to them: collect '
            f'evidence another way.</p>{items(technical_gap)}'
            f'<h3>Needs process evidence outside infrastructure code ({len(process)})</h3>'
            '<p>Policies, procedures, contracts, training, risk analysis and physical controls: evidence for '
            f'these comes from the organization, not from this scan.</p>{items(process, mark_mapped=True)}'
            + (f'<h3>Other provisions cited by this pack ({len(other)})</h3>{items(other)}' if other else "")
            + '</section>')


def _problems(report: dict) -> str:
    def rows(entries: list[dict]) -> str:
        return "".join(f'<tr><td><code>{e(_location(x))}</code></td><td>{e(x.get("message"))}</td></tr>'
                       for x in entries)
    errors, warnings = report.get("errors") or [], report.get("warnings") or []
    parts = ['<section id="findings-errors"><h2>Errors and warnings</h2>']
    if not errors and not warnings:
        parts.append('<p class="muted">None: every input was read.</p>')
    if errors:
        parts.append(f'<h3>Errors ({len(errors)})</h3><div class="scroll"><table class="errors"><thead><tr>'
                     f'<th>file:line</th><th>message</th></tr></thead><tbody>{rows(errors)}</tbody></table></div>')
    if warnings:
        parts.append(f'<h3>Warnings ({len(warnings)})</h3><div class="scroll"><table class="warnings"><thead><tr>'
                     f'<th>file:line</th><th>message</th></tr></thead><tbody>{rows(warnings)}</tbody></table></div>')
    parts.append("</section>")
    return "".join(parts)


def _policy_index(policies: dict[str, dict]) -> str:
    rows = "".join(
        f'<tr data-policy="{e(pid)}"><td><code>{e(pid)}</code></td><td>{e(p.get("name"))}</td>'
        f'<td class="sev sev-{e(str(p.get("severity", "")).lower())}">{e(str(p.get("severity", "")).lower())}</td>'
        f'<td>{e(p.get("cloud"))}</td><td>{e(p.get("hipaa_category"))}</td>'
        f'<td>{e(", ".join(p.get("hipaa") or []))}</td><td>{e(", ".join(p.get("nist_800_171") or []))}</td>'
        f'<td><code>{e(p.get("guideline"))}</code></td></tr>'
        for pid, p in sorted(policies.items()))
    return ('<section id="policies"><h2>Policies in the pack</h2>'
            f'<details><summary>{len(policies)} policies</summary><div class="scroll"><table class="policies"><thead><tr>'
            '<th>id</th><th>title</th><th>severity</th><th>cloud</th><th>category</th><th>HIPAA</th>'
            f'<th>NIST SP 800-171 Rev. 2</th><th>documentation</th></tr></thead><tbody>{rows}</tbody></table></div>'
            '</details></section>')


def _footer(report: dict, controls: dict) -> str:
    tool = report.get("tool") or {}
    return (f'<footer>Generated by {e(tool.get("name", "hipaa-iac"))} {e(tool.get("version", ""))}, '
            f'report schema {e(report.get("schema_version", ""))}; control catalogue of '
            f'{e(controls["version"])} (45 CFR Part 164 Subpart C; NIST SP 800-171 rev2).</footer>')


def _script_json(data: Any) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' characters can close the element."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_CSS = """
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--alt:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;
--unk:#9a6700;--sup:#6e7781;--accent:#0550ae}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);
margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;border-bottom:2px solid var(--line);padding-bottom:4px;
margin-top:28px}h3{font-size:15px;margin:18px 0 6px}
.lede,.hint,.muted{color:var(--muted)}.hint{margin:4px 0 8px}
nav a{margin-right:10px;color:var(--accent)}nav button{font:inherit;margin-left:4px;padding:2px 8px;
border:1px solid var(--line);border-radius:4px;background:var(--alt);cursor:pointer}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid var(--line);padding:4px 6px;
vertical-align:top;text-align:left}thead th{background:var(--alt)}td.num{text-align:right;
font-variant-numeric:tabular-nums;width:5.5em}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}code.pid{white-space:nowrap;word-break:normal}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}.facts dt{font-weight:600}
.facts dd{margin:0}
.cards{display:flex;gap:8px;flex-wrap:wrap;margin:10px 0}.card{border:1px solid var(--line);border-radius:6px;
padding:6px 14px;min-width:100px;border-left-width:6px}.card .n{display:block;font-size:22px;font-weight:700}
.card .l{color:var(--muted)}.s-passed{border-left-color:var(--pass)}.s-failed{border-left-color:var(--fail)}
.s-unknown{border-left-color:var(--unk)}.s-suppressed{border-left-color:var(--sup)}.s-errors{border-left-color:#000}
table.by-severity{width:auto}table.by-severity caption{text-align:left;color:var(--muted);padding:4px 0}
.banner{padding:8px 12px;border-radius:6px}.incomplete{background:#fff8c5;border:1px solid #d4a72c}
.matrix tr.row-failed>th.cid{border-left:5px solid var(--fail)}.matrix tr.row-unknown>th.cid{border-left:5px solid var(--unk)}
.matrix tr.row-passed>th.cid{border-left:5px solid var(--pass)}.matrix tr.row-suppressed>th.cid{border-left:5px solid var(--sup)}
.matrix tr.row-none>th.cid{border-left:5px solid var(--line)}
.matrix>tbody>tr.row-failed+tr.drill>td:first-child{border-left:5px solid var(--fail)}
.matrix>tbody>tr.row-unknown+tr.drill>td:first-child{border-left:5px solid var(--unk)}
.matrix>tbody>tr.row-passed+tr.drill>td:first-child{border-left:5px solid var(--pass)}
.matrix>tbody>tr.row-suppressed+tr.drill>td:first-child{border-left:5px solid var(--sup)}
.matrix>tbody>tr.row-none+tr.drill>td:first-child{border-left:5px solid var(--line)}
.matrix>tbody>tr:not(.drill)>th,.matrix>tbody>tr:not(.drill)>td{border-bottom:0}
.c-failed{color:var(--fail);font-weight:600}.c-passed{color:var(--pass)}.c-unknown{color:var(--unk)}
td.zero{color:var(--muted);font-weight:400}th.cid{white-space:nowrap}.matrix td.title{min-width:14em}
.matrix>tbody>tr.drill>td{border-top:0;padding-top:0;padding-bottom:6px}
.matrix>tbody>tr.drill>td:first-child{border-right:0}.matrix>tbody>tr.drill>td+td{border-left:0}details summary{cursor:pointer;color:var(--accent);font-size:12px}
table.inner{font-size:12px;margin-top:4px}table.inner th,table.inner td{padding:2px 4px}
.badge{display:inline-block;border-radius:10px;padding:0 7px;font-size:11px;color:#fff;background:var(--sup)}
.b-passed{background:var(--pass)}.b-failed{background:var(--fail)}.b-unknown{background:var(--unk)}
.b-partial{background:var(--accent)}
.sev-critical{color:#8c0000;font-weight:700}.sev-high{color:var(--fail)}.sev-medium{color:var(--unk)}
.sev-low{color:var(--muted)}
tr.expired td{background:#ffebe9}tr.expired td.expires{color:var(--fail);font-weight:700}
tr.expiring td.expires{color:var(--unk);font-weight:600}
ul.cols{columns:2;column-gap:32px;padding-left:18px}ul.cols li{break-inside:avoid;margin-bottom:2px}
.scroll{overflow-x:auto;max-width:100%}
.verdict{padding:10px 14px;border-radius:6px;border:1px solid var(--line);border-left-width:8px;margin:10px 0}
.v-passed{border-left-color:var(--pass)}.v-failed{border-left-color:var(--fail)}.v-incomplete{border-left-color:#d4a72c}
ol.flat{padding-left:22px}ol.flat li{margin:0 0 10px;break-inside:avoid}ol.flat p{margin:1px 0}
.facts dd,.why,.fix,.where{overflow-wrap:anywhere}
@media (max-width:640px){
 body{padding:8px 10px}h1{font-size:18px}.facts{grid-template-columns:1fr}.facts dd{margin-bottom:4px}
 ul.cols{columns:1}.card{min-width:72px;padding:4px 8px}.matrix td.title{min-width:9em}
 nav a,nav button{display:inline-block;margin:2px 6px 2px 0}
}
footer{margin-top:32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media print{
 body{max-width:none;padding:0;font-size:10.5pt}.no-print,nav{display:none}
 h2{break-after:avoid}tr,li{break-inside:avoid}thead{display:table-header-group}
 #findings,#hipaa-matrix,#nist-matrix,#waivers,#coverage,#policies{break-before:page}
 .scroll{overflow:visible}.verdict{border-width:2px;border-left-width:8px}
 details>summary{list-style:none;color:var(--fg)}a{color:inherit;text-decoration:none}
 tr.expired td{background:none;border:2px solid var(--fail)}
 .badge{color:var(--fg);background:none;border:1px solid var(--fg)}
 @page{margin:14mm}
}
"""

_JS = """
(function(){
  function setAll(open){document.querySelectorAll('details').forEach(function(d){d.open=open;});}
  window.addEventListener('beforeprint',function(){setAll(true);});
  function download(){
    var data=JSON.parse(document.getElementById('report-data').textContent);
    var blob=new Blob([data.csv],{type:'text/csv'});
    var a=document.createElement('a');a.href=URL.createObjectURL(blob);a.download='hipaa-iac-results.csv';
    document.body.appendChild(a);a.click();a.remove();}
  document.querySelectorAll('button[data-action]').forEach(function(b){
    b.addEventListener('click',function(){var act=b.getAttribute('data-action');
      if(act==='expand')setAll(true);else if(act==='collapse')setAll(false);else if(act==='csv')download();});
  });
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
<script type="application/json" id="report-data">{data}</script>
<script>{js}</script>
</body>
</html>
"""
