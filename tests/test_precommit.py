"""The pre-commit hooks (.pre-commit-hooks.yaml + `hipaa-iac pre-commit`) and the GitHub Action (action.yml).

The end-to-end tests run the real `pre-commit try-repo` against a copy of this project's working tree
(committed into a temporary hook repository: `try-repo` on a checkout leaves untracked files out), on a
temporary git repository holding a tiny stack. pre-commit installs the project into its own virtualenv
with pip, as it does for users. This machine is offline and its local package index lacks tree-sitter,
tree-sitter-hcl and python-hcl2, so those three (and only those) reach the hook's virtualenv from this test
environment through PYTHONPATH: pip then sees them as installed and fetches nothing for them.
"""
from __future__ import annotations

import importlib.metadata
import io
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from hipaa_iac.precommit import run, targets

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OFFLINE_DEPS = ("tree-sitter", "tree-sitter-hcl", "python-hcl2")
NOT_NEEDED = ("tests", "fixtures", "benchmarks", "docs", ".ci", "dev")

NONCOMPLIANT = '''resource "aws_sagemaker_notebook_instance" "phi" {
  name          = "phi-notebook"
  role_arn      = "arn:aws:iam::111122223333:role/sagemaker-notebook"
  instance_type = "ml.t3.medium"
}
'''
COMPLIANT = '''resource "aws_sagemaker_notebook_instance" "phi" {
  name                   = "phi-notebook"
  role_arn               = "arn:aws:iam::111122223333:role/sagemaker-notebook"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-0a1b2c3d4e5f60718"
  security_groups        = ["sg-0a1b2c3d4e5f60718"]
  direct_internet_access = "Disabled"
  root_access            = "Disabled"
}
'''


def git(*args: str, cwd: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_NOSYSTEM="1", HOME=cwd)
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def pre_commit_exe() -> str | None:
    cand = os.path.join(os.path.dirname(sys.executable), "pre-commit")
    return cand if os.path.exists(cand) else shutil.which("pre-commit")


# ---- the hook manifest and the action ------------------------------------------------------------------------
def test_hook_manifest():
    with open(os.path.join(PROJECT, ".pre-commit-hooks.yaml")) as fh:
        hooks = {h["id"]: h for h in yaml.safe_load(fh)}
    assert set(hooks) == {"hipaa-iac", "hipaa-iac-plan"}
    for h in hooks.values():
        assert h["language"] == "python" and h["require_serial"] is True and h["pass_filenames"] is True
    assert hooks["hipaa-iac"]["entry"] == "hipaa-iac pre-commit"
    assert hooks["hipaa-iac-plan"]["entry"] == "hipaa-iac pre-commit --plan"
    import re
    tf = re.compile(hooks["hipaa-iac"]["files"])
    assert [bool(tf.search(f)) for f in ("main.tf", "a/b.tf.json", "x.tofu", "prod.tfvars", "p.tfvars.json",
                                         "README.md", "plan.json", "main.tf.bak")] == \
        [True, True, True, True, True, False, False, False]
    assert re.compile(hooks["hipaa-iac-plan"]["files"]).search("plans/tfplan.json")


def test_action_definition():
    with open(os.path.join(PROJECT, "action.yml")) as fh:
        action = yaml.safe_load(fh)
    assert set(action["inputs"]) >= {"path", "severity-threshold", "python-version", "args", "category"}
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["if"].startswith("always()")
    assert upload["with"] == {"sarif_file": "${{ steps.setup.outputs.dir }}/hipaa-iac.sarif",
                              "category": "${{ steps.setup.outputs.category }}"}
    scripts = "\n".join(s.get("run", "") for s in steps)
    assert '"$dir/venv/bin/python" -m pip install -q --disable-pip-version-check "$GITHUB_ACTION_PATH"' in scripts
    scan = next(s for s in steps if s.get("id") == "scan")
    assert '--also "sarif=$OUT/hipaa-iac.sarif" --also "markdown=$OUT/hipaa-iac.md"' in scan["run"]
    assert '"$GITHUB_STEP_SUMMARY"' in scripts
    last = steps[-1]
    assert last["if"].startswith("always()") and "exit 1" in last["run"] and "exit 2" in last["run"]
    assert last["env"]["HIPAA_IAC_EXIT"] == "${{ steps.scan.outputs.exit-code }}"
    # inputs reach scripts through env only (no ${{ inputs.* }} inside a run: script injection)
    assert "${{ inputs." not in scripts


# ---- which paths a hook run scans ----------------------------------------------------------------------------
def test_targets_are_the_outermost_directories_each_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for d in ("infra/net", "infra/data", "modules/kms", "other"):
        os.makedirs(d)
    files = ["infra/net/main.tf", "infra/net/vars.tf", "infra/data/main.tf", "modules/kms/main.tf",
             "infra/net/x/../main.tf", "gone/main.tf"]
    assert targets(files) == ["infra/data", "infra/net", "modules/kms"]
    assert targets(files + ["infra/main.tf"]) == ["infra", "modules/kms"]
    assert targets(["main.tf", "infra/net/main.tf"]) == ["."]


def test_plan_targets_are_plan_files_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tfplan.json").write_text('{"format_version": "1.2", "terraform_version": "1.9.0", '
                                          '"planned_values": {}}')
    (tmp_path / "package.json").write_text('{"name": "x"}')
    (tmp_path / "main.tf.json").write_text('{"resource": {}}')
    assert targets(["tfplan.json", "package.json", "main.tf.json", "missing.json"], plan=True) == ["tfplan.json"]


TEST_POLICY = """\
metadata:
  id: TEST_NB_001
  name: Test notebook has direct internet access
  category: NETWORKING
  severity: HIGH
  guideline: docs/policies/TEST_NB_001.md
  hipaa_category: network_isolation
  hipaa: ["164.312(e)(1)"]
  nist_800_171: ["3.13.1"]
  description: A policy used by the pre-commit tests only; it fails unless direct_internet_access is Disabled.
  remediation: Set direct_internet_access to Disabled.
  source: tests/test_precommit.py
definition:
  cond_type: attribute
  resource_types: [aws_sagemaker_notebook_instance]
  attribute: direct_internet_access
  operator: equals
  value: Disabled
"""


def test_run_scans_the_directory_and_finds_the_repository_exceptions(tmp_path, monkeypatch):
    """Direct call (no pre-commit), from the repository root as pre-commit runs hooks: a reference to a local
    in another file of the directory resolves (failed, not unknown); paths are shown from the repository root;
    the exceptions file at the repository root applies although the scan root is the staged directory."""
    import datetime as dt
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "policies" / "aws").mkdir(parents=True)
    (repo / "policies" / "aws" / "TEST_NB_001.yaml").write_text(TEST_POLICY)
    (repo / ".hipaa-iac.yaml").write_text("policy_dir: policies\ncache: false\n")
    (repo / "infra").mkdir()
    (repo / "infra" / "main.tf").write_text(NONCOMPLIANT.replace(
        '  instance_type', '  direct_internet_access = local.internet\n  instance_type'))
    (repo / "infra" / "locals.tf").write_text('locals {\n  internet = "Enabled"\n}\n')
    monkeypatch.chdir(repo)
    out, err = io.StringIO(), io.StringIO()
    assert run(["infra/main.tf"], out=out, err=err) == 1, out.getvalue() + err.getvalue()
    assert err.getvalue() == ""
    assert "FAILED     HIGH     infra/main.tf:4  TEST_NB_001  aws_sagemaker_notebook_instance.phi" in out.getvalue()
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    (repo / ".hipaa-iac-exceptions.yaml").write_text(
        "exceptions:\n  - policy: TEST_NB_*\n    resource: aws_sagemaker_notebook_instance.phi\n"
        f"    reason: test\n    approved_by: ciso@example.org\n    expires: {expires}\n")
    out = io.StringIO()
    assert run(["infra/main.tf", "infra/locals.tf"], out=out, err=err) == 0, out.getvalue() + err.getvalue()
    assert "SUPPRESSED          infra/main.tf:4  TEST_NB_001" in out.getvalue()
    assert "0 failed" in out.getvalue() and "1 suppressed" in out.getvalue()


def test_run_plan_mode_scans_the_staged_plan_files(tmp_path, monkeypatch):
    import json
    (tmp_path / ".git").mkdir()
    (tmp_path / "policies" / "aws").mkdir(parents=True)
    (tmp_path / "policies" / "aws" / "TEST_NB_001.yaml").write_text(TEST_POLICY)
    (tmp_path / ".hipaa-iac.yaml").write_text("policy_dir: policies\ncache: false\n")
    (tmp_path / "plans").mkdir()
    values = {"name": "nb", "role_arn": "arn:aws:iam::111122223333:role/r", "instance_type": "ml.t3.medium",
              "direct_internet_access": "Enabled"}
    (tmp_path / "plans" / "tfplan.json").write_text(json.dumps({
        "format_version": "1.2", "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": [{
            "address": "aws_sagemaker_notebook_instance.nb", "mode": "managed",
            "type": "aws_sagemaker_notebook_instance", "name": "nb",
            "provider_name": "registry.terraform.io/hashicorp/aws", "values": values}]}}}))
    (tmp_path / "plans" / "package.json").write_text('{"name": "x"}')
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    code = run(["plans/tfplan.json", "plans/package.json"], plan=True, out=out, err=err)
    assert (code, err.getvalue()) == (1, ""), out.getvalue()
    assert "TEST_NB_001  aws_sagemaker_notebook_instance.nb" in out.getvalue()
    assert "1 failed" in out.getvalue()


def test_run_rejects_bad_options_and_accepts_nothing_to_scan(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    assert run(["main.tf"], severity_threshold="severe", err=err) == 2
    assert "--severity-threshold must be" in err.getvalue()
    assert run([], out=io.StringIO()) == 0
    assert run(["package.json"], plan=True, out=io.StringIO()) == 0
    (tmp_path / "empty-pack").mkdir()
    (tmp_path / ".hipaa-iac.yaml").write_text("policy_dir: empty-pack\n")
    (tmp_path / "main.tf").write_text(NONCOMPLIANT)
    err = io.StringIO()
    assert run(["main.tf"], out=io.StringIO(), err=err) == 2
    assert "no policy was loaded: the policy pack is missing from this installation" in err.getvalue()


# ---- end to end with the real pre-commit ---------------------------------------------------------------------
def _overlay(dest: str) -> str:
    """A directory with the OFFLINE_DEPS distributions of this environment (packages and metadata)."""
    os.makedirs(dest, exist_ok=True)
    for name in OFFLINE_DEPS:
        dist = importlib.metadata.distribution(name)
        base = str(dist.locate_file(""))
        tops = {str(f).split("/")[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops:
            src = os.path.join(base, top)
            if os.path.exists(src) and not top.endswith(".pth") and top != "__pycache__":
                link = os.path.join(dest, top)
                if not os.path.exists(link):
                    os.symlink(src, link)
    return dest


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory):
    exe = pre_commit_exe()
    if exe is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("precommit")
    hook_repo = str(base / "hook-repo")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=PROJECT).split("\0")
    for rel in listed:
        if not rel or rel.split("/")[0] in NOT_NEEDED or not os.path.isfile(os.path.join(PROJECT, rel)):
            continue
        dst = os.path.join(hook_repo, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(PROJECT, rel), dst)
    git("init", "-q", cwd=hook_repo)
    git("add", "-A", cwd=hook_repo)
    git("commit", "-q", "-m", "snapshot", cwd=hook_repo)
    env = dict(os.environ, PRE_COMMIT_HOME=str(base / "pre-commit-home"), PRE_COMMIT_COLOR="never",
               PYTHONPATH=_overlay(str(base / "overlay")), HIPAA_IAC_CACHE_DIR=str(base / "cache"))
    env.pop("VIRTUAL_ENV", None)
    return exe, hook_repo, env, base


def try_repo(hook_env, name: str, tf: str) -> subprocess.CompletedProcess:
    exe, hook_repo, env, base = hook_env
    target = str(base / name)
    os.makedirs(os.path.join(target, "infra"))
    with open(os.path.join(target, "infra", "main.tf"), "w") as fh:
        fh.write(tf)
    with open(os.path.join(target, ".hipaa-iac.yaml"), "w") as fh:  # found upwards from infra/
        fh.write("policies: [HIPAA_AWS_SAGEMAKER_001, HIPAA_AWS_SAGEMAKER_002]\n")
    git("init", "-q", cwd=target)
    git("add", "-A", cwd=target)
    git("commit", "-q", "-m", "stack", cwd=target)
    proc = subprocess.run([exe, "try-repo", hook_repo, "hipaa-iac", "--all-files", "--verbose"], cwd=target, env=env,
                          capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    if "An unexpected error has occurred" in output and ("No matching distribution" in output
                                                         or "Could not find a version" in output):
        pytest.skip("offline: pre-commit cannot install the hook's dependencies from the local package index")
    return proc


def test_pre_commit_hook_fails_on_a_noncompliant_stack(hook_env):
    proc = try_repo(hook_env, "noncompliant", NONCOMPLIANT)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "FAILED     HIGH     infra/main.tf:1  HIPAA_AWS_SAGEMAKER_001  aws_sagemaker_notebook_instance.phi" in output
    assert "FAILED     MEDIUM   infra/main.tf:1  HIPAA_AWS_SAGEMAKER_002  aws_sagemaker_notebook_instance.phi" in output
    assert "2 failed, 0 passed" in output and "2 policies -> failed" in output


def test_pre_commit_hook_passes_a_compliant_stack(hook_env):
    proc = try_repo(hook_env, "compliant", COMPLIANT)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Passed" in output and "0 failed, 2 passed" in output and "2 policies -> passed" in output


def _readme_snippet() -> dict:
    """The pre-commit block of the README, as a user pastes it."""
    readme = open(os.path.join(PROJECT, "README.md"), encoding="utf-8").read()
    block = readme.split("### pre-commit\n```yaml\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)


def test_readme_snippet_names_this_release():
    from hipaa_iac import __version__
    repo = _readme_snippet()["repos"][0]
    assert repo["rev"] == f"v{__version__}"
    assert [h["id"] for h in repo["hooks"]] == ["hipaa-iac", "hipaa-iac-plan"]


def test_readme_snippet_works_as_pasted(hook_env):
    """The README's pre-commit block, pointed at a local clone tagged with the documented rev (the tag the
    release creates), fails a noncompliant commit with the reason and the fix (args: [--verbose]) and passes
    a compliant one."""
    exe, hook_repo, env, base = hook_env
    config = _readme_snippet()
    rev = config["repos"][0]["rev"]
    if rev not in git("tag", "--list", cwd=hook_repo).split():
        git("tag", rev, cwd=hook_repo)
    config["repos"][0]["repo"] = hook_repo
    results = {}
    for name, tf in (("snippet-noncompliant", NONCOMPLIANT), ("snippet-compliant", COMPLIANT)):
        target = str(base / name)
        os.makedirs(os.path.join(target, "infra"))
        with open(os.path.join(target, "infra", "main.tf"), "w") as fh:
            fh.write(tf)
        with open(os.path.join(target, ".hipaa-iac.yaml"), "w") as fh:
            fh.write("policies: [HIPAA_AWS_SAGEMAKER_001, HIPAA_AWS_SAGEMAKER_002]\n")
        with open(os.path.join(target, ".pre-commit-config.yaml"), "w") as fh:
            yaml.safe_dump(config, fh)
        git("init", "-q", cwd=target)
        git("add", "-A", cwd=target)
        git("commit", "-q", "-m", "stack", cwd=target)
        proc = subprocess.run([exe, "run", "--all-files"], cwd=target, env=env, capture_output=True, text=True,
                              timeout=900)
        output = proc.stdout + proc.stderr
        if "An unexpected error has occurred" in output and ("No matching distribution" in output
                                                             or "Could not find a version" in output):
            pytest.skip("offline: pre-commit cannot install the hook's dependencies from the local package index")
        results[name] = (proc.returncode, output)
    code, output = results["snippet-noncompliant"]
    assert code == 1, output
    assert "FAILED     HIGH     infra/main.tf:1  HIPAA_AWS_SAGEMAKER_001  aws_sagemaker_notebook_instance.phi" in output
    assert "      Fix: " in output  # --verbose from the snippet's args
    # and `pre-commit try-repo` at the documented rev
    proc = subprocess.run([exe, "try-repo", hook_repo, "hipaa-iac", "--ref", rev, "--all-files", "--verbose"],
                          cwd=str(base / "snippet-noncompliant"), env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "HIPAA_AWS_SAGEMAKER_001  aws_sagemaker_notebook_instance.phi" in proc.stdout + proc.stderr
    code, output = results["snippet-compliant"]
    assert code == 0, output
    assert re.search(r"^hipaa-iac \(HIPAA safeguards in Terraform\)\.+Passed$", output, re.M), output
