"""The same input gives byte-identical reports: across runs, across hash seeds (set/dict ordering), and with a
cold cache, a warm cache and no cache."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORMATS = ("json", "sarif", "junit", "markdown", "html", "csv", "text")


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def write_stack(d: Path) -> None:
    """Several resources across files and a module, with passed, failed and unknown results, references
    between resources, for_each keys and a plan-free unknown."""
    (d / "mod").mkdir(parents=True)
    (d / "main.tf").write_text("""
variable "internet" {
  type = string
}
locals {
  buckets = { raw = "phi-raw", curated = "phi-curated", logs = "phi-logs" }
}
resource "aws_s3_bucket" "data" {
  for_each = local.buckets
  bucket   = each.value
  tags     = { data_classification = "phi", name = each.key }
}
resource "aws_s3_bucket_public_access_block" "data" {
  for_each                = aws_s3_bucket.data
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = each.key != "logs"
}
resource "aws_kms_key" "k" {
  description         = "phi"
  enable_key_rotation = true
}
resource "aws_s3_bucket_server_side_encryption_configuration" "e" {
  bucket = aws_s3_bucket.data["raw"].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.k.arn
    }
  }
}
resource "aws_sagemaker_notebook_instance" "nb" {
  count                  = 2
  name                   = "nb-${count.index}"
  role_arn               = "arn:aws:iam::123456789012:role/x"
  instance_type          = "ml.t3.medium"
  direct_internet_access = count.index == 0 ? "Disabled" : var.internet
  kms_key_id             = aws_kms_key.k.arn
}
module "db" {
  source = "./mod"
  name   = "phi"
}
""")
    (d / "mod" / "main.tf").write_text("""
variable "name" {
  type = string
}
resource "aws_db_instance" "this" {
  identifier          = var.name
  engine              = "postgres"
  instance_class      = "db.m6g.large"
  allocated_storage   = 100
  username            = "phi_admin"
  password            = "not-a-real-password"
  storage_encrypted   = true
  publicly_accessible = false
}
""")
    (d / "other.tf").write_text("""
resource "azurerm_storage_account" "sa" {
  name                     = "phisa"
  resource_group_name      = "rg"
  location                 = "eastus"
  account_tier             = "Standard"
  account_replication_type = "GRS"
  min_tls_version          = "TLS1_0"
}
resource "google_storage_bucket" "g" {
  name     = "phi"
  location = "US"
}
""")


def run_all_formats(stack: Path, out: Path, env_extra: dict, *flags: str) -> dict[str, bytes]:
    out.mkdir()
    env = dict(os.environ, NO_COLOR="1", SOURCE_DATE_EPOCH="1764806400", **env_extra)  # a fixed scan time
    also = [a for f in FORMATS[1:] for a in ("--also", f"{f}={out / ('r.' + f)}")]
    p = subprocess.run([sys.executable, "-m", "hipaa_iac", "scan", ".", "-f", "json", "-o", str(out / "r.json"),
                        *also, *flags], cwd=stack, env=env, capture_output=True, timeout=120, preexec_fn=_limits)
    assert p.returncode == 1 and b"Traceback" not in p.stderr, p.stderr[-2000:]
    return {f: (out / f"r.{f}").read_bytes() for f in FORMATS}


def test_reports_are_byte_identical_across_runs_seeds_and_cache(tmp_path):
    stack = tmp_path / "stack"
    write_stack(stack)
    cache = str(tmp_path / "cache")
    cold = run_all_formats(stack, tmp_path / "cold", {"PYTHONHASHSEED": "0", "HIPAA_IAC_CACHE_DIR": cache})
    warm = run_all_formats(stack, tmp_path / "warm", {"PYTHONHASHSEED": "123", "HIPAA_IAC_CACHE_DIR": cache})
    none = run_all_formats(stack, tmp_path / "none", {"PYTHONHASHSEED": "random"}, "--no-cache")
    import json
    rep = json.loads(cold["json"])
    statuses = {r["status"] for r in rep["results"]}
    assert {"passed", "failed", "unknown"} <= statuses, statuses
    assert rep["summary"]["resources"] >= 10
    for fmt in FORMATS:
        assert cold[fmt] == warm[fmt], f"{fmt}: PYTHONHASHSEED=0 (cold cache) vs 123 (warm cache) differ"
        assert cold[fmt] == none[fmt], f"{fmt}: cached vs --no-cache with a random hash seed differ"


def test_graph_is_byte_identical_across_seeds(tmp_path):
    stack = tmp_path / "stack"
    write_stack(stack)
    outs = []
    for seed in ("0", "123"):
        p = subprocess.run([sys.executable, "-m", "hipaa_iac", "graph", "."], cwd=stack, capture_output=True,
                           timeout=120, preexec_fn=_limits,
                           env=dict(os.environ, PYTHONHASHSEED=seed, HIPAA_IAC_CACHE_DIR=str(tmp_path / "c")))
        assert p.returncode == 0, p.stderr[-2000:]
        outs.append(p.stdout)
    assert outs[0] == outs[1]
