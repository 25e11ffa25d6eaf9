"""Snapshots of what users read: the JSON and SARIF reports of every example stack, whole, compared with
tests/snapshots/<stack>.<format> (json, sarif). A change anywhere (a new result, a message, a line, a field) fails here;
accept an intended change with `pytest tests/test_snapshots.py --update-snapshots` and review the diff.
Masked: what changes with the checkout or the release, not with the analysis (scan time, tool and pack
version, the git repository's name, commit and branch)."""
import difflib
import json
from pathlib import Path

import pytest

from hipaa_iac.cli import render
from hipaa_iac.runner import ScanRequest, execute

REPO = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
STACKS = sorted(p.name for p in (REPO / "fixtures" / "stacks").iterdir() if p.is_dir())
MASK = "<masked>"


def _mask_json(doc: dict) -> dict:
    doc["tool"]["version"] = MASK
    doc["scan"]["policy_pack"] = MASK
    doc["scan"]["generated_at"] = MASK
    if "repository" in doc["scan"]:
        doc["scan"]["repository"] = MASK
    return doc


def _mask_sarif(doc: dict) -> dict:
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        driver["version"] = driver["semanticVersion"] = MASK
        run.get("properties", {})["policyPack"] = MASK
        for inv in run.get("invocations", []):
            for key in ("startTimeUtc", "endTimeUtc"):
                if key in inv:
                    inv[key] = MASK
        if "versionControlProvenance" in run:
            run["versionControlProvenance"] = MASK
    return doc


def snapshot_text(stack: str, fmt: str, monkeypatch) -> str:
    monkeypatch.chdir(REPO)
    out = execute(ScanRequest(paths=[f"fixtures/stacks/{stack}"], no_cache=True))
    assert out.fatal is None, out.fatal
    doc = json.loads(render(fmt, out.report, out.policies))
    doc = _mask_json(doc) if fmt == "json" else _mask_sarif(doc)
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
@pytest.mark.parametrize("stack", STACKS)
def test_report_snapshot(stack, fmt, request, monkeypatch):
    got = snapshot_text(stack, fmt, monkeypatch)
    path = SNAPSHOTS / f"{stack}.{fmt}"
    if request.config.getoption("--update-snapshots"):
        path.write_text(got, encoding="utf-8")
        return
    assert path.is_file(), f"no snapshot {path.name}: run pytest {__file__} --update-snapshots"
    want = path.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "snapshot", "now"))[:80])
        pytest.fail(f"{path.name} differs (accept with --update-snapshots):\n{diff}")


def test_masking_keeps_the_analysis(monkeypatch):
    """Only the checkout- and release-dependent fields are masked: results, messages and lines stay."""
    doc = json.loads(snapshot_text("sagemaker-noncompliant", "json", monkeypatch))
    assert doc["scan"]["generated_at"] == MASK and doc["tool"]["version"] == MASK
    assert doc["results"] and all(r["message"] and r["line"] for r in doc["results"])
    assert doc["summary"]["failed"] > 0
