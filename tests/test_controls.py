"""The control catalogue is well formed, and every citation in the policy pack is in it."""
from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
import yaml

from hipaa_iac.controls import load_controls, table_errors, validate_citations

ROOT = Path(__file__).resolve().parents[1]
POLICY_FILES = sorted((ROOT / "policies").glob("**/*.y*ml"))
NIST_FAMILIES = {  # SP 800-171 rev2: family number -> (name, number of requirements); 110 in all
    1: ("Access Control", 22), 2: ("Awareness and Training", 3), 3: ("Audit and Accountability", 9),
    4: ("Configuration Management", 9), 5: ("Identification and Authentication", 11),
    6: ("Incident Response", 3), 7: ("Maintenance", 6), 8: ("Media Protection", 9),
    9: ("Personnel Security", 2), 10: ("Physical Protection", 6), 11: ("Risk Assessment", 3),
    12: ("Security Assessment", 4), 13: ("System and Communications Protection", 16),
    14: ("System and Information Integrity", 7),
}


def raw_table() -> dict:
    return yaml.safe_load(resources.files("hipaa_iac").joinpath("data/controls.yaml").read_text("utf-8"))


def test_table_is_well_formed():
    raw = raw_table()
    assert table_errors(raw) == []
    for table in ("hipaa", "nist_800_171"):
        ids = [entry["id"] for entry in raw[table]]
        assert [i for i, n in Counter(ids).items() if n > 1] == []
        assert all(str(entry["title"]).strip() for entry in raw[table])


def test_nist_has_all_110_requirements_in_order():
    nist = load_controls()["nist_800_171"]
    assert len(nist) == 110
    expected = [f"3.{f}.{n}" for f, (_, count) in NIST_FAMILIES.items() for n in range(1, count + 1)]
    assert list(nist) == expected
    for cid, entry in nist.items():
        assert entry["family"] == NIST_FAMILIES[int(cid.split(".")[1])][0]


def test_hipaa_sections_and_flags():
    hipaa = load_controls()["hipaa"]
    sections = Counter(entry["section"] for entry in hipaa.values() if entry["rule"] == "security")
    assert set(sections) == {"164.308", "164.310", "164.312", "164.314", "164.316"}
    expected = {  # citation: (title, kind, R/A, technical)
        "164.308(a)(1)(ii)(A)": ("Risk analysis", "specification", "R", False),
        "164.308(a)(7)(ii)(A)": ("Data backup plan", "specification", "R", True),
        "164.310(d)(2)(iv)": ("Data backup and storage", "specification", "A", True),
        "164.312(a)(2)(iv)": ("Encryption and decryption", "specification", "A", True),
        "164.312(b)": ("Audit controls", "standard", "R", True),
        "164.312(e)(2)(ii)": ("Encryption", "specification", "A", True),
        "164.314(a)(2)(i)": ("Business associate contracts", "specification", "R", False),
        "164.316(b)(2)(i)": ("Time limit", "specification", "R", True),
    }
    for cid, (title, kind, ra, technical) in expected.items():
        entry = hipaa[cid]
        assert (entry["title"], entry["kind"], entry["ra"], entry["technical"]) == (title, kind, ra, technical)
    # every implementation specification belongs to a standard listed before it
    standards = [c for c, entry in hipaa.items() if entry["kind"] == "standard"]
    for cid, entry in hipaa.items():
        if entry["kind"] == "specification":
            assert any(hipaa[s]["order"] < entry["order"] and s.split("(")[:2] == cid.split("(")[:2]
                       for s in standards), cid


def test_validate_citations():
    assert validate_citations(["164.312(a)(2)(iv)", "164.308(a)(4)(ii)(A)"], ["3.13.16", "3.1.22"]) == []
    assert validate_citations([], []) == []
    errors = validate_citations(["164.312(a)(2)(v)", "164.308(a)(1)"], ["3.13.17", 3.1])
    assert errors == [
        "unknown HIPAA citation '164.312(a)(2)(v)' (did you mean '164.312(a)(2)(iv)'?)",
        "unknown HIPAA citation '164.308(a)(1)' (did you mean '164.308(a)(1)(i)'?)",
        "unknown NIST SP 800-171 citation '3.13.17' (did you mean '3.13.7'?)",
        "NIST SP 800-171 citation must be a string, not 3.1",
    ]
    assert validate_citations("164.312(b)", []) == ["HIPAA citations must be a list, not '164.312(b)'"]


def test_table_errors_catch_mistakes():
    raw = raw_table()
    raw["hipaa"] = raw["hipaa"] + [dict(raw["hipaa"][0]), {"id": "164.312(z", "title": "x"}]
    raw["nist_800_171"] = raw["nist_800_171"][:2] + [{"id": "3.1.3", "family": "Access Control", "title": " "}]
    errors = table_errors(raw)
    assert "hipaa[72]: duplicate id 164.308(a)(1)(i)" in errors
    assert "hipaa[73]: malformed id '164.312(z'" in errors
    assert "3.1.3: empty title" in errors


@pytest.mark.parametrize("path", POLICY_FILES, ids=[p.stem for p in POLICY_FILES])
def test_policy_citations_are_in_the_catalogue(path):
    meta = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("metadata") or {}
    hipaa, nist = meta.get("hipaa"), meta.get("nist_800_171")
    assert hipaa and nist, f"{path.name}: metadata.hipaa and metadata.nist_800_171 must not be empty"
    assert validate_citations(hipaa, nist) == [], path.name


def test_citation_table_by_category_is_complete_and_reviewed():
    from hipaa_iac.controls import category_citations
    from hipaa_iac.policy.schema import HIPAA_CATEGORIES
    for cat in HIPAA_CATEGORIES:
        profiles = category_citations(cat)
        assert profiles, cat
        assert validate_citations([c for p in profiles for c in p["hipaa"]],
                                  [c for p in profiles for c in p["nist_800_171"]]) == []
        for p in profiles:
            # clearinghouse isolation is not network isolation
            assert "164.308(a)(4)(ii)(A)" not in p["hipaa"], (cat, p["profile"])
            # FIPS-validated cryptography only where the setting chooses the validated module or cipher suites
            if "3.13.11" in p["nist_800_171"]:
                assert p["profile"] in ("tls_policy_by_name", "hsm_backed_key"), (cat, p["profile"])
    # business associate contracts: not for egress or telemetry flags
    egress = next(p for p in category_citations("ai_data_use") if p["profile"] == "egress_and_telemetry")
    assert "164.308(b)(1)" not in egress["hipaa"]
    assert category_citations("network_isolation")[0]["hipaa"] == ["164.312(a)(1)", "164.312(e)(1)"]


def test_citation_deviation():
    from hipaa_iac.controls import citation_deviation
    ok = {"hipaa_category": "network_isolation", "hipaa": ["164.312(e)(1)", "164.312(a)(1)"],
          "nist_800_171": ["3.13.1", "3.13.5", "3.13.6", "3.1.3"]}
    assert citation_deviation(ok) is None  # order does not matter
    old = {**ok, "hipaa": ["164.312(a)(1)", "164.312(e)(1)", "164.308(a)(4)(ii)(A)"]}
    assert citation_deviation(old) == (
        "hipaa ['164.308(a)(4)(ii)(A)', '164.312(a)(1)', '164.312(e)(1)'] / nist_800_171 ['3.1.3', '3.13.1', "
        "'3.13.5', '3.13.6'] match no citation profile of network_isolation (exposure, service_perimeter, enclave, "
        "exposure_and_encryption); use one, or say why in citation_override_reason")
    assert citation_deviation({**old, "citation_override_reason": "a stated reason"}) is None
    assert citation_deviation({**old, "citation_override_reason": "  "}) is not None


def test_profile_table_errors():
    raw = raw_table()
    raw["citations_by_category"] = {"integrity": [{"profile": "x", "hipaa": ["164.312(z)"], "nist_800_171": []},
                                                  {"same_as": "nothing/here"}]}
    errors = table_errors(raw)
    assert "citations_by_category.integrity[0]: unknown hipaa id '164.312(z)'" in errors
    assert "citations_by_category.integrity[0]: nist_800_171 must be a non-empty list" in errors
    assert "citations_by_category.integrity[1]: same_as 'nothing/here' names no profile" in errors


@pytest.mark.parametrize("path", POLICY_FILES, ids=[p.stem for p in POLICY_FILES])
def test_policy_citations_follow_the_table(path):
    from hipaa_iac.controls import citation_deviation
    meta = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("metadata") or {}
    assert citation_deviation(meta) is None, f"{path.name}: {citation_deviation(meta)}"
