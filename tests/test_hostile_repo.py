"""The scanned repository is hostile (a pull request from a fork; the CI runner holds secrets).

Each attack of issue 12 is reproduced, through `.hipaa-iac.yaml`, `pyproject.toml`, exceptions, baselines and
pre-commit mode where it applies, and the tests show: no content of a file outside the repository in any
output, no symbolic link followed out of the tree, a device node stays a device, no sensitive canary in any
format, `graph`, stdout or stderr, and a cached result equal to the uncached one. The rules are written down in
docs/security.md.
"""
from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

FORMATS = ("text", "json", "sarif", "junit", "markdown", "html", "csv")
OUTSIDE_SECRET = "OUTSIDE-SECRET-5d1e"  # content of a file outside the repository: must never be printed
CANARY = "CANARY-91b2e7"  # value of a sensitive variable: must never be printed
CANARY_PARTS = ("CANARY", "91b2e7")
BUCKET_OK = 'resource "aws_ebs_volume" "v" {\n  availability_zone = "us-east-1a"\n  encrypted = true\n' \
            '  kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/abc"\n}\n'


def run_cli(args: list[str], cwd: Path, cache: Path | None = None, python_flags: tuple = (),
            timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", HIPAA_IAC_CACHE_DIR=str(cache or (cwd / ".." / "cache")))
    return subprocess.run([sys.executable, *python_flags, "-m", "hipaa_iac", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=timeout)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path


def assert_absent(text: str, parts, where: str) -> None:
    for part in parts:
        i = text.find(part)
        assert i < 0, f"{part!r} leaked in {where}: ...{text[max(0, i - 300):i + 80]}..."


def assert_no_traceback(p: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout, p.stderr[-3000:]


@pytest.fixture
def world(tmp_path):
    """A repository (a git root) and, next to it, files that belong to the runner."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / "main.tf", BUCKET_OK)
    outside = tmp_path / "runner"
    write(outside / "secret.tfvars", f'token = "{OUTSIDE_SECRET}"\n')
    write(outside / "secret.txt", f"root:x:0:0:{OUTSIDE_SECRET}:/root:/bin/bash\n")
    write(outside / "credentials.tfrc.json", json.dumps({"credentials": {"app.terraform.io": {"token": OUTSIDE_SECRET}}}))
    write(outside / "exceptions.yaml", f"exceptions:\n- policy: '*'\n  resource: '*'\n  reason: {OUTSIDE_SECRET}\n"
                                       "  approved_by: x\n  expires: 2099-01-01\n")
    write(outside / "baseline.json", json.dumps({"version": 1, "root": ".", "findings": [], "x": OUTSIDE_SECRET}))
    write(outside / "pack" / "aws" / "EVIL.yaml", f"metadata:\n  id: {OUTSIDE_SECRET}\n")
    write(outside / "main.tf", 'resource "aws_ebs_volume" "outside" {\n  availability_zone = "us-east-1a"\n}\n')
    return repo, outside


# ---- containment: paths from the repository's configuration ---------------------------------------------------
CONFIG_KEYS = {
    "var_files": lambda t: [t],
    "exceptions": lambda t: t,
    "policy_dir": lambda t: t,
    "baseline": lambda t: t,
}
TARGETS = {"var_files": "secret.tfvars", "exceptions": "exceptions.yaml", "policy_dir": "pack", "baseline": "baseline.json"}


def _config(repo: Path, style: str, key: str, value) -> Path:
    if style == "yaml":
        return write(repo / ".hipaa-iac.yaml", f"{key}: {json.dumps(value)}\n")
    body = f'[project]\nname = "x"\n\n[tool.hipaa-iac]\n{key.replace("_", "-")} = {json.dumps(value)}\n'
    return write(repo / "pyproject.toml", body)


@pytest.mark.parametrize("style", ["yaml", "pyproject"])
@pytest.mark.parametrize("key", sorted(CONFIG_KEYS))
@pytest.mark.parametrize("how", ["absolute", "relative", "symlink"])
def test_config_paths_outside_the_repository_are_refused(world, style, key, how):
    repo, outside = world
    target = outside / TARGETS[key]
    if how == "absolute":
        value = str(target)
    elif how == "relative":
        value = os.path.relpath(target, repo)
    else:  # a link committed to the repository, pointing out of it
        (repo / "innocent").symlink_to(target)
        value = "innocent"
    cfg = _config(repo, style, key, CONFIG_KEYS[key](value))
    p = run_cli(["scan", ".", "-f", "json", "--no-cache"], repo)
    assert_no_traceback(p)
    assert p.returncode == 2
    line = p.stderr.strip().splitlines()[-1]
    assert line.startswith(f"hipaa-iac: error: {cfg}:"), p.stderr
    assert f"{key}: " in line and "outside the repository" in line and "refused, not read" in line, line
    assert_absent(p.stdout + p.stderr, (OUTSIDE_SECRET, "root:x"), f"{style} {key} {how}")


def test_etc_passwd_as_var_file_is_refused_without_quoting_it(world):
    repo, _ = world
    write(repo / ".hipaa-iac.yaml", "var_files: [/etc/passwd]\n")
    p = run_cli(["scan", ".", "-f", "sarif"], repo)
    assert p.returncode == 2 and "var_files: '/etc/passwd' is outside the repository" in p.stderr, p.stderr
    assert_absent(p.stdout + p.stderr, ("root:", "/bin/bash", "nologin"), "stderr")


def test_credentials_json_as_var_file_is_refused(world):
    repo, outside = world
    write(repo / "vars.tf", 'variable "credentials" {}\nresource "aws_ebs_volume" "c" {\n'
                            '  availability_zone = "us-east-1a"\n  tags = var.credentials\n}\n')
    write(repo / ".hipaa-iac.yaml", f"var_files: ['{outside / 'credentials.tfrc.json'}']\n")
    p = run_cli(["scan", ".", "-f", "markdown"], repo)
    assert p.returncode == 2 and "var_files" in p.stderr
    assert_absent(p.stdout + p.stderr, (OUTSIDE_SECRET,), "markdown")


def test_paths_inside_the_repository_are_still_read(world):
    repo, _ = world
    write(repo / "env" / "prod.tfvars", 'x = 1\n')
    write(repo / ".hipaa-iac.yaml", "var_files: [env/prod.tfvars]\n")
    p = run_cli(["scan", ".", "-f", "json", "--policy", "HIPAA_AWS_EBS_001"], repo)
    assert p.returncode == 0, p.stderr
    assert [r["status"] for r in json.loads(p.stdout)["results"]] == ["passed"]


def test_config_file_that_is_a_symlink_out_of_the_repository_is_refused(world):
    repo, outside = world
    (repo / ".hipaa-iac.yaml").symlink_to(outside / "secret.txt")
    p = run_cli(["scan", ".", "-f", "json"], repo)
    assert p.returncode == 2 and "outside the repository" in p.stderr, p.stderr
    assert_absent(p.stdout + p.stderr, (OUTSIDE_SECRET, "root:x"), "stderr")


def test_command_line_paths_are_the_users_choice(world):
    repo, outside = world
    trusted = write(outside / "ci.yaml", f"var_files: ['{outside / 'ok.tfvars'}']\n")
    write(outside / "ok.tfvars", "x = 1\n")
    p = run_cli(["scan", ".", "-f", "json", "--config", str(trusted), "--policy", "HIPAA_AWS_EBS_001"], repo)
    assert p.returncode == 0, p.stderr
    p = run_cli(["scan", ".", "-f", "json", "--var-file", str(outside / "ok.tfvars"), "--policy", "HIPAA_AWS_EBS_001"],
                repo)
    assert p.returncode == 0, p.stderr


def test_allow_outside_modules_in_the_repository_config_is_ignored(world):
    repo, outside = world
    write(repo / "main.tf", f'module "o" {{\n  source = "{os.path.relpath(outside, repo)}"\n}}\n')
    write(repo / ".hipaa-iac.yaml", "allow_outside_modules: true\n")
    p = run_cli(["scan", ".", "-f", "json", "--policy", "HIPAA_AWS_EBS_001"], repo)
    report = json.loads(p.stdout)
    assert report["results"] == []
    msgs = [w["message"] for w in report["warnings"]]
    assert any(m.startswith("allow_outside_modules is ignored") for m in msgs), msgs
    assert any("outside the scanned tree" in m for m in msgs), msgs


def test_default_exceptions_file_symlinked_out_is_refused_in_scan_and_pre_commit(world):
    repo, outside = world
    (repo / ".hipaa-iac-exceptions.yaml").symlink_to(outside / "exceptions.yaml")
    write(repo / "main.tf", 'resource "aws_ebs_volume" "v" {\n  availability_zone = "us-east-1a"\n}\n')
    p = run_cli(["scan", ".", "-f", "json", "--policy", "HIPAA_AWS_EBS_001"], repo)
    report = json.loads(p.stdout)
    assert p.returncode == 2
    assert [r["status"] for r in report["results"]] == ["failed"]  # nothing suppressed by the outside file
    assert {"file": ".hipaa-iac-exceptions.yaml", "line": None,
            "message": "symbolic link to a file outside the repository: refused, not read"} in report["errors"]
    assert_absent(p.stdout + p.stderr, (OUTSIDE_SECRET,), "scan")
    p = run_cli(["pre-commit", "main.tf", "--policy", "HIPAA_AWS_EBS_001"], repo)
    assert p.returncode == 2 and "outside the repository: refused" in p.stderr, (p.stdout, p.stderr)
    assert_absent(p.stdout + p.stderr, (OUTSIDE_SECRET,), "pre-commit")


def test_pre_commit_mode_applies_the_configuration_containment(world):
    repo, outside = world
    write(repo / ".hipaa-iac.yaml", f"exceptions: {outside / 'exceptions.yaml'}\n")
    p = run_cli(["pre-commit", "main.tf"], repo)
    assert p.returncode == 2 and "exceptions: " in p.stderr and "outside the repository" in p.stderr, p.stderr
    assert_absent(p.stdout + p.stderr, (OUTSIDE_SECRET,), "pre-commit")


def test_baseline_from_the_command_line_never_quotes_its_content(world):
    repo, outside = world
    p = run_cli(["scan", ".", "-f", "json", "--baseline", str(outside / "secret.txt")], repo)
    assert p.returncode == 2
    assert_absent(p.stdout + p.stderr, (OUTSIDE_SECRET, "root:x"), "baseline")


# ---- symbolic links in the tree ----------------------------------------------------------------------------
def test_symlinks_out_of_the_repository_are_not_followed(world, tmp_path):
    repo, outside = world
    (repo / "etc").symlink_to("/etc")
    (repo / "fs").symlink_to("/")
    (repo / "runner").symlink_to(outside)
    (repo / "linked.tf").symlink_to(outside / "main.tf")
    (repo / "terraform.tfvars").symlink_to(outside / "secret.tfvars")
    (repo / "inside").symlink_to(repo / ".git")  # a link that stays inside is still allowed (skipped dir)
    p = run_cli(["scan", ".", "-f", "json", "--policy", "HIPAA_AWS_EBS_001"], repo)
    assert_no_traceback(p)
    report = json.loads(p.stdout)
    assert [r["resource"] for r in report["results"]] == ["aws_ebs_volume.v"]
    link_warnings = sorted(w["file"] for w in report["warnings"]
                           if w["message"] == "symbolic link to a target outside the repository: not followed")
    assert link_warnings == ["etc", "fs", "linked.tf", "runner", "terraform.tfvars"]
    assert report["summary"]["files"] == 1
    assert_absent(p.stdout + p.stderr, (OUTSIDE_SECRET,), "scan")


def test_discovery_never_lists_outside_directories(world, monkeypatch):
    repo, outside = world
    (repo / "etc").symlink_to("/etc")
    (repo / "fs").symlink_to("/")
    write(repo / ".terraform" / "modules" / "modules.json",
          json.dumps({"Modules": [{"Key": "m", "Dir": str(outside)}]}))
    write(repo / "mods.tf", 'module "m" {\n  source = "example/m/aws"\n}\nmodule "l" {\n  source = "./etc"\n}\n')
    from hipaa_iac.load import load
    seen: list[str] = []
    real_listdir, real_scandir = os.listdir, os.scandir

    def listdir(p="."):
        seen.append(os.path.realpath(p))
        return real_listdir(p)

    def scandir(p="."):
        seen.append(os.path.realpath(p))
        return real_scandir(p)
    monkeypatch.setattr(os, "listdir", listdir)
    monkeypatch.setattr(os, "scandir", scandir)
    g = load([str(repo)])
    root = os.path.realpath(repo)
    assert seen and all(s == root or s.startswith(root + os.sep) for s in seen), seen
    assert [r.address for r in g.resources if r.mode == "managed"] == ["aws_ebs_volume.v"]


def test_modules_json_symlinked_out_is_not_read(world):
    repo, outside = world
    write(outside / "modules.json", json.dumps({"Modules": [{"Key": "m", "Dir": "."}]}))
    (repo / ".terraform" / "modules").mkdir(parents=True)
    (repo / ".terraform" / "modules" / "modules.json").symlink_to(outside / "modules.json")
    write(repo / "mods.tf", 'module "m" {\n  source = "example/m/aws"\n}\n')
    from hipaa_iac.load import load
    g = load([str(repo)])
    assert [r.address for r in g.resources if r.mode == "managed"] == ["aws_ebs_volume.v"]


def test_file_functions_outside_the_repository_are_not_read(world):
    repo, outside = world
    rel = os.path.relpath(outside / "secret.txt", repo)
    write(repo / "main.tf", f'resource "aws_ebs_volume" "v" {{\n  availability_zone = "us-east-1a"\n'
                            f'  encrypted = file("{rel}")\n  tags = {{ a = file("/etc/passwd") }}\n'
                            f'  kms_key_id = templatefile("{rel}", {{}})\n}}\n')
    p = run_cli(["scan", ".", "-f", "json", "--policy", "HIPAA_AWS_EBS_001"], repo)
    report = json.loads(p.stdout)
    assert [r["status"] for r in report["results"]] == ["unknown"]
    assert "outside the repository" in report["results"][0]["message"]
    g = run_cli(["graph", "."], repo)
    assert_absent(p.stdout + p.stderr + g.stdout + g.stderr, (OUTSIDE_SECRET, "root:x"), "file()")


# ---- output files ---------------------------------------------------------------------------------------------
def test_output_onto_dev_null_keeps_the_device(world):
    repo, _ = world
    target = Path("/dev/null")
    before = os.stat(target)
    assert stat.S_ISCHR(before.st_mode)
    for args in (["scan", ".", "-o", str(target)], ["scan", ".", "--also", f"sarif={target}"],
                 ["baseline", "create", ".", "-o", str(target)]):
        p = run_cli(args, repo)
        assert_no_traceback(p)
        assert p.returncode in (0, 1), (args, p.stderr)
        after = os.stat(target)
        assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev, args


def test_output_into_a_fifo_writes_into_it_or_refuses(world, tmp_path):
    repo, _ = world
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    p = run_cli(["scan", ".", "-f", "json", "-o", str(fifo)], repo)  # nobody reads: refused, not replaced
    assert p.returncode == 2 and p.stderr.strip().count("\n") == 0, p.stderr
    assert "no process is reading the FIFO" in p.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    import time
    time.sleep(0.2)
    p = run_cli(["scan", ".", "-f", "json", "-o", str(fifo), "--policy", "HIPAA_AWS_EBS_001"], repo)
    reader.join(30)
    assert p.returncode == 0, p.stderr
    assert json.loads(got[0])["summary"]["passed"] == 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("where", ["missing-under-a-file", "directory", "unwritable"])
def test_unwritable_output_is_one_line_and_exit_2(world, tmp_path, where):
    repo, _ = world
    if where == "missing-under-a-file":
        target = repo / "main.tf" / "report.json"
    elif where == "directory":
        target = tmp_path
    else:
        target = Path("/proc/self/hipaa-iac-report.json")
    for opt in (["-o", str(target)], ["--also", f"json={target}"]):
        p = run_cli(["scan", ".", *opt], repo)
        assert_no_traceback(p)
        assert p.returncode == 2, (opt, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hipaa-iac: error: ") and str(target) in lines[0], p.stderr


# ---- taint: sensitive values never printed --------------------------------------------------------------------
TAINT_COMMON = f'''
variable "secret" {{
  type      = string
  sensitive = true
  default   = "{CANARY}"
}}
variable "secret_num" {{
  sensitive = true
  default   = 9176543210
}}
variable "from_tfvars" {{
  sensitive = true
}}
resource "aws_kms_key" "k" {{}}
'''
TAINT_CASES = {
    "string prefix": '''
resource "aws_s3_bucket_server_side_encryption_configuration" "e" {
  bucket = "${var.secret}-bucket"
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = "${var.secret}${aws_kms_key.k.arn}"
    }
  }
}
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  encrypted         = true
  kms_key_id        = "${var.from_tfvars}/${aws_kms_key.k.arn}"
}
''',
    "list index": '''
locals {
  algos = ["aws:kms", "AES256"]
  m     = { a = true }
}
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  encrypted         = local.m[var.secret]
  kms_key_id        = local.algos[var.secret]
  iops              = local.algos[var.secret_num]
}
''',
    "module source": '''
module "a" {
  source = var.secret
}
module "b" {
  source = "./${var.secret}"
}
module "c" {
  source = "${var.secret}/x/aws"
}
''',
    "file path": '''
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  encrypted         = file("${var.secret}.txt")
  kms_key_id        = file("/etc/${var.secret}")
  tags              = { a = templatefile("${var.secret}.tpl", {}) }
}
''',
    "count": '''
resource "aws_ebs_volume" "v" {
  count             = var.secret_num
  availability_zone = "us-east-1a"
}
resource "aws_ebs_volume" "w" {
  count             = length(var.secret) > 3 ? var.secret_num : 0
  availability_zone = "us-east-1a"
}
resource "aws_ebs_volume" "x" {
  count             = var.secret
  availability_zone = "us-east-1a"
}
''',
    "module instance key": '''
module "m" {
  source   = "./mod"
  for_each = toset([var.secret, "plain"])
}
module "n" {
  source = "./mod"
  count  = var.secret_num
}
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  encrypted         = module.m[var.secret].enc
}
''',
    "for_each keys": '''
resource "aws_ebs_volume" "v" {
  for_each          = { (var.secret) = "us-east-1a" }
  availability_zone = each.value
}
resource "aws_ebs_volume" "w" {
  for_each          = toset([format("%s-x", var.secret)])
  availability_zone = each.key
}
resource "aws_s3_bucket" "b" {
  bucket = "b"
  dynamic "grant" {
    for_each = [var.secret]
    content {
      id = grant.value
    }
  }
}
''',
    "sensitive function": f'''
locals {{
  s = sensitive("{CANARY}-fn")
  n = nonsensitive(var.secret)
}}
resource "aws_ebs_volume" "v" {{
  availability_zone = "us-east-1a"
  encrypted         = local.n
  kms_key_id        = "${{local.s}}${{aws_kms_key.k.arn}}"
}}
resource "aws_s3_bucket" "b" {{
  bucket = local.s
  tags   = {{ data_classification = "phi", o = lower(local.n) }}
}}
''',
    "conditions and functions": '''
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  encrypted         = var.secret == "x" ? true : aws_kms_key.k.arn
  kms_key_id        = upper(substr(var.secret, 0, 12))
  tags              = merge({ a = var.secret }, { b = tostring(var.secret_num) })
}
output "o" {
  value = var.secret
}
''',
    "resource index": '''
resource "aws_kms_key" "ks" {
  for_each = toset(["a"])
}
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  encrypted         = true
  kms_key_id        = aws_kms_key.ks[var.secret].arn
  depends_on        = [aws_kms_key.ks[var.secret]]
}
resource "aws_s3_bucket" "b" {
  for_each = toset(["x"])
  bucket   = each.key
}
resource "aws_s3_bucket_versioning" "ver" {
  bucket = aws_s3_bucket.b["${var.secret}"].id
  versioning_configuration {
    status = "Enabled"
  }
}
''',
    "sensitive module output": '''
module "p" {
  source = "./mod"
}
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  encrypted         = module.p.tok
  kms_key_id        = "${module.p.tok}${aws_kms_key.k.arn}"
  tags              = { for t in [module.p.tok] : t => 1 }
}
''',
}
MODULE = f'''
variable "k" {{
  default = null
}}
output "enc" {{
  value = "not-a-bool"
}}
output "tok" {{
  value     = "{CANARY}-out"
  sensitive = true
}}''' + '''
resource "aws_ebs_volume" "inner" {
  availability_zone = "us-east-1a"
}
'''


def _taint_repo(root: Path, case: str) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    write(root / "main.tf", TAINT_COMMON + TAINT_CASES[case])
    write(root / "terraform.tfvars", f'from_tfvars = "{CANARY}-tfvars"\n')
    write(root / "mod" / "main.tf", MODULE)
    return root


def scan_everything(root: Path, tmp: Path, *extra: str) -> dict:
    """Every format (JSON on stdout, all through --also), text, compact text, graph, pre-commit; stdout and
    stderr of each. Returns the JSON report."""
    from hipaa_iac.cli import FORMATS as ALL
    also = [a for fmt in ALL for a in ("--also", f"{fmt}={tmp / ('also.' + fmt)}")]
    p = run_cli(["scan", ".", "-f", "json", *also, *extra], root, cache=tmp / "cache")
    assert_no_traceback(p)
    assert p.returncode in (0, 1, 2), p.stderr
    assert_absent(p.stdout + p.stderr, CANARY_PARTS, "scan -f json")
    report = json.loads(p.stdout)
    assert set(FORMATS) <= set(ALL)
    for fmt in ALL:
        assert_absent((tmp / f"also.{fmt}").read_text(), CANARY_PARTS, f"-f {fmt}")
    for args in (["scan", ".", "-f", "text", *extra], ["scan", ".", "-f", "text", "--compact", *extra],
                 ["graph", "."], ["pre-commit", "main.tf", "-v"], ["pre-commit", "main.tf"]):
        q = run_cli(args, root, cache=tmp / "cache")
        assert_no_traceback(q)
        assert_absent(q.stdout + q.stderr, CANARY_PARTS, " ".join(args))
    return report


@pytest.mark.parametrize("case", sorted(TAINT_CASES))
def test_sensitive_canary_never_printed(tmp_path, case):
    root = _taint_repo(tmp_path / "repo", case)
    report = scan_everything(root, tmp_path)
    assert report["summary"]["resources"] >= 1
    # and again from the warm cache, which must say the same
    again = scan_everything(root, tmp_path)
    assert again["results"] == report["results"]


def _texts_outside_sensitive_paths(r) -> list[str]:
    """Every text of a resource that a renderer may print: its address, Unknown reasons and prefixes
    anywhere, and known values at paths not marked sensitive."""
    from hipaa_iac.model import Unknown
    out = [r.address, *r.refs]

    def walk(v, path):
        sensitive = any(path == s or path.startswith(s + ".") for s in r.sensitive)
        if isinstance(v, Unknown):
            out.extend([v.reason, v.prefix or "", v.ref_address or "", *v.refs])
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}" if path else k)
            if isinstance(getattr(v, "unknown", None), Unknown):
                out.append(v.unknown.reason)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, f"{path}.{i}")
        elif not sensitive:
            out.append(str(v))
    walk(r.attributes, "")
    return out


@pytest.mark.parametrize("case", sorted(TAINT_CASES))
def test_tainted_values_are_redacted_in_the_graph(tmp_path, case):
    """The taint itself (not only the renderers): no reason, prefix, address, warning or error of the
    resolved graph carries the canary."""
    from hipaa_iac.load import load
    g = load([str(_taint_repo(tmp_path / "repo", case))])
    texts = [t for r in g.resources for t in _texts_outside_sensitive_paths(r)]
    texts += [e.message for e in g.errors + g.warnings]
    assert_absent("\n".join(texts), CANARY_PARTS, f"graph of {case}")


def test_sensitive_count_and_keys_are_refused_like_terraform(tmp_path):
    root = _taint_repo(tmp_path / "repo", "count")
    from hipaa_iac.load import load
    g = load([str(root)])
    addrs = sorted(r.address for r in g.resources if r.mode == "managed" and r.file == "main.tf")
    assert addrs == ["aws_ebs_volume.v", "aws_ebs_volume.w", "aws_ebs_volume.x", "aws_kms_key.k"]
    v = next(r for r in g.resources if r.address == "aws_ebs_volume.v")
    assert "sensitive" in v.attributes["__instances_unknown__"].reason
    root2 = _taint_repo(tmp_path / "repo2", "module instance key")
    g2 = load([str(root2)])
    assert not [r.address for r in g2.resources if "[" in r.address and CANARY in r.address]
    import re
    assert not [r.address for r in g2.resources if re.match(r"module\.n\[\d", r.address)]  # no count-revealing keys


def test_tfvars_syntax_error_points_at_line_and_column_without_quoting(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root / "main.tf", TAINT_COMMON)
    write(root / "terraform.tfvars", f'ok = 1\nfrom_tfvars = "{CANARY} \n  oops = = {CANARY}\n')
    write(root / "extra.tfvars", f'a = 1\nb = [{CANARY}\n')
    report = scan_everything(root, tmp_path)
    errs = {e["file"]: e for e in report["errors"]}
    assert errs["terraform.tfvars"]["line"] >= 2
    assert "column" in errs["terraform.tfvars"]["message"]
    report2 = scan_everything(root, tmp_path, "--var-file", "extra.tfvars")
    errs2 = {e["file"]: e for e in report2["errors"]}
    assert errs2["extra.tfvars"]["line"] >= 2 and "column" in errs2["extra.tfvars"]["message"]


def test_redaction_keeps_references():
    from hipaa_iac.model import SENSITIVE_REASON, Unknown, redact_unknowns
    u = Unknown(f"x starts with {CANARY}", ("aws_kms_key.k",), "aws_kms_key", "aws_kms_key.k", prefix=CANARY)
    out = redact_unknowns({"a": [u], "b": 1})
    assert out["b"] == 1 and out["a"][0].reason == SENSITIVE_REASON and out["a"][0].prefix is None
    assert out["a"][0].ref_type == "aws_kms_key" and out["a"][0].refs == ("aws_kms_key.k",)


# ---- the scan cache -------------------------------------------------------------------------------------------
def _results(report: dict) -> tuple:
    return (json.dumps(report["results"], sort_keys=True), json.dumps(report["errors"], sort_keys=True),
            json.dumps(report["warnings"], sort_keys=True))


def _execute(root: Path, cache: Path, monkeypatch, no_cache=False, **kw) -> dict:
    from hipaa_iac.runner import ScanRequest, execute
    monkeypatch.setenv("HIPAA_IAC_CACHE_DIR", str(cache))
    r = execute(ScanRequest(paths=[str(root)], no_cache=no_cache, policies=["HIPAA_AWS_EBS_001"], **kw))
    assert r.fatal is None, r.fatal
    return r.report


def _assert_cached_equals_uncached(root, cache, monkeypatch, **kw) -> dict:
    cached = _execute(root, cache, monkeypatch, **kw)
    uncached = _execute(root, cache, monkeypatch, no_cache=True, **kw)
    assert _results(cached) == _results(uncached)
    return uncached


def _statuses(report: dict) -> list:
    return [(r["resource"], r["status"]) for r in report["results"]]


EBS_VAR = 'variable "enc" {}\nresource "aws_ebs_volume" "v" {\n  availability_zone = "us-east-1a"\n' \
          '  encrypted = var.enc\n  kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/abc"\n}\n'


def test_cache_var_file_order_is_part_of_the_key(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    write(root / "main.tf", EBS_VAR)
    a = write(tmp_path / "a.tfvars", "enc = true\n")
    b = write(tmp_path / "b.tfvars", "enc = false\n")
    r1 = _assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch, var_files=[str(b), str(a)])
    assert _statuses(r1) == [("aws_ebs_volume.v", "passed")]
    r2 = _assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch, var_files=[str(a), str(b)])
    assert _statuses(r2) == [("aws_ebs_volume.v", "failed")]


def _module_repo(root: Path, enc: str, dirname: str = "m") -> None:
    write(root / "main.tf", 'module "m" {\n  source = "example/m/aws"\n}\n')
    write(root / ".terraform" / "modules" / "modules.json",
          json.dumps({"Modules": [{"Key": "m", "Dir": f".terraform/modules/{dirname}"}]}))
    write(root / ".terraform" / "modules" / dirname / "main.tf",
          EBS_VAR.replace("var.enc", enc).replace('variable "enc" {}\n', ""))


def test_cache_modules_json_is_part_of_the_key(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    _module_repo(root, "true", "m")
    _module_repo(root, "false", "m2")
    _module_repo(root, "true", "m")  # modules.json -> m (passes)
    assert _statuses(_assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch)) == \
        [("module.m.aws_ebs_volume.v", "passed")]
    write(root / ".terraform" / "modules" / "modules.json",
          json.dumps({"Modules": [{"Key": "m", "Dir": ".terraform/modules/m2"}]}))
    assert _statuses(_assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch)) == \
        [("module.m.aws_ebs_volume.v", "failed")]


def test_cache_new_file_in_a_module_directory_is_noticed(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    _module_repo(root, "true")
    assert len(_assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch)["results"]) == 1
    write(root / ".terraform" / "modules" / "m" / "more.tf",
          'resource "aws_ebs_volume" "w" {\n  availability_zone = "us-east-1a"\n}\n')
    r = _assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch)
    assert ("module.m.aws_ebs_volume.w", "failed") in _statuses(r)


def test_cache_file_target_that_appears_later_is_noticed(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    write(root / "main.tf", 'resource "aws_ebs_volume" "v" {\n  availability_zone = "us-east-1a"\n'
                            '  encrypted = jsondecode(file("${path.module}/enc.json"))\n'
                            '  kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/abc"\n}\n')
    assert _statuses(_assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch)) == \
        [("aws_ebs_volume.v", "unknown")]
    write(root / "enc.json", "false")
    assert _statuses(_assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch)) == \
        [("aws_ebs_volume.v", "failed")]
    write(root / "enc.json", "true")
    assert _statuses(_assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch)) == \
        [("aws_ebs_volume.v", "passed")]


def test_cache_file_edited_during_a_scan_is_not_cached_with_the_old_verdict(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    tf = write(root / "main.tf", EBS_VAR.replace("var.enc", "true").replace('variable "enc" {}\n', ""))
    from hipaa_iac import scancache
    real_lookup = scancache.lookup

    def lookup_then_edit(*a, **kw):  # the key is computed from the passing file, then the file changes
        got = real_lookup(*a, **kw)
        tf.write_text(tf.read_text().replace("encrypted = true", "encrypted = false"))
        return got
    monkeypatch.setattr(scancache, "lookup", lookup_then_edit)
    during = _execute(root, tmp_path / "c", monkeypatch)
    assert _statuses(during) == [("aws_ebs_volume.v", "failed")]  # judged on what was parsed
    monkeypatch.setattr(scancache, "lookup", real_lookup)
    tf.write_text(tf.read_text().replace("encrypted = false", "encrypted = true"))
    assert _statuses(_assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch)) == \
        [("aws_ebs_volume.v", "passed")]
    tf.write_text(tf.read_text().replace("encrypted = true", "encrypted = false"))
    assert _statuses(_assert_cached_equals_uncached(root, tmp_path / "c", monkeypatch)) == \
        [("aws_ebs_volume.v", "failed")]


def test_cache_configuration_and_pack_are_part_of_the_key(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    write(root / "main.tf", EBS_VAR.replace("var.enc", "false").replace('variable "enc" {}\n', ""))
    cache = tmp_path / "c"
    assert _statuses(_assert_cached_equals_uncached(root, cache, monkeypatch)) == [("aws_ebs_volume.v", "failed")]
    write(root / ".hipaa-iac.yaml", "scope: phi-path\n")  # nothing is tagged: nothing judged
    assert _statuses(_assert_cached_equals_uncached(root, cache, monkeypatch)) == []
    (root / ".hipaa-iac.yaml").unlink()
    from hipaa_iac.policy.loader import default_policy_dir
    pack = tmp_path / "pack"
    shutil.copytree(default_policy_dir(), pack)
    ebs = pack / "aws" / "HIPAA_AWS_EBS_001.yaml"
    head, sep, definition = ebs.read_text().partition("\ndefinition:\n")  # the policy's own (not a context's)
    ebs.write_text(head + sep + definition.replace("    value: true\n", "    value: false\n", 1))
    r = _assert_cached_equals_uncached(root, cache, monkeypatch, policy_dir=str(pack))
    assert _statuses(r) == [("aws_ebs_volume.v", "passed")]  # the edited pack's verdict, not the cached one
    assert _statuses(_execute(root, cache, monkeypatch)) == [("aws_ebs_volume.v", "failed")]


@pytest.mark.parametrize("damage", ["garbage", "list", "wrong-types", "parse-entry-wrong-type"])
def test_cache_corrupt_or_wrong_type_entries_are_ignored_and_replaced(tmp_path, monkeypatch, damage):
    root = tmp_path / "repo"
    write(root / "main.tf", EBS_VAR.replace("var.enc", "false").replace('variable "enc" {}\n', ""))
    cache = tmp_path / "c"
    # a cache in use (an earlier scan wrote to it): a scan writes parse entries as well as its scan entry
    write(tmp_path / "prime" / "main.tf", 'resource "aws_s3_bucket" "p" {\n  bucket = "p"\n}\n')
    _execute(tmp_path / "prime", cache, monkeypatch)
    primed = set(cache.rglob("*.pickle"))
    first = _execute(root, cache, monkeypatch)
    entries = [p for p in cache.rglob("*.pickle") if p not in primed]
    scans = [p for p in entries if p.parent.name == "scans"]
    assert scans and len(scans) < len(entries)
    for p in entries:
        if damage == "garbage":
            p.write_bytes(b"\x80\x04not a pickle")
        elif damage == "list" and p in scans:
            p.write_bytes(pickle.dumps([1, 2, 3]))
        elif damage == "wrong-types" and p in scans:
            entry = pickle.loads(p.read_bytes())
            entry["results"] = "passed"
            p.write_bytes(pickle.dumps(entry))
        elif damage == "parse-entry-wrong-type" and p not in scans:
            p.write_bytes(pickle.dumps("not a SourceFile"))
            for s in scans:
                s.unlink()
    again = _assert_cached_equals_uncached(root, cache, monkeypatch)
    assert _results(again) == _results(first)
    for p in cache.rglob("*.pickle"):  # every entry is a good one again
        obj = pickle.loads(p.read_bytes())
        assert isinstance(obj, dict) if p.parent.name == "scans" else type(obj).__name__ == "SourceFile"


# ---- governance ------------------------------------------------------------------------------------------------
import datetime as _dt  # noqa: E402
SOON = (_dt.date.today() + _dt.timedelta(days=30)).isoformat()
EXC = "exceptions:\n- policy: '{p}'\n  resource: '{r}'\n  reason: r\n  approved_by: a\n  expires: " + SOON + "\n"


@pytest.mark.parametrize("source", ["exceptions-file", "config-exceptions"])
def test_blanket_exception_warns_and_is_an_error_under_strict(world, source):
    repo, _ = world
    if source == "exceptions-file":
        write(repo / ".hipaa-iac-exceptions.yaml", EXC.format(p="*", r="*"))
    else:
        write(repo / "waivers" / "x.yaml", EXC.format(p="*", r="**"))
        write(repo / ".hipaa-iac.yaml", "exceptions: waivers/x.yaml\n")
    p = run_cli(["scan", ".", "-f", "json"], repo)
    report = json.loads(p.stdout)
    w = [x for x in report["warnings"] if "blanket exception" in x["message"]]
    assert w and w[0]["line"] == 2, report["warnings"]
    p = run_cli(["scan", ".", "-f", "json", "--strict"], repo)
    assert p.returncode == 2 and any("blanket exception" in e["message"] for e in json.loads(p.stdout)["errors"])
    write(repo / ".hipaa-iac.yaml", (repo / ".hipaa-iac.yaml").read_text() + "strict: true\n"
          if (repo / ".hipaa-iac.yaml").exists() else "strict: true\n")
    assert run_cli(["scan", ".", "-f", "json"], repo).returncode == 2


def test_narrow_exception_is_not_a_blanket(world):
    repo, _ = world
    write(repo / ".hipaa-iac-exceptions.yaml", EXC.format(p="*", r="aws_ebs_volume.v"))
    report = json.loads(run_cli(["scan", ".", "-f", "json"], repo).stdout)
    assert not [x for x in report["warnings"] if "blanket" in x["message"]]


@pytest.mark.parametrize("how", ["config", "cli", "pyproject"])
def test_selection_that_runs_no_policy_warns_and_fails_under_strict(world, how):
    repo, _ = world
    args = ["scan", ".", "-f", "json"]
    if how == "config":
        write(repo / ".hipaa-iac.yaml", 'skip_policies: ["*"]\n')
    elif how == "pyproject":
        write(repo / "pyproject.toml", '[tool.hipaa-iac]\nskip-policies = ["*"]\n')
    else:
        args += ["--skip-policy", "*"]
    p = run_cli(args, repo)
    report = json.loads(p.stdout)
    assert p.returncode == 0 and report["summary"]["policies"] == 0
    assert any("leaves no policy to run" in w["message"] for w in report["warnings"]), report["warnings"]
    p = run_cli(args + ["--strict"], repo)
    assert p.returncode == 2


def test_phi_scope_matching_nothing_warns_and_fails_under_strict(world):
    repo, _ = world
    write(repo / ".hipaa-iac.yaml", "scope: phi-path\nphi_tags:\n  data_classification: [nothing-has-this]\n")
    p = run_cli(["scan", ".", "-f", "json"], repo)
    report = json.loads(p.stdout)
    w = [x for x in report["warnings"] if "no resource carries the PHI tags" in x["message"]]
    assert w and w[0]["file"].endswith(".hipaa-iac.yaml") and w[0]["line"] == 2, report["warnings"]
    p2 = run_cli(["scan", ".", "-f", "json"], repo)  # from the cache: the same warning
    assert json.loads(p2.stdout)["warnings"] == report["warnings"]
    assert run_cli(["scan", ".", "-f", "json", "--strict"], repo).returncode == 2


def test_duplicate_yaml_keys_are_errors_with_file_and_line(world):
    repo, _ = world
    cfg = write(repo / ".hipaa-iac.yaml", "unknown: fail\nseverity_threshold: high\nunknown: warn\n")
    p = run_cli(["scan", ".", "-f", "json"], repo)
    assert p.returncode == 2 and f"{cfg}:3: duplicate key 'unknown'" in p.stderr, p.stderr
    cfg.unlink()
    write(repo / ".hipaa-iac-exceptions.yaml",
          "exceptions:\n- policy: HIPAA_AWS_EBS_001\n  resource: x\n  resource: '*'\n  reason: r\n"
          "  approved_by: a\n  expires: " + SOON + "\n")
    p = run_cli(["scan", ".", "-f", "json"], repo)
    errs = json.loads(p.stdout)["errors"]
    assert p.returncode == 2 and {"file": ".hipaa-iac-exceptions.yaml", "line": 4,
                                  "message": "duplicate key 'resource' (YAML would keep only the last one)"} in errs


@pytest.mark.parametrize("style", ["yaml", "pyproject"])
def test_wrongly_typed_parameters_are_errors_with_file_and_line(world, style):
    repo, _ = world
    if style == "yaml":
        cfg = write(repo / ".hipaa-iac.yaml", "unknown: warn\nparameters:\n  log_retention_days: \"2190\"\n")
        line = 3
    else:
        cfg = write(repo / "pyproject.toml", '[project]\nname = "x"\n[tool.hipaa-iac.parameters]\n'
                                             'log_retention_days = "2190"\n')
        line = 4
    p = run_cli(["scan", ".", "-f", "json"], repo)
    assert p.returncode == 2, p.stderr
    assert f"{cfg}:{line}: parameters.log_retention_days: expected a number, got a string" in p.stderr, p.stderr
    if style == "yaml":
        write(cfg, "parameters:\n  log_retention_days: 400\n  no_such_parameter: 1\n")
        p = run_cli(["scan", ".", "-f", "json"], repo)
        assert p.returncode == 0, p.stderr
        assert {"file": str(cfg), "line": 3, "message": "parameters.no_such_parameter: no policy has this "
                "parameter (ignored)"} in json.loads(p.stdout)["warnings"]


# ---- python -m from a hostile working directory -------------------------------------------------------------------
def test_python_m_does_not_import_modules_from_the_working_directory(world, tmp_path):
    repo, _ = world
    marker = tmp_path / "pwned"
    evil = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
    for name in ("yaml.py", "pydantic/__init__.py", "typer.py", "tree_sitter.py", "json.py", "hashlib.py"):
        write(repo / name, evil)
    p = run_cli(["scan", ".", "-f", "json", "--no-cache"], repo)
    assert_no_traceback(p)
    assert p.returncode in (0, 1), p.stderr
    assert not marker.exists()
    # a hipaa_iac/ package in the working directory shadows the tool for `python -m` itself: -P (documented)
    write(repo / "hipaa_iac" / "__init__.py", evil)
    write(repo / "hipaa_iac" / "__main__.py", evil)
    p = run_cli(["scan", ".", "-f", "json", "--no-cache"], repo, python_flags=("-P",))
    assert p.returncode in (0, 1), p.stderr
    assert not marker.exists()


def test_pre_commit_mode_from_a_hostile_working_directory(world, tmp_path):
    repo, _ = world
    marker = tmp_path / "pwned"
    write(repo / "yaml.py", f"open({str(marker)!r}, 'w').write('x')\n")
    p = run_cli(["pre-commit", "main.tf"], repo)
    assert p.returncode in (0, 1), p.stderr
    assert not marker.exists()


# ---- strace: no open outside the repository, the installation and the basics ---------------------------------------
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_strace_hostile_scan_opens_nothing_outside(world, tmp_path):
    repo, outside = world
    (repo / "etc").symlink_to("/etc")
    (repo / "fs").symlink_to("/")
    (repo / "runner").symlink_to(outside)
    (repo / "linked.tf").symlink_to(outside / "main.tf")
    write(repo / "f.tf", f'resource "aws_ebs_volume" "f" {{\n  availability_zone = "us-east-1a"\n'
                         f'  encrypted = file("{os.path.relpath(outside / "secret.txt", repo)}")\n}}\n')
    write(repo / ".hipaa-iac.yaml", "unknown: warn\n")
    log = tmp_path / "strace.log"
    cache = tmp_path / "cache"
    env = dict(os.environ, NO_COLOR="1", HIPAA_IAC_CACHE_DIR=str(cache))
    p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", str(log),
                        sys.executable, "-m", "hipaa_iac", "scan", ".", "-f", "sarif"],
                       cwd=repo, capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode in (0, 1, 2), p.stderr
    import re
    import sysconfig
    import hipaa_iac
    allowed = {os.path.realpath(x) for x in (
        repo, cache, sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.dirname(hipaa_iac.__file__)),
        sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"])}
    from hipaa_iac.policy.loader import default_policy_dir
    allowed.add(os.path.realpath(default_policy_dir()))  # the tool's own pack
    # what the interpreter and its libraries open on any run: devices, /proc, the loader, locale, time zone,
    # OpenSSL's configuration (hashlib)
    allowed |= {"/dev", "/proc", "/sys/devices/system/cpu", "/sys/fs/cgroup", "/etc/ld.so.cache", "/etc/ld.so.preload",
                "/etc/localtime", "/etc/locale.alias", "/etc/ssl/openssl.cnf", "/usr/lib/ssl/openssl.cnf",
                "/usr/share/zoneinfo", "/lib", "/lib64", "/usr/lib", "/usr/lib64"}
    bad = []
    for line in log.read_text().splitlines():
        m = re.search(r'open(?:at2?)?\((?:(?:[A-Z_]+|\d+), )?"([^"]*)"', line)
        if not m or "ENOENT" in line:
            continue
        path = m.group(1)
        if not os.path.isabs(path):
            path = os.path.join(repo, path)
        real = os.path.realpath(path)
        if not any(real == a or real.startswith(a.rstrip("/") + "/") for a in allowed):
            bad.append(real)
    assert not bad, sorted(set(bad))
    opened = log.read_text()
    assert str(repo / "main.tf") in opened or "main.tf" in opened  # the log does record the scan's opens
