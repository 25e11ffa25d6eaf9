"""Every policy on its own fixtures: the exact (resource, status) set per folder, and the pack's meta-rules."""
from __future__ import annotations

import functools
import json
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
COMPILED = REPO / "src" / "hipaa_iac" / "data" / "pack.json"


def _cases():
    for pid in sorted(POLICIES):
        exp_file = FIXTURES / pid / "expected.yaml"
        if not exp_file.is_file():
            continue
        expected = yaml.safe_load(exp_file.read_text()) or {}
        for folder in sorted(expected):
            yield pytest.param(pid, folder, expected[folder] or {}, id=f"{pid}/{folder}")


def scan_folder(pid: str, folder: Path) -> dict[tuple[str, str], dict]:
    """(resource, status) -> the result, for every result of the policy on the folder."""
    graph = load([str(folder)], LoadOptions())
    assert not graph.errors, [e.as_dict() for e in graph.errors]
    results = evaluate_policies(graph, [POLICIES[pid]])
    return {(r["resource"], r["status"]): r for r in results}


def expected_entries(expected: dict) -> dict[tuple[str, str], dict]:
    """expected.yaml lists, per status, addresses or {address, line, attribute} mappings: the line and
    attribute the report must give that result, when stated."""
    out = {}
    for status in STATUSES:
        for entry in expected.get(status) or []:
            if isinstance(entry, str):
                out[(entry, status)] = {}
                continue
            assert isinstance(entry, dict) and "address" in entry, f"{status}: entry {entry!r} has no address"
            extra = set(entry) - {"address", "line", "attribute"}
            assert not extra, f"{status}: {entry['address']}: unknown keys {sorted(extra)}"
            out[(entry["address"], status)] = {k: v for k, v in entry.items() if k != "address"}
    return out


@pytest.mark.parametrize("pid,folder,expected", list(_cases()))
def test_policy_fixture(pid, folder, expected):
    path = FIXTURES / pid / folder
    assert path.is_dir(), f"expected.yaml names folder {folder!r} that does not exist"
    unknown_keys = set(expected) - set(STATUSES)
    assert not unknown_keys, f"expected.yaml {folder}: unknown status keys {unknown_keys}"
    entries = expected_entries(expected)
    want = set(entries)
    results = scan_folder(pid, path)
    got = set(results)
    assert got == want, (f"{pid}/{folder}: unexpected results\n  extra: {sorted(got - want)}\n"
                         f"  missing: {sorted(want - got)}")
    wrong = {key: {k: (v, results[key][k]) for k, v in pins.items() if results[key][k] != v}
             for key, pins in entries.items()}
    wrong = {k: v for k, v in wrong.items() if v}
    assert wrong == {}, f"{pid}/{folder}: (expected, reported) line/attribute differ: {wrong}"


@functools.lru_cache(maxsize=1)
def _doc_policies() -> dict:
    from hipaa_iac import docs_gen
    return {p["id"]: p for p in docs_gen.load_policies(REPO / "policies")}


@functools.lru_cache(maxsize=1)
def _compiled() -> dict:
    return {p["id"]: p for p in json.loads(COMPILED.read_text(encoding="utf-8"))["policies"]}


@pytest.mark.parametrize("pid", sorted(POLICIES))
def test_policy_docs_and_compiled_pack_are_current(pid):
    """`-k <ID>` fails when the policy's doc page or its entry in the compiled pack (src/hipaa_iac/data/
    pack.json, what an installed tool judges with) is stale: run `hipaa-iac docs generate`."""
    from hipaa_iac import docs_gen
    policy = _doc_policies()[pid]
    page = REPO / "docs" / "policies" / f"{pid}.md"
    assert page.is_file(), f"{page} is missing: run `hipaa-iac docs generate`"
    assert page.read_text(encoding="utf-8") == docs_gen.render_policy(policy, FIXTURES), \
        f"{page} is stale: run `hipaa-iac docs generate`"
    fresh = json.loads(json.dumps(POLICIES[pid].__dict__, sort_keys=True, default=str))
    assert _compiled().get(pid) == fresh, "src/hipaa_iac/data/pack.json is stale: run `hipaa-iac docs generate`"


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
