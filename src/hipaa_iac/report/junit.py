"""JUnit XML reporter for CI test-report views (GitLab, Jenkins, Azure DevOps, GitHub test reporters).

``render(report, policies)`` gives one ``<testsuite>`` per policy that has results (sorted by id;
name ``"<id>: <title>"``) and one ``<testcase>`` per result (``classname`` = file, ``name`` =
resource address):

* failed: ``<failure message=... type=<severity>>`` with the citations and the remediation;
* suppressed: ``<skipped message="suppressed (<kind>): <reason>">`` with who approved it and until when;
* unknown: ``<skipped message="unknown: <reason>">`` (JUnit has no "undecided" outcome);
* passed: an empty testcase.

Input errors become a suite ``hipaa-iac.errors`` with one ``<error>`` per error. Warnings are not
part of JUnit output. Built with xml.etree, so text and attributes are escaped; characters XML 1.0
cannot carry are replaced by U+FFFD. Standard library only.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

ERRORS_SUITE = "hipaa-iac.errors"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(value: object) -> str:
    return _INVALID_XML.sub("\ufffd", str(value if value is not None else ""))


def _one_line(value: object) -> str:
    return " ".join(_x(value).split())


def _location(item: dict) -> str:
    line = item.get("line")
    return f"{item.get('file') or ''}:{line}" if line else str(item.get("file") or "")


def _failure_text(result: dict, policy: dict) -> str:
    lines = [
        result.get("message") or result.get("title") or "",
        "",
        f"Resource: {result.get('resource') or ''}",
        f"Location: {_location(result)}",
    ]
    if result.get("attribute"):
        lines.append(f"Attribute: {result['attribute']}")
    lines += [
        f"HIPAA Security Rule (45 CFR): {', '.join(result.get('hipaa') or []) or 'none'}",
        f"NIST SP 800-171 rev2: {', '.join(result.get('nist_800_171') or []) or 'none'}",
    ]
    remediation = result.get("remediation") or policy.get("remediation")
    if remediation:
        lines.append(f"Remediation: {remediation}")
    if policy.get("guideline"):
        lines.append(f"Guideline: {policy['guideline']}")
    return _x("\n".join(lines))


def _suppression_text(sup: dict) -> str:
    lines = [f"Kind: {sup.get('kind') or ''}", f"Reason: {sup.get('reason') or ''}"]
    for key, label in (("approved_by", "Approved by"), ("ticket", "Ticket"),
                       ("expires", "Expires"), ("source", "Source")):
        if sup.get(key):
            lines.append(f"{label}: {sup[key]}")
    return _x("\n".join(lines))


def _testcase(suite: ET.Element, result: dict, policy: dict) -> str:
    """Append the testcase; return its outcome (passed, failed or skipped)."""
    attrs = {"classname": _x(result.get("file") or ""), "name": _x(result.get("resource") or "")}
    if result.get("file"):
        attrs["file"] = _x(result["file"])
    if isinstance(result.get("line"), int) and result["line"] >= 1:
        attrs["line"] = str(result["line"])
    attrs["time"] = "0"
    case = ET.SubElement(suite, "testcase", attrs)
    status = result.get("status")
    if status == "failed":
        failure = ET.SubElement(case, "failure", {
            "message": _one_line(result.get("message") or result.get("title")),
            "type": _x(str(result.get("severity") or "").lower()),
        })
        failure.text = _failure_text(result, policy)
        return "failed"
    if status == "suppressed":
        sup = result.get("suppression") or {}
        skipped = ET.SubElement(case, "skipped", {
            "message": _one_line(f"suppressed ({sup.get('kind') or 'unknown kind'}): {sup.get('reason') or ''}"),
        })
        skipped.text = _suppression_text(sup)
        return "skipped"
    if status == "unknown":
        ET.SubElement(case, "skipped", {"message": _one_line(f"unknown: {result.get('message') or ''}")})
        return "skipped"
    return "passed"


def _suite(name: str) -> ET.Element:
    return ET.Element("testsuite", {"name": _x(name), "tests": "0", "failures": "0", "errors": "0",
                                    "skipped": "0", "time": "0"})


def _properties(suite: ET.Element, policy: dict, first: dict) -> None:
    props = ET.SubElement(suite, "properties")
    values = [
        ("severity", str(first.get("severity") or policy.get("severity") or "").lower()),
        ("hipaa_category", first.get("hipaa_category") or policy.get("hipaa_category") or ""),
        ("hipaa", ", ".join(first.get("hipaa") or policy.get("hipaa") or [])),
        ("nist_800_171", ", ".join(first.get("nist_800_171") or policy.get("nist_800_171") or [])),
    ]
    if policy.get("guideline"):
        values.append(("guideline", policy["guideline"]))
    for name, value in values:
        ET.SubElement(props, "property", {"name": name, "value": _x(value)})


def build(report: dict, policies: dict[str, dict]) -> ET.Element:
    """The ``<testsuites>`` element (see :func:`render`)."""
    root = ET.Element("testsuites", {"name": "hipaa-iac"})
    by_policy: dict[str, list[dict]] = {}
    for result in report.get("results") or []:
        by_policy.setdefault(result["policy_id"], []).append(result)

    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for pid in sorted(by_policy):
        results = by_policy[pid]
        policy = policies.get(pid) or {}
        title = results[0].get("title") or policy.get("name") or ""
        suite = _suite(f"{pid}: {title}" if title else pid)
        _properties(suite, policy, results[0])
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for result in results:
            outcome = _testcase(suite, result, policy)
            counts["tests"] += 1
            counts["failures"] += outcome == "failed"
            counts["skipped"] += outcome == "skipped"
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        root.append(suite)

    errors = report.get("errors") or []
    if errors:
        suite = _suite(ERRORS_SUITE)
        for entry in errors:
            case = ET.SubElement(suite, "testcase", {
                "classname": _x(entry.get("file") or ""), "name": _x(_location(entry) or "input"), "time": "0"})
            error = ET.SubElement(case, "error", {"message": _one_line(entry.get("message")), "type": "error"})
            error.text = _x(entry.get("message"))
        suite.set("tests", str(len(errors)))
        suite.set("errors", str(len(errors)))
        totals["tests"] += len(errors)
        totals["errors"] += len(errors)
        root.append(suite)

    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    return root


def render(report: dict, policies: dict[str, dict]) -> str:
    """Render ``report`` as a JUnit XML document (UTF-8 declaration, indented, ending in a newline)."""
    root = build(report, policies)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
