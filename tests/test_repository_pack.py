"""A policy pack named by the scanned repository's own configuration (`policy_dir` in .hipaa-iac.yaml) is
part of the change it judges: a governance warning (an error under --strict), and a pack whose regular
expressions could backtrack catastrophically is refused before it can hang the scan."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from hipaa_iac.policy.regex_guard import catastrophic

POLICY = """metadata:
  id: ORG_BUCKET_001
  name: Bucket name is not a test name
  category: GENERAL_SECURITY
  severity: LOW
  guideline: https://example.org
  hipaa_category: integrity
  hipaa: ["164.312(c)(1)"]
  nist_800_171: ["3.8.9"]
  description: Bucket names follow the naming standard.
  remediation: Rename the bucket.
  source: example
definition:
  cond_type: attribute
  resource_types: [aws_s3_bucket]
  attribute: bucket
  operator: not_regex_match
  value: '{pattern}'
"""


def _repo(tmp_path, pattern):
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "' + "a" * 40 + '!"\n}\n')
    (tmp_path / "pack" / "org").mkdir(parents=True)
    (tmp_path / "pack" / "org" / "ORG_BUCKET_001.yaml").write_text(POLICY.replace("{pattern}", pattern))
    (tmp_path / ".hipaa-iac.yaml").write_text("policy_dir: pack\n")
    return tmp_path


def _scan(path, *extra):
    t = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "hipaa_iac", "scan", str(path), "-f", "json", "--no-cache", *extra],
                       capture_output=True, text=True, timeout=60)
    return p, time.monotonic() - t


def test_a_catastrophic_pattern_in_a_repository_pack_is_refused_quickly(tmp_path):
    p, seconds = _scan(_repo(tmp_path, "^(a+)+$"))
    assert p.returncode == 2 and seconds < 20
    assert "policy_dir: the repository's policy pack is refused" in p.stderr
    assert "ORG_BUCKET_001.yaml" in p.stderr


def test_a_repository_pack_is_a_governance_warning_and_an_error_under_strict(tmp_path):
    repo = _repo(tmp_path, "^test-")
    p, _ = _scan(repo)
    rep = json.loads(p.stdout)
    assert p.returncode == 0
    assert [r["policy_id"] for r in rep["results"]] == ["ORG_BUCKET_001"]
    assert any(w["message"].startswith("governance: policy_dir in the repository's own configuration")
               and w["file"].endswith(".hipaa-iac.yaml") and w["line"] == 1 for w in rep["warnings"])
    p, _ = _scan(repo, "--strict")
    assert p.returncode == 2


@pytest.mark.parametrize("pattern,risky", [
    ("(a+)+$", True), ("(a|aa)*$", True), ("(a*)*", True), ("(?:a{1,5})+", True), ("(a?)+", True),
    ("^(ab)+$", False), ("a{2,3}b", False), ("(a{3})+", False), ("(ab)*?c", False),
    ("^arn:aws[a-zA-Z-]*:iam::aws:policy/AdministratorAccess$", False),
])
def test_catastrophic_constructs(pattern, risky):
    assert catastrophic(pattern) is risky
