"""The JSON report contract, exit codes and the text report, through the real command line."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import sys
from pathlib import Path

import jsonschema

from hipaa_iac import __version__

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "src/hipaa_iac/data/report.schema.json").read_text())


CACHE = tempfile.mkdtemp(prefix="hipaa-iac-test-cache-")


def run(*args, cwd=REPO, env=None):
    e = dict(os.environ, HIPAA_IAC_CACHE_DIR=CACHE, NO_COLOR="1")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "hipaa_iac", *args], cwd=cwd, capture_output=True, text=True,
                          env=e, timeout=120)


def test_json_report_every_field_on_known_input():
    # the repository's name comes from GITHUB_REPOSITORY in CI (else the origin remote, else the directory)
    p = run("scan", "fixtures/stacks/sagemaker-noncompliant", "--policy", "HIPAA_AWS_SAGEMAKER_001", "-f", "json",
            "--no-cache", env={"GITHUB_REPOSITORY": "acme/phi-training"})
    assert p.returncode == 1, p.stderr
    report = json.loads(p.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["schema_version"] == 1
    assert report["tool"] == {"name": "hipaa-iac", "version": __version__, "nist_revision": "SP 800-171 Rev. 2"}
    scan = dict(report["scan"])
    import datetime as dt
    when = dt.datetime.strptime(scan.pop("generated_at"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert abs((dt.datetime.now(dt.timezone.utc) - when).total_seconds()) < 600  # the real scan time
    repo = scan.pop("repository")
    assert (repo["name"], repo["path"]) == ("acme/phi-training", "fixtures/stacks/sagemaker-noncompliant")
    assert repo["commit"] is None or len(repo["commit"]) == 40
    assert scan == {"roots": ["fixtures/stacks/sagemaker-noncompliant"], "policy_pack": __version__, "policies": 1,
                    "scope": "all", "gate": {"severity_threshold": "low", "unknown": "warn", "baseline": False,
                                             "verdict": "failed"}}
    assert report["summary"] == {"files": 1, "resources": 3, "policies": 1, "passed": 1, "failed": 1,
                                 "unknown": 1, "suppressed": 0, "errors": 0}
    assert report["errors"] == [] and report["warnings"] == []
    common = {"policy_id": "HIPAA_AWS_SAGEMAKER_001",
              "title": "SageMaker notebook instance has direct internet access", "severity": "high",
              "hipaa_category": "network_isolation", "resource_type": "aws_sagemaker_notebook_instance",
              "file": "main.tf", "attribute": "direct_internet_access",
              "hipaa": ["164.312(a)(1)", "164.312(e)(1)"],
              "nist_800_171": ["3.13.1", "3.13.5", "3.13.6", "3.1.3"], "suppression": None}
    by_res = {r["resource"]: r for r in report["results"]}
    assert set(by_res) == {"aws_sagemaker_notebook_instance.open", "aws_sagemaker_notebook_instance.private",
                           "aws_sagemaker_notebook_instance.from_var"}
    for r in report["results"]:
        for k, v in common.items():
            assert r[k] == v, (k, r[k])
        assert r["remediation"].startswith("Set `direct_internet_access = \"Disabled\"`")
    failed = by_res["aws_sagemaker_notebook_instance.open"]
    assert (failed["status"], failed["line"], failed["end_line"]) == ("failed", 10, 11)
    assert failed["message"] == 'direct_internet_access = "Enabled", but it must be "Disabled"'
    passed = by_res["aws_sagemaker_notebook_instance.private"]
    assert (passed["status"], passed["line"], passed["end_line"]) == ("passed", 17, 18)
    unknown = by_res["aws_sagemaker_notebook_instance.from_var"]
    assert (unknown["status"], unknown["line"]) == ("unknown", 24)
    assert unknown["message"] == ("cannot be decided statically: direct_internet_access: var.internet_access has "
                                  "no default and no value in the scanned tfvars files (it must be \"Disabled\"). "
                                  "To decide it: set it in a tfvars file passed with --var-file (or terraform.tfvars), "
                                  "or scan a plan (terraform show -json)")
    # results are ordered by file, line, policy, resource
    assert [r["line"] for r in report["results"]] == [10, 17, 24]


def test_unknown_is_not_passed_and_fails_only_with_unknown_fail():
    p = run("scan", "fixtures/stacks/sagemaker-noncompliant", "--policy", "HIPAA_AWS_SAGEMAKER_001", "--severity-threshold",
            "critical", "-f", "json", "--no-cache")
    assert p.returncode == 0  # the failure is HIGH, below the threshold
    p = run("scan", "fixtures/stacks/sagemaker-noncompliant", "--policy", "HIPAA_AWS_SAGEMAKER_001", "--unknown", "fail",
            "--severity-threshold", "high", "--skip-policy", "NOTHING", "-f", "json", "--no-cache")
    assert p.returncode == 1


def test_text_report_groups_by_file_with_citations_and_summary():
    p = run("scan", "fixtures/stacks/sagemaker-noncompliant", "--policy", "HIPAA_AWS_SAGEMAKER_001", "--no-cache")
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    assert lines[0] == "main.tf"
    assert lines[1].split() == ["FAILED", "HIGH", "main.tf:10", "HIPAA_AWS_SAGEMAKER_001",
                                "aws_sagemaker_notebook_instance.open"]
    assert "      HIPAA 164.312(a)(1), 164.312(e)(1) | NIST SP 800-171 Rev. 2 3.13.1, 3.13.5, 3.13.6, 3.1.3" in lines
    assert "\033[" not in p.stdout  # no colour when not a TTY
    assert lines[-1] == ("hipaa-iac: 1 failed, 1 passed, 1 unknown, 0 suppressed, 0 errors; 3 resources in 1 file, "
                         "1 policy -> failed")


def test_broken_file_is_reported_with_line_and_exit_2_and_other_files_still_read(tmp_path):
    (tmp_path / "good.tf").write_text('resource "aws_sagemaker_notebook_instance" "nb" {\n'
                                      '  direct_internet_access = "Enabled"\n}\n')
    (tmp_path / "broken.tf").write_text('resource "aws_sagemaker_notebook_instance" "bad" {\n'
                                        '  name = "x"\n  direct_internet_access = \n}\n')
    p = run("scan", str(tmp_path), "--policy", "HIPAA_AWS_SAGEMAKER_001", "-f", "json", "--no-cache")
    assert p.returncode == 2
    report = json.loads(p.stdout)
    jsonschema.validate(report, SCHEMA)
    assert [(e["file"], e["line"]) for e in report["errors"]] == [("broken.tf", 3)]
    assert {(r["resource"], r["status"]) for r in report["results"]} == {
        ("aws_sagemaker_notebook_instance.nb", "failed"),
        ("aws_sagemaker_notebook_instance.bad", "unknown")}
    bad = next(r for r in report["results"] if r["resource"].endswith(".bad"))
    assert bad["message"].startswith("cannot be decided statically: its file could not be read (broken.tf:3:")
    p2 = run("scan", str(tmp_path), "--policy", "HIPAA_AWS_SAGEMAKER_001", "--allow-parse-errors", "--no-cache")
    assert p2.returncode == 1


def test_bad_usage_and_bad_config_exit_2(tmp_path):
    assert run("scan", "fixtures/stacks/sagemaker-noncompliant", "-f", "yaml").returncode == 2
    assert run("scan", "fixtures/stacks/sagemaker-noncompliant", "--policy", "NO_SUCH_*").returncode == 2
    (tmp_path / ".hipaa-iac.yaml").write_text("severity_threshold: extreme\n")
    (tmp_path / "main.tf").write_text("")
    p = run("scan", str(tmp_path))
    assert p.returncode == 2 and "severity_threshold" in p.stderr


def test_config_from_pyproject_and_yaml(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_sagemaker_notebook_instance" "nb" {\n'
                                      '  direct_internet_access = "Enabled"\n}\n')
    (tmp_path / "pyproject.toml").write_text('[tool.hipaa-iac]\nskip_policies = ["HIPAA_AWS_SAGEMAKER_001"]\n'
                                             'policies = ["HIPAA_AWS_SAGEMAKER_00*"]\n')
    p = run("scan", str(tmp_path), "-f", "json", "--no-cache")
    report = json.loads(p.stdout)
    assert "HIPAA_AWS_SAGEMAKER_001" not in {r["policy_id"] for r in report["results"]}
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / ".hipaa-iac.yaml").write_text("severity_threshold: critical\npolicies: [HIPAA_AWS_SAGEMAKER_001]\n")
    p = run("scan", str(tmp_path), "-f", "json", "--no-cache")
    assert p.returncode == 0
    assert [r["status"] for r in json.loads(p.stdout)["results"]] == ["failed"]


def test_version_and_help():
    p = run("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"hipaa-iac {__version__}"
    p = run("scan", "--help")
    assert p.returncode == 0 and "--severity-threshold" in p.stdout and "Exit codes" in p.stdout


def test_policies_list_and_show():
    p = run("policies", "list", "-f", "json")
    assert p.returncode == 0
    ids = [x["id"] for x in json.loads(p.stdout)]
    assert "HIPAA_AWS_SAGEMAKER_001" in ids and ids == sorted(ids, key=lambda i: ids.index(i))
    p = run("policies", "show", "HIPAA_AWS_SAGEMAKER_001")
    assert p.returncode == 0
    assert p.stdout.startswith("HIPAA_AWS_SAGEMAKER_001: SageMaker notebook instance has direct internet access")
    assert "HIPAA: 164.312(a)(1), 164.312(e)(1)" in p.stdout
    assert run("policies", "show", "NOPE").returncode == 2


def test_graph_command_prints_resources_and_edges(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "pw" {\n  sensitive = true\n  default = "canary-SECRET-1"\n}\n'
        'resource "aws_kms_key" "k" {}\n'
        'resource "aws_db_instance" "db" {\n  kms_key_id = aws_kms_key.k.arn\n  password = var.pw\n}\n')
    p = run("graph", str(tmp_path))
    assert p.returncode == 0, p.stderr
    g = json.loads(p.stdout)
    assert g["edges"] == [["aws_db_instance.db", "aws_kms_key.k"]]
    db = next(r for r in g["resources"] if r["address"] == "aws_db_instance.db")
    assert db["attributes"] == {"kms_key_id": {"unknown": "aws_kms_key.k.arn is known only after apply"},
                                "password": {"sensitive": True}}
    assert db["lines"] == {"kms_key_id": 7, "password": 8}
    assert "canary-SECRET-1" not in p.stdout
