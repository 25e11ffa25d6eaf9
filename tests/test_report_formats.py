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

from hipaa_iac import __version__
from hipaa_iac.report import csv_report, junit, markdown, sarif

SAMPLE = Path(__file__).parent / "data" / "report_sample.json"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"  # vendored: tests/data/SCHEMAS.md
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
    import jsonschema
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    doc = json.loads(sarif.render(report, POLICIES))
    jsonschema.Draft4Validator(schema).validate(doc)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == sarif.SARIF_SCHEMA_URI
    assert len(doc["runs"]) == 1
    # an empty report is valid too
    empty = dict(report, results=[], errors=[], warnings=[])
    jsonschema.Draft4Validator(schema).validate(json.loads(sarif.render(empty, {})))


def test_sarif_rules_one_per_policy_with_results_sorted(report):
    driver = _run(report)["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("hipaa-iac", "0.1.0")
    assert driver["informationUri"] == "https://github.com/hipaa-iac/hipaa-iac"
    rules = driver["rules"]
    # only the policies that have a result in the log (KMS_001 has none): no rule text for the whole pack
    assert [r["id"] for r in rules] == sorted(set(POLICIES) - {"HIPAA_AWS_KMS_001"})
    by_id = {r["id"]: r for r in rules}
    levels = {r["id"]: (r["defaultConfiguration"]["level"], r["properties"]["security-severity"]) for r in rules}
    assert levels == {
        "HIPAA_AWS_BACKUP_001": ("note", "3.0"),
        "HIPAA_AWS_CLOUDTRAIL_001": ("warning", "5.5"),
        "HIPAA_AWS_ELB_002": ("error", "8.0"),
        "HIPAA_AWS_RDS_001": ("error", "9.5"),
        "HIPAA_AWS_S3_001": ("error", "8.0"),
        "HIPAA_AWS_SAGEMAKER_001": ("error", "8.0"),
    }
    s3 = by_id["HIPAA_AWS_S3_001"]
    # name: a PascalCase identifier distinct from the id (SARIF2012, SARIF1001)
    assert s3["name"] == "S3BucketDefaultEncryptionDoesNotUseCustomerManagedKmsKey"
    assert {r["name"] for r in rules} >= {"CloudtrailLogFileValidationIsDisabled",
                                          "LoadBalancerListenerAllowsTlsVersionsBelow12"}
    assert all(r["name"] != r["id"] for r in rules)
    assert s3["shortDescription"] == {"text": POLICIES["HIPAA_AWS_S3_001"]["name"]}
    assert s3["fullDescription"] == {"text": POLICIES["HIPAA_AWS_S3_001"]["description"]}
    assert s3["properties"] == {
        "security-severity": "8.0",
        "tags": ["security", "hipaa", "HIPAA-164.312(a)(2)(iv)", "HIPAA-164.310(d)(1)",
                 "NIST-800-171-3.13.16", "NIST-800-171-3.13.11", "encryption_at_rest"],
        "precision": "high",
    }
    url = f"https://github.com/hipaa-iac/hipaa-iac/blob/v{__version__}/docs/policies/HIPAA_AWS_S3_001.md"
    assert s3["helpUri"] == url
    for part in ("164.312(a)(2)(iv), 164.310(d)(1)", "3.13.16, 3.13.11", "Test remediation.", url):
        assert part in s3["help"]["text"]
        assert part in s3["help"]["markdown"]
    assert "```hcl\n" in s3["help"]["markdown"]
    # the description is said once (fullDescription), not repeated in the help
    assert POLICIES["HIPAA_AWS_S3_001"]["description"] not in s3["help"]["text"] + s3["help"]["markdown"]
    assert all(r["helpUri"].endswith(f"/docs/policies/{r['id']}.md") for r in rules)


def test_sarif_help_uri_configurable(report, monkeypatch):
    monkeypatch.setenv("HIPAA_IAC_DOCS_URL", "https://docs.example.org/hipaa")
    rule = _run(report)["tool"]["driver"]["rules"][0]
    assert rule["helpUri"] == f"https://docs.example.org/hipaa/{rule['id']}.md"


def test_sarif_pascal_names():
    assert sarif.pascal_name("S3 bucket not encrypted with a CMK", "X") == "S3BucketNotEncryptedWithCmk"
    assert sarif.pascal_name("TLS 1.2 or later", "X") == "Tls12OrLater"
    assert sarif.pascal_name("9 lives", "X") == "Hipaa9Lives"
    assert sarif.pascal_name("", "HIPAA_X_001") == "Hipaa"


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
    # plan result with line None: line 1 (GitHub requires a region, GH1003)
    assert physical[9] == {"artifactLocation": {"uri": ROOT + "plans/tfplan.json", "uriBaseId": "%SRCROOT%"},
                           "region": {"startLine": 1}}
    assert all(p["region"]["startLine"] >= 1 for p in physical)

    # explicit prefix "" keeps the scan-root-relative path; a prefix is normalized
    assert _run(report, uri_prefix="")["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"] == "infra/data%20lake/main.tf"
    assert _run(report, uri_prefix="./stacks\\a/")["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"] == "stacks/a/infra/data%20lake/main.tf"

    # line 0 or a bool never becomes startLine (line 1 then); end_line before start is dropped
    bad = copy.deepcopy(report)
    bad["results"][0].update(line=0, end_line=0)
    bad["results"][2].update(line=40, end_line=3)
    bad_results = _run(bad)["results"]
    assert bad_results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert bad_results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 40}


def test_sarif_uris_relative_to_the_repository_root(report):
    """With the scan root's place in its repository (scan.repository.path), URIs are under %SRCROOT% = the
    repository root, whatever directory the scan ran from."""
    inside = copy.deepcopy(report)
    inside["scan"]["roots"] = ["/home/ci/work/acme/infra/prod"]
    inside["scan"]["repository"] = {"name": "acme/infra", "commit": "a" * 40, "branch": "main", "path": "prod"}
    loc = _run(inside)["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "prod/infra/data%20lake/main.tf", "uriBaseId": "%SRCROOT%"}
    inside["scan"]["repository"]["path"] = "."
    loc = _run(inside)["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "infra/data%20lake/main.tf", "uriBaseId": "%SRCROOT%"}


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


def _multitool() -> str | None:
    """Microsoft's SARIF multitool, installed by `./dev test` into .tools/ (npm @microsoft/sarif-multitool)."""
    import os
    import platform
    env = os.environ.get("HIPAA_IAC_SARIF_MULTITOOL")
    if env:
        return env
    arch = {"x86_64": "linux", "aarch64": "linux-arm64"}.get(platform.machine(), "linux")
    tool = Path(__file__).resolve().parents[1] / f".tools/node_modules/@microsoft/sarif-multitool-{arch}/Sarif.Multitool"
    return str(tool) if tool.is_file() else None


def _multitool_problems(tool: str, sarif_file: Path, out: Path) -> list[tuple[str, str, list]]:
    """(rule id, level, arguments) of every error or warning the multitool reports with the SARIF rules and
    GitHub's ingestion rules (--rule-kind "Sarif;Gh")."""
    import subprocess
    p = subprocess.run([tool, "validate", "--rule-kind", "Sarif;Gh", "--level", "Error;Warning;Note",
                        "--log", "ForceOverwrite", "-o", str(out), str(sarif_file)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    log = json.loads(out.read_text(encoding="utf-8-sig"))
    return [(r["ruleId"], r.get("level", "warning"), r.get("message", {}).get("arguments"))
            for run in log["runs"] for r in run.get("results", []) if r.get("level", "warning") != "note"]


def test_sarif_multitool_github_rules(report, tmp_path):
    """The sample report (every status, a plan result without a line, a path with a space) and a
    deliberately broken twin: the multitool reports nothing above a note for ours, and does find the breaks."""
    tool = _multitool()
    if tool is None:
        pytest.skip("SARIF multitool not installed (./dev test installs it into .tools/)")
    good = tmp_path / "good.sarif"
    good.write_text(sarif.render(report, POLICIES), encoding="utf-8")
    assert _multitool_problems(tool, good, tmp_path / "good.log.sarif") == []
    broken = json.loads(good.read_text(encoding="utf-8"))
    rule = broken["runs"][0]["tool"]["driver"]["rules"][0]
    rule["name"] = rule["id"]  # SARIF1001: a name equal to the id
    del broken["runs"][0]["results"][0]["locations"]  # GitHub requires locations
    bad = tmp_path / "bad.sarif"
    bad.write_text(json.dumps(broken), encoding="utf-8")
    found = {rid for rid, _, _ in _multitool_problems(tool, bad, tmp_path / "bad.log.sarif")}
    assert "SARIF1001" in found and any(r.startswith("GH") for r in found), found


@pytest.mark.parametrize("stack", ["aws-noncompliant", "azure-noncompliant", "gcp-noncompliant",
                                   "sagemaker-noncompliant"])
def test_sarif_of_example_stacks_multitool_and_size(stack, tmp_path):
    import subprocess
    import sys
    import jsonschema
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "r.sarif"
    p = subprocess.run([sys.executable, "-m", "hipaa_iac", "scan", f"fixtures/stacks/{stack}", "-q", "--no-cache",
                        "-f", "sarif", "-o", str(out)], cwd=repo, capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stderr[-2000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    run = doc["runs"][0]
    # URIs relative to the repository root (the scan root's path inside it), every result with a region
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert all(u.startswith(f"fixtures/stacks/{stack}/") for u in uris), uris
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in run["results"])
    assert len(run["tool"]["driver"]["rules"]) == len({r["ruleId"] for r in run["results"]})
    assert out.stat().st_size < 400_000  # was 0.8 MB with every rule of the pack
    tool = _multitool()
    if tool is not None:
        assert _multitool_problems(tool, out, tmp_path / "log.sarif") == []


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
    # built from the results
    assert [r["id"] for r in rules] == ["HIPAA_AWS_BACKUP_001", "HIPAA_AWS_CLOUDTRAIL_001", "HIPAA_AWS_ELB_002",
                                         "HIPAA_AWS_RDS_001", "HIPAA_AWS_S3_001", "HIPAA_AWS_SAGEMAKER_001"]
    rds = rules[3]
    assert rds["shortDescription"]["text"] == "RDS instance storage is not encrypted"
    assert rds["properties"]["security-severity"] == "9.5"
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


# ---------------------------------------------------------------- Markdown

def _gated(report: dict, verdict: str = "failed", threshold: str = "low", baseline: bool = False) -> dict:
    out = copy.deepcopy(report)
    out["scan"]["gate"] = {"severity_threshold": threshold, "unknown": "warn", "baseline": baseline,
                           "verdict": verdict}
    return out


def _details(text: str) -> dict[str, str]:
    """summary line -> body of every <details> section."""
    import re
    return {m.group(1): m.group(2) for m in re.finditer(r"<details><summary>(.*?)</summary>\n(.*?)</details>",
                                                        text, re.S)}


def test_markdown_leads_with_verdict_and_new_findings(report):
    clean = dict(report, errors=[], summary=dict(report["summary"], errors=0))
    text = markdown.render(_gated(clean, threshold="high"), POLICIES)
    lines = text.splitlines()
    assert lines[0] == "## hipaa-iac: HIPAA Security Rule scan"
    assert lines[2] == ("❌ **Failed** against the threshold (high and above): 6 failed · 1 unknown · 3 suppressed · "
                        "2 passed · 0 errors. 11 resources in 5 files checked against 7 policies (all scope).")
    assert lines[4] == "### This change has 6 findings"
    items = [ln for ln in lines[5:lines.index("<details><summary>All findings (6), with the reason and the fix</summary>")]
             if ln.startswith("- ")]
    # most severe first, one line each: severity, policy, title, resource, location
    assert items[0] == ("- 🟥 **critical** `HIPAA_AWS_RDS_001` RDS instance storage is not encrypted — "
                        "`aws_db_instance.imported` at `plans/tfplan.json`")
    assert items[1] == ("- 🟧 **high** `HIPAA_AWS_S3_001` S3 bucket default encryption does not use a customer-managed "
                        "KMS key — `aws_s3_bucket_server_side_encryption_configuration.lake` at `infra/data lake/main.tf:6`")
    assert [i.split("**")[1] for i in items] == ["critical", "high", "high", "high", "high", "medium"]
    sections = _details(text)
    assert list(sections) == ["All findings (6), with the reason and the fix",
                              "Unknown (1): could not be decided statically, with the reason",
                              "Suppressed (3): accepted by a waiver, an exception or the baseline",
                              "✅ 2 checks passed on 2 resources", "Warnings (1)", "Results by HIPAA safeguard"]
    assert ("  ssl\\_policy allows TLS 1.0 \\| 1.1 \\(\\<1.2\\) for \\*all\\* clients  \n  Fix: "
            in sections["All findings (6), with the reason and the fix"])
    assert "storage\\_encrypted comes from var.encrypt" in sections[
        "Unknown (1): could not be decided statically, with the reason"]
    # passed checks: counted per policy, phrased as what is in place; no failure-sounding titles
    passed = sections["✅ 2 checks passed on 2 resources"]
    assert "is configured as it requires" in passed
    assert all(t["name"] not in passed for t in POLICIES.values())
    assert "`HIPAA_AWS_S3_001` in place on 1 resource" in passed
    assert "| encryption\\_at\\_rest | 2 | 1 | 0 | 2 |" in sections["Results by HIPAA safeguard"]
    assert "shortened" not in text.lower()


def test_markdown_with_baseline_says_what_is_new(report):
    text = markdown.render(_gated(report, baseline=True), POLICIES)
    assert "### New in this change: 6 findings" in text
    assert "Not in the baseline (1 known finding in the baseline are suppressed)." in text
    none_new = dict(report, results=[r for r in report["results"] if r["status"] != "failed"],
                    summary=dict(report["summary"], failed=0))
    assert "### New in this change: no finding" in markdown.render(_gated(none_new, "passed", baseline=True), POLICIES)


def test_markdown_errors_open_and_incomplete(report):
    text = markdown.render(_gated(report, verdict="incomplete"), POLICIES)
    assert text.splitlines()[2].startswith("⚠️ **Incomplete** against the threshold (low and above): 6 failed")
    assert ("### Errors (1): the analysis is incomplete\n\n- `infra/broken.tf:7`: could not parse: unexpected "
            "'\\}' \\<missing attribute value\\>\n") in text
    assert text.index("### Errors (1)") < text.index("### This change has 6 findings")


def test_markdown_links_when_link_base_given(report):
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/ml-infra", "GITHUB_SHA": "abc123",
           "GITHUB_RUN_ID": "42"}
    base = markdown.link_base_from_env(env)
    assert base == "https://github.com/acme/ml-infra/blob/abc123"
    assert markdown.link_base_from_env({"GITHUB_SERVER_URL": "https://github.com"}) is None
    assert markdown.run_url_from_env(env) == "https://github.com/acme/ml-infra/actions/runs/42"
    text = markdown.render(report, POLICIES, link_base=base)
    assert f"at [`plans/tfplan.json`]({base}/{ROOT}plans/tfplan.json)" in text
    assert f"at [`infra/data lake/main.tf:6`]({base}/{ROOT}infra/data%20lake/main.tf#L6)" in text
    text = markdown.render(report, POLICIES, link_base=base + "/", uri_prefix="")
    assert f"at [`infra/data lake/main.tf:6`]({base}/infra/data%20lake/main.tf#L6)" in text


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
    big["summary"]["failed"] = n if status == "failed" else 0
    return big


def test_markdown_rows_bounded(report):
    text = markdown.render(_many(report, 120), POLICIES, max_rows=50)
    assert text.count("- 🟧 **high**") == markdown.TOP + 50
    assert "\n… and 70 more in the full report\n" in text
    assert "every result is in the full report" in text


def test_markdown_total_length_bounded_with_pointer_to_the_artifact(report):
    big = _many(report, 400, message="x " * 200)
    big["results"] += [dict(r, status="passed", policy_id=f"HIPAA_AWS_X_{i:03d}")
                       for i, r in enumerate(_many(report, 400)["results"])]
    run = "https://github.com/acme/ml-infra/actions/runs/42"
    text = markdown.render(big, POLICIES, max_rows=1000, run_url=run)
    assert len(text) <= 60_000 and len(text.encode("utf-8")) <= 60_000
    assert f"every result is in the full report ([artifacts of this run]({run}))._" in text
    found = text.count("- 🟧 **high**") - markdown.TOP
    assert 0 < found < 400
    assert f"… and {400 - found} more in the full report" in text
    # no room left after the findings: the passed section keeps only its count
    assert "<details><summary>✅ 400 checks passed on 400 resources</summary>" in text
    assert text.endswith("<sub>hipaa-iac 0.1.0 · policy pack 0.1.0</sub>\n")
    small = markdown.render(big, POLICIES, max_chars=5000)
    assert len(small.encode("utf-8")) <= 5000
    assert "(`hipaa-iac scan -f html` or `-f json`)" in small


def test_markdown_verdicts(report):
    ok = dict(report, results=[r for r in report["results"] if r["status"] == "passed"], errors=[], warnings=[],
              summary=dict(report["summary"], failed=0, unknown=0, suppressed=0, errors=0))
    assert markdown.render(ok, POLICIES).splitlines()[2].startswith("✅ **Passed**: 0 failed · 0 unknown")
    unknown = dict(ok, summary=dict(ok["summary"], unknown=1))
    assert markdown.render(unknown, POLICIES).splitlines()[2].startswith("❔ **Passed, unknowns to review**")
    broken = dict(ok, summary=dict(ok["summary"], errors=2))
    assert markdown.render(broken, POLICIES).splitlines()[2].startswith("⚠️ **Incomplete**")
    below = _gated(report, verdict="passed", threshold="critical")
    assert markdown.render(below, POLICIES).splitlines()[2].startswith(
        "✅ **Passed** against the threshold (critical and above; 6 findings below the threshold): 6 failed")
    timed = copy.deepcopy(report)
    timed["scan"]["generated_at"] = "2026-11-28T20:00:00Z"
    timed["scan"]["repository"] = {"name": "acme/x", "commit": "0123456789abcdef" * 2 + "01234567",
                                   "branch": None, "path": "."}
    assert markdown.render(timed, POLICIES).endswith(
        "<sub>hipaa-iac 0.1.0 · policy pack 0.1.0 · commit 0123456789ab · 2026-11-28T20:00:00Z</sub>\n")


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
        "suppression_reason", "approved_by", "ticket", "expires", "nist_revision"]
    assert len(rows) == 13
    assert all(len(r) == 20 for r in rows)
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
        "", "", "", "", "", "SP 800-171 Rev. 2"]
    assert rows[4][14:19] == [  # the exception: formula and @ neutralized
        "exception", "'=HYPERLINK(\"http://evil.example/\",\"legacy clients\") until SEC-1234",
        "'@security-team", "SEC-1234", "2027-03-31"]
    assert rows[6][14:19] == ["baseline", "accepted in baseline", "", "", ""]
    assert rows[10][14:19] == ["inline", "scratch feature store; source data is backed up upstream", "", "", ""]


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
