"""Crosswalk metadata (schema, doc section) and `hipaa-iac policies coverage` (derived from the crosswalk)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hipaa_iac import coverage, docs_gen
from hipaa_iac.cli import app
from hipaa_iac.policy.loader import Policy, load_pack
from hipaa_iac.policy.schema import CROSSWALK_KEYS, validate_policy

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ROOT / "src" / "hipaa_iac" / "data" / "frameworks"

POLICY = {
    "metadata": {"id": "HIPAA_AWS_T_001", "name": "Thing is not encrypted at rest", "category": "ENCRYPTION",
                 "severity": "HIGH", "guideline": "docs/x.md", "hipaa_category": "encryption_at_rest",
                 "hipaa": ["164.312(a)(2)(iv)"], "nist_800_171": ["3.13.16"],
                 "description": "Things hold ePHI and are stored.", "remediation": "Encrypt the thing.",
                 "source": "provider docs"},
    "definition": {"cond_type": "attribute", "resource_types": ["aws_thing"], "attribute": "encrypted",
                   "operator": "equals", "value": True},
}


def with_crosswalk(cw):
    doc = json.loads(json.dumps(POLICY))
    doc["metadata"]["crosswalk"] = cw
    return doc


def test_crosswalk_is_optional_and_validated():
    assert validate_policy(POLICY, "p.yaml")[1] == []
    ok, errs = validate_policy(with_crosswalk({"checkov": ["CKV_AWS_19"], "prowler": ["s3_bucket_default_encryption"],
                                                "aws_config": ["s3-bucket-server-side-encryption-enabled"],
                                                "kics": ["6726dcc0-5ff5-459d-b473-a780bef7665c"],
                                                "trivy": ["AVD-AWS-0088"]}), "p.yaml")
    assert errs == [] and ok.metadata.crosswalk["trivy"] == ["AVD-AWS-0088"]
    assert CROSSWALK_KEYS == ("checkov", "aws_config", "prowler", "kics", "trivy")
    cases = {
        "{'semgrep': ['x']}": ({"semgrep": ["x"]}, "'semgrep' is not a crosswalk framework"),
        "a string value": ({"checkov": "CKV_AWS_19"}, "checkov: expected a non-empty list of item ids"),
        "an empty list": ({"checkov": []}, "checkov: expected a non-empty list of item ids"),
        "a number": ({"checkov": [19]}, "checkov: 19 is not an item id"),
        "a duplicate": ({"kics": ["a", "a"]}, "kics: an item id is listed twice"),
        "a list": (["CKV_AWS_19"], "a mapping of checkov, aws_config, prowler, kics, trivy"),
    }
    for label, (cw, message) in cases.items():
        ok, errs = validate_policy(with_crosswalk(cw), "p.yaml")
        assert ok is None and len(errs) == 1, label
        assert errs[0].startswith("p.yaml: metadata.crosswalk: ") and message in errs[0], (label, errs)


def test_doc_page_has_a_corresponds_to_section():
    assert docs_gen._crosswalk(None) == []
    assert docs_gen._crosswalk({"trivy": ["AVD-AWS-0088"], "checkov": ["CKV_AWS_19", "CKV_AWS_145"]}) == [
        "## Corresponds to", "",
        "Items of other tools and frameworks that check the same setting (the frameworks' sources and commits: "
        "`src/hipaa_iac/data/frameworks/`; `hipaa-iac policies coverage` lists them all):", "",
        "- checkov: `CKV_AWS_19`, `CKV_AWS_145`", "- trivy check: `AVD-AWS-0088`", ""]
    page = (ROOT / "docs" / "policies" / "HIPAA_AWS_S3_005.md").read_text()
    assert "## Corresponds to" in page and "- Prowler check: `s3_bucket_public_access`" in page


def write_framework(d: Path, name: str, items: list[dict], cloud: str = "aws", key: str = "prowler") -> None:
    doc = {"framework": name, "title": "Test framework", "cloud": cloud, "crosswalk_key": key,
           "source": {"repository": "o/r", "path": "f.json", "commit": "abc", "date": "2026-01-01"}, "items": items}
    (d / f"{name}.yaml").write_text(yaml.safe_dump(doc))


def pol(pid: str, cloud: str, cw: dict | None) -> Policy:
    return Policy(pid, cloud, f"policies/{cloud}/{pid}.yaml", {"crosswalk": cw} if cw else {}, {})


def test_coverage_derived_from_crosswalk(tmp_path):
    write_framework(tmp_path, "fw", [
        {"id": "a"}, {"id": "b"}, {"id": "c", "reason": "no-terraform-surface", "note": "findings"},
        {"id": "d", "reason": "account-level-runtime"}, {"id": "e", "reason": "out-of-scope:costs"},
        {"id": "f", "reason": "not-technical-safeguard"}, {"id": "g"}])
    policies = [pol("P_2", "aws", {"prowler": ["a", "b"]}), pol("P_1", "aws", {"prowler": ["a"], "checkov": ["x"]}),
                pol("Z_1", "azure", {"prowler": ["g"]})]  # another cloud's prowler ids never count here
    (f,) = coverage.load(policies, str(tmp_path))
    assert f.problems == []
    assert [(i.id, i.status, i.policies) for i in f.items] == [
        ("a", "covered", ["P_1", "P_2"]), ("b", "covered", ["P_2"]), ("c", "not-checkable", []),
        ("d", "not-checkable", []), ("e", "uncovered", []), ("f", "not-safeguard", []), ("g", "uncovered", [])]
    # a process check (not-technical-safeguard) leaves the denominator like a not-checkable item, counted apart
    assert f.summary() == {"items": 7, "terraform_checkable": 4, "not_checkable": 2, "not_technical_safeguard": 1,
                           "covered": 2, "uncovered_with_reason": 1, "gaps": 1, "percent": 50.0}
    md = coverage.render_markdown([f])
    assert "Covered: 2 of 4 Terraform-checkable items (50.0%); 1 uncovered with a reason, 1 without a policy yet; " \
           "2 items not checkable from Terraform; 1 not HIPAA technical safeguards." in md
    assert "| `f` | not-safeguard | not-technical-safeguard |" in md
    assert "| `a` | covered | P_1, P_2 |" in md and "| `c` | not-checkable | no-terraform-surface (findings) |" in md
    assert "| `g` | uncovered | no policy yet |" in md
    js = coverage.report([f])["frameworks"][0]
    assert js["items"][4] == {"id": "e", "status": "uncovered", "policies": [], "reason": "out-of-scope:costs",
                              "note": None, "requirements": []}


def test_coverage_problems_name_the_policy_or_item(tmp_path):
    write_framework(tmp_path, "fw", [{"id": "a", "reason": "no-terraform-surface"}, {"id": "b", "reason": "maybe"},
                                     {"id": "b"}, {"id": "c", "reason": "out-of-scope:"}, {"id": "d", "colour": 1}])
    (f,) = coverage.load([pol("P_1", "aws", {"prowler": ["a", "typo"]})], str(tmp_path))
    p = str(tmp_path / "fw.yaml")
    assert f.problems == [
        f"{p}: items[1] (b): reason 'maybe' is not one of no-terraform-surface, account-level-runtime, "
        "not-technical-safeguard or out-of-scope:<why>",
        f"{p}: items[2]: b is listed twice",
        f"{p}: items[3] (c): reason 'out-of-scope:' is not one of no-terraform-surface, account-level-runtime, "
        "not-technical-safeguard or out-of-scope:<why>",
        f"{p}: items[4] (d): unknown keys colour",
        "P_1: crosswalk prowler: 'typo' is not an item of fw",
        "fw: a is covered by P_1 but also gives the reason 'no-terraform-surface': drop the reason"]


def test_committed_frameworks_are_consistent_with_the_pack():
    """Every crosswalk id names a listed item, no covered item keeps a reason, each file has its source."""
    frameworks = coverage.load(load_pack().policies)
    assert sorted(f.name for f in frameworks) == ["aws_config_hipaa", "prowler_hipaa_aws", "prowler_hipaa_azure",
                                                 "prowler_hipaa_gcp"]
    assert [p for f in frameworks for p in f.problems] == []
    counts = {f.name: len(f.items) for f in frameworks}
    assert counts == {"aws_config_hipaa": 130, "prowler_hipaa_aws": 95, "prowler_hipaa_azure": 128,
                      "prowler_hipaa_gcp": 42}
    sources = yaml.safe_load((FRAMEWORKS / "sources.yaml").read_text())
    assert sorted(sources) == sorted(CROSSWALK_KEYS)
    by_name = {f.name: f for f in frameworks}
    s3 = {i.id: i for i in by_name["prowler_hipaa_aws"].items}["s3_bucket_default_encryption"]
    assert s3.policies == ["HIPAA_AWS_S3_001", "HIPAA_AWS_S3_002", "HIPAA_AWS_S3_010"]


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_cli_coverage(fmt):
    res = CliRunner().invoke(app, ["policies", "coverage", "-f", fmt, "--framework", "prowler_hipaa_aws"])
    assert res.exit_code == 0, res.output
    if fmt == "json":
        (f,) = json.loads(res.output)["frameworks"]
        assert f["framework"] == "prowler_hipaa_aws" and f["summary"]["items"] == 95
        root = {i["id"]: i for i in f["items"]}["iam_root_mfa_enabled"]
        assert root["status"] == "not-checkable" and root["reason"] == "no-terraform-surface"
    else:
        assert res.output.startswith("# Framework coverage\n") and "## Prowler HIPAA (AWS) (`prowler_hipaa_aws`)" in res.output


def test_cli_coverage_usage_errors():
    res = CliRunner().invoke(app, ["policies", "coverage", "--framework", "nope"])
    assert res.exit_code == 2 and "no framework 'nope'" in res.output
    res = CliRunner().invoke(app, ["policies", "coverage", "-f", "html"])
    assert res.exit_code == 2 and "unknown format 'html'" in res.output
