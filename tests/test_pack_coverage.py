"""The pack's breadth: at least 100 policies (AWS >= 50, Azure >= 25, Google Cloud >= 25), every HIPAA
category on every cloud, and provider fact tables that agree with the policies that use them."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hipaa_iac.policy.loader import load_pack
from hipaa_iac.policy.schema import HIPAA_CATEGORIES
from hipaa_iac.yamlio import safe_load

REPO = Path(__file__).resolve().parents[1]
PACK = load_pack(str(REPO / "policies"))
DATA = REPO / "src" / "hipaa_iac" / "data"


def test_policy_counts():
    by_cloud = Counter(p.cloud for p in PACK.policies)
    assert len(PACK.policies) >= 100
    assert by_cloud["aws"] >= 50 and by_cloud["azure"] >= 25 and by_cloud["gcp"] >= 25, by_cloud


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_every_category_on_every_cloud(cloud):
    have = {p.meta["hipaa_category"] for p in PACK.policies if p.cloud == cloud}
    assert set(HIPAA_CATEGORIES) - have == set()


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_eligible_service_data_is_sourced_and_dated(cloud):
    data = safe_load((DATA / "eligible" / f"{cloud}.yaml").read_text())
    assert data["cloud"] == cloud and str(data["retrieved"]).startswith("20")
    assert data["sources"]
    statuses = Counter()
    for svc in data["services"]:
        assert svc["status"] in ("eligible", "not_eligible", "control_plane", "unverified"), svc
        assert svc.get("prefixes") or svc.get("types") or svc.get("patterns"), svc
        assert svc.get("confidence") in ("high", "medium", "low") or str(svc.get("confidence", "")).startswith("high"), svc
        assert svc.get("source") or data.get("sources"), svc
        statuses[svc["status"]] += 1
    assert statuses["eligible"] >= 10 and statuses["control_plane"] >= 1
    engine = [p for p in PACK.policies if p.meta.get("engine") == "eligible_service"
              and (p.meta.get("engine_args") or {}).get("cloud") == cloud]
    assert len(engine) == 1, f"one eligible-service policy for {cloud}"


def _within_values(node) -> list[list]:
    out = []
    if isinstance(node, dict):
        if node.get("operator") == "within" and isinstance(node.get("value"), list):
            out.append(node["value"])
        for v in node.values():
            out += _within_values(v)
    elif isinstance(node, list):
        for v in node:
            out += _within_values(v)
    return out


def _tls_tables():
    for f in sorted((DATA / "tls").glob("*.yaml")):
        yield pytest.param(f, id=f.stem)


def _groups(data: dict) -> list[tuple[list[str], dict[str, float], str]]:
    """(policy ids, {name: minimum TLS}, what) from either table layout: `sources` + `policies` rows per
    service (AWS, Google Cloud), or `tables` with their own `values` (Azure)."""
    def v(x) -> float:
        return float(str(x).upper().replace("TLS", "").replace("_", ".").strip(".") or 0)
    out = []
    if "tables" in data:
        for t in data["tables"]:
            assert t.get("values") and all(r.get("source") for r in t["values"]), t.get("attribute")
            out.append((t.get("policies", []), {str(r["name"]): v(r["min_tls"]) for r in t["values"]},
                        t.get("attribute", "")))
    else:
        assert data.get("sources")
        rows: dict[str, dict[str, float]] = {}
        for row in data["policies"]:
            rows.setdefault(row["service"], {})[str(row["name"])] = v(row["min_tls"])
        for src in data["sources"]:
            out.append((src.get("used_by", []), rows.get(src["service"], {}), src["service"]))
    return out


@pytest.mark.parametrize("path", list(_tls_tables()))
def test_tls_policy_lists_match_the_sourced_table(path):
    """A TLS policy's allowed names are exactly the table's names with minimum TLS >= 1.2 (judged by meaning,
    not by one policy name), for each service the table says the policy uses."""
    data = safe_load(path.read_text())
    assert str(data.get("retrieved", "")).startswith("20")
    by_id = PACK.by_id()
    checked = 0
    for pids, names, what in _groups(data):
        good = {n for n, x in names.items() if x >= 1.2}
        for pid in pids:
            assert pid in by_id, f"{path.name}: {pid} is not in the pack"
            lists = [set(map(str, v)) for v in _within_values(by_id[pid].definition) if set(map(str, v)) & set(names)]
            assert lists, f"{pid} has no `within` list of {what} values"
            for values in lists:
                assert values & set(names) == good, (pid, sorted(values ^ good))
            checked += 1
    assert checked >= 1


def test_compiled_pack_is_current():
    """src/hipaa_iac/data/pack.json (the pack as validated, so a cold scan skips YAML and validation) matches
    the policy files. Fix: `hipaa-iac docs generate` and commit the result."""
    from hipaa_iac.policy.loader import COMPILED_PACK, compiled_pack_text
    text, errors = compiled_pack_text(str(REPO / "policies"))
    assert errors == []
    assert Path(COMPILED_PACK).read_text(encoding="utf-8") == text


def test_a_changed_pack_is_validated_again(tmp_path):
    import shutil
    from hipaa_iac.policy.loader import load_pack as lp
    d = tmp_path / "policies"
    shutil.copytree(REPO / "policies", d)
    victim = next((d / "aws").glob("*.yaml"))
    victim.write_text(victim.read_text().replace("severity: ", "severity: SEVERE_", 1))
    pack = lp(str(d), cache_dir=str(tmp_path / "cache"))
    assert len(pack.errors) == 1 and "metadata.severity" in pack.errors[0]


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_compiled_eligible_table_is_current(cloud):
    """The JSON twin of each eligible-service table (read by a scan instead of parsing YAML) matches it."""
    from hipaa_iac.policy.engines import compiled_eligible_text, eligible_paths
    assert Path(eligible_paths(cloud)[1]).read_text(encoding="utf-8") == compiled_eligible_text(cloud)
