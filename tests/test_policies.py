"""Every policy on its own fixtures: the exact (resource, status) set per folder, and the pack's meta-rules."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hipaa_iac.load import LoadOptions, load
from hipaa_iac.policy.loader import load_pack
from hipaa_iac.scan import evaluate_policies

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "policies"
PACK = load_pack(str(REPO / "policies"))
POLICIES = {p.id: p for p in PACK.policies}
STATUSES = ("passed", "failed", "unknown")


def _cases():
    for pid in sorted(POLICIES):
        exp_file = FIXTURES / pid / "expected.yaml"
        if not exp_file.is_file():
            continue
        expected = yaml.safe_load(exp_file.read_text()) or {}
        for folder in sorted(expected):
            yield pytest.param(pid, folder, expected[folder] or {}, id=f"{pid}/{folder}")


def scan_folder(pid: str, folder: Path) -> set[tuple[str, str]]:
    graph = load([str(folder)], LoadOptions())
    assert not graph.errors, [e.as_dict() for e in graph.errors]
    results = evaluate_policies(graph, [POLICIES[pid]])
    return {(r["resource"], r["status"]) for r in results}


@pytest.mark.parametrize("pid,folder,expected", list(_cases()))
def test_policy_fixture(pid, folder, expected):
    path = FIXTURES / pid / folder
    assert path.is_dir(), f"expected.yaml names folder {folder!r} that does not exist"
    unknown_keys = set(expected) - set(STATUSES)
    assert not unknown_keys, f"expected.yaml {folder}: unknown status keys {unknown_keys}"
    want = {(addr, status) for status in STATUSES for addr in expected.get(status) or []}
    got = scan_folder(pid, path)
    assert got == want, (f"{pid}/{folder}: unexpected results\n  extra: {sorted(got - want)}\n"
                         f"  missing: {sorted(want - got)}")


def test_pack_loads_without_errors():
    assert PACK.errors == []
    assert len(PACK.policies) > 0


@pytest.mark.parametrize("pid", sorted(POLICIES))
def test_policy_has_fixtures_and_metadata(pid):
    p = POLICIES[pid]
    folder = FIXTURES / pid
    assert folder.is_dir(), f"{pid}: no fixture folder {folder}"
    assert (folder / "pass").is_dir() and any((folder / "pass").iterdir()), f"{pid}: no pass fixtures"
    assert (folder / "fail").is_dir() and any((folder / "fail").iterdir()), f"{pid}: no fail fixtures"
    exp = yaml.safe_load((folder / "expected.yaml").read_text())
    assert exp.get("pass", {}).get("passed"), f"{pid}: expected.yaml lists no passed resource in pass/"
    assert exp.get("fail", {}).get("failed"), f"{pid}: expected.yaml lists no failed resource in fail/"
    for key, value in p.meta.items():
        if key in ("opt_in",):
            continue
        assert value not in (None, "", [], {}), f"{pid}: metadata.{key} is empty"
    assert Path(p.file).stem == pid
    assert p.meta["guideline"] == f"docs/policies/{pid}.md"
    assert re.match(rf"^HIPAA_{p.cloud.upper()}_[A-Z0-9]+_\d{{3}}$", pid), f"{pid}: id does not follow HIPAA_<CLOUD>_<SERVICE>_<NNN>"


def test_every_fixture_folder_has_a_policy():
    orphans = [d.name for d in FIXTURES.iterdir() if d.is_dir() and d.name not in POLICIES]
    assert orphans == []


def test_policies_dir_holds_only_policy_files():
    other = [str(p) for p in (REPO / "policies").rglob("*") if p.is_file() and p.suffix not in (".yaml",)]
    assert other == []


def test_duplicate_and_builtin_ids_are_rejected(tmp_path):
    d = tmp_path / "policies" / "aws"
    d.mkdir(parents=True)
    src = (REPO / "policies" / POLICIES[sorted(POLICIES)[0]].file.split("/", 1)[1]).read_text()
    pid = sorted(POLICIES)[0]
    (d / f"{pid}.yaml").write_text(src)
    (tmp_path / "policies" / "gcp").mkdir()
    (tmp_path / "policies" / "gcp" / f"{pid}.yaml").write_text(src)
    (d / "CKV_AWS_1.yaml").write_text(src.replace(pid, "CKV_AWS_1"))
    pack = load_pack(str(tmp_path / "policies"))
    assert any("already used" in e for e in pack.errors)
    assert any("CKV_AWS_1" in e and "built-in" in e for e in pack.errors)


def test_invalid_policy_errors_name_file_and_key(tmp_path):
    d = tmp_path / "policies" / "aws"
    d.mkdir(parents=True)
    (d / "HIPAA_AWS_X_001.yaml").write_text(yaml.safe_dump({
        "metadata": {"id": "HIPAA_AWS_X_001", "name": "Something is wrong here", "category": "ENCRYPTION",
                     "severity": "SEVERE", "guideline": "docs/policies/HIPAA_AWS_X_001.md",
                     "hipaa_category": "encryption_at_rest", "hipaa": ["164.312(a)(2)(iv)"],
                     "nist_800_171": ["3.13.16"], "description": "A description long enough.",
                     "remediation": "Do the right thing.", "source": "provider docs"},
        "definition": {"cond_type": "attribute", "resource_types": ["aws_s3_bucket"], "attribute": "x",
                       "operator": "equalz", "value": 1}}))
    pack = load_pack(str(tmp_path / "policies"))
    assert any(e.startswith("policies/aws/HIPAA_AWS_X_001.yaml: metadata.severity") for e in pack.errors), pack.errors
    pack2_dir = tmp_path / "p2" / "aws"
    pack2_dir.mkdir(parents=True)
    doc = yaml.safe_load((d / "HIPAA_AWS_X_001.yaml").read_text())
    doc["metadata"]["severity"] = "HIGH"
    (pack2_dir / "HIPAA_AWS_X_001.yaml").write_text(yaml.safe_dump(doc))
    pack2 = load_pack(str(tmp_path / "p2"))
    assert pack2.errors == ["p2/aws/HIPAA_AWS_X_001.yaml: definition.operator: 'equalz' is not a supported attribute operator"]
