"""The evidence page's closing sections: #waivers (exceptions, baselines, inline waivers and their expiry),
#coverage (what this pack can and cannot support), #findings-errors, #policies and the footer."""
from __future__ import annotations

import datetime as dt
from typing import Any

from hipaa_iac.controls import sort_key
from hipaa_iac.report.html_page import e

EXPIRING_DAYS = 30


def _location(r: dict) -> str:
    file, line = r.get("file") or "", r.get("line")
    return f"{file}:{line}" if line is not None else file


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


