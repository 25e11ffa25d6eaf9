"""PHI scope, configurable parameters, opt-in policies and the engine checks, on small configurations."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hipaa_iac.config import Config
from hipaa_iac.load import LoadOptions, load
from hipaa_iac.policy.loader import Policy, load_pack
from hipaa_iac.scan import evaluate_policies

REPO = Path(__file__).resolve().parents[1]
PACK = {p.id: p for p in load_pack(str(REPO / "policies")).policies}

NOTEBOOK = """
resource "aws_sagemaker_notebook_instance" "{name}" {{
  name                   = "{name}"
  role_arn               = "arn:aws:iam::123456789012:role/nb"
  instance_type          = "ml.t3.medium"
  direct_internet_access = "Enabled"
  {extra}
}}
"""


def policy(pid: str, definition: dict, **meta) -> Policy:
    m = {"id": pid, "name": "a test policy for the engine", "category": "GENERAL_SECURITY", "severity": "HIGH",
         "guideline": f"docs/policies/{pid}.md", "hipaa_category": "integrity", "hipaa": ["164.312(c)(1)"],
         "nist_800_171": ["3.3.8"], "description": "d" * 30, "remediation": "fix it now", "source": "test"}
    m.update(meta)
    return Policy(pid, "aws", f"policies/aws/{pid}.yaml", m, definition)


def results(tmp_path: Path, tf: str, policies: list, cfg: Config | None = None) -> set[tuple[str, str]]:
    (tmp_path / "main.tf").write_text(textwrap.dedent(tf))
    g = load([str(tmp_path)], LoadOptions())
    assert not g.errors, g.errors
    return {(r["resource"], r["status"]) for r in evaluate_policies(g, policies, cfg)}


def test_phi_path_scope_judges_only_ephi_stores_and_what_connects_to_them(tmp_path):
    tf = """
    resource "aws_s3_bucket" "phi" {
      bucket = "phi"
      tags   = { data_classification = "ephi" }
    }
    resource "aws_sagemaker_notebook_instance" "reads_phi" {
      name                   = "reads-phi"
      direct_internet_access = "Enabled"
      default_code_repository = aws_s3_bucket.phi.bucket
    }
    resource "aws_sagemaker_notebook_instance" "sandbox" {
      name                   = "sandbox"
      direct_internet_access = "Enabled"
    }
    """
    p = [PACK["HIPAA_AWS_SAGEMAKER_001"]]
    everything = results(tmp_path, tf, p)
    assert everything == {("aws_sagemaker_notebook_instance.reads_phi", "failed"),
                          ("aws_sagemaker_notebook_instance.sandbox", "failed")}
    scoped = results(tmp_path, tf, p, Config(scope="phi-path"))
    assert scoped == {("aws_sagemaker_notebook_instance.reads_phi", "failed")}
    # other tag names are configurable
    retagged = results(tmp_path, tf.replace("data_classification", "sensitivity"), p,
                       Config(scope="phi-path", phi_tags={"sensitivity": ["ephi"]}))
    assert retagged == scoped


def test_parameters_replace_the_policy_default(tmp_path):
    tf = """
    resource "aws_cloudwatch_log_group" "short" {
      retention_in_days = 400
    }
    """
    definition = {"cond_type": "attribute", "resource_types": ["aws_cloudwatch_log_group"],
                  "attribute": "retention_in_days", "operator": "greater_than_or_equal", "value": 2190}
    pol = policy("HIPAA_AWS_TEST_001", definition, parameters={"log_retention_days": 2190})
    assert results(tmp_path, tf, [pol]) == {("aws_cloudwatch_log_group.short", "failed")}
    assert results(tmp_path, tf, [pol], Config(parameters={"log_retention_days": 365})) == {
        ("aws_cloudwatch_log_group.short", "passed")}


def test_compliant_references_pass_only_the_declared_types(tmp_path):
    tf = """
    resource "aws_kms_key" "k" {}
    resource "aws_kms_alias" "a" { name = "alias/x" }
    resource "aws_ebs_volume" "cmk" { kms_key_id = aws_kms_key.k.arn }
    resource "aws_ebs_volume" "alias_ref" { kms_key_id = aws_kms_alias.a.arn }
    resource "aws_ebs_volume" "literal" { kms_key_id = "alias/aws/ebs" }
    """
    definition = {"cond_type": "attribute", "resource_types": ["aws_ebs_volume"], "attribute": "kms_key_id",
                  "operator": "not_regex_match", "value": "(^|:)alias/aws/"}
    pol = policy("HIPAA_AWS_TEST_002", definition, compliant_references={"kms_key_id": ["aws_kms_key"]})
    assert results(tmp_path, tf, [pol]) == {
        ("aws_ebs_volume.cmk", "passed"), ("aws_ebs_volume.alias_ref", "unknown"),
        ("aws_ebs_volume.literal", "failed")}


def test_opt_in_policies_run_only_when_enabled():
    from hipaa_iac.policy.loader import Pack, select
    on = policy("HIPAA_AWS_TEST_003", {}, opt_in=True)
    off = policy("HIPAA_AWS_TEST_004", {})
    pack = Pack([on, off])
    assert [p.id for p in select(pack, None, None, None)] == ["HIPAA_AWS_TEST_004"]
    assert [p.id for p in select(pack, None, None, ["HIPAA_AWS_TEST_00*"])] == ["HIPAA_AWS_TEST_003", "HIPAA_AWS_TEST_004"]
    assert [p.id for p in select(pack, ["HIPAA_AWS_TEST_003"], None, None)] == ["HIPAA_AWS_TEST_003"]


def test_literal_secret_names_the_attribute_never_the_value(tmp_path):
    tf = """
    variable "pw" {}
    resource "aws_db_instance" "literal" {
      engine   = "postgres"
      password = "CANARY-literal-secret"
    }
    resource "aws_db_instance" "runtime" {
      engine   = "postgres"
      password = var.pw
    }
    resource "aws_db_instance" "managed" {
      engine                      = "postgres"
      manage_master_user_password = true
    }
    """
    pol = policy("HIPAA_AWS_TEST_005", {"cond_type": "attribute", "resource_types": ["aws_db_instance"],
                                        "attribute": "password", "operator": "not_exists"},
                 engine="literal_secret", engine_args={"attributes": ["password", "master_password"]})
    (tmp_path / "main.tf").write_text(textwrap.dedent(tf))
    out = evaluate_policies(load([str(tmp_path)], LoadOptions()), [pol])
    assert {(r["resource"], r["status"]) for r in out} == {
        ("aws_db_instance.literal", "failed"), ("aws_db_instance.runtime", "passed"),
        ("aws_db_instance.managed", "passed")}
    assert all("CANARY" not in r["message"] for r in out)
    failed = next(r for r in out if r["status"] == "failed")
    assert failed["message"].startswith("password is written in the configuration (value not shown)")
    assert failed["line"] == 5


def test_eligible_service_allowlist_and_configuration(tmp_path):
    elig = [p for p in PACK.values() if p.meta.get("engine") == "eligible_service" and p.meta["engine_args"]["cloud"] == "aws"]
    assert elig, "the AWS eligible-service policy is missing from the pack"
    tf = """
    resource "aws_s3_bucket" "data" { bucket = "phi" }
    resource "aws_lightsail_instance" "box" { name = "box" }
    resource "aws_healthlake_fhir_datastore" "typo" { name = "x" }
    """
    got = results(tmp_path, tf, elig)
    assert ("aws_s3_bucket.data", "passed") in got
    assert ("aws_lightsail_instance.box", "failed") in got
    assert ("aws_healthlake_fhir_datastore.typo", "failed") in got
    (tmp_path / "main.tf").write_text(textwrap.dedent(tf))
    msgs = {r["resource"]: r["message"] for r in evaluate_policies(load([str(tmp_path)], LoadOptions()), elig)}
    assert "awscc_healthlake_fhir_datastore" in msgs["aws_healthlake_fhir_datastore.typo"]
    # a BAA can cover more, or less, than the published list
    cfg = Config(eligible_services={"aws": {"add": ["aws_lightsail_"], "remove": ["aws_s3_bucket"]}})
    got2 = results(tmp_path, tf, elig, cfg)
    assert ("aws_lightsail_instance.box", "passed") in got2
    assert ("aws_s3_bucket.data", "failed") in got2


def test_known_start_of_a_string_decides_what_it_can(tmp_path):
    """`"serviceAccount:${...}"` is unknown, but it is certainly not `allUsers`; it may be anything that starts
    with `serviceAccount:`, so equality with such a value stays unknown."""
    tf = """
    resource "google_service_account" "x" { account_id = "x" }
    resource "google_storage_bucket_iam_member" "sa" {
      member = "serviceAccount:${google_service_account.x.email}"
    }
    resource "google_storage_bucket_iam_member" "public" {
      member = "allUsers"
    }
    """
    not_public = policy("HIPAA_GCP_TEST_001", {"not": {"cond_type": "attribute",
                        "resource_types": ["google_storage_bucket_iam_member"], "attribute": "member",
                        "operator": "within", "value": ["allUsers", "allAuthenticatedUsers"]}})
    (tmp_path / "main.tf").write_text(textwrap.dedent(tf))
    out = {r["resource"]: r for r in evaluate_policies(load([str(tmp_path)], LoadOptions()), [not_public])}
    assert out["google_storage_bucket_iam_member.sa"]["status"] == "passed"
    assert out["google_storage_bucket_iam_member.public"]["status"] == "failed"
    assert out["google_storage_bucket_iam_member.public"]["message"] == \
        'member = "allUsers", but it must not be one of "allUsers", "allAuthenticatedUsers"'
    exact = policy("HIPAA_GCP_TEST_002", {"cond_type": "attribute", "resource_types": ["google_storage_bucket_iam_member"],
                                          "attribute": "member", "operator": "equals",
                                          "value": "serviceAccount:trainer@p.iam.gserviceaccount.com"})
    out2 = {r["resource"]: r["status"] for r in evaluate_policies(load([str(tmp_path)], LoadOptions()), [exact])}
    assert out2 == {"google_storage_bucket_iam_member.sa": "unknown", "google_storage_bucket_iam_member.public": "failed"}


def test_decide_on_prefix_table():
    from hipaa_iac.policy.evaluate import decide_on_prefix as d
    assert d("equals", "arn:aws:kms:", "alias/aws/s3") is False
    assert d("equals", "arn:", "arn:aws:kms:x") is None
    assert d("not_within", "serviceAccount:", ["allUsers"]) is True
    assert d("starting_with", "arn:aws:kms:us-east-1:", "arn:aws:kms:") is True
    assert d("not_starting_with", "arn:aws:kms:", "alias/aws/") is True
    assert d("starting_with", "arn:", "arn:aws:kms:") is None
    assert d("regex_match", "arn:", "^arn:") is None
