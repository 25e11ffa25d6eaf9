"""Local modules of a module repository's own examples (`examples/x` calling `source = "../../"`) are read
when the example is scanned alone: inside the git root, or, without one (a tarball or vendored copy), up to
the nearest directory at most four levels up that holds a license file (paths.project_root)."""
from __future__ import annotations

import json
import subprocess
import sys

MODULE = 'variable "name" {}\nresource "aws_s3_bucket" "this" {\n  bucket = var.name\n}\n'
EXAMPLE = 'module "bucket" {\n  source = "../../"\n  name   = "phi-data"\n}\n'


def _layout(root, license=True, git=False):
    (root / "examples" / "complete").mkdir(parents=True)
    (root / "main.tf").write_text(MODULE)
    (root / "examples" / "complete" / "main.tf").write_text(EXAMPLE)
    if license:
        (root / "LICENSE").write_text("Apache License 2.0\n")
    if git:
        (root / ".git").mkdir()
    return root / "examples" / "complete"


def _scan(path):
    out = subprocess.run([sys.executable, "-m", "hipaa_iac", "scan", str(path), "-f", "json", "--no-cache",
                          "--policy", "HIPAA_AWS_ELIGIBLE_001"], capture_output=True, text=True)
    return json.loads(out.stdout)


def test_example_reads_its_module_up_to_the_license_root(tmp_path):
    rep = _scan(_layout(tmp_path / "repo"))
    assert [r["resource"] for r in rep["results"]] == ["module.bucket.aws_s3_bucket.this"]
    assert rep["results"][0]["file"] == "../../main.tf"


def test_example_reads_its_module_inside_the_git_root(tmp_path):
    rep = _scan(_layout(tmp_path / "repo", license=False, git=True))
    assert [r["resource"] for r in rep["results"]] == ["module.bucket.aws_s3_bucket.this"]


def test_without_git_or_license_the_scan_root_contains(tmp_path):
    rep = _scan(_layout(tmp_path / "repo", license=False))
    assert rep["results"] == []
    assert any("module.bucket" in w["message"] and "outside" in w["message"] for w in rep["warnings"])


def test_the_license_root_is_at_most_four_levels_up(tmp_path):
    root = tmp_path / "repo"
    deep = root / "a" / "b" / "c" / "d" / "e"
    deep.mkdir(parents=True)
    (root / "LICENSE").write_text("MIT\n")
    (root / "main.tf").write_text(MODULE)
    (deep / "main.tf").write_text('module "m" {\n  source = "../../../../../"\n  name = "x"\n}\n')
    rep = _scan(deep)
    assert rep["results"] == []
