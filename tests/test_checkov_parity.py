"""checkov parity: checkov 3.3.30 (its own venv, .venv-checkov) runs the pack on every policy fixture; its
pass/fail per resource must equal hipaa-iac's, except where checkov has no result and hipaa-iac says unknown
(the designed difference) and the divergences listed with their reason in fixtures/policies/<ID>/checkov.yaml.
A listed divergence that no longer happens fails too, so the list stays true.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from hipaa_iac.load import LoadOptions, load
from hipaa_iac.policy.loader import load_pack
from hipaa_iac.scan import evaluate_policies

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "policies"
CHECKOV = Path(os.environ.get("HIPAA_IAC_CHECKOV", REPO / ".venv-checkov" / "bin" / "checkov"))
PACK = load_pack(str(REPO / "policies"))
POLICIES = {p.id: p for p in PACK.policies}

pytestmark = pytest.mark.skipif(not CHECKOV.exists() and os.environ.get("CI") != "true",
                                reason="checkov is not installed in .venv-checkov (./dev test installs it)")


def _run_checkov(framework: str) -> dict[tuple[str, str, str], set[str]]:
    cmd = [str(CHECKOV), "-d", str(FIXTURES), "--framework", framework, "-o", "json", "--skip-download",
           "--check", ",".join(sorted(POLICIES))]
    for cloud in ("aws", "azure", "gcp"):
        cmd += ["--external-checks-dir", str(REPO / "policies" / cloud)]
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="ERROR")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, cwd=REPO)
    assert p.returncode in (0, 1), p.stderr[-2000:]
    docs = json.loads(p.stdout) if p.stdout.strip() else []
    docs = docs if isinstance(docs, list) else [docs]
    out: dict[tuple[str, str, str], set[str]] = {}
    for doc in docs:
        if "results" not in doc:
            continue
        for key, status in (("passed_checks", "passed"), ("failed_checks", "failed")):
            for c in doc["results"].get(key, []):
                parts = Path(c["file_path"].lstrip("/")).parts
                pid, folder = parts[0], parts[1]
                if c["check_id"] != pid:
                    continue  # only a policy's own fixtures are compared
                out.setdefault((pid, folder, c["resource"]), set()).add(status)
    return out


@pytest.fixture(scope="session")
def checkov_results():
    res = _run_checkov("terraform")
    res.update(_run_checkov("terraform_plan"))
    return res


def _cases():
    for pid in sorted(POLICIES):
        exp = FIXTURES / pid / "expected.yaml"
        if exp.is_file():
            for folder in sorted(yaml.safe_load(exp.read_text()) or {}):
                yield pytest.param(pid, folder, id=f"{pid}/{folder}")


def _ours(pid: str, folder: str) -> dict[str, str]:
    g = load([str(FIXTURES / pid / folder)], LoadOptions())
    return {r["resource"]: r["status"] for r in evaluate_policies(g, [POLICIES[pid]])}


def _listed(pid: str) -> list[dict]:
    f = FIXTURES / pid / "checkov.yaml"
    if not f.is_file():
        return []
    return (yaml.safe_load(f.read_text()) or {}).get("divergences") or []


@pytest.mark.parametrize("pid,folder", list(_cases()))
def test_checkov_agrees(pid, folder, checkov_results):
    ours = _ours(pid, folder)
    theirs: dict[str, str] = {}
    for (p, f, res), statuses in checkov_results.items():
        if p == pid and f == folder:
            theirs[res] = "failed" if "failed" in statuses else "passed"
    listed = {(d["folder"], d["resource"]): d for d in _listed(pid) if d.get("folder") == folder}
    problems = []
    seen = set()
    for res in sorted(set(ours) | set(theirs)):
        c = theirs.get(res, "none")
        h = ours.get(res, "none")
        if c == h or (c == "none" and h == "unknown"):
            continue
        d = listed.get((folder, res))
        seen.add((folder, res))
        if d is None:
            problems.append(f"unlisted divergence: {res}: checkov {c}, hipaa-iac {h}")
        elif (str(d.get("checkov")), str(d.get("hipaa_iac"))) != (c, h):
            problems.append(f"listed divergence for {res} says checkov {d.get('checkov')}, hipaa-iac "
                            f"{d.get('hipaa_iac')}; now checkov {c}, hipaa-iac {h}")
        elif not str(d.get("reason", "")).strip():
            problems.append(f"divergence for {res} has no reason")
    for key in sorted(set(listed) - seen):
        problems.append(f"stale divergence entry (no longer happens): {key[1]}")
    assert not problems, f"{pid}/{folder}:\n  " + "\n  ".join(problems)
