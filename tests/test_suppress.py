"""Suppress stage: inline waivers, the exceptions file and the baseline, case by case, with exact statuses,
`suppression` dicts, warnings and errors.

The tests bring their own two-policy pack (tmp dir) so they do not move when the real pack changes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import textwrap

import pytest

from hipaa_iac.runner import ScanRequest, execute
from hipaa_iac.suppress import glob_match, parse_checkov_skip, parse_ignore, resource_match

TODAY = dt.date(2026, 11, 28)
NB = "aws_sagemaker_notebook_instance.nb"

POLICY = """\
metadata:
  id: {id}
  name: Test notebook attribute {attr} is not Disabled
  category: NETWORKING
  severity: HIGH
  guideline: docs/policies/{id}.md
  hipaa_category: network_isolation
  hipaa: ["164.312(e)(1)"]
  nist_800_171: ["3.13.1"]
  description: A policy used by the suppression tests only; it fails unless {attr} is Disabled.
  remediation: Set {attr} to Disabled.
  source: tests/test_suppress.py
definition:
  cond_type: attribute
  resource_types: [aws_sagemaker_notebook_instance]
  attribute: {attr}
  operator: equals
  value: Disabled
"""


def notebook(name: str = "nb", comments: str = "", extra: str = "") -> str:
    body = "".join(f"  {c}\n" for c in comments.splitlines() if c)
    return (f'resource "aws_sagemaker_notebook_instance" "{name}" {{\n{body}'
            f'  name          = "{name}"\n'
            f'  role_arn      = "arn:aws:iam::111122223333:role/sagemaker-notebook"\n'
            f'  instance_type = "ml.t3.medium"\n{extra}}}\n')


@pytest.fixture
def ws(tmp_path):
    """A workspace: two test policies, a configuration file using them, a stack directory."""
    pol = tmp_path / "policies" / "aws"
    pol.mkdir(parents=True)
    for pid, attr in (("TEST_NB_001", "direct_internet_access"), ("TEST_NB_002", "root_access")):
        (pol / f"{pid}.yaml").write_text(POLICY.format(id=pid, attr=attr))
    (tmp_path / "stack").mkdir()
    write_config(tmp_path)
    return tmp_path


def write_config(ws, extra: str = "") -> str:
    path = ws / ".hipaa-iac.yaml"
    path.write_text("policy_dir: policies\ncache: false\n" + extra)
    return str(path)


def write(path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text) if text.startswith("\n") else text)
    return str(path)


def scan(ws, paths=None, exceptions=None, baseline=None, today=TODAY):
    return execute(ScanRequest(paths=[str(p) for p in (paths or [ws / "stack"])],
                               config_file=str(ws / ".hipaa-iac.yaml"), exceptions=exceptions, baseline=baseline,
                               today=today, no_cache=True))


def statuses(outcome) -> dict:
    return {(r["policy_id"], r["resource"]): (r["status"], r["suppression"]) for r in outcome.report["results"]}


FAILED = ("failed", None)


# ---- inline waivers ------------------------------------------------------------------------------------------
def test_inline_waiver_suppresses_its_policy_on_its_resource(ws):
    write(ws / "stack" / "main.tf", notebook(comments=(
        '# hipaa-iac:ignore=TEST_NB_001 reason="sandbox without PHI" expires=2027-01-31')))
    out = scan(ws)
    assert statuses(out) == {
        ("TEST_NB_001", NB): ("suppressed", {"kind": "inline", "reason": "sandbox without PHI", "approved_by": None,
                                             "ticket": None, "expires": "2027-01-31", "source": "main.tf:2"}),
        ("TEST_NB_002", NB): FAILED,
    }
    assert out.report["warnings"] == [] and out.report["errors"] == []
    assert out.report["summary"]["suppressed"] == 1 and out.report["summary"]["failed"] == 1
    assert out.exit_code == 1


def test_inline_waiver_double_slash_several_ids_and_optional_keys(ws):
    write(ws / "stack" / "main.tf", notebook(extra=(
        '  lifecycle {\n'
        '    // hipaa-iac:ignore=TEST_NB_001,TEST_NB_002 reason=\'lab only\' expires=2026-11-28 '
        'approved_by=ciso@example.org ticket=SEC-9\n'
        '  }\n')))
    out = scan(ws)
    sup = {"kind": "inline", "reason": "lab only", "approved_by": "ciso@example.org", "ticket": "SEC-9",
           "expires": "2026-11-28", "source": "main.tf:6"}  # expires today: still in force
    assert statuses(out) == {("TEST_NB_001", NB): ("suppressed", sup), ("TEST_NB_002", NB): ("suppressed", sup)}
    assert out.report["warnings"] == []
    assert out.exit_code == 0


def test_expired_inline_waiver_stops_suppressing_and_warns(ws):
    write(ws / "stack" / "main.tf", notebook(comments=(
        '# hipaa-iac:ignore=TEST_NB_001 reason="sandbox" expires=2026-11-27')))
    out = scan(ws)
    assert statuses(out) == {("TEST_NB_001", NB): FAILED, ("TEST_NB_002", NB): FAILED}
    assert out.report["warnings"] == [{"file": "main.tf", "line": 2,
                                       "message": f"waiver for TEST_NB_001 on {NB} expired on 2026-11-27"}]
    assert out.exit_code == 1


@pytest.mark.parametrize("comment, why", [
    ("# hipaa-iac:ignore=TEST_NB_001 expires=2027-01-31", 'missing reason="..."'),
    ('# hipaa-iac:ignore=TEST_NB_001 reason="" expires=2027-01-31', 'missing reason="..."'),
    ('# hipaa-iac:ignore=TEST_NB_001 reason="sandbox"', "missing expires=YYYY-MM-DD"),
    ('# hipaa-iac:ignore=TEST_NB_001 reason="sandbox" expires=31/01/2027',
     "expires must be an ISO date (YYYY-MM-DD), got '31/01/2027'"),
    ('# hipaa-iac:ignore=TEST_NB_* reason="sandbox" expires=2027-01-31',
     "'TEST_NB_*' is not a policy id (exact ids only, separated by commas without spaces; "
     "globs belong in the exceptions file)"),
    ("# hipaa-iac:ignore=TEST_NB_001 reason=sandbox only expires=2027-01-31",
     "unexpected text 'only expires=2027-01-31' (values with spaces need quotes)"),
    ('# hipaa-iac:ignore=TEST_NB_001 reason="x" expires=2027-01-31 owner=me', "unknown key 'owner' "
     "(allowed: reason, expires, approved_by, ticket)"),
    ('# hipaa-iac:ignore reason="x" expires=2027-01-31', "no policy id (write hipaa-iac:ignore=ID[,ID])"),
])
def test_invalid_inline_waiver_warns_and_does_not_suppress(ws, comment, why):
    write(ws / "stack" / "main.tf", notebook(comments=comment))
    out = scan(ws)
    assert statuses(out) == {("TEST_NB_001", NB): FAILED, ("TEST_NB_002", NB): FAILED}
    assert out.report["warnings"] == [{"file": "main.tf", "line": 2,
                                       "message": f"invalid inline waiver on {NB}: {why}; it does not suppress"}]
    assert out.report["errors"] == []


def test_inline_waiver_for_a_forbidden_policy_does_not_suppress(ws):
    write_config(ws, "forbid_inline_waivers: ['TEST_NB_00*']\n")
    write(ws / "stack" / "main.tf", notebook(comments=(
        '# hipaa-iac:ignore=TEST_NB_001 reason="sandbox" expires=2027-01-31\n'
        "# checkov:skip=TEST_NB_002:root needed")))
    out = scan(ws)
    assert statuses(out) == {("TEST_NB_001", NB): FAILED, ("TEST_NB_002", NB): FAILED}
    assert [w["message"] for w in out.report["warnings"]] == [
        f"inline waiver for TEST_NB_001 on {NB} does not suppress: forbid_inline_waivers matches 'TEST_NB_00*'; "
        "record an exception in the exceptions file instead",
        f"checkov:skip for TEST_NB_002 on {NB} does not suppress: forbid_inline_waivers matches 'TEST_NB_00*'; "
        "record an exception in the exceptions file instead",
    ]
    assert [(w["file"], w["line"]) for w in out.report["warnings"]] == [("main.tf", 2), ("main.tf", 3)]


def test_inline_waiver_longer_than_the_window_does_not_suppress(ws):
    write_config(ws, "max_exception_days: 30\n")
    write(ws / "stack" / "main.tf", notebook(comments=(
        '# hipaa-iac:ignore=TEST_NB_001 reason="sandbox" expires=2027-01-31')))
    out = scan(ws)
    assert statuses(out)[("TEST_NB_001", NB)] == FAILED
    assert out.report["warnings"] == [{"file": "main.tf", "line": 2, "message": (
        f"waiver for TEST_NB_001 on {NB} expires on 2027-01-31, more than max_exception_days (30) after 2026-11-28; "
        "it does not suppress")}]


def test_checkov_skip_is_an_inline_waiver_without_expiry(ws):
    write(ws / "stack" / "main.tf", notebook(comments="#checkov:skip=TEST_NB_001,CKV_AWS_122:package mirror access"))
    out = scan(ws)
    assert statuses(out) == {
        ("TEST_NB_001", NB): ("suppressed", {"kind": "inline", "reason": "package mirror access", "approved_by": None,
                                             "ticket": None, "expires": None, "source": "checkov:skip"}),
        ("TEST_NB_002", NB): FAILED,
    }
    assert out.report["warnings"] == []


def test_checkov_skip_without_reason_warns(ws):
    write(ws / "stack" / "main.tf", notebook(comments="# checkov:skip=TEST_NB_001"))
    out = scan(ws)
    assert statuses(out)[("TEST_NB_001", NB)] == FAILED
    assert out.report["warnings"] == [{"file": "main.tf", "line": 2, "message": (
        f"invalid checkov:skip on {NB}: checkov:skip without a reason (write checkov:skip=ID:reason); "
        "it does not suppress")}]


def test_checkov_skip_can_be_switched_off(ws):
    from hipaa_iac import suppress
    from hipaa_iac.graph import Graph
    from hipaa_iac.model import Resource
    r = Resource(NB, "managed", "aws_sagemaker_notebook_instance", "nb", "", "main.tf", 1, 5,
                 comments=[(2, "# checkov:skip=TEST_NB_001:mirror")])

    class Cfg:
        checkov_skip = False
        forbid_inline_waivers: list = []
    active, warnings = suppress.inline_waivers(Graph([r]), Cfg(), TODAY, 365)
    assert active == {} and warnings == []
    Cfg.checkov_skip = True
    active, warnings = suppress.inline_waivers(Graph([r]), Cfg(), TODAY, 365)
    assert list(active) == [(NB, "TEST_NB_001")]


def test_waiver_on_another_resource_or_a_passed_result_changes_nothing(ws):
    write(ws / "stack" / "main.tf", notebook("ok", comments=(
        '# hipaa-iac:ignore=TEST_NB_001,TEST_NB_002 reason="x" expires=2027-01-31'),
        extra='  direct_internet_access = "Disabled"\n') + notebook("other"))
    out = scan(ws)
    ok, other = "aws_sagemaker_notebook_instance.ok", "aws_sagemaker_notebook_instance.other"
    assert statuses(out) == {
        ("TEST_NB_001", ok): ("passed", None),
        ("TEST_NB_002", ok): ("suppressed", {"kind": "inline", "reason": "x", "approved_by": None, "ticket": None,
                                             "expires": "2027-01-31", "source": "main.tf:2"}),
        ("TEST_NB_001", other): FAILED,
        ("TEST_NB_002", other): FAILED,
    }


def test_waiver_in_a_multi_line_block_comment_gets_its_own_line(ws):
    write(ws / "stack" / "main.tf", notebook(comments=(
        '/* notes\n  hipaa-iac:ignore=TEST_NB_001 reason="sandbox" expires=2027-01-31 */')))
    out = scan(ws)
    assert statuses(out)[("TEST_NB_001", NB)][1]["source"] == "main.tf:3"


def test_parsers_directly():
    w = parse_ignore('# hipaa-iac:ignore=A_1,B-2 reason="say \\"hi\\"" expires=2027-01-01 */', "f.tf", 4)
    assert (w.ids, w.reason, w.expires, w.error) == (["A_1", "B-2"], 'say "hi"', dt.date(2027, 1, 1), None)
    assert parse_ignore("# nothing here", "f.tf", 1) is None
    w = parse_checkov_skip("# checkov:skip=CKV_AWS_1:reason: with colon */", "f.tf", 1)
    assert (w.ids, w.reason) == (["CKV_AWS_1"], "reason: with colon")
    assert parse_checkov_skip("# checkov skip", "f.tf", 1) is None


def test_globs_treat_instance_brackets_literally():
    assert glob_match("HIPAA_AWS_S3_*", "HIPAA_AWS_S3_001")
    assert not glob_match("HIPAA_AWS_S3_*", "HIPAA_AWS_SAGEMAKER_001")
    assert glob_match('aws_s3_bucket.b["x"]', 'aws_s3_bucket.b["x"]')
    assert not glob_match("aws_s3_bucket.phi[0]", "aws_s3_bucket.phi0")
    assert glob_match("module.data.*", "module.data.aws_s3_bucket.phi[0]")
    assert resource_match("aws_s3_bucket.phi", "aws_s3_bucket.phi[0]")
    assert resource_match("aws_s3_bucket.phi", 'aws_s3_bucket.phi["a"]')
    assert not resource_match("aws_s3_bucket.phi", "aws_s3_bucket.phi2")
    assert not resource_match("aws_s3_bucket.ph?", "aws_s3_bucket.phi[0]")


# ---- exceptions file -----------------------------------------------------------------------------------------
ENTRY = """\
  - policy: {policy}
    resource: {resource}
    reason: legacy notebook until SEC-1234
    approved_by: ciso@example.org
    ticket: SEC-1234
    expires: {expires}
"""


def exceptions(*entries: dict) -> str:
    return "exceptions:\n" + "".join(ENTRY.format(**e) for e in entries)


def test_exception_suppresses_with_its_entry(ws):
    write(ws / "stack" / "main.tf", notebook())
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", "# reviewed quarterly\n" + exceptions(
        {"policy": "TEST_NB_002", "resource": NB, "expires": "2027-03-31"}))
    out = scan(ws)  # the default exceptions file at the scan root
    assert statuses(out) == {
        ("TEST_NB_001", NB): FAILED,
        ("TEST_NB_002", NB): ("suppressed", {"kind": "exception", "reason": "legacy notebook until SEC-1234",
                                             "approved_by": "ciso@example.org", "ticket": "SEC-1234",
                                             "expires": "2027-03-31", "source": ".hipaa-iac-exceptions.yaml:3"}),
    }
    assert out.report["warnings"] == [] and out.report["errors"] == []


def test_expired_exception_warns_and_does_not_suppress(ws):
    write(ws / "stack" / "main.tf", notebook())
    exc = write(ws / "exc.yaml", exceptions({"policy": "TEST_NB_002", "resource": NB, "expires": "2026-01-31"}))
    out = scan(ws, exceptions=exc)
    assert statuses(out) == {("TEST_NB_001", NB): FAILED, ("TEST_NB_002", NB): FAILED}
    assert out.report["warnings"] == [{"file": exc, "line": 2, "message": (
        f"exception 1 expired on 2026-01-31: TEST_NB_002 on {NB} is no longer suppressed")}]
    assert out.report["errors"] == []
    assert out.exit_code == 1


def test_unused_exception_warns(ws):
    write(ws / "stack" / "main.tf", notebook())
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", exceptions(
        {"policy": "TEST_NB_001", "resource": NB, "expires": "2027-03-31"},
        {"policy": "TEST_NB_001", "resource": "aws_sagemaker_notebook_instance.gone", "expires": "2027-03-31"}))
    out = scan(ws)
    assert statuses(out)[("TEST_NB_001", NB)][0] == "suppressed"
    assert out.report["warnings"] == [{"file": ".hipaa-iac-exceptions.yaml", "line": 8, "message": (
        "exception 2 matches nothing (TEST_NB_001 on aws_sagemaker_notebook_instance.gone)")}]


@pytest.mark.parametrize("text, line, message", [
    ("exceptions:\n  - policy: TEST_NB_001\n    resource: x\n    reason: r\n    expires: 2027-01-01\n", 2,
     "exception 1: missing required field 'approved_by'"),
    (exceptions({"policy": "TEST_NB_001", "resource": NB, "expires": "'next year'"}), 2,
     "exception 1: expires must be an ISO date (YYYY-MM-DD), got 'next year'"),
    (exceptions({"policy": "TEST_NB_001", "resource": NB, "expires": "2027-02-30"}), 2,
     "exception 1: expires must be an ISO date (YYYY-MM-DD), got '2027-02-30'"),
    (exceptions({"policy": "TEST_NB_001", "resource": NB, "expires": "2027-01-01"}) + "    owner: me\n", 2,
     "exception 1: unknown key 'owner' (allowed: policy, resource, reason, approved_by, expires, ticket, file)"),
    (exceptions({"policy": "TEST_NB_001", "resource": NB, "expires": "2027-01-01"}) + "  - just a string\n", 8,
     "exception 2: expected a mapping with policy, resource, reason, approved_by, expires"),
    ("exceptions:\n  - policy: [unclosed\n", 3, "invalid YAML: expected ',' or ']', but got '<stream end>'"),
    ("waivers: []\n", 1, "unknown key 'waivers' (expected `exceptions`)"),
    ("exceptions: {}\n", 1, "`exceptions` must be a list of entries"),
    ("- a\n", 1, "expected a mapping with an `exceptions` list"),
])
def test_malformed_exceptions_file_is_an_error(ws, text, line, message):
    write(ws / "stack" / "main.tf", notebook())
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", text)
    out = scan(ws)
    assert out.report["errors"] == [{"file": ".hipaa-iac-exceptions.yaml", "line": line, "message": message}]
    assert out.exit_code == 2
    assert statuses(out)[("TEST_NB_002", NB)] == FAILED  # well-formed entries (for TEST_NB_001) still apply


def test_malformed_exceptions_file_exits_2_from_the_cli(ws):
    from typer.testing import CliRunner
    from hipaa_iac.cli import app
    write(ws / "stack" / "main.tf", notebook())
    exc = write(ws / "exc.yaml", "exceptions:\n  - policy: TEST_NB_001\n")
    res = CliRunner().invoke(app, ["scan", str(ws / "stack"), "--config", str(ws / ".hipaa-iac.yaml"),
                                   "--exceptions", exc, "-f", "json"])
    assert res.exit_code == 2, res.output
    assert json.loads(res.stdout)["errors"] == [
        {"file": exc, "line": 2, "message": "exception 1: missing required field 'resource'"}]


def test_exception_window_longer_than_allowed_is_an_error(ws):
    write_config(ws, "max_exception_days: 90\n")
    write(ws / "stack" / "main.tf", notebook())
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", exceptions(
        {"policy": "TEST_NB_001", "resource": NB, "expires": "2027-02-27"},   # 91 days
        {"policy": "TEST_NB_002", "resource": NB, "expires": "2027-02-26"}))  # 90 days: allowed
    out = scan(ws)
    assert out.report["errors"] == [{"file": ".hipaa-iac-exceptions.yaml", "line": 2, "message": (
        "exception 1 expires on 2027-02-27, more than max_exception_days (90) after 2026-11-28: shorten the window")}]
    assert statuses(out)[("TEST_NB_001", NB)] == FAILED
    assert statuses(out)[("TEST_NB_002", NB)][0] == "suppressed"
    assert out.exit_code == 2


def test_exception_globs_match_policies_resources_instances_and_files(ws):
    write(ws / "stack" / "a" / "main.tf", notebook("nb", extra="  count = 2\n"))
    write(ws / "stack" / "b" / "main.tf", notebook("nb"))
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", exceptions(
        {"policy": "TEST_NB_*", "resource": NB, "expires": "2027-03-31"})
        + "    file: a/*\n")
    out = scan(ws)
    got = {(r["policy_id"], r["resource"], r["file"]): r["status"] for r in out.report["results"]}
    assert got == {
        ("TEST_NB_001", NB + "[0]", "a/main.tf"): "suppressed", ("TEST_NB_002", NB + "[0]", "a/main.tf"): "suppressed",
        ("TEST_NB_001", NB + "[1]", "a/main.tf"): "suppressed", ("TEST_NB_002", NB + "[1]", "a/main.tf"): "suppressed",
        ("TEST_NB_001", NB, "b/main.tf"): "failed", ("TEST_NB_002", NB, "b/main.tf"): "failed",
    }
    assert out.report["warnings"] == []


def test_exception_glob_on_resource(ws):
    write(ws / "stack" / "main.tf", notebook("one") + notebook("two"))
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", exceptions(
        {"policy": "TEST_NB_001", "resource": "aws_sagemaker_notebook_instance.*", "expires": "2027-03-31"}))
    out = scan(ws)
    assert {k: s for k, (s, _) in statuses(out).items()} == {
        ("TEST_NB_001", "aws_sagemaker_notebook_instance.one"): "suppressed",
        ("TEST_NB_002", "aws_sagemaker_notebook_instance.one"): "failed",
        ("TEST_NB_001", "aws_sagemaker_notebook_instance.two"): "suppressed",
        ("TEST_NB_002", "aws_sagemaker_notebook_instance.two"): "failed",
    }


def test_exception_suppresses_unknown_results_but_not_passed_ones(ws):
    write(ws / "stack" / "main.tf", 'variable "dia" {}\n' + notebook(extra=(
        '  direct_internet_access = var.dia\n  root_access = "Disabled"\n')))
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", exceptions({"policy": "TEST_NB_*", "resource": NB,
                                                                  "expires": "2027-03-31"}))
    out = scan(ws)
    assert {k: s for k, (s, _) in statuses(out).items()} == {("TEST_NB_001", NB): "suppressed",
                                                            ("TEST_NB_002", NB): "passed"}


def test_yaml_bomb_is_refused(ws):
    write(ws / "stack" / "main.tf", notebook())
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", "\n".join(lines) + "\n")
    out = scan(ws)
    # the first alias is refused: aliases can expand without bound, and an exceptions file needs none
    assert out.report["errors"] == [{"file": ".hipaa-iac-exceptions.yaml", "line": 2, "message":
                                     "YAML aliases are not allowed in an exceptions file (they can expand without bound)"}]
    assert out.exit_code == 2


def test_oversized_exceptions_file_is_refused(ws):
    write(ws / "stack" / "main.tf", notebook())
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", "# " + "x" * (1024 * 1024) + "\n")
    out = scan(ws)
    assert out.report["errors"] == [{"file": ".hipaa-iac-exceptions.yaml", "line": None,
                                     "message": "exceptions file larger than 1048576 bytes"}]


def test_exception_wins_over_inline_waiver(ws):
    write(ws / "stack" / "main.tf", notebook(comments='# hipaa-iac:ignore=TEST_NB_001 reason="x" expires=2027-01-31'))
    write(ws / "stack" / ".hipaa-iac-exceptions.yaml", exceptions({"policy": "TEST_NB_001", "resource": NB,
                                                                  "expires": "2027-03-31"}))
    out = scan(ws)
    assert statuses(out)[("TEST_NB_001", NB)][1]["kind"] == "exception"
    assert out.report["warnings"] == []


# ---- baseline ------------------------------------------------------------------------------------------------
def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_baseline(ws, path) -> int:
    from hipaa_iac.suppress import write_baseline
    return write_baseline(str(path), scan(ws).report)


def test_baseline_file_format(ws, monkeypatch):
    monkeypatch.chdir(ws)
    write(ws / "stack" / "main.tf", 'variable "dia" {}\n' + notebook(extra="  direct_internet_access = var.dia\n"))
    out = execute(ScanRequest(paths=["stack"], config_file=".hipaa-iac.yaml", today=TODAY, no_cache=True))
    from hipaa_iac.suppress import write_baseline
    assert write_baseline("stack/.hipaa-iac-baseline.json", out.report) == 2
    assert json.loads((ws / "stack" / ".hipaa-iac-baseline.json").read_text()) == {
        "version": 1, "root": ".", "findings": [
            {"policy_id": "TEST_NB_001", "resource": NB, "file": "main.tf",
             "fingerprint": sha(f"TEST_NB_001|{NB}|main.tf")},
            {"policy_id": "TEST_NB_002", "resource": NB, "file": "main.tf",
             "fingerprint": sha(f"TEST_NB_002|{NB}|main.tf")},
        ]}
    assert [r["status"] for r in out.report["results"]] == ["failed", "unknown"]


def test_baseline_create_then_scan_suppresses_everything(ws, monkeypatch):
    from typer.testing import CliRunner
    from hipaa_iac.cli import app
    monkeypatch.chdir(ws)
    write(ws / "stack" / "main.tf", notebook("one") + notebook("two"))
    cli = CliRunner()
    res = cli.invoke(app, ["baseline", "create", "stack", "--config", ".hipaa-iac.yaml", "-o", "baseline.json"])
    assert res.exit_code == 0, res.output
    assert "baseline with 4 findings written to baseline.json" in res.stdout
    recorded = json.loads((ws / "baseline.json").read_text())
    assert recorded["root"] == "stack" and {f["file"] for f in recorded["findings"]} == {"main.tf"}
    res = cli.invoke(app, ["scan", "stack", "--config", ".hipaa-iac.yaml", "--baseline", "baseline.json", "-f", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    sup = {"kind": "baseline", "reason": "in baseline baseline.json", "approved_by": None,
           "ticket": None, "expires": None, "source": "baseline.json"}
    assert [(r["status"], r["suppression"]) for r in report["results"]] == [("suppressed", sup)] * 4
    assert report["summary"]["suppressed"] == 4 and report["summary"]["failed"] == 0


def test_baseline_survives_moved_lines(ws):
    write(ws / "stack" / "main.tf", notebook())
    bl = ws / "stack" / ".hipaa-iac-baseline.json"
    assert create_baseline(ws, bl) == 2
    write(ws / "stack" / "main.tf", "# a header\n\n\n" + 'locals {\n  x = 1\n}\n' + notebook())
    out = scan(ws, baseline=str(bl))
    sup = {"kind": "baseline", "reason": "in baseline .hipaa-iac-baseline.json", "approved_by": None,
           "ticket": None, "expires": None, "source": ".hipaa-iac-baseline.json"}
    assert statuses(out) == {("TEST_NB_001", NB): ("suppressed", sup), ("TEST_NB_002", NB): ("suppressed", sup)}
    assert [r["line"] for r in out.report["results"]] == [7, 7]
    assert out.exit_code == 0


def test_same_resource_name_in_another_file_is_new(ws):
    write(ws / "stack" / "env1" / "main.tf", notebook())
    bl = ws / "baseline.json"
    assert create_baseline(ws, bl) == 2
    write(ws / "stack" / "env2" / "main.tf", notebook())
    out = scan(ws, baseline=str(bl))
    got = {(r["policy_id"], r["file"]): r["status"] for r in out.report["results"]}
    assert got == {("TEST_NB_001", "env1/main.tf"): "suppressed", ("TEST_NB_002", "env1/main.tf"): "suppressed",
                   ("TEST_NB_001", "env2/main.tf"): "failed", ("TEST_NB_002", "env2/main.tf"): "failed"}
    assert out.exit_code == 1


def test_a_fixed_then_reintroduced_finding_on_a_new_resource_is_new(ws):
    write(ws / "stack" / "main.tf", notebook())
    bl = ws / "baseline.json"
    create_baseline(ws, bl)
    write(ws / "stack" / "main.tf", notebook() + notebook("second"))
    out = scan(ws, baseline=str(bl))
    assert {k: s for k, (s, _) in statuses(out).items()} == {
        ("TEST_NB_001", NB): "suppressed", ("TEST_NB_002", NB): "suppressed",
        ("TEST_NB_001", "aws_sagemaker_notebook_instance.second"): "failed",
        ("TEST_NB_002", "aws_sagemaker_notebook_instance.second"): "failed"}


def test_baseline_of_the_whole_tree_applies_to_a_scan_of_a_subdirectory(ws):
    write(ws / "stack" / "env1" / "main.tf", notebook())
    write(ws / "stack" / "env2" / "main.tf", notebook())
    bl = ws / "stack" / ".hipaa-iac-baseline.json"
    assert create_baseline(ws, bl) == 4
    out = scan(ws, paths=[ws / "stack" / "env2"], baseline=str(bl))  # root is env2: files are "main.tf"
    assert [r["file"] for r in out.report["results"]] == ["main.tf", "main.tf"]
    assert {s for s, _ in statuses(out).values()} == {"suppressed"}


@pytest.mark.parametrize("content, line, message", [
    ("{not json", 1, "invalid JSON: Expecting property name enclosed in double quotes"),
    ('{"version": 2, "findings": []}', None, "malformed baseline: unsupported version 2 (expected 1)"),
    ('{"version": 1}', None, "malformed baseline: `findings` must be a list"),
    ('{"version": 1, "findings": [{"policy_id": "A", "resource": "r"}]}', None,
     "malformed baseline: finding 1: policy_id, resource and file must be strings"),
    ('{"version": 1, "findings": [{"policy_id": "A", "resource": "r", "file": "f", "fingerprint": "00"}]}', None,
     "malformed baseline: finding 1: fingerprint does not match policy_id|resource|file"),
    ('{"version": 1, "findings": [], "extra": 1}', None, "malformed baseline: unknown key 'extra'"),
])
def test_malformed_baseline_is_an_error(ws, content, line, message):
    write(ws / "stack" / "main.tf", notebook())
    bl = write(ws / "stack" / "bl.json", content)
    out = scan(ws, baseline=bl)
    assert out.report["errors"] == [{"file": "bl.json", "line": line, "message": message}]
    assert out.exit_code == 2
    assert {s for s, _ in statuses(out).values()} == {"failed"}


def test_missing_baseline_is_an_error(ws):
    write(ws / "stack" / "main.tf", notebook())
    out = scan(ws, baseline=str(ws / "nope.json"))
    assert out.report["errors"] == [{"file": str(ws / "nope.json"), "line": None, "message": "baseline file not found"}]
    assert out.exit_code == 2


def test_baseline_without_fingerprints_still_matches(ws):
    write(ws / "stack" / "main.tf", notebook())
    bl = write(ws / "stack" / "bl.json", json.dumps({"version": 1, "findings": [
        {"policy_id": "TEST_NB_001", "resource": NB, "file": "main.tf"}]}))
    out = scan(ws, baseline=bl)
    assert {k: s for k, (s, _) in statuses(out).items()} == {("TEST_NB_001", NB): "suppressed",
                                                            ("TEST_NB_002", NB): "failed"}


def test_inline_waivers_apply_on_a_cached_scan_too(ws, monkeypatch):
    """The scan cache stores results before suppression and the comments of each resource."""
    monkeypatch.setenv("HIPAA_IAC_CACHE_DIR", str(ws / "cache"))
    (ws / ".hipaa-iac.yaml").write_text("policy_dir: policies\ncache: true\n")
    write(ws / "stack" / "main.tf", notebook(comments=(
        '# hipaa-iac:ignore=TEST_NB_001 reason="sandbox" expires=2026-12-31')))

    def run(today):
        return statuses(execute(ScanRequest(paths=[str(ws / "stack")], config_file=str(ws / ".hipaa-iac.yaml"),
                                            today=today)))
    sup = {"kind": "inline", "reason": "sandbox", "approved_by": None, "ticket": None, "expires": "2026-12-31",
           "source": "main.tf:2"}
    assert run(TODAY)[("TEST_NB_001", NB)] == ("suppressed", sup)
    assert any(p.is_file() for p in (ws / "cache").rglob("*"))
    assert run(TODAY)[("TEST_NB_001", NB)] == ("suppressed", sup)  # from the cache
    assert run(dt.date(2027, 1, 1))[("TEST_NB_001", NB)] == FAILED  # expiry judged on each run, not cached
