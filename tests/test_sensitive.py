"""Sensitive values never reach any output: every report format, `--also` files, stderr and `hipaa-iac graph`.

A canary secret sits (a) in `sensitive = true` variable defaults (and a tfvars override) used in attributes
that policies judge (passwords for HIPAA_AWS_SECRETS_001, `direct_internet_access`, KMS key ids checked by
regex policies, nested blocks, a value derived through a local, a module input), and (b) in a plan's
`after_sensitive` / `sensitive_values` marked values, top-level and nested. The whole pack runs over it.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path


FORMATS = ("text", "json", "sarif", "markdown", "junit", "html", "csv")
CANARY = "CANARY-7f3a9c"
SECRET_PARTS = ("CANARY", "7f3a9c")  # a truncated value would still show one of these


def run_cli(args: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    env = dict(os.environ, HIPAA_IAC_CACHE_DIR=str(cwd / ".cache"), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "hipaa_iac", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout, preexec_fn=limits)


def assert_no_canary(text: str, where: str) -> None:
    for part in SECRET_PARTS:
        i = text.find(part)
        assert i < 0, f"secret leaked in {where}: ...{text[max(0, i - 200):i + 60]}..."


def scan_everything(tmp: Path, target: str) -> dict:
    """Every format (the JSON report on stdout, all seven through --also files), the compact text report and
    the graph; stdout and stderr of each run included. Returns the JSON report."""
    also = [a for fmt in FORMATS for a in ("--also", f"{fmt}={tmp / ('also.' + fmt)}")]
    p = run_cli(["scan", target, "-f", "json", *also], tmp)
    assert p.returncode in (0, 1, 2) and "Traceback" not in p.stderr, p.stderr[-2000:]
    assert_no_canary(p.stdout + p.stderr, "scan -f json")
    report = json.loads(p.stdout)
    for fmt in FORMATS:
        assert_no_canary((tmp / f"also.{fmt}").read_text(), f"scan -f {fmt}")
    p = run_cli(["scan", target, "-f", "text", "--compact"], tmp)
    assert_no_canary(p.stdout + p.stderr, "scan -f text --compact")
    g = run_cli(["graph", target], tmp)
    assert g.returncode in (0, 2) and "Traceback" not in g.stderr, g.stderr[-2000:]
    assert_no_canary(g.stdout + g.stderr, "hipaa-iac graph")
    json.loads(g.stdout)
    return report


HCL = """
variable "db_password" {
  type      = string
  sensitive = true
  default   = "CANARY-7f3a9c-default"
}
variable "tfvars_password" {
  type      = string
  sensitive = true
}
variable "mode" {
  type      = string
  sensitive = true
  default   = "CANARY-7f3a9c-mode"
}
variable "kms" {
  type      = string
  sensitive = true
  default   = "alias/aws/CANARY-7f3a9c-kms"
}
locals {
  derived = "${var.mode}-derived"
}
resource "aws_db_instance" "db" {
  identifier        = "phi"
  engine            = "postgres"
  instance_class    = "db.m6g.large"
  allocated_storage = 100
  username          = "phi_admin"
  password          = var.db_password
  kms_key_id        = var.kms
  storage_encrypted = true
}
resource "aws_rds_cluster" "c" {
  engine          = "aurora-postgresql"
  master_username = "phi_admin"
  master_password = var.tfvars_password
  kms_key_id      = var.kms
}
resource "aws_sagemaker_notebook_instance" "nb" {
  name                   = "nb"
  role_arn               = "arn:aws:iam::123456789012:role/x"
  instance_type          = "ml.t3.medium"
  direct_internet_access = var.mode
  root_access            = local.derived
  kms_key_id             = var.kms
}
resource "aws_s3_bucket" "b" {
  bucket = "phi-bucket"
  tags   = { data_classification = "phi", owner = var.mode }
}
resource "aws_s3_bucket_server_side_encryption_configuration" "e" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms
    }
  }
}
resource "azurerm_mssql_server" "sql" {
  name                         = "sql"
  resource_group_name          = "rg"
  location                     = "eastus"
  version                      = "12.0"
  administrator_login          = "phi_admin"
  administrator_login_password = var.db_password
}
module "inner" {
  source = "./inner"
  pw     = var.db_password
}
"""

INNER = """
variable "pw" {
  type = string
}
resource "aws_db_instance" "inner" {
  engine     = "postgres"
  username   = "phi_admin"
  password   = var.pw
  kms_key_id = var.pw
}
"""


def test_sensitive_variables_never_printed(tmp_path):
    (tmp_path / "main.tf").write_text(HCL)
    (tmp_path / "terraform.tfvars").write_text('tfvars_password = "CANARY-7f3a9c-tfvars"\n')
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "main.tf").write_text(INNER)
    report = scan_everything(tmp_path, ".")
    # the policies that look at the secret-bearing attributes did run on them
    judged = {(r["policy_id"], r["resource"]): r for r in report["results"]}
    for addr in ("aws_db_instance.db", "aws_rds_cluster.c", "module.inner.aws_db_instance.inner"):
        assert judged[("HIPAA_AWS_SECRETS_001", addr)]["status"] == "failed"
    assert judged[("HIPAA_AWS_SAGEMAKER_001", "aws_sagemaker_notebook_instance.nb")]["status"] == "failed"
    assert judged[("HIPAA_AWS_S3_001", "aws_s3_bucket_server_side_encryption_configuration.e")]["status"] == "failed"
    assert any(r["resource"] == "azurerm_mssql_server.sql" for r in report["results"])


def _plan_resource(addr: str, rtype: str, values: dict, marks: dict) -> tuple[dict, dict]:
    base = {"address": addr, "mode": "managed", "type": rtype, "name": addr.split(".")[-1],
            "provider_name": "registry.terraform.io/hashicorp/aws"}
    change = {"actions": ["create"], "before": None, "after": values, "after_unknown": {},
              "before_sensitive": False, "after_sensitive": marks}
    return dict(base, schema_version=0, values=values, sensitive_values=marks), dict(base, change=change)


def test_plan_sensitive_values_never_printed(tmp_path):
    c = CANARY
    items = [
        _plan_resource("aws_db_instance.db", "aws_db_instance",
                       {"engine": "postgres", "username": "phi_admin", "password": c + "-pw",
                        "kms_key_id": "alias/aws/" + c, "storage_encrypted": True},
                       {"password": True, "kms_key_id": True}),
        _plan_resource("aws_sagemaker_notebook_instance.nb", "aws_sagemaker_notebook_instance",
                       {"name": "nb", "role_arn": "r", "instance_type": "ml.t3.medium",
                        "direct_internet_access": c + "-mode", "root_access": c + "-root", "kms_key_id": c},
                       {"direct_internet_access": True, "root_access": True, "kms_key_id": True}),
        _plan_resource("aws_s3_bucket_server_side_encryption_configuration.e",
                       "aws_s3_bucket_server_side_encryption_configuration",
                       {"bucket": "b", "rule": [{"apply_server_side_encryption_by_default": [
                           {"sse_algorithm": "aws:kms", "kms_master_key_id": "alias/aws/" + c}]}]},
                       {"rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": True}]}]}),
        _plan_resource("aws_s3_bucket.b", "aws_s3_bucket",
                       {"bucket": "b", "object_lock_enabled": c, "tags": {"owner": c, "data_classification": "phi"}},
                       {"object_lock_enabled": True, "tags": True}),
    ]
    plan = {"format_version": "1.2", "terraform_version": "1.9.0",
            "planned_values": {"root_module": {"resources": [a for a, _ in items]}},
            "resource_changes": [b for _, b in items]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    report = scan_everything(tmp_path, "plan.json")
    assert report["errors"] == []
    judged = {(r["policy_id"], r["resource"]): r["status"] for r in report["results"]}
    assert judged[("HIPAA_AWS_SAGEMAKER_001", "aws_sagemaker_notebook_instance.nb")] == "failed"
    assert judged[("HIPAA_AWS_S3_004", "aws_s3_bucket.b")] == "failed"
    assert judged[("HIPAA_AWS_S3_001", "aws_s3_bucket_server_side_encryption_configuration.e")] == "failed"


def test_sensitive_for_each_keys_never_printed(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "names" {\n  type      = list(string)\n  sensitive = true\n'
        '  default   = ["CANARY-7f3a9c-key"]\n}\n'
        'resource "aws_s3_bucket" "fe" {\n  for_each = toset(var.names)\n  bucket   = "x"\n}\n')
    scan_everything(tmp_path, ".")


def test_sensitive_value_in_an_index_never_printed(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "mode" {\n  type      = string\n  sensitive = true\n  default   = "CANARY-7f3a9c-mode"\n}\n'
        'resource "aws_sagemaker_notebook_instance" "nb" {\n  name          = "nb"\n  role_arn      = "r"\n'
        '  instance_type = "ml.t3.medium"\n  root_access   = { x = "Disabled" }[var.mode]\n}\n')
    scan_everything(tmp_path, ".")


def test_sensitive_value_through_a_dynamic_block_never_printed(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "kms" {\n  type      = string\n  sensitive = true\n  default   = "alias/aws/CANARY-7f3a9c-dyn"\n}\n'
        'resource "aws_s3_bucket_server_side_encryption_configuration" "e" {\n  bucket = "b"\n'
        '  dynamic "rule" {\n    for_each = [var.kms]\n    content {\n'
        '      apply_server_side_encryption_by_default {\n        sse_algorithm     = "aws:kms"\n'
        '        kms_master_key_id = rule.value\n      }\n    }\n  }\n}\n')
    report = scan_everything(tmp_path, ".")
    assert any(r["policy_id"] == "HIPAA_AWS_S3_001" for r in report["results"])
