"""Where users meet the tool (issue 15): the gate on empty input, command line conventions, discovery notes,
the PR summary, OSCAL output, provenance, the Action and the documented snippets."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from hipaa_iac import __version__
from hipaa_iac.report import provenance

REPO = Path(__file__).resolve().parents[1]
CACHE = tempfile.mkdtemp(prefix="hipaa-iac-test-cache-")
NONCOMPLIANT = ('resource "aws_sagemaker_notebook_instance" "nb" {\n  name = "nb"\n  role_arn = "arn:x"\n'
                '  instance_type = "ml.t3.medium"\n  direct_internet_access = "Enabled"\n}\n')
POLICY = ["--policy", "HIPAA_AWS_SAGEMAKER_001"]


def run(*args, cwd=REPO, env=None, timeout=180):
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "GITHUB_REPOSITORY")}
    e.update(HIPAA_IAC_CACHE_DIR=CACHE)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "hipaa_iac", *args], cwd=cwd, capture_output=True, text=True,
                          env=e, timeout=timeout)


def stack(d: Path, tf: str = NONCOMPLIANT) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "main.tf").write_text(tf)
    return d


# ------------------------------------------------------------------------------------------ empty input
def test_empty_inputs_exit_2_with_a_clear_message(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# not terraform\n")
    (tmp_path / "docs" / "data.json").write_text('{"not": "a plan"}\n')
    for d in ("empty", "docs"):
        p = run("scan", str(tmp_path / d))
        assert p.returncode == 2, p.stderr
        assert p.stdout == ""
        assert p.stderr == (f"hipaa-iac: error: nothing to scan: no Terraform file (.tf, .tf.json, .tofu, .tofu.json) "
                            f"or plan JSON in {tmp_path / d}; check the path, or pass --allow-empty when an empty "
                            "input is expected\n")
    # the flag for when that is fine: a normal report of nothing
    p = run("scan", str(tmp_path / "empty"), "--allow-empty")
    assert p.returncode == 0, p.stderr
    assert p.stdout.endswith(" -> passed\n") and "; 0 resources in 0 files, " in p.stdout
    # a mistyped path that does not exist is an error too (it always was)
    p = run("scan", str(tmp_path / "infar"))
    assert p.returncode == 2 and "no such file or directory" in p.stdout + p.stderr


def test_everything_excluded_is_empty_input_and_says_what_was_skipped(tmp_path):
    stack(tmp_path / "examples" / "demo")
    p = run("scan", str(tmp_path), "--exclude", "examples", *POLICY)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [
        "hipaa-iac: note: skipped 1 path (--exclude (1 Terraform file): examples/demo/); name a plan file on "
        "the command line to scan it",
        f"hipaa-iac: error: nothing to scan: no Terraform file (.tf, .tf.json, .tofu, .tofu.json) or plan JSON in "
        f"{tmp_path} (1 skipped: see the note above); check the path, or pass --allow-empty when an empty input "
        "is expected"]


# ------------------------------------------------------------------------------------------ --exclude, notes
def test_exclude_globs_and_the_skipped_note(tmp_path):
    stack(tmp_path / "infra")
    stack(tmp_path / "examples" / "a")
    stack(tmp_path / "modules" / "x" / "tests" / "fixture")
    stack(tmp_path / "modules" / "x")
    p = run("scan", str(tmp_path), *POLICY, "--exclude", "examples/", "--exclude", "tests", "-f", "json")
    assert p.returncode == 1, p.stderr
    files = sorted(r["file"] for r in json.loads(p.stdout)["results"])
    assert files == ["infra/main.tf", "modules/x/main.tf"]
    assert "examples/a/" in p.stderr and "modules/x/tests/fixture/" in p.stderr
    # a glob with a slash matches from the scan root, and `*` crosses directories
    p = run("scan", str(tmp_path), *POLICY, "--exclude", "modules/*", "--exclude", "examples", "-f", "json")
    assert sorted(r["file"] for r in json.loads(p.stdout)["results"]) == ["infra/main.tf"]


def test_state_files_and_fixture_plans_are_skipped_with_a_note(tmp_path):
    stack(tmp_path / "infra")
    (tmp_path / "infra" / "terraform.tfstate").write_text('{"version": 4, "resources": []}')
    (tmp_path / "infra" / "terraform.tfstate.d" / "prod").mkdir(parents=True)
    (tmp_path / "infra" / "terraform.tfstate.d" / "prod" / "terraform.tfstate").write_text("{}")
    plan = json.dumps({"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {"root_module": {
        "resources": [{"address": "aws_sagemaker_notebook_instance.t", "mode": "managed",
                       "type": "aws_sagemaker_notebook_instance", "name": "t",
                       "values": {"name": "t", "direct_internet_access": "Enabled"}}]}}})
    (tmp_path / "tests" / "plans").mkdir(parents=True)
    (tmp_path / "tests" / "plans" / "fixture.json").write_text(plan)
    p = run("scan", str(tmp_path), *POLICY, "-f", "json")
    assert p.returncode == 1, p.stderr
    assert [r["resource"] for r in json.loads(p.stdout)["results"]] == ["aws_sagemaker_notebook_instance.nb"]
    assert p.stderr.splitlines() == [
        "hipaa-iac: note: skipped 3 paths (Terraform state (*.tfstate): infra/terraform.tfstate; Terraform state "
        "(terraform.tfstate.d/): infra/terraform.tfstate.d; plan JSON in a test or fixture directory: "
        "tests/plans/fixture.json); name a plan file on the command line to scan it"]
    # named on the command line, the plan is scanned
    p = run("scan", str(tmp_path / "tests" / "plans" / "fixture.json"), *POLICY, "-f", "json")
    assert [r["resource"] for r in json.loads(p.stdout)["results"]] == ["aws_sagemaker_notebook_instance.t"]
    assert "note" not in p.stderr
    # -q drops the note
    assert run("scan", str(tmp_path), *POLICY, "-q").stderr == ""


# ------------------------------------------------------------------------------------------ conventions
def test_soft_fail_reports_and_exits_0_but_not_on_incomplete(tmp_path):
    d = stack(tmp_path / "s")
    p = run("scan", str(d), *POLICY, "--soft-fail")
    assert p.returncode == 0 and "FAILED" in p.stdout and "-> failed" in p.stdout
    (d / "broken.tf").write_text('resource "x" {\n')
    assert run("scan", str(d), *POLICY, "--soft-fail").returncode == 2


def test_color_flags_and_environment(tmp_path):
    d = stack(tmp_path / "s")
    red = "\033[31m"
    assert red in run("scan", str(d), *POLICY, env={"FORCE_COLOR": "1"}).stdout
    assert red not in run("scan", str(d), *POLICY, env={"FORCE_COLOR": "0"}).stdout
    assert red not in run("scan", str(d), *POLICY, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert red in run("scan", str(d), *POLICY, "--color", "always", env={"NO_COLOR": "1"}).stdout
    assert red not in run("scan", str(d), *POLICY, "--color", "never", env={"FORCE_COLOR": "1"}).stdout
    assert red not in run("scan", str(d), *POLICY).stdout  # not a terminal
    p = run("scan", str(d), "--color", "sometimes")
    assert p.returncode == 2 and p.stderr == "hipaa-iac: error: --color must be auto, always or never\n"


def test_output_errors_are_one_line_and_the_summary_stays(tmp_path):
    d = stack(tmp_path / "s")
    (tmp_path / "adir").mkdir()
    for target in (tmp_path / "adir", tmp_path / "s" / "main.tf" / "x.json"):
        p = run("scan", str(d), *POLICY, "-f", "json", "-o", str(target))
        assert p.returncode == 2, p.stderr
        assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("hipaa-iac: error: cannot write"), p.stderr
        assert "Traceback" not in p.stderr
    p = run("scan", str(d), *POLICY, "--also", f"sarif={tmp_path / 'adir'}")
    assert p.returncode == 2 and p.stderr.startswith("hipaa-iac: error: cannot write")
    out = tmp_path / "r.txt"
    p = run("scan", str(d), *POLICY, "-f", "text", "-o", str(out))
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr == ("hipaa-iac: 1 failed, 0 passed, 0 unknown, 0 suppressed, 0 errors; 1 resource in 1 file, "
                        f"1 policy -> failed -> {out}\n")
    assert out.read_text().endswith("1 policy -> failed\n")
    assert run("scan", str(d), *POLICY, "-q", "-f", "json", "-o", str(out)).stderr == ""


def test_text_alignment_plurals_and_quiet(tmp_path):
    d = stack(tmp_path / "s", NONCOMPLIANT + 'resource "aws_sagemaker_notebook_instance" "v" {\n  name = "v"\n'
              '  role_arn = "arn:x"\n  instance_type = "ml.t3.medium"\n  direct_internet_access = var.x\n}\n'
              'variable "x" {}\n')
    out = run("scan", str(d), *POLICY, "--compact").stdout.splitlines()
    rows = [ln for ln in out if ln.startswith("  ")]
    assert rows == ["  FAILED     HIGH     main.tf:5  HIPAA_AWS_SAGEMAKER_001  aws_sagemaker_notebook_instance.nb",
                    "  UNKNOWN             main.tf:11  HIPAA_AWS_SAGEMAKER_001  aws_sagemaker_notebook_instance.v"]
    assert out[-1] == ("hipaa-iac: 1 failed, 0 passed, 1 unknown, 0 suppressed, 0 errors; 2 resources in 1 file, "
                       "1 policy -> failed")
    quiet = run("scan", str(d), *POLICY, "-q").stdout.splitlines()
    assert quiet == [str("main.tf"), rows[0], "", out[-1]]


def test_help_version_and_hidden_developer_command():
    for flag in ("-h", "--help"):
        p = run(flag)
        assert p.returncode == 0 and "Commands:" in p.stdout
        assert "docs" not in re.findall(r"^  (\S+)", p.stdout, re.M)
    assert re.findall(r"^  (\S+)", run("-h").stdout.split("Commands:")[1], re.M) == [
        "scan", "graph", "pre-commit", "policies", "baseline"]
    assert run("scan", "-h").returncode == 0 and "--exclude PATH_GLOB" in run("scan", "-h").stdout
    for flag in ("-V", "--version"):
        p = run(flag)
        assert p.returncode == 0 and p.stdout == f"hipaa-iac {__version__}\n"
    p = run("docs", "generate", "--help")  # still there for developers (./dev docs)
    assert p.returncode == 0 and "--check" in p.stdout


def test_policies_show_points_at_a_docs_url():
    p = run("policies", "show", "HIPAA_AWS_SAGEMAKER_001")
    assert p.returncode == 0
    assert (f"Docs: https://github.com/hipaa-iac/hipaa-iac/blob/v{__version__}/docs/policies/"
            "HIPAA_AWS_SAGEMAKER_001.md") in p.stdout.splitlines()
    assert "Policy file" not in p.stdout and "policies/aws/" not in p.stdout
    p = run("policies", "show", "HIPAA_AWS_SAGEMAKER_001", env={"HIPAA_IAC_DOCS_URL": "https://x.example/p"})
    assert "Docs: https://x.example/p/HIPAA_AWS_SAGEMAKER_001.md" in p.stdout


def test_pre_commit_verbose_shows_reason_and_fix(tmp_path):
    d = stack(tmp_path / "infra")
    (tmp_path / ".git").mkdir()
    short = run("pre-commit", str(d / "main.tf"), *POLICY, cwd=tmp_path)
    long = run("pre-commit", "--verbose", str(d / "main.tf"), *POLICY, cwd=tmp_path)
    assert short.returncode == long.returncode == 1
    assert "Fix:" not in short.stdout and "direct_internet_access" not in short.stdout.split("HIPAA_AWS")[0]
    assert "      Fix: Set `direct_internet_access = \"Disabled\"`" in long.stdout
    assert "HIPAA 164.312(a)(1)" in long.stdout


# ------------------------------------------------------------------------------------------ cache cost
def test_cold_cache_never_fsyncs(tmp_path, monkeypatch):
    """Each cache entry used to be fsynced: a cold scan (every CI run) paid for durability a cache does not
    need. Reports written with -o are still made durable."""
    from hipaa_iac.runner import ScanRequest, execute
    d = stack(tmp_path / "s")
    for i in range(5):
        (d / f"f{i}.tf").write_text(f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "b{i}"\n}}\n')
    calls = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd))
    monkeypatch.setenv("HIPAA_IAC_CACHE_DIR", str(tmp_path / "cache"))
    outcome = execute(ScanRequest(paths=[str(d)]))
    assert outcome.exit_code == 1
    assert any((tmp_path / "cache").rglob("*.pickle"))  # the cache was written
    (d / "f0.tf").write_text('resource "aws_s3_bucket" "b0" {\n  bucket = "changed"\n}\n')
    execute(ScanRequest(paths=[str(d)]))  # the cache is in use now: parse entries are written too
    assert len(list((tmp_path / "cache").rglob("*.pickle"))) > 2
    assert calls == []
    from hipaa_iac.fsutil import atomic_write
    atomic_write(str(tmp_path / "report.json"), "{}")
    assert len(calls) == 1


def test_a_first_scan_with_an_empty_cache_writes_only_its_scan_entry(tmp_path, monkeypatch):
    """Every CI run without a restored cache is a first scan: it must not pay for per-file cache entries it
    will never read. From the second scan on (the cache is in use), parsed files are cached too, and the
    results are the same as without a cache."""
    from hipaa_iac.runner import ScanRequest, execute
    d = stack(tmp_path / "s")
    for i in range(20):
        (d / f"f{i}.tf").write_text(f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "b{i}"\n}}\n')
    cache = tmp_path / "cache"
    monkeypatch.setenv("HIPAA_IAC_CACHE_DIR", str(cache))

    def entries():
        got = [p for p in cache.rglob("*.pickle")]
        return sorted(p.parent.name == "scans" for p in got)
    base = execute(ScanRequest(paths=[str(d)], no_cache=True)).report["results"]
    assert execute(ScanRequest(paths=[str(d)])).report["results"] == base
    assert entries() == [True]  # one scan entry, no parse entries
    (d / "f3.tf").write_text('resource "aws_s3_bucket" "b3" {\n  bucket = "renamed"\n}\n')
    changed = execute(ScanRequest(paths=[str(d)])).report["results"]
    assert entries().count(False) == 21 and entries().count(True) == 2
    assert changed == execute(ScanRequest(paths=[str(d)], no_cache=True)).report["results"]


# ------------------------------------------------------------------------------------------ provenance
def _git_dir(root: Path, head: str, refs: dict[str, str] | None = None, packed: str = "", config: str = "") -> None:
    g = root / ".git"
    (g / "refs" / "heads").mkdir(parents=True)
    (g / "HEAD").write_text(head)
    for ref, sha in (refs or {}).items():
        (g / ref).parent.mkdir(parents=True, exist_ok=True)
        (g / ref).write_text(sha + "\n")
    if packed:
        (g / "packed-refs").write_text(packed)
    if config:
        (g / "config").write_text(config)


def test_repository_read_from_git_files(tmp_path):
    sha = "0123456789abcdef0123456789abcdef01234567"
    a = tmp_path / "a"
    _git_dir(a, "ref: refs/heads/main\n", {"refs/heads/main": sha},
             config='[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:acme/ml-infra.git\n')
    (a / "infra" / "prod").mkdir(parents=True)
    assert provenance.repository(str(a / "infra" / "prod"), {}) == {
        "name": "acme/ml-infra", "commit": sha, "branch": "main", "path": "infra/prod"}
    # CI names the repository; packed refs; https remote
    b = tmp_path / "b"
    _git_dir(b, "ref: refs/heads/feature/x\n", packed=f"# pack-refs with: peeled\n{sha} refs/heads/feature/x\n",
             config='[remote "origin"]\n  url = https://github.com/acme/other.git\n')
    assert provenance.repository(str(b), {}) == {"name": "acme/other", "commit": sha, "branch": "feature/x",
                                                 "path": "."}
    assert provenance.repository(str(b), {"GITHUB_REPOSITORY": "org/ci"})["name"] == "org/ci"
    # detached HEAD, no remote: the directory name
    c = tmp_path / "c"
    _git_dir(c, sha + "\n")
    assert provenance.repository(str(c), {}) == {"name": "c", "commit": sha, "branch": None, "path": "."}
    # a worktree: .git is a file naming the git directory (<main>/.git/worktrees/<name>)
    wt = b / ".git" / "worktrees" / "w"
    wt.mkdir(parents=True)
    (wt / "HEAD").write_text(sha + "\n")
    (wt / "commondir").write_text("../..\n")
    w = tmp_path / "w"
    w.mkdir()
    (w / ".git").write_text(f"gitdir: {wt}\n")
    assert provenance.repository(str(w), {}) == {"name": "acme/other", "commit": sha, "branch": None, "path": "."}
    # a hostile .git file naming another directory is not followed; a FIFO as HEAD does not block
    h = tmp_path / "h"
    h.mkdir()
    (h / ".git").write_text("gitdir: /etc\n")
    assert provenance.repository(str(h), {}) is None
    f = tmp_path / "f"
    _git_dir(f, "")
    (f / ".git" / "HEAD").unlink()
    os.mkfifo(f / ".git" / "HEAD")
    assert provenance.repository(str(f), {}) == {"name": "f", "commit": None, "branch": None, "path": "."}
    # an unborn branch, and no repository at all
    u = tmp_path / "u"
    _git_dir(u, "ref: refs/heads/main\n")
    assert provenance.repository(str(u), {})["commit"] is None
    assert provenance.repository("/", {}) is None


def test_generated_at(monkeypatch):
    assert provenance.generated_at({"SOURCE_DATE_EPOCH": "1764806400"}) == "2025-12-04T00:00:00Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", provenance.generated_at({}))
    assert provenance.generated_at({"SOURCE_DATE_EPOCH": "junk"}) != "1970-01-01T00:00:00Z"


# ------------------------------------------------------------------------------------------ PR summary
@pytest.mark.parametrize("name", ["aws-noncompliant", "azure-noncompliant", "gcp-noncompliant",
                                  "sagemaker-noncompliant"])
def test_markdown_summary_of_noncompliant_stacks_is_small_and_renders(name, tmp_path):
    cmarkgfm = pytest.importorskip("cmarkgfm")
    from cmarkgfm.cmark import Options
    out = tmp_path / "summary.md"
    p = run("scan", f"fixtures/stacks/{name}", "-f", "markdown", "-o", str(out), "--no-cache", "-q")
    assert p.returncode == 1, p.stderr
    text = out.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 60_000
    lines = text.splitlines()
    assert lines[2].startswith("❌ **Failed** against the threshold (low and above): ")
    assert lines[4].startswith("### This change has ") and lines[4].endswith(" findings")
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    summaries = re.findall(r"<summary>(.*?)</summary>", html)
    assert summaries[0].startswith("All findings (") and any(s.startswith("✅ ") and "checks passed" in s
                                                            for s in summaries)
    assert html.count("<details>") == html.count("</details>") == len(summaries)
    assert "<h3>This change has " in html
    top = html.split("<h3>This change has ")[1].split("<details>")[0]
    assert 1 <= top.count("<li>") <= 10
    assert "<table>" in html  # counts by safeguard
    assert "Passed (" not in text  # no list of failure-sounding titles under "Passed"


# ------------------------------------------------------------------------------------------ OSCAL
def _oscal_validator():
    regex = pytest.importorskip("regex")
    from jsonschema import Draft7Validator, validators
    from jsonschema.exceptions import ValidationError

    def pattern(validator, patrn, instance, schema):  # OSCAL uses \p{L}: the `regex` module, not `re`
        if validator.is_type(instance, "string") and not regex.search(patrn, instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")
    schema = json.loads((REPO / "tests/data/oscal_assessment-results_schema-1.1.3.json").read_text())
    return validators.extend(Draft7Validator, {"pattern": pattern})(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def test_oscal_output_validates_against_nists_schema(tmp_path):
    v = _oscal_validator()
    out = tmp_path / "ar.json"
    p = run("scan", "fixtures/stacks/aws-noncompliant", "-f", "oscal", "-o", str(out), "--no-cache", "-q",
            "--also", f"json={tmp_path / 'report.json'}", env={"SOURCE_DATE_EPOCH": "1764806400"})
    assert p.returncode == 1, p.stderr
    doc = json.loads(out.read_text())
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in v.iter_errors(doc)]
    assert errors == []
    ar = doc["assessment-results"]
    assert ar["metadata"]["oscal-version"] == "1.1.3" and ar["metadata"]["last-modified"] == "2025-12-04T00:00:00Z"
    result = ar["results"][0]
    report = json.loads((tmp_path / "report.json").read_text())  # the same scan's JSON report
    assert len(result["findings"]) == len(result["observations"]) == len(report["results"])
    # each finding: its policy's HIPAA citations and NIST requirements, and a state that follows the status
    by_key = {(r["policy_id"], r["resource"]): r for r in report["results"]}
    assert len(by_key) == len(report["results"])
    for f in result["findings"]:
        props = {}
        for prop in f["props"]:
            props.setdefault(prop["name"], []).append(prop["value"])
        r = by_key[(props["policy-id"][0], next(s["title"] for o in result["observations"]
                                                 if o["uuid"] == f["related-observations"][0]["observation-uuid"]
                                                 for s in o["subjects"]))]
        assert props["hipaa-citation"] == r["hipaa"] and props["nist-800-171-requirement"] == r["nist_800_171"]
        assert f["target"]["status"]["state"] == ("satisfied" if r["status"] == "passed" else "not-satisfied")
        assert f["target"]["target-id"] == "hipaa-" + "-".join(x for x in re.split(r"[()]+", r["hipaa"][0]) if x)
    reviewed = {c["control-id"] for c in result["reviewed-controls"]["control-selections"][0]["include-controls"]}
    assert {"hipaa-164.312-a-2-iv", "nist-800-171r2-3.13.16"} <= reviewed
    # deterministic for a fixed scan time
    again = tmp_path / "again.json"
    run("scan", "fixtures/stacks/aws-noncompliant", "-f", "oscal", "-o", str(again), "--no-cache", "-q",
        env={"SOURCE_DATE_EPOCH": "1764806400"})
    assert again.read_text() == out.read_text()
    # and the validator is not a rubber stamp
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "maybe"
    doc["assessment-results"]["uuid"] = "not-a-uuid"
    assert len(list(v.iter_errors(doc))) >= 2


# ------------------------------------------------------------------------------------------ Action, snippets
def _steps() -> dict[str, dict]:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    return {s["name"]: s for s in action["runs"]["steps"]}


def test_action_pins_by_commit_and_needs_python_311():
    text = (REPO / "action.yml").read_text()
    uses = re.findall(r"^\s*(?:#\s*(\S+ v[\d.]+)\n)?\s*uses: (\S+)", text, re.M)
    assert len(uses) == 3
    for tag, ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
        assert tag, f"{ref}: the pinned tag is named in a comment"
    action = yaml.safe_load(text)
    default = action["inputs"]["python-version"]["default"]
    assert tuple(map(int, default.split("."))) >= (3, 11) and "3.11 or later" in action["inputs"]["python-version"]["description"]
    assert "actions: read" in text and "category" in action["inputs"]
    for name in ("sarif-file", "markdown-file", "html-file"):
        assert action["outputs"][name]["value"].startswith("${{ steps.setup.outputs.dir }}/")
    assert "$RUNNER_TEMP" in _steps()["Install hipaa-iac"]["run"]
    assert "-m venv" in _steps()["Install hipaa-iac"]["run"]
    assert "pip install" not in _steps()["Scan"]["run"]


def _bash(script: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], env={**os.environ, **env}, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_action_scan_and_fail_steps_run_as_written(tmp_path):
    """The Scan step's script, with the venv the Install step creates (here: a link to this checkout's
    hipaa-iac), writes its reports under the temporary directory and never into the workspace."""
    work = tmp_path / "workspace"
    stack(work / "infra")
    out = tmp_path / "runner-temp" / "hipaa-iac-1"
    (out / "venv" / "bin").mkdir(parents=True)
    (out / "venv" / "bin" / "hipaa-iac").symlink_to(Path(sys.executable).parent / "hipaa-iac")
    gh_out = tmp_path / "github-output"
    gh_out.write_text("")
    env = {"HIPAA_IAC_PATHS": "infra", "HIPAA_IAC_THRESHOLD": "low", "HIPAA_IAC_ARGS": "--no-cache " + " ".join(POLICY),
           "OUT": str(out), "GITHUB_OUTPUT": str(gh_out), "NO_COLOR": "1"}
    p = _bash(_steps()["Scan"]["run"], env, work)
    assert p.returncode == 0, p.stderr
    assert gh_out.read_text().splitlines() == ["exit-code=1", "sarif=true"]
    assert sorted(f.name for f in out.iterdir()) == ["hipaa-iac.html", "hipaa-iac.json", "hipaa-iac.md",
                                                      "hipaa-iac.sarif", "venv"]
    assert sorted(f.name for f in work.iterdir()) == ["infra"]
    fail = _steps()["Fail on findings"]["run"]
    for code, want in (("0", ""), ("1", "findings at or above the severity threshold"),
                       ("2", "the analysis is incomplete"), ("", "the scan did not run")):
        p = _bash(fail, {"HIPAA_IAC_EXIT": code}, work)
        assert p.returncode == (int(code) if code else 2) and want in p.stdout
    assert "installing hipaa-iac failed" in _steps()["Install hipaa-iac"]["run"]
    assert "scan exited with" not in (REPO / "action.yml").read_text()


def test_documented_snippets_name_this_release():
    readme = (REPO / "README.md").read_text()
    assert f"    rev: v{__version__}\n" in readme
    assert f"      - uses: hipaa-iac/hipaa-iac@v{__version__}\n" in readme
    assert "<your-org>" not in readme and "v0.1.0" not in readme
    for doc in ("README.md", "docs/suppressions.md"):
        for ref in re.findall(r"uses: (actions/\S+)", (REPO / doc).read_text()):
            assert re.fullmatch(r"actions/[\w-]+@[0-9a-f]{40}", ref), (doc, ref)
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert f"\n## {__version__}\n" in changelog
    import tomllib
    assert tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"] == __version__
