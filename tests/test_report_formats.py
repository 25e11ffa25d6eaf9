"""Pull-request outputs: SARIF, Markdown, JUnit XML and CSV, on a hand-made report (tests/data/report_sample.json).

The sample covers every status, the three suppression kinds, an input error, a warning, a plan
result without a line, a path with a space, and cell text that needs escaping or neutralizing.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hipaa_iac.report import csv_report, junit, markdown, sarif

SAMPLE = Path(__file__).parent / "data" / "report_sample.json"
SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "shared/schemas/sarif-schema-2.1.0.json"
ROOT = "fixtures/stacks/aws-noncompliant/"


def _policy(pid, name, severity, hipaa_category, hipaa, nist, guideline=None, example=None):
    return {
        "id": pid, "name": name, "severity": severity, "category": "GENERAL_SECURITY",
        "hipaa_category": hipaa_category, "hipaa": hipaa, "nist_800_171": nist,
        "description": f"{name}. Test description.", "remediation": "Test remediation.",
        "remediation_example": example, "guideline": guideline or f"docs/policies/{pid}.md", "cloud": "aws",
    }


POLICIES = {p["id"]: p for p in [
    _policy("HIPAA_AWS_S3_001", "S3 bucket default encryption does not use a customer-managed KMS key", "HIGH",
            "encryption_at_rest", ["164.312(a)(2)(iv)", "164.310(d)(1)"], ["3.13.16", "3.13.11"],
            example='resource "aws_s3_bucket_server_side_encryption_configuration" "x" {\n  bucket = "b"\n}\n'),
    _policy("HIPAA_AWS_CLOUDTRAIL_001", "CloudTrail log file validation is disabled", "MEDIUM",
            "audit_logging", ["164.312(b)", "164.312(c)(1)"], ["3.3.1", "3.3.8"]),
    _policy("HIPAA_AWS_ELB_002", "Load balancer listener allows TLS versions below 1.2", "HIGH",
            "encryption_in_transit", ["164.312(e)(1)", "164.312(e)(2)(ii)"], ["3.13.8"],
            guideline="https://example.org/policies/HIPAA_AWS_ELB_002"),
    _policy("HIPAA_AWS_SAGEMAKER_001", "SageMaker notebook instance has direct internet access", "HIGH",
            "network_isolation", ["164.312(e)(1)"], ["3.13.1", "3.13.5"]),
    _policy("HIPAA_AWS_RDS_001", "RDS instance storage is not encrypted", "CRITICAL",
            "encryption_at_rest", ["164.312(a)(2)(iv)"], ["3.13.16"]),
    _policy("HIPAA_AWS_BACKUP_001", "Backup plan retains recovery points for fewer than 35 days", "LOW",
            "backup_recovery", ["164.308(a)(7)(ii)(A)"], ["3.8.9"]),
    _policy("HIPAA_AWS_KMS_001", "KMS key rotation is disabled", "MEDIUM",  # no results in the sample
            "key_management", ["164.312(a)(2)(iv)"], ["3.13.10"]),
]}


@pytest.fixture
def report() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- SARIF

def _run(report, **kw) -> dict:
    return json.loads(sarif.render(report, POLICIES, **kw))["runs"][0]


def test_sarif_validates_against_schema(report):
    jsonschema = pytest.importorskip("jsonschema")
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA}")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    doc = json.loads(sarif.render(report, POLICIES))
    jsonschema.Draft4Validator(schema).validate(doc)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == sarif.SARIF_SCHEMA_URI
    assert len(doc["runs"]) == 1
    # an empty report is valid too
    empty = dict(report, results=[], errors=[], warnings=[])
    jsonschema.Draft4Validator(schema).validate(json.loads(sarif.render(empty, {})))


def test_sarif_rules_one_per_policy_sorted(report):
    driver = _run(report)["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("hipaa-iac", "0.1.0")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(POLICIES)
    assert len(rules) == 7
    by_id = {r["id"]: r for r in rules}
    levels = {r["id"]: (r["defaultConfiguration"]["level"], r["properties"]["security-severity"]) for r in rules}
    assert levels == {
        "HIPAA_AWS_BACKUP_001": ("note", "3.0"),
        "HIPAA_AWS_CLOUDTRAIL_001": ("warning", "5.5"),
        "HIPAA_AWS_ELB_002": ("error", "8.0"),
        "HIPAA_AWS_KMS_001": ("warning", "5.5"),
        "HIPAA_AWS_RDS_001": ("error", "9.5"),
        "HIPAA_AWS_S3_001": ("error", "8.0"),
        "HIPAA_AWS_SAGEMAKER_001": ("error", "8.0"),
    }
    s3 = by_id["HIPAA_AWS_S3_001"]
    assert s3["name"] == "HIPAA_AWS_S3_001"
    assert s3["shortDescription"] == {"text": POLICIES["HIPAA_AWS_S3_001"]["name"]}
    assert s3["fullDescription"] == {"text": POLICIES["HIPAA_AWS_S3_001"]["description"]}
    assert s3["properties"] == {
        "security-severity": "8.0",
        "tags": ["security", "hipaa", "HIPAA-164.312(a)(2)(iv)", "HIPAA-164.310(d)(1)",
                 "NIST-800-171-3.13.16", "NIST-800-171-3.13.11", "encryption_at_rest"],
        "precision": "high",
    }
    for part in ("164.312(a)(2)(iv), 164.310(d)(1)", "3.13.16, 3.13.11", "Test remediation.",
                 'resource "aws_s3_bucket_server_side_encryption_configuration" "x" {'):
        assert part in s3["help"]["text"]
        assert part in s3["help"]["markdown"]
    assert "```hcl\n" in s3["help"]["markdown"]
    # helpUri only for an absolute http(s) guideline
    assert "helpUri" not in s3
    assert by_id["HIPAA_AWS_ELB_002"]["helpUri"] == "https://example.org/policies/HIPAA_AWS_ELB_002"
    assert [r["id"] for r in rules if "helpUri" in r] == ["HIPAA_AWS_ELB_002"]


def test_sarif_results_levels_and_suppressions(report):
    run = _run(report)
    rules = run["tool"]["driver"]["rules"]
    got = [
        (r["ruleId"], r["level"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
         [s["kind"] for s in r.get("suppressions", [])])
        for r in run["results"]
    ]
    assert got == [  # passed results are not emitted; report order kept
        ("HIPAA_AWS_S3_001", "error", "aws_s3_bucket_server_side_encryption_configuration.lake", []),
        ("HIPAA_AWS_CLOUDTRAIL_001", "warning", "aws_cloudtrail.org", []),
        ("HIPAA_AWS_ELB_002", "error", "aws_lb_listener.legacy", ["external"]),
        ("HIPAA_AWS_ELB_002", "error", "aws_lb_listener.api", []),
        ("HIPAA_AWS_CLOUDTRAIL_001", "warning", "aws_cloudtrail.legacy", ["external"]),
        ("HIPAA_AWS_SAGEMAKER_001", "error", "module.ml.aws_sagemaker_notebook_instance.train[0]", []),
        ("HIPAA_AWS_SAGEMAKER_001", "error", "module.ml.aws_sagemaker_notebook_instance.train[1]", []),
        ("HIPAA_AWS_RDS_001", "note", 'module.ml.aws_db_instance.features["eval"]', []),
        ("HIPAA_AWS_BACKUP_001", "note", "module.ml.aws_backup_plan.daily", ["inSource"]),
        ("HIPAA_AWS_RDS_001", "error", "aws_db_instance.imported", []),
    ]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["locations"][0]["logicalLocations"][0]["kind"] == "resource"
    unknown = run["results"][7]
    assert unknown["message"]["text"] == (
        "Could not be decided statically: storage_encrypted comes from var.encrypt, "
        "which has no default and no value in the scanned tfvars")
    assert unknown["properties"]["status"] == "unknown"
    exception = run["results"][2]["suppressions"][0]
    assert exception == {
        "kind": "external", "status": "accepted",
        "justification": '=HYPERLINK("http://evil.example/","legacy clients") until SEC-1234',
        "properties": {"hipaaIacKind": "exception", "approvedBy": "@security-team", "ticket": "SEC-1234",
                       "expires": "2027-03-31", "source": ".hipaa-iac-exceptions.yaml:2"},
    }
    assert run["results"][8]["suppressions"][0]["justification"] == (
        "scratch feature store; source data is backed up upstream")


def test_sarif_locations_regions_and_uris(report):
    results = _run(report)["results"]
    physical = [r["locations"][0]["physicalLocation"] for r in results]
    assert physical[0] == {
        "artifactLocation": {"uri": ROOT + "infra/data%20lake/main.tf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 6, "endLine": 6},
    }
    assert physical[1]["region"] == {"startLine": 3, "endLine": 12}
    # plan result with line None: no region at all
    assert physical[9] == {"artifactLocation": {"uri": ROOT + "plans/tfplan.json", "uriBaseId": "%SRCROOT%"}}
    assert all(p.get("region", {}).get("startLine", 1) >= 1 for p in physical)

    # explicit prefix "" keeps the scan-root-relative path; a prefix is normalized
    assert _run(report, uri_prefix="")["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"] == "infra/data%20lake/main.tf"
    assert _run(report, uri_prefix="./stacks\\a/")["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"] == "stacks/a/infra/data%20lake/main.tf"

    # line 0 or a bool never becomes startLine; end_line before start is dropped
    bad = copy.deepcopy(report)
    bad["results"][0].update(line=0, end_line=0)
    bad["results"][2].update(line=40, end_line=3)
    bad_results = _run(bad)["results"]
    assert "region" not in bad_results[0]["locations"][0]["physicalLocation"]
    assert bad_results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 40}


def test_sarif_original_uri_base_ids_and_notifications(report):
    run = _run(report)
    assert set(run["originalUriBaseIds"]) == {"%SRCROOT%"}
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [(n["level"], n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             n["locations"][0]["physicalLocation"]["region"]["startLine"]) for n in notes] == [
        ("error", ROOT + "infra/broken.tf", 7),
        ("warning", ROOT + ".hipaa-iac-exceptions.yaml", 9),
    ]
    clean = dict(report, errors=[], warnings=[])
    assert _run(clean)["invocations"] == [{"executionSuccessful": True}]


@pytest.mark.parametrize("roots, prefix", [
    (["fixtures/stacks/aws-noncompliant"], "fixtures/stacks/aws-noncompliant/"),
    (["./infra/"], "infra/"),
    (["."], ""),
    (["/abs/repo"], ""),
    (["C:\\repo"], ""),
    (["../other"], ""),
    (["plan.json"], ""),
    (["infra", "modules"], ""),
    ([], ""),
])
def test_scan_root_prefix(roots, prefix):
    assert sarif.scan_root_prefix({"scan": {"roots": roots}}) == prefix


def test_sarif_fingerprints_stable_and_line_independent(report):
    results = _run(report)["results"]
    fps = [r["partialFingerprints"]["hipaaIac/v1"] for r in results]
    assert fps[0] == _sha("HIPAA_AWS_S3_001|aws_s3_bucket_server_side_encryption_configuration.lake"
                          "|infra/data lake/main.tf")
    assert len(set(fps)) == len(fps)  # train[0] and train[1] share file and line, not fingerprint
    moved = copy.deepcopy(report)
    for r in moved["results"]:
        if r["line"] is not None:
            r["line"] += 17
            r["end_line"] += 17
    assert [r["partialFingerprints"] for r in _run(moved)["results"]] == [r["partialFingerprints"] for r in results]
    # nor does the URI prefix change it
    assert [r["partialFingerprints"]["hipaaIac/v1"] for r in _run(report, uri_prefix="")["results"]] == fps


def test_sarif_deterministic(report):
    first = sarif.render(report, POLICIES)
    assert first == sarif.render(copy.deepcopy(report), dict(reversed(list(POLICIES.items()))))
    assert first.endswith("}\n")
    with_time = copy.deepcopy(report)
    with_time["scan"]["generated_at"] = "2026-11-28T20:00:00Z"
    assert sarif.render(with_time, POLICIES) == first


def test_sarif_rule_for_policy_missing_from_catalogue(report):
    run = json.loads(sarif.render(report, {}))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    # only the policies that results name (KMS_001 has none), built from the results
    assert [r["id"] for r in rules] == ["HIPAA_AWS_BACKUP_001", "HIPAA_AWS_CLOUDTRAIL_001", "HIPAA_AWS_ELB_002",
                                         "HIPAA_AWS_RDS_001", "HIPAA_AWS_S3_001", "HIPAA_AWS_SAGEMAKER_001"]
    rds = rules[3]
    assert rds["shortDescription"]["text"] == "RDS instance storage is not encrypted"
    assert rds["properties"]["security-severity"] == "9.5"
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


# ---------------------------------------------------------------- Markdown

FAILED_ROWS = [
    "| Severity | Policy | Resource | Location | Finding |",
    "| --- | --- | --- | --- | --- |",
    "| critical | `HIPAA_AWS_RDS_001` RDS instance storage is not encrypted | `aws_db_instance.imported` "
    "| `plans/tfplan.json` | storage\\_encrypted is false in the plan |",
    "| high | `HIPAA_AWS_S3_001` S3 bucket default encryption does not use a customer-managed KMS key "
    "| `aws_s3_bucket_server_side_encryption_configuration.lake` | `infra/data lake/main.tf:6` "
    "| sse\\_algorithm is AES256 \\(S3-managed key\\), not a customer-managed KMS key |",
    "| high | `HIPAA_AWS_ELB_002` Load balancer listener allows TLS versions below 1.2 | `aws_lb_listener.api` "
    "| `infra/main.tf:31` | ssl\\_policy allows TLS 1.0 \\| 1.1 \\(\\<1.2\\) for \\*all\\* clients |",
    "| high | `HIPAA_AWS_SAGEMAKER_001` SageMaker notebook instance has direct internet access "
    "| `module.ml.aws_sagemaker_notebook_instance.train[0]` | `modules/ml/main.tf:8` "
    "| direct\\_internet\\_access is not set \\(defaults to Enabled\\) |",
    "| high | `HIPAA_AWS_SAGEMAKER_001` SageMaker notebook instance has direct internet access "
    "| `module.ml.aws_sagemaker_notebook_instance.train[1]` | `modules/ml/main.tf:8` "
    "| direct\\_internet\\_access is not set \\(defaults to Enabled\\) |",
    "| medium | `HIPAA_AWS_CLOUDTRAIL_001` CloudTrail log file validation is disabled | `aws_cloudtrail.org` "
    "| `infra/main.tf:3` | enable\\_log\\_file\\_validation is not set \\(defaults to false\\) |",
]


def _block(text: str, heading: str) -> list[str]:
    """The table lines that follow ``heading`` (up to the first blank line after the table)."""
    lines = text.splitlines()
    start = lines.index(heading) + 2
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return lines[start:end]


def test_markdown_summary_and_tables(report):
    text = markdown.render(report, POLICIES)
    lines = text.splitlines()
    assert lines[0] == "## hipaa-iac: HIPAA Security Rule scan"
    assert lines[2] == ("❌ **Failed**: 6 failed (1 critical, 4 high, 1 medium) · 1 unknown · 3 suppressed · "
                        "2 passed · 1 error. 11 resources in 5 files checked against 7 policies (all scope).")
    assert _block(text, "### By severity") == [
        "| Severity | Failed | Unknown | Suppressed | Passed |",
        "| --- | --- | --- | --- | --- |",
        "| critical | 1 | 1 | 0 | 1 |",
        "| high | 4 | 0 | 1 | 1 |",
        "| medium | 1 | 0 | 1 | 0 |",
        "| low | 0 | 0 | 1 | 0 |",
    ]
    assert _block(text, "### By HIPAA safeguard") == [
        "| Safeguard | Failed | Unknown | Suppressed | Passed |",
        "| --- | --- | --- | --- | --- |",
        "| encryption\\_at\\_rest | 2 | 1 | 0 | 2 |",
        "| encryption\\_in\\_transit | 1 | 0 | 1 | 0 |",
        "| network\\_isolation | 2 | 0 | 0 | 0 |",
        "| audit\\_logging | 1 | 0 | 1 | 0 |",
        "| backup\\_recovery | 0 | 0 | 1 | 0 |",
    ]
    assert _block(text, "### Failed (6)") == FAILED_ROWS
    assert _block(text, "### Errors (1): the analysis is incomplete") == [
        "| Location | Error |", "| --- | --- |",
        "| `infra/broken.tf:7` | could not parse: unexpected '\\}' \\<missing attribute value\\> |",
    ]
    assert _block(text, "### Warnings (1)")[2] == (
        "| `.hipaa-iac-exceptions.yaml:9` | exception expired on 2026-01-31: HIPAA\\_AWS\\_S3\\_001 "
        "aws\\_s3\\_bucket.old no longer suppressed |")
    # failures are shown, the rest is collapsed
    assert text.index("### Failed (6)") < text.index("<details><summary>Unknown (1)")
    assert "<details><summary>Unknown (1): could not be decided statically</summary>" in lines
    assert "<details><summary>Suppressed (3)</summary>" in lines
    assert "<details><summary>Passed (2)</summary>" in lines
    assert text.count("</details>") == 3
    assert _block(text, "<details><summary>Suppressed (3)</summary>")[2] == (
        "| `HIPAA_AWS_ELB_002` Load balancer listener allows TLS versions below 1.2 | `aws_lb_listener.legacy` "
        "| `infra/main.tf:22` | exception | =HYPERLINK\\(\"http\\://evil.example/\",\"legacy clients\"\\) until SEC-1234 "
        "| \\@security-team | 2027-03-31 |")
    assert lines[-1] == "<sub>hipaa-iac 0.1.0 · policy pack 0.1.0</sub>"
    assert "more" not in text and "shortened" not in text


def test_markdown_links_when_link_base_given(report):
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/ml-infra", "GITHUB_SHA": "abc123"}
    base = markdown.link_base_from_env(env)
    assert base == "https://github.com/acme/ml-infra/blob/abc123"
    assert markdown.link_base_from_env({"GITHUB_SERVER_URL": "https://github.com"}) is None
    rows = _block(markdown.render(report, POLICIES, link_base=base), "### Failed (6)")
    assert rows[2].split(" | ")[3] == f"[`plans/tfplan.json`]({base}/{ROOT}plans/tfplan.json)"
    assert rows[3].split(" | ")[3] == f"[`infra/data lake/main.tf:6`]({base}/{ROOT}infra/data%20lake/main.tf#L6)"
    rows = _block(markdown.render(report, POLICIES, link_base=base + "/", uri_prefix=""), "### Failed (6)")
    assert rows[3].split(" | ")[3] == f"[`infra/data lake/main.tf:6`]({base}/infra/data%20lake/main.tf#L6)"


def test_markdown_escaping():
    assert markdown.escape("a | b <img src=x> [l](u) *e* _u_ `c` # $x$ \\") == (
        "a \\| b \\<img src=x\\> \\[l\\]\\(u\\) \\*e\\* \\_u\\_ \\`c\\` \\# \\$x\\$ \\\\")
    assert markdown.escape("line\nbreak\r\n  here") == "line break here"
    assert markdown.escape("see https://x.example or WWW.x.example, mail a@b.c, 12:30 a://") == (
        "see https\\://x.example or WWW\\.x.example, mail a\\@b.c, 12:30 a\\://")
    assert markdown.code('m.a["x|y"]') == '`m.a["x\\|y"]`'
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("`x`") == "`` `x` ``"
    assert len(markdown.escape("x" * 1000)) == markdown.MAX_CELL


def _many(report: dict, n: int, status: str = "failed", message: str = "m") -> dict:
    big = copy.deepcopy(report)
    template = big["results"][0]
    big["results"] = [dict(template, resource=f"aws_s3_bucket.b{i:03d}", line=i + 1, status=status,
                           message=message) for i in range(n)]
    return big


def test_markdown_rows_bounded(report):
    text = markdown.render(_many(report, 120), POLICIES)
    rows = _block(text, "### Failed (120)")
    assert len(rows) == 2 + 50
    assert rows[-1].startswith("| high | `HIPAA_AWS_S3_001` ") and "`aws_s3_bucket.b049`" in rows[-1]
    assert "\n… and 70 more\n" in text
    text = markdown.render(_many(report, 120), POLICIES, max_rows=10)
    assert len(_block(text, "### Failed (120)")) == 12
    assert "\n… and 110 more\n" in text
    assert "shortened" not in text


def test_markdown_total_length_bounded(report):
    big = _many(report, 400, message="x " * 200)
    big["results"] += [dict(r, status="passed") for r in _many(report, 400)["results"]]
    text = markdown.render(big, POLICIES, max_rows=1000)
    assert len(text) <= 60_000
    assert markdown.TRUNCATED_NOTE in text
    rows = _block(text, "### Failed (400)")
    assert 2 < len(rows) < 402
    assert f"… and {400 - (len(rows) - 2)} more" in text
    # no room left after the failures: the passed section keeps only its count
    assert "<details><summary>Passed (400)</summary>\n\n… and 400 more\n" in text
    assert text.endswith("<sub>hipaa-iac 0.1.0 · policy pack 0.1.0</sub>\n")
    small = markdown.render(big, POLICIES, max_chars=5000)
    assert len(small) <= 5000


def test_markdown_verdicts(report):
    ok = dict(report, results=[r for r in report["results"] if r["status"] == "passed"], errors=[], warnings=[],
              summary=dict(report["summary"], failed=0, unknown=0, suppressed=0, errors=0))
    assert markdown.render(ok, POLICIES).splitlines()[2].startswith("✅ **Passed**: 0 failed · 0 unknown")
    unknown = dict(ok, summary=dict(ok["summary"], unknown=1))
    assert markdown.render(unknown, POLICIES).splitlines()[2].startswith("❔ **No failures, unknowns to review**")
    broken = dict(ok, summary=dict(ok["summary"], errors=2))
    assert markdown.render(broken, POLICIES).splitlines()[2].startswith("⚠️ **Incomplete**")
    timed = copy.deepcopy(report)
    timed["scan"]["generated_at"] = "2026-11-28T20:00:00Z"
    assert markdown.render(timed, POLICIES).endswith(
        "<sub>hipaa-iac 0.1.0 · policy pack 0.1.0 · 2026-11-28T20:00:00Z</sub>\n")


# ---------------------------------------------------------------- JUnit

def _junit(report) -> ET.Element:
    text = junit.render(report, POLICIES)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def _counts(el: ET.Element) -> tuple[str, ...]:
    return tuple(el.get(k) for k in ("tests", "failures", "errors", "skipped"))


def test_junit_suites_and_counts(report):
    root = _junit(report)
    assert root.tag == "testsuites"
    assert _counts(root) == ("13", "6", "1", "4")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert [(name, _counts(s)) for name, s in suites.items()] == [
        ("HIPAA_AWS_BACKUP_001: Backup plan retains recovery points for fewer than 35 days", ("1", "0", "0", "1")),
        ("HIPAA_AWS_CLOUDTRAIL_001: CloudTrail log file validation is disabled", ("2", "1", "0", "1")),
        ("HIPAA_AWS_ELB_002: Load balancer listener allows TLS versions below 1.2", ("2", "1", "0", "1")),
        ("HIPAA_AWS_RDS_001: RDS instance storage is not encrypted", ("3", "1", "0", "1")),
        ("HIPAA_AWS_S3_001: S3 bucket default encryption does not use a customer-managed KMS key",
         ("2", "1", "0", "0")),
        ("HIPAA_AWS_SAGEMAKER_001: SageMaker notebook instance has direct internet access", ("2", "2", "0", "0")),
        ("hipaa-iac.errors", ("1", "0", "1", "0")),
    ]
    for suite in root.findall("testsuite"):  # counts attributes match the children
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
        assert int(suite.get("errors")) == sum(c.find("error") is not None for c in cases)


def test_junit_testcases(report):
    root = _junit(report)
    rds = next(s for s in root if s.get("name", "").startswith("HIPAA_AWS_RDS_001"))
    cases = rds.findall("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("line")) for c in cases] == [
        ("modules/ml/main.tf", 'module.ml.aws_db_instance.features["eval"]', "19"),
        ("modules/ml/main.tf", "module.ml.aws_db_instance.meta", "40"),
        ("plans/tfplan.json", "aws_db_instance.imported", None),
    ]
    assert cases[0].find("skipped").get("message") == (
        "unknown: storage_encrypted comes from var.encrypt, which has no default and no value in the scanned tfvars")
    assert list(cases[1]) == []
    failure = cases[2].find("failure")
    assert (failure.get("type"), failure.get("message")) == ("critical", "storage_encrypted is false in the plan")
    assert failure.text.splitlines() == [
        "storage_encrypted is false in the plan", "",
        "Resource: aws_db_instance.imported",
        "Location: plans/tfplan.json",
        "Attribute: storage_encrypted",
        "HIPAA Security Rule (45 CFR): 164.312(a)(2)(iv)",
        "NIST SP 800-171 rev2: 3.13.16",
        "Remediation: Set storage_encrypted = true with a customer-managed kms_key_id.",
        "Guideline: docs/policies/HIPAA_AWS_RDS_001.md",
    ]
    elb = next(s for s in root if s.get("name", "").startswith("HIPAA_AWS_ELB_002"))
    skipped = elb.find("testcase").find("skipped")
    assert skipped.get("message") == (
        'suppressed (exception): =HYPERLINK("http://evil.example/","legacy clients") until SEC-1234')
    assert "Approved by: @security-team" in skipped.text and "Expires: 2027-03-31" in skipped.text
    assert elb.findall("testcase")[1].find("failure").get("message") == (
        "ssl_policy allows TLS 1.0 | 1.1 (<1.2) for *all* clients")
    error_case = root.find("testsuite[@name='hipaa-iac.errors']/testcase")
    assert (error_case.get("classname"), error_case.get("name")) == ("infra/broken.tf", "infra/broken.tf:7")
    assert error_case.find("error").get("message") == "could not parse: unexpected '}' <missing attribute value>"


def test_junit_invalid_xml_characters_and_no_errors(report):
    nasty = copy.deepcopy(report)
    nasty["results"][0]["message"] = "bad \x00\x1b char & <tag> \"q\" ]]>"
    nasty["errors"] = []
    root = _junit(nasty)
    assert root.find("testsuite[@name='hipaa-iac.errors']") is None
    assert _counts(root) == ("12", "6", "0", "4")
    s3 = next(s for s in root if s.get("name", "").startswith("HIPAA_AWS_S3_001"))
    assert s3.find("testcase/failure").get("message") == "bad \ufffd\ufffd char & <tag> \"q\" ]]>"


# ---------------------------------------------------------------- CSV

def _csv(report) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_report.render(report, POLICIES))))


def test_csv_header_and_rows(report):
    rows = _csv(report)
    assert rows[0] == list(csv_report.COLUMNS) == [
        "policy_id", "title", "severity", "status", "hipaa_category", "hipaa", "nist_800_171", "resource",
        "resource_type", "file", "line", "attribute", "message", "remediation", "suppression_kind",
        "suppression_reason", "approved_by", "ticket", "expires"]
    assert len(rows) == 13
    assert all(len(r) == 19 for r in rows)
    assert [(r[0], r[3], r[7], r[9], r[10]) for r in rows[1:]] == [
        ("HIPAA_AWS_S3_001", "failed", "aws_s3_bucket_server_side_encryption_configuration.lake",
         "infra/data lake/main.tf", "6"),
        ("HIPAA_AWS_S3_001", "passed", "aws_s3_bucket_server_side_encryption_configuration.lake_logs",
         "infra/data lake/main.tf", "14"),
        ("HIPAA_AWS_CLOUDTRAIL_001", "failed", "aws_cloudtrail.org", "infra/main.tf", "3"),
        ("HIPAA_AWS_ELB_002", "suppressed", "aws_lb_listener.legacy", "infra/main.tf", "22"),
        ("HIPAA_AWS_ELB_002", "failed", "aws_lb_listener.api", "infra/main.tf", "31"),
        ("HIPAA_AWS_CLOUDTRAIL_001", "suppressed", "aws_cloudtrail.legacy", "infra/main.tf", "45"),
        ("HIPAA_AWS_SAGEMAKER_001", "failed", "module.ml.aws_sagemaker_notebook_instance.train[0]",
         "modules/ml/main.tf", "8"),
        ("HIPAA_AWS_SAGEMAKER_001", "failed", "module.ml.aws_sagemaker_notebook_instance.train[1]",
         "modules/ml/main.tf", "8"),
        ("HIPAA_AWS_RDS_001", "unknown", 'module.ml.aws_db_instance.features["eval"]', "modules/ml/main.tf", "19"),
        ("HIPAA_AWS_BACKUP_001", "suppressed", "module.ml.aws_backup_plan.daily", "modules/ml/main.tf", "27"),
        ("HIPAA_AWS_RDS_001", "passed", "module.ml.aws_db_instance.meta", "modules/ml/main.tf", "40"),
        ("HIPAA_AWS_RDS_001", "failed", "aws_db_instance.imported", "plans/tfplan.json", ""),
    ]
    assert rows[1] == [
        "HIPAA_AWS_S3_001", "S3 bucket default encryption does not use a customer-managed KMS key", "high",
        "failed", "encryption_at_rest", "164.312(a)(2)(iv);164.310(d)(1)", "3.13.16;3.13.11",
        "aws_s3_bucket_server_side_encryption_configuration.lake",
        "aws_s3_bucket_server_side_encryption_configuration", "infra/data lake/main.tf", "6",
        "rule.apply_server_side_encryption_by_default.sse_algorithm",
        "sse_algorithm is AES256 (S3-managed key), not a customer-managed KMS key",
        'Set sse_algorithm = "aws:kms" and kms_master_key_id to a customer-managed aws_kms_key.',
        "", "", "", "", ""]
    assert rows[4][14:] == [  # the exception: formula and @ neutralized
        "exception", "'=HYPERLINK(\"http://evil.example/\",\"legacy clients\") until SEC-1234",
        "'@security-team", "SEC-1234", "2027-03-31"]
    assert rows[6][14:] == ["baseline", "accepted in baseline", "", "", ""]
    assert rows[10][14:] == ["inline", "scratch feature store; source data is backed up upstream", "", "", ""]


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), (None, ""), (7, "7"), (["a", "b"], "a;b"), (["=a"], "'=a"),
])
def test_csv_neutralize(value, cell):
    assert csv_report.neutralize(value) == cell


def test_csv_quoting_round_trip(report):
    odd = copy.deepcopy(report)
    odd["results"][0]["message"] = 'comma, "quote", newline\nand -dash'
    assert _csv(odd)[1][12] == 'comma, "quote", newline\nand -dash'
    assert csv_report.render(dict(report, results=[]), POLICIES) == ",".join(csv_report.COLUMNS) + "\n"
