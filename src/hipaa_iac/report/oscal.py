"""OSCAL assessment results (JSON, OSCAL 1.1.3) for GRC tools: `hipaa-iac scan -f oscal`.

One `assessment-results` document with one `result` for the scan:

* `reviewed-controls`: every HIPAA Security Rule citation and NIST SP 800-171 rev2 requirement that the
  evaluated policies map to;
* `local-definitions.inventory-items`: one per scanned resource (address, type, file);
* `observations`: one per result (passed, failed, unknown, suppressed): what was examined (method TEST,
  a static test of the infrastructure code), the resource as its subject, the file and line as evidence;
* `findings`: one per result, its `target` the policy's first HIPAA citation with state `satisfied`
  (passed) or `not-satisfied` (failed: reason `fail`; unknown or suppressed: reason `other`, with the reason
  or the waiver in `remarks`), and props naming every HIPAA citation and NIST requirement of the policy.

OSCAL control ids are tokens (a letter first), so citations are written `hipaa-164.312-a-2-iv` and
`nist-800-171r2-3.13.16` (the original id is in the `label` prop of each reviewed control and in each
finding's props). UUIDs are version 5, derived from the scan and the result, so a report of the same input
at the same time (`SOURCE_DATE_EPOCH`) is byte-identical. Standard library only.
"""
from __future__ import annotations

import json
import re
import uuid

from hipaa_iac.report.links import PROJECT_URL, docs_base
from hipaa_iac.report.sarif import fingerprint, repo_path, resolve_prefix
from hipaa_iac.vocab import STATUSES

OSCAL_VERSION = "1.1.3"
NS = f"{PROJECT_URL}/ns/oscal"  # namespace of this tool's props
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, PROJECT_URL)
STATE = {"passed": ("satisfied", "pass"), "failed": ("not-satisfied", "fail"),
         "unknown": ("not-satisfied", "other"), "suppressed": ("not-satisfied", "other")}
_EPOCH = "1970-01-01T00:00:00Z"


def hipaa_token(cid: str) -> str:
    """`164.312(a)(2)(iv)` -> `hipaa-164.312-a-2-iv`."""
    return "hipaa-" + "-".join(p for p in re.split(r"[()\s]+", cid) if p)


def nist_token(cid: str) -> str:
    return "nist-800-171r2-" + re.sub(r"[^\w.\-]", "-", cid)


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_ROOT, "\x1f".join(str(p) for p in parts)))


def _s(value: object, fallback: str = "-") -> str:
    """A StringDatatype value: non-empty, no leading or trailing whitespace."""
    text = " ".join(str(value if value is not None else "").split())
    return text or fallback


def _prop(name: str, value: object) -> dict:
    return {"name": name, "ns": NS, "value": _s(value)}


# size: one OSCAL assessment-results document written top to bottom in the schema's nesting; split, it reads worse
def build(report: dict, policies: dict[str, dict]) -> dict:
    scan = report.get("scan") or {}
    tool = report.get("tool") or {}
    when = scan.get("generated_at") or _EPOCH
    repo = scan.get("repository") or {}
    prefix = resolve_prefix(report, None)
    results = list(report.get("results") or [])
    doc_id = _uuid("assessment-results", when, *(scan.get("roots") or []), repo.get("commit"))

    hipaa_ids, nist_ids = set(), set()
    for p in policies.values():
        hipaa_ids.update(p.get("hipaa") or [])
        nist_ids.update(p.get("nist_800_171") or [])
    for r in results:
        hipaa_ids.update(r.get("hipaa") or [])
        nist_ids.update(r.get("nist_800_171") or [])
    from hipaa_iac.controls import sort_key
    controls = [{"control-id": hipaa_token(c)} for c in sorted(hipaa_ids, key=lambda c: sort_key("hipaa", c))]
    controls += [{"control-id": nist_token(c)} for c in sorted(nist_ids, key=lambda c: sort_key("nist_800_171", c))]

    items: dict[str, dict] = {}
    observations, findings = [], []
    for r in results:
        address = str(r.get("resource") or "")
        item_id = _uuid(doc_id, "resource", address, r.get("file"))
        if item_id not in items:
            iprops = [_prop("resource-address", address), _prop("resource-type", r.get("resource_type"))]
            if r.get("file"):
                iprops.append(_prop("source-file", repo_path(str(r["file"]), prefix)))
            items[item_id] = {"uuid": item_id, "description": _s(f"Terraform resource {address}"),
                              "props": iprops}
        status = str(r.get("status"))
        fp = fingerprint(r)
        obs_id = _uuid(doc_id, "observation", fp)
        location = repo_path(str(r["file"]), prefix) if r.get("file") else None
        line = r.get("line")
        evidence = []
        if location:
            evidence.append({"href": location + (f"#L{line}" if isinstance(line, int) else ""),
                             "description": _s(f"{location}{':' + str(line) if isinstance(line, int) else ''}"
                                               f" ({status}): {r.get('message') or ''}")})
        obs = {"uuid": obs_id, "title": _s(f"{r.get('policy_id')} on {address}"),
               "description": _s(r.get("message") or r.get("title")),
               "props": [_prop("policy-id", r.get("policy_id")), _prop("result-status", status),
                         _prop("severity", r.get("severity"))],
               "methods": ["TEST"], "types": ["finding"],
               "subjects": [{"subject-uuid": item_id, "type": "inventory-item", "title": _s(address)}],
               "collected": when}
        if evidence:
            obs["relevant-evidence"] = evidence
        observations.append(obs)
        state, reason = STATE.get(status, ("not-satisfied", "other"))
        hipaa = list(r.get("hipaa") or [])
        nist = list(r.get("nist_800_171") or [])
        target_id = hipaa_token(hipaa[0]) if hipaa else (nist_token(nist[0]) if nist else "hipaa-unmapped")
        fprops = [_prop("policy-id", r.get("policy_id")), _prop("result-status", status),
                  _prop("severity", r.get("severity"))]
        fprops += [_prop("hipaa-citation", c) for c in hipaa]
        fprops += [_prop("nist-800-171-requirement", c) for c in nist]
        fprops += [_prop("control-id", hipaa_token(c)) for c in hipaa]
        fprops += [_prop("control-id", nist_token(c)) for c in nist]
        target: dict = {"type": "statement-id", "target-id": target_id,
                        "status": {"state": state, "reason": reason}}
        if status == "unknown":
            target["status"]["remarks"] = _s(r.get("message"))
        finding = {"uuid": _uuid(doc_id, "finding", fp), "title": _s(r.get("title") or r.get("policy_id")),
                   "description": _s(r.get("message") or r.get("title")), "props": fprops,
                   "links": [{"href": f"{docs_base()}{r.get('policy_id')}.md", "rel": "reference"}],
                   "target": target, "related-observations": [{"observation-uuid": obs_id}]}
        if status == "failed" and r.get("remediation"):
            finding["remarks"] = _s(f"Fix: {r['remediation']}")
        if status == "suppressed":
            sup = r.get("suppression") or {}
            finding["remarks"] = _s(f"Suppressed ({sup.get('kind') or 'waiver'}): {sup.get('reason') or ''}"
                                    + (f"; approved by {sup['approved_by']}" if sup.get("approved_by") else "")
                                    + (f"; expires {sup['expires']}" if sup.get("expires") else ""))
        findings.append(finding)

    gate = scan.get("gate") or {}
    summary = report.get("summary") or {}
    rprops = [_prop("tool", f"{tool.get('name') or 'hipaa-iac'} {tool.get('version') or ''}"),
              _prop("policy-pack", scan.get("policy_pack")), _prop("scope", scan.get("scope") or "all")]
    if gate.get("verdict"):
        rprops += [_prop("verdict", gate["verdict"]), _prop("severity-threshold", gate.get("severity_threshold"))]
    for k in ("files", "resources", "policies", *STATUSES, "errors"):
        rprops.append(_prop(f"count-{k}", summary.get(k, 0)))
    if repo.get("name"):
        rprops.append(_prop("repository", repo["name"]))
    if repo.get("commit"):
        rprops.append(_prop("commit", repo["commit"]))
    roots = ", ".join(map(str, scan.get("roots") or [])) or "."
    result: dict = {
        "uuid": _uuid(doc_id, "result"),
        "title": _s(f"Static scan of {repo.get('name') or roots}"),
        "description": _s(f"hipaa-iac evaluated {summary.get('policies', 0)} policies against "
                          f"{summary.get('resources', 0)} resources in {summary.get('files', 0)} files of {roots}. "
                          "A static scan of infrastructure code supports an assessment of HIPAA Security Rule "
                          "technical safeguards; it does not replace one."),
        "start": when, "end": when, "props": rprops,
        "reviewed-controls": {"control-selections": [
            {"description": "HIPAA Security Rule citations and NIST SP 800-171 rev2 requirements that the "
                            "evaluated policies map to.",
             **({"include-controls": controls} if controls else {"include-all": {}})}]},
    }
    if items:
        result["local-definitions"] = {"inventory-items": list(items.values())}
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    problems = list(report.get("errors") or [])
    if problems:
        result["remarks"] = _s("Incomplete analysis: " + "; ".join(
            f"{e.get('file')}{':' + str(e['line']) if e.get('line') else ''}: {e.get('message')}" for e in problems))
    return {"assessment-results": {
        "uuid": doc_id,
        "metadata": {"title": _s(f"hipaa-iac assessment results: {repo.get('name') or roots}"),
                     "last-modified": when, "version": _s(tool.get("version") or "0"),
                     "oscal-version": OSCAL_VERSION},
        "import-ap": {"href": f"{docs_base()}README.md",
                      "remarks": "No separate assessment plan: the plan is the hipaa-iac policy pack, whose "
                                 "policies and their control mappings are documented at this address."},
        "results": [result],
    }}


def render(report: dict, policies: dict[str, dict]) -> str:
    return json.dumps(build(report, policies), indent=2, ensure_ascii=False) + "\n"
