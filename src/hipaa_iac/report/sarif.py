"""SARIF 2.1.0 reporter, shaped for GitHub code scanning.

``render(report, policies)`` turns the JSON report (DESIGN.md contract) into a SARIF log:

* one rule per policy that has a result in the log (sorted by id), from ``policies`` or, for an id
  ``policies`` lacks, a minimal rule from the result, so every result has a ``ruleIndex``; a rule's
  ``name`` is its title in PascalCase, ``helpUri`` its documentation page (see ``report/links.py``),
  its help the fix and citations (the description is in ``fullDescription`` only, said once);
* one result per failed, unknown and suppressed result (passed results are not emitted);
  failed: level by severity (critical/high ``error``, medium ``warning``, low ``note``);
  unknown: ``note`` with the reason; suppressed: level by severity plus ``suppressions``
  (inline comment ``inSource``; exception file or baseline ``external``);
* ``partialFingerprints["hipaaIac/v1"]`` = sha256 of ``policy_id|resource|file``: no line, so an
  alert survives edits above it;
* input errors and warnings as ``invocations[0]`` notifications.

Artifact URIs are relative to the repository root, which ``%SRCROOT%`` names (GitHub maps alerts to
files with them): ``file`` in the report is relative to the scan root, so the scan root's path inside
the repository (``scan.repository.path``) is prefixed; without a repository, the scan root when it is a
single relative directory (see :func:`scan_root_prefix`); or ``uri_prefix`` when given. A result
without a line (plan-only input) gets ``region.startLine`` 1, as GitHub requires a region.
Standard library only.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from hipaa_iac.report.links import PROJECT_URL, policy_doc_url

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "hipaaIac/v1"

SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SUPPRESSION_KIND = {"inline": "inSource", "exception": "external", "baseline": "external"}

_FILE_SUFFIXES = (".json", ".tf", ".tfvars", ".hcl", ".tf.json")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def scan_root_prefix(report: dict) -> str:
    """The repository-relative folder the report's ``file`` paths are relative to, with a trailing ``/``.

    Only a single relative directory root (``infra``, ``stacks/prod``) gives a prefix; ``.``, an
    absolute path, a path that climbs (``..``), a file root (plan ``.json``, ``.tf``) or several
    roots give ``""`` (the paths are then used as they are).
    """
    roots = (report.get("scan") or {}).get("roots") or []
    if len(roots) != 1 or not isinstance(roots[0], str):
        return ""
    root = roots[0].replace("\\", "/")
    if root.startswith("/") or _WINDOWS_DRIVE.match(root) or "://" in root:
        return ""
    parts = [p for p in root.split("/") if p not in ("", ".")]
    if not parts or ".." in parts or parts[-1].lower().endswith(_FILE_SUFFIXES):
        return ""
    return "/".join(parts) + "/"


def resolve_prefix(report: dict, uri_prefix: str | None) -> str:
    """``uri_prefix`` normalized (``"infra"`` -> ``"infra/"``), or derived from the report when None: the
    scan root's path in its repository, else :func:`scan_root_prefix`."""
    if uri_prefix is None:
        repo = (report.get("scan") or {}).get("repository") or {}
        path = repo.get("path") if isinstance(repo, dict) else None
        if isinstance(path, str) and not path.startswith("..") and not path.startswith("/"):
            uri_prefix = path
        else:
            return scan_root_prefix(report)
    parts = [p for p in uri_prefix.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts) + "/" if parts else ""


def repo_path(file: str, prefix: str) -> str:
    """``file`` (relative to the scan root) as a repository-relative POSIX path."""
    file = file.replace("\\", "/")
    if file.startswith("/") or _WINDOWS_DRIVE.match(file):
        return file
    while file.startswith("./"):
        file = file[2:]
    return prefix + file


def artifact_location(file: str, prefix: str) -> dict:
    """A SARIF ``artifactLocation``: percent-encoded relative URI under ``%SRCROOT%``, or a file URI."""
    path = repo_path(file, prefix)
    if path.startswith("/"):
        return {"uri": "file://" + quote(path, safe="/")}
    if _WINDOWS_DRIVE.match(path):
        return {"uri": "file:///" + quote(path, safe="/:")}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def fingerprint(result: dict) -> str:
    """Stable across runs and line moves: sha256 of ``policy_id|resource|file``, the resource qualified by
    its root module when that is not the scan root (the baseline's key: suppress.fingerprint)."""
    from hipaa_iac.suppress import fingerprint as key
    return key(result.get("policy_id", ""), result.get("resource", ""), result.get("file") or "",
               result.get("module_root"))


def _severity(value: object) -> str:
    sev = str(value or "").lower()
    return sev if sev in LEVEL else "medium"


def _valid_line(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def _policy_from_result(result: dict) -> dict:
    """A minimal policy entry for a result whose id is missing from ``policies``."""
    return {
        "id": result["policy_id"],
        "name": result.get("title") or result["policy_id"],
        "severity": result.get("severity") or "medium",
        "hipaa_category": result.get("hipaa_category"),
        "hipaa": result.get("hipaa") or [],
        "nist_800_171": result.get("nist_800_171") or [],
        "description": result.get("title") or "",
        "remediation": result.get("remediation") or "",
        "remediation_example": None,
        "guideline": None,
    }


def pascal_name(title: str, fallback: str) -> str:
    """``"S3 bucket not encrypted with a CMK"`` -> ``"S3BucketNotEncryptedWithACmk"``: SARIF's rule
    ``name``, an identifier distinct from the rule id."""
    words = [w for w in re.findall(r"[A-Za-z0-9]+", title or "") if w.lower() not in ("a", "an", "the")]
    # one capital per word, and never two capitals in a row (SARIF2012's Pascal-case check)
    name = "".join(w[:1].upper() + w[1:].lower() if len(w) > 1 or not w.isalpha() else w.lower() for w in words)
    if not name or not name[0].isalpha():
        name = "Hipaa" + name
    return name if name != fallback else name + "Rule"


def _help(policy: dict) -> tuple[str, str]:
    """(plain text, markdown) help for a rule: the fix, the citations and the documentation link; the
    description is in ``fullDescription`` and is not repeated."""
    hipaa = ", ".join(policy.get("hipaa") or []) or "none"
    nist = ", ".join(policy.get("nist_800_171") or []) or "none"
    remediation = (policy.get("remediation") or "").strip()
    example = policy.get("remediation_example")
    url = policy_doc_url(policy["id"])
    text = [f"HIPAA Security Rule (45 CFR): {hipaa}. NIST SP 800-171 rev2: {nist}."]
    md = [f"**HIPAA Security Rule (45 CFR):** {hipaa}  ", f"**NIST SP 800-171 rev2:** {nist}"]
    if remediation:
        text += [f"Fix: {remediation}"]
        md += ["", f"**Fix:** {remediation}"]
    if example:
        example = example.rstrip("\n")
        fence = "```"
        while fence in example:
            fence += "`"
        md += ["", f"{fence}hcl", example, fence]
    text += [f"Documentation: {url}"]
    md += ["", f"[Documentation]({url})"]
    return "\n".join(text).strip() + "\n", "\n".join(md).strip() + "\n"


def _rule(policy: dict) -> dict:
    severity = _severity(policy.get("severity"))
    name = policy.get("name") or policy["id"]
    text, markdown = _help(policy)
    tags = ["security", "hipaa"]
    tags += [f"HIPAA-{c}" for c in policy.get("hipaa") or []]
    tags += [f"NIST-800-171-{c}" for c in policy.get("nist_800_171") or []]
    if policy.get("hipaa_category"):
        tags.append(policy["hipaa_category"])
    rule: dict = {
        "id": policy["id"],
        "name": pascal_name(name, policy["id"]),
        "shortDescription": {"text": name},
        "fullDescription": {"text": (policy.get("description") or name).strip()},
        "help": {"text": text, "markdown": markdown},
        "helpUri": policy_doc_url(policy["id"]),
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[severity], "tags": tags, "precision": "high"},
    }
    return rule


def _location(file: str | None, line: object, end_line: object, prefix: str) -> dict | None:
    if not file:
        return None
    physical: dict = {"artifactLocation": artifact_location(file, prefix)}
    start = _valid_line(line)
    region = {"startLine": start or 1}  # GitHub requires a region; a plan-only result has no line
    end = _valid_line(end_line)
    if start is not None and end is not None and end >= start:
        region["endLine"] = end
    physical["region"] = region
    return {"physicalLocation": physical}


def _suppression(sup: dict | None) -> dict:
    sup = sup or {}
    out: dict = {"kind": SUPPRESSION_KIND.get(sup.get("kind") or "", "external"), "status": "accepted"}
    if sup.get("reason"):
        out["justification"] = sup["reason"]
    props = {"hipaaIacKind": sup.get("kind")}
    for key, prop in (("approved_by", "approvedBy"), ("ticket", "ticket"),
                      ("expires", "expires"), ("source", "source")):
        if sup.get(key):
            props[prop] = sup[key]
    out["properties"] = props
    return out


def _result(result: dict, rule_index: int, prefix: str) -> dict:
    status = result.get("status")
    severity = _severity(result.get("severity"))
    message = result.get("message") or result.get("title") or result["policy_id"]
    if status == "unknown":
        level = "note"
        message = f"Could not be decided statically: {message}"
    else:
        level = LEVEL[severity]
    out: dict = {
        "ruleId": result["policy_id"],
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": message},
    }
    location = _location(result.get("file"), result.get("line"), result.get("end_line"), prefix)
    location = location or {}
    if result.get("resource"):
        from hipaa_iac.suppress import qualified_address
        location["logicalLocations"] = [{"fullyQualifiedName": qualified_address(result["resource"],
                                                                                 result.get("module_root")),
                                         "kind": "resource"}]
    if location:
        out["locations"] = [location]
    out["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(result)}
    if status == "suppressed":
        out["suppressions"] = [_suppression(result.get("suppression"))]
    props: dict = {"status": status, "severity": severity}
    for key, prop in (("hipaa_category", "hipaaCategory"), ("resource_type", "resourceType"),
                      ("attribute", "attribute")):
        if result.get(key):
            props[prop] = result[key]
    out["properties"] = props
    return out


def _notification(entry: dict, level: str, prefix: str) -> dict:
    out: dict = {"level": level, "message": {"text": entry.get("message") or ""}}
    location = _location(entry.get("file"), entry.get("line"), None, prefix)
    if location:
        out["locations"] = [location]
    return out


def build(report: dict, policies: dict[str, dict], *, uri_prefix: str | None = None) -> dict:
    """The SARIF log as a dict (see :func:`render`)."""
    prefix = resolve_prefix(report, uri_prefix)
    results = [r for r in report.get("results") or [] if r.get("status") in ("failed", "unknown", "suppressed")]

    catalogue = {}
    for r in results:
        pid = r["policy_id"]
        if pid not in catalogue:
            catalogue[pid] = dict(policies[pid], id=pid) if pid in policies else _policy_from_result(r)
    ids = sorted(catalogue)
    index = {pid: i for i, pid in enumerate(ids)}

    tool = report.get("tool") or {}
    driver: dict = {"name": tool.get("name") or "hipaa-iac", "informationUri": PROJECT_URL}
    if tool.get("version"):
        driver["version"] = tool["version"]
        driver["semanticVersion"] = tool["version"]
    driver["rules"] = [_rule(catalogue[pid]) for pid in ids]

    errors = report.get("errors") or []
    warnings = report.get("warnings") or []
    invocation: dict = {"executionSuccessful": not errors}
    notifications = [_notification(e, "error", prefix) for e in errors]
    notifications += [_notification(w, "warning", prefix) for w in warnings]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications

    scan = report.get("scan") or {}
    run: dict = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The repository root; artifact URIs are relative to it."}},
        },
        "results": [_result(r, index[r["policy_id"]], prefix) for r in results],
        "properties": {
            "policyPack": scan.get("policy_pack"),
            "scope": scan.get("scope"),
            "summary": report.get("summary") or {},
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: dict, policies: dict[str, dict], *, uri_prefix: str | None = None) -> str:
    """Render ``report`` as a SARIF 2.1.0 document (JSON text ending in a newline).

    ``uri_prefix``: the scan root's path inside the repository; default derived from
    ``report["scan"]["roots"]`` by :func:`scan_root_prefix`; ``""`` uses ``file`` as it is.
    """
    return json.dumps(build(report, policies, uri_prefix=uri_prefix), indent=2, ensure_ascii=False) + "\n"
