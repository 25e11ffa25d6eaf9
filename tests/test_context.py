"""Context where the provider or service defines it (policy/context.py, metadata.context): the pieces the
per-policy fixtures do not show on their own. The verdicts themselves are in fixtures/policies/<ID>/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hipaa_iac.config import Config
from hipaa_iac.load import LoadOptions, load
from hipaa_iac.policy.context import check_context, top_or
from hipaa_iac.policy.loader import load_pack
from hipaa_iac.policy.schema import validate_policy
from hipaa_iac.scan import evaluate_policies

REPO = Path(__file__).resolve().parents[1]
PACK = {p.id: p for p in load_pack(str(REPO / "policies")).policies}


def _results(tmp_path: Path, hcl: str, pid: str, config=None) -> dict[str, tuple[str, str]]:
    (tmp_path / "main.tf").write_text(hcl)
    g = load([str(tmp_path)], LoadOptions())
    return {r["resource"]: (r["status"], r["message"]) for r in evaluate_policies(g, [PACK[pid]], config)}


def test_sagemaker_instance_storage_regex_is_generated_from_the_table():
    table = yaml.safe_load((REPO / "src/hipaa_iac/data/sagemaker_instance_storage.yaml").read_text())
    assert table["date"] and table["source"]
    families = [row["family"] for row in table["families"]]
    assert len(families) == len(set(families))
    want = r"^ml\.(" + "|".join(families) + r")\."
    alts = top_or(PACK["HIPAA_AWS_SAGEMAKER_009"].definition)
    patterns = [a["value"] for a in alts if a.get("attribute") == "production_variants.*.instance_type"]
    assert patterns == [want]
    rx = re.compile(want)
    for family in families:
        assert rx.match(f"ml.{family}.xlarge")
    for ebs_only in ("ml.m5.large", "ml.g4.xlarge", "ml.p3.2xlarge", "ml.inf2.xlarge", "ml.c5.xlarge", "ml.g5"):
        assert not rx.match(ebs_only), ebs_only


def test_every_context_alternative_is_an_alternative_checkov_runs():
    # the pack stays one definition: a context names an alternative of the definition (checkov passes it),
    # never a condition checkov does not see
    seen = 0
    for p in PACK.values():
        for c in p.meta.get("context") or ():
            if "alternative" in c:
                seen += 1
                assert top_or(p.definition)[c["alternative"]], p.id
    assert seen >= 6


@pytest.mark.parametrize("context,definition,message", [
    ([{"alternative": 3, "reason": "not a replica of anything"}], {"or": [{"a": 1}, {"b": 2}]},
     "metadata.context[0].alternative: the index of an alternative"),
    ([{"alternative": 0, "reason": "short"}], {"or": [{"a": 1}]}, "metadata.context[0].reason"),
    ([{"alternative": 0, "target_of": {"x": ["y"]}, "reason": "a long enough reason"}], {"or": [{}]},
     "metadata.context[0]: exactly one of alternative, target_of"),
    ([{"target_of": {"aws_s3_bucket_logging": "target_bucket"}, "reason": "a long enough reason"}], {"or": [{}]},
     "metadata.context[0].target_of: a mapping of resource type to a list of attribute paths"),
    ([{"alternative": 0, "via": "bucket", "reason": "a long enough reason"}], {"or": [{}]},
     "metadata.context[0].via: only with target_of"),
    ([{"target_of": {"t": ["p"]}, "reason": "a long enough reason", "colour": 1}], {"or": [{}]},
     "metadata.context[0]: unknown key(s) colour"),
    ("nope", {"or": [{}]}, "metadata.context: expected a non-empty list"),
])
def test_context_errors_name_the_entry(context, definition, message):
    errs = check_context(context, definition)
    assert any(e.startswith(message) for e in errs), errs


def test_a_broken_context_makes_the_policy_invalid():
    doc = yaml.safe_load((REPO / "policies/aws/HIPAA_AWS_RDS_004.yaml").read_text())
    doc["metadata"]["context"][0]["alternative"] = 9
    pf, errs = validate_policy(doc, "x.yaml")
    assert pf is None and any("metadata.context[0].alternative" in e for e in errs), errs


OBJECT_LOCK = """
resource "aws_s3_bucket" "curated" {
  bucket = "curated"
  tags = { data_classification = "restricted" }
}
resource "aws_s3_bucket" "gold" {
  bucket = "gold"
  tags = { dataset_tier = "gold" }
}
resource "aws_s3_bucket" "untagged" {
  bucket = "untagged"
}
"""


def test_object_lock_scope_by_default_tags(tmp_path):
    got = _results(tmp_path, OBJECT_LOCK, "HIPAA_AWS_S3_004")
    assert {k: v[0] for k, v in got.items()} == {"aws_s3_bucket.gold": "failed"}
    # a failure names what the requirement lacks, not the context alternative ("not in scope") that also failed
    assert got["aws_s3_bucket.gold"][1] == "object_lock_enabled is not set, but it must be true"


def test_failure_message_leaves_out_the_context_alternative(tmp_path):
    hcl = """
resource "aws_db_instance" "primary" {
  engine            = "postgres"
  instance_class    = "db.m6g.large"
  allocated_storage = 100
  storage_encrypted = true
  kms_key_id        = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  backup_retention_period = 3
}
"""
    got = _results(tmp_path, hcl, "HIPAA_AWS_RDS_004")
    assert got == {"aws_db_instance.primary": ("failed", "backup_retention_period = 3, but it must be at least 7")}


def test_object_lock_scope_is_configurable_through_parameters(tmp_path):
    cfg = Config(parameters={"object_lock_classification_pattern": "^(restricted|ephi)$",
                             "object_lock_tier_pattern": "^platinum$"})
    got = _results(tmp_path, OBJECT_LOCK, "HIPAA_AWS_S3_004", cfg)
    assert {k: v[0] for k, v in got.items()} == {"aws_s3_bucket.curated": "failed"}


def test_a_resource_that_meets_the_requirement_passes_whatever_its_context(tmp_path):
    hcl = """
resource "aws_s3_bucket" "locked_untagged" {
  bucket              = "locked"
  object_lock_enabled = true
}
"""
    got = _results(tmp_path, hcl, "HIPAA_AWS_S3_004")
    assert got == {"aws_s3_bucket.locked_untagged": ("passed", "object_lock_enabled = true, as required (it must "
                                                                "be true)")}


def test_log_target_by_literal_name_and_by_module_instance_key(tmp_path):
    hcl = """
resource "aws_s3_bucket" "logs" {
  for_each = toset(["a", "b"])
  bucket   = "logs-${each.key}"
}
resource "aws_s3_bucket" "data" {
  bucket = "data"
}
resource "aws_s3_bucket_logging" "data" {
  bucket        = aws_s3_bucket.data.id
  target_bucket = aws_s3_bucket.logs["a"].id
}
resource "aws_s3_bucket_logging" "by_name" {
  bucket        = "data"
  target_bucket = "logs-b"
}
"""
    got = _results(tmp_path, hcl, "HIPAA_AWS_S3_002")
    # both log destinations have S3's default SSE-S3, the only encryption AWS supports for them: no result
    assert {k: v[0] for k, v in got.items()} == {"aws_s3_bucket.data": "failed"}


def test_log_target_context_does_not_follow_the_logged_side(tmp_path):
    # the bucket being logged (aws_s3_bucket_logging.bucket) is not a log destination: still judged for a CMK
    hcl = """
resource "aws_s3_bucket" "data" {
  bucket = "data"
}
resource "aws_s3_bucket_logging" "data" {
  bucket        = aws_s3_bucket.data.id
  target_bucket = "central-logs"
}
resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
"""
    got = _results(tmp_path, hcl, "HIPAA_AWS_S3_001")
    assert {k: v[0] for k, v in got.items()} == {
        "aws_s3_bucket_server_side_encryption_configuration.data": "failed"}


def test_target_of_where_condition_and_self_path():
    # `{paths, where}`: only sources meeting `where` name anything; `.` names the source itself
    ctx = [{"target_of": {"aws_s3_bucket_acl": {"paths": ["bucket"], "where": {"cond_type": "attribute"}}},
            "reason": "a long enough reason"}]
    errs = check_context(ctx, {"or": [{}]})
    assert any(e.startswith("metadata.context[0].target_of.aws_s3_bucket_acl.where") for e in errs), errs
    assert check_context([{"target_of": {"aws_s3_bucket": {"paths": ["."], "where": {
        "cond_type": "attribute", "resource_types": ["aws_s3_bucket"], "attribute": "acl", "operator": "equals",
        "value": "log-delivery-write"}}}, "match": "bucket", "reason": "a long enough reason"}], {"or": [{}]}) == []
    assert check_context([{"target_of": {"t": {"paths": ["p"], "colour": 1}}, "reason": "a long enough reason"}],
                         {"or": [{}]}) == ["metadata.context[0].target_of: a mapping of resource type to a list of "
                                           "attribute paths (or to {paths: [...], where: condition})"]


def test_log_destination_recognised_by_acl_only_when_it_admits_log_delivery(tmp_path):
    hcl = """
resource "aws_s3_bucket" "logs" {
  bucket = "logs"
  acl    = "log-delivery-write"
}
resource "aws_s3_bucket" "private" {
  bucket = "private"
  acl    = "private"
}
resource "aws_s3_bucket" "granted" {
  bucket = "granted"
}
resource "aws_s3_bucket_acl" "granted" {
  bucket = aws_s3_bucket.granted.id
  access_control_policy {
    grant {
      grantee {
        type = "Group"
        uri  = "http://acs.amazonaws.com/groups/s3/LogDelivery"
      }
      permission = "WRITE"
    }
    owner {
      id = "x"
    }
  }
}
"""
    got = _results(tmp_path, hcl, "HIPAA_AWS_S3_002")
    assert {k: v[0] for k, v in got.items()} == {"aws_s3_bucket.private": "failed"}


def test_satisfies_entries_are_validated():
    base = {"target_of": {"aws_cloudtrail": {"paths": ["*"]}}, "reason": "a long enough reason"}
    assert check_context([{**base, "satisfies": True}], {"or": [{}]}) == []
    assert check_context([{**base, "satisfies": False}], {"or": [{}]}) == [
        "metadata.context[0].satisfies: true, and not with a definition"]
    assert check_context([{"alternative": 0, "satisfies": True, "reason": "a long enough reason"}], {"or": [{}]}) == [
        "metadata.context[0].satisfies: only with target_of"]


def test_log_destination_recognised_by_a_bucket_policy_with_unknown_parts(tmp_path):
    # the policy document's resources are known only after apply; the principal that admits log delivery is known
    hcl = """
resource "aws_s3_bucket" "logs" {
  bucket_prefix = "access-logs-"
}
data "aws_iam_policy_document" "logs" {
  statement {
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]
  }
}
resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.logs.json
}
resource "aws_s3_bucket" "data" {
  bucket_prefix = "data-"
}
"""
    got = _results(tmp_path, hcl, "HIPAA_AWS_S3_002")
    assert {k: v[0] for k, v in got.items()} == {"aws_s3_bucket.data": "failed"}


def test_provider_defaults_must_name_a_top_level_argument_with_a_reason_and_a_source():
    doc = yaml.safe_load((REPO / "policies/aws/HIPAA_AWS_REDSHIFT_002.yaml").read_text())
    assert validate_policy(doc, "x.yaml")[1] == []
    doc["metadata"]["provider_defaults"][0]["attribute"] = "logging.0.enable"
    pf, errs = validate_policy(doc, "x.yaml")
    assert pf is None and any("provider_defaults" in e and "top-level argument name" in e for e in errs), errs
    doc["metadata"]["provider_defaults"] = [{"attribute": "publicly_accessible", "reason": "short"}]
    pf, errs = validate_policy(doc, "x.yaml")
    assert pf is None and any("expected the keys attribute, reason, source" in e for e in errs), errs


def test_a_changed_provider_default_is_unknown_unset_and_judged_when_written(tmp_path):
    """Unset or null: unknown with the reason (the provider version decides); written: judged; a plan: judged as
    the provider filled it in."""
    from hipaa_iac.runner import ScanRequest, execute
    (tmp_path / "main.tf").write_text(
        'variable "none" { default = null }\n'
        'resource "aws_redshift_cluster" "unset" { cluster_identifier = "a" }\n'
        'resource "aws_redshift_cluster" "null" {\n  cluster_identifier = "b"\n  publicly_accessible = var.none\n}\n'
        'resource "aws_redshift_cluster" "private" {\n  cluster_identifier = "c"\n  publicly_accessible = false\n}\n')
    out = execute(ScanRequest(paths=[str(tmp_path)], policies=["HIPAA_AWS_REDSHIFT_002"], no_cache=True))
    got = {r["resource"]: (r["status"], r["message"]) for r in out.report["results"]}
    assert {k: v[0] for k, v in got.items()} == {"aws_redshift_cluster.unset": "unknown",
                                                "aws_redshift_cluster.null": "unknown",
                                                "aws_redshift_cluster.private": "passed"}
    assert got["aws_redshift_cluster.unset"][1].startswith(
        "cannot be decided statically: publicly_accessible: not set, and the hashicorp/aws "
        "provider sends true before version 6.0 and leaves it to the AWS API (private) from 6.0")


LOCK = '''# This file is maintained automatically by "terraform init".
provider "registry.terraform.io/hashicorp/aws" {
  version     = "%s"
  constraints = ">= 5.0"
  hashes = [
    "h1:abc=",
  ]
}
'''


@pytest.mark.parametrize("version,status,note", [
    ("5.31.0", "failed", "publicly_accessible is not set: hashicorp/aws 5.31.0 (.terraform.lock.hcl) defaults it to true"),
    ("6.2.0", "passed", "publicly_accessible is not set: hashicorp/aws 6.2.0 (.terraform.lock.hcl) defaults it to false"),
])
def test_the_lock_file_decides_a_changed_provider_default(tmp_path, version, status, note):
    """The provider version the root module is locked to (.terraform.lock.hcl, written by terraform init and
    committed) decides which default applies; the message says the value came from that default."""
    from hipaa_iac.runner import ScanRequest, execute
    (tmp_path / "main.tf").write_text('resource "aws_redshift_cluster" "unset" { cluster_identifier = "a" }\n')
    (tmp_path / ".terraform.lock.hcl").write_text(LOCK % version)
    out = execute(ScanRequest(paths=[str(tmp_path)], policies=["HIPAA_AWS_REDSHIFT_002"], no_cache=True))
    [res] = out.report["results"]
    assert res["status"] == status
    assert res["message"].endswith(f" ({note})"), res["message"]


def test_lock_file_reader_is_strict_and_bounded(tmp_path):
    from hipaa_iac.provider_versions import locked_versions, version_tuple
    (tmp_path / ".terraform.lock.hcl").write_text(
        LOCK % "5.31.0" + 'provider "registry.opentofu.org/hashicorp/google" {\n  version = "7.1.0-beta2"\n}\n'
        'provider "example.com/acme/thing" {\n  version = "not a version"\n}\n')
    assert locked_versions(str(tmp_path)) == {"hashicorp/aws": "5.31.0", "hashicorp/google": "7.1.0-beta2"}
    assert locked_versions(str(tmp_path / "absent")) == {}
    assert version_tuple("6.0.0") == (6, 0, 0) and version_tuple("7.1.0-beta2") == (7, 1, 0)
    assert version_tuple("x") is None


def test_a_lock_file_added_changed_or_removed_invalidates_a_cached_scan(tmp_path, monkeypatch):
    from hipaa_iac.runner import ScanRequest, execute
    monkeypatch.setenv("HIPAA_IAC_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    root.mkdir()
    (root / "main.tf").write_text('resource "aws_redshift_cluster" "unset" { cluster_identifier = "a" }\n')

    def status(no_cache=False):
        out = execute(ScanRequest(paths=[str(root)], policies=["HIPAA_AWS_REDSHIFT_002"], no_cache=no_cache))
        return [r["status"] for r in out.report["results"]]
    assert status() == status(True) == ["unknown"]
    (root / ".terraform.lock.hcl").write_text(LOCK % "5.31.0")
    assert status() == status(True) == ["failed"]
    (root / ".terraform.lock.hcl").write_text(LOCK % "6.0.0")
    assert status() == status(True) == ["passed"]
    (root / ".terraform.lock.hcl").unlink()
    assert status() == status(True) == ["unknown"]


def test_a_lock_file_linked_from_outside_the_repository_is_not_read(tmp_path):
    from hipaa_iac.runner import ScanRequest, execute
    outside = tmp_path / "outside.hcl"
    outside.write_text(LOCK % "6.2.0")
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "main.tf").write_text('resource "aws_redshift_cluster" "unset" { cluster_identifier = "a" }\n')
    (root / ".terraform.lock.hcl").symlink_to(outside)
    out = execute(ScanRequest(paths=[str(root)], policies=["HIPAA_AWS_REDSHIFT_002"], no_cache=True))
    assert [r["status"] for r in out.report["results"]] == ["unknown"]
