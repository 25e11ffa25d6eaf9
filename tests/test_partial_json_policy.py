"""Policy documents written with jsonencode() (or data "aws_iam_policy_document") that hold values known
only after apply: text operators decide on the known text where no value of the unknown parts can change
the answer, and stay unknown otherwise (policy.evaluate._decide_partial, resolve.functions.structural_leaves)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hipaa_iac.model import Unknown
from hipaa_iac.resolve.functions import PartialJSON, structural_leaves

CONFIG = Path(__file__).parent / "data" / "partial_json" / "main.tf"


def _scan(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG.read_text())
    out = subprocess.run([sys.executable, "-m", "hipaa_iac", "scan", str(tmp_path), "-f", "json", "--no-cache",
                          "--policy", "HIPAA_AWS_IAM_001", "--policy", "HIPAA_AWS_S3_008"],
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def test_known_text_decides_and_structure_stays_unknown(tmp_path):
    got = {(r["policy_id"], r["resource"], r["status"]) for r in _scan(tmp_path)["results"]}
    assert got == {
        ("HIPAA_AWS_IAM_001", "aws_iam_policy.read_only", "passed"),              # only an ARN is unknown
        ("HIPAA_AWS_IAM_001", "aws_iam_policy.admin", "failed"),                  # Allow * on *, unknown Sid
        ("HIPAA_AWS_IAM_001", "aws_iam_policy.whole_statements", "unknown"),      # statements unknown
        ("HIPAA_AWS_IAM_001", "aws_iam_policy.admin_on_unknown_resource", "unknown"),  # Resource may be "*"
        ("HIPAA_AWS_S3_008", "aws_s3_bucket_policy.tls", "passed"),
        ("HIPAA_AWS_S3_008", "aws_s3_bucket_policy.no_tls", "failed"),
    }


def test_messages_name_the_unknown_part(tmp_path):
    by = {r["resource"]: r["message"] for r in _scan(tmp_path)["results"]}
    assert by["aws_iam_policy.read_only"] == (
        "policy is a JSON document known except for 1 value (aws_s3_bucket.b.arn is known only after apply), "
        "as required (it must not match the pattern given in the policy)")
    assert by["aws_iam_policy.admin"].startswith("policy is a JSON document known except for 1 value (var.sid ")


def test_structural_positions():
    u = Unknown("x")
    doc = lambda *parts: PartialJSON("r", (), list(parts), None)  # noqa: E731
    assert not structural_leaves(doc('{"Statement":[{"Action":"s3:GetObject","Resource":', u, '}]}'))
    assert not structural_leaves(doc('{"Statement":[{"Condition":{"StringEquals":{"aws:x":', u, '}}}]}'))
    assert structural_leaves(doc('{"Statement":', u, '}'))
    assert structural_leaves(doc('{"Statement":[{"Action":"*"},', u, ']}'))
    assert structural_leaves(doc('{"a":', u, '}'))
    assert structural_leaves(doc('{"Statement":[{"Sid":"a\\"b{","Action":"*"},', u, ']}'))  # escapes, braces in strings


# --- strings with a known start and end ("arn:${partition}:iam::aws:policy/X") ------------------------------

ARN_CONFIG = '''
data "aws_partition" "current" {}
locals {
  partition = try(data.aws_partition.current.partition, "")
  prefix    = "arn:${local.partition}:iam::aws:policy"
}
resource "aws_iam_role" "r" { name = "r" }
resource "aws_iam_role_policy_attachment" "read_only" {
  role       = aws_iam_role.r.name
  policy_arn = "${local.prefix}/ReadOnlyAccess"
}
resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.r.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AdministratorAccess"
}
'''


def test_a_known_end_decides_an_anchored_pattern(tmp_path):
    (tmp_path / "main.tf").write_text(ARN_CONFIG)
    out = subprocess.run([sys.executable, "-m", "hipaa_iac", "scan", str(tmp_path), "-f", "json", "--no-cache",
                          "--policy", "HIPAA_AWS_IAM_005"], capture_output=True, text=True)
    got = {(r["resource"], r["status"]) for r in json.loads(out.stdout)["results"]}
    # ReadOnlyAccess can never end in /AdministratorAccess; the admin ARN depends on the partition
    assert got == {("aws_iam_role_policy_attachment.read_only", "passed"),
                   ("aws_iam_role_policy_attachment.admin", "unknown")}


def test_literal_head_and_tail_rule_matches_out_soundly():
    from hipaa_iac.policy.evaluate import decide_on_prefix
    p = "^arn:aws[a-zA-Z-]*:iam::aws:policy/AdministratorAccess$"
    assert decide_on_prefix("regex_match", "arn:", p, ":iam::aws:policy/ReadOnlyAccess") is False
    assert decide_on_prefix("not_regex_match", "arn:", p, ":iam::aws:policy/ReadOnlyAccess") is True
    assert decide_on_prefix("regex_match", "arn:", p, ":iam::aws:policy/AdministratorAccess") is None
    assert decide_on_prefix("regex_match", "", p, "AdministratorAccess") is None     # the middle may supply the rest
    assert decide_on_prefix("regex_match", "arn:aws-x", p, "") is None
    assert decide_on_prefix("regex_match", "gs://", p, "") is False                   # the start rules it out
    assert decide_on_prefix("regex_match", "x", "^(a|x)", "") is None                  # alternation: never
    assert decide_on_prefix("ending_with", "", "Access", "/ReadOnlyAccess") is True
    assert decide_on_prefix("equals", "arn:", "arn:aws:x", "y") is False


def test_a_sensitive_template_keeps_no_known_end():
    from hipaa_iac.model import Unknown, redact_unknowns
    u = redact_unknowns(Unknown("r", prefix="secret-start", suffix="secret-end"))
    assert u.prefix is None and u.suffix is None


# --- splat over counted resources -----------------------------------------------------------------------------

def _graph_values(tmp_path, config):
    from hipaa_iac.load import load
    (tmp_path / "main.tf").write_text(config)
    g = load([str(tmp_path)])
    return {r.address: r.attributes for r in g.resources}


def test_a_splat_over_a_counted_resource_maps_every_instance(tmp_path):
    attrs = _graph_values(tmp_path, '''
variable "on" { default = false }
resource "aws_s3_bucket" "n" {
  count  = 2
  bucket = "b-${count.index}"
}
resource "aws_s3_bucket" "none" {
  count  = var.on ? 1 : 0
  bucket = "never"
}
resource "aws_s3_bucket" "one" { bucket = "single" }
resource "aws_s3_bucket" "fe" {
  for_each = toset(["a"])
  bucket   = each.key
}
resource "null_resource" "use" {
  triggers = {
    full    = join(",", aws_s3_bucket.n[*].bucket)
    legacy  = join(",", aws_s3_bucket.n.*.bucket)
    empty   = length(aws_s3_bucket.none[*].bucket)
    single  = (aws_s3_bucket.one[*].bucket)[0]
    indexed = (aws_s3_bucket.n[*].bucket)[1]
    legacy1 = aws_s3_bucket.n.*.bucket[1]
  }
  count = 1
}
output "fe" { value = aws_s3_bucket.fe[*].bucket }
''')
    t = attrs["null_resource.use[0]"]["triggers"]
    assert (t["full"], t["legacy"], t["empty"], t["single"], t["indexed"]) == ("b-0,b-1", "b-0,b-1", 0, "single", "b-1")
    assert t["legacy1"] == "b-1"  # `.*` applies only the attribute steps; the index applies to the list


def test_source_documents_from_counted_policy_documents(tmp_path):
    (tmp_path / "main.tf").write_text('''
variable "attach" { default = false }
data "aws_iam_policy_document" "a" {
  count = var.attach ? 1 : 0
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "b" {
  count = 1
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::x/*"]
  }
}
data "aws_iam_policy_document" "this" {
  source_policy_documents = flatten(concat(data.aws_iam_policy_document.a[*].json, data.aws_iam_policy_document.b[*].json, []))
}
resource "aws_iam_policy" "p" { policy = data.aws_iam_policy_document.this.json }
''')
    out = subprocess.run([sys.executable, "-m", "hipaa_iac", "scan", str(tmp_path), "-f", "json", "--no-cache",
                          "--policy", "HIPAA_AWS_IAM_001"], capture_output=True, text=True)
    assert [(r["resource"], r["status"]) for r in json.loads(out.stdout)["results"]] == [("aws_iam_policy.p", "passed")]


def test_a_member_list_with_known_starts_is_decided(tmp_path):
    (tmp_path / "main.tf").write_text('''
resource "google_service_account" "sa" { account_id = "trainer" }
variable "who" {}
resource "google_storage_bucket_iam_binding" "private" {
  bucket  = "phi"
  role    = "roles/storage.objectViewer"
  members = ["serviceAccount:${google_service_account.sa.email}", "group:ml@example.org"]
}
resource "google_storage_bucket_iam_binding" "public" {
  bucket  = "phi"
  role    = "roles/storage.objectViewer"
  members = ["serviceAccount:${google_service_account.sa.email}", "allUsers"]
}
resource "google_storage_bucket_iam_binding" "open" {
  bucket  = "phi"
  role    = "roles/storage.objectViewer"
  members = [var.who]
}
''')
    out = subprocess.run([sys.executable, "-m", "hipaa_iac", "scan", str(tmp_path), "-f", "json", "--no-cache",
                          "--policy", "HIPAA_GCP_IAM_003"], capture_output=True, text=True)
    got = {(r["resource"], r["status"]) for r in json.loads(out.stdout)["results"]}
    assert got == {("google_storage_bucket_iam_binding.private", "passed"),
                   ("google_storage_bucket_iam_binding.public", "failed"),
                   ("google_storage_bucket_iam_binding.open", "unknown")}
