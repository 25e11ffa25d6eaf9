"""The same configuration read as HCL and as its (hand-written, Terraform-format) plan gives the same
resources and the same values wherever both are known; plan resources map back to their source lines."""
from __future__ import annotations

from pathlib import Path

from hipaa_iac.load import LoadOptions, load
from hipaa_iac.model import Unknown

E = Path(__file__).resolve().parents[1] / "fixtures" / "equivalence"


def _known_leaves(value, path=""):
    if isinstance(value, Unknown):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _known_leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        for i, v in enumerate(value):
            yield from _known_leaves(v, f"{path}.{i}")
    else:
        yield path, value


def test_hcl_and_plan_agree_where_both_are_known():
    hcl = {r.address: r for r in load([str(E / "hcl")], LoadOptions()).resources}
    plan_graph = load([str(E / "plan" / "plan.json")], LoadOptions())
    assert plan_graph.errors == []
    plan = {r.address: r for r in plan_graph.resources}
    assert set(hcl) == set(plan) == {
        "aws_kms_key.phi", "aws_s3_bucket.data", "aws_s3_bucket_server_side_encryption_configuration.data",
        "aws_ebs_volume.scratch[0]", "aws_ebs_volume.scratch[1]", "module.vol.aws_ebs_volume.this"}
    compared = 0
    for addr, h in hcl.items():
        p = plan[addr]
        assert h.type == p.type and h.module == p.module
        hv = dict(_known_leaves(h.attributes))
        pv = dict(_known_leaves(p.attributes))
        for path, value in hv.items():
            if path in pv and pv[path] is not None:
                assert pv[path] == value, (addr, path)
                compared += 1
    assert compared == 14
    # unknown in both: the key reference
    sse_h = hcl["aws_s3_bucket_server_side_encryption_configuration.data"].attributes
    sse_p = plan["aws_s3_bucket_server_side_encryption_configuration.data"].attributes
    kh = sse_h["rule"][0]["apply_server_side_encryption_by_default"][0]["kms_master_key_id"]
    kp = sse_p["rule"][0]["apply_server_side_encryption_by_default"][0]["kms_master_key_id"]
    assert isinstance(kh, Unknown) and isinstance(kp, Unknown)
    assert kh.ref_type == kp.ref_type == "aws_kms_key"
    # the same edges
    eh = load([str(E / "hcl")], LoadOptions()).edges()
    assert ("aws_s3_bucket_server_side_encryption_configuration.data", "aws_kms_key.phi") in eh
    assert ("aws_s3_bucket_server_side_encryption_configuration.data", "aws_kms_key.phi") in plan_graph.edges()


def test_same_verdicts_from_hcl_and_plan():
    from hipaa_iac.policy.loader import load_pack
    from hipaa_iac.scan import evaluate_policies
    pack = load_pack(str(Path(__file__).resolve().parents[1] / "policies"))
    aws = [p for p in pack.policies if p.cloud == "aws" and not p.meta.get("engine")]
    h = {(r["policy_id"], r["resource"], r["status"]) for r in
         evaluate_policies(load([str(E / "hcl")], LoadOptions()), aws)}
    p = {(r["policy_id"], r["resource"], r["status"]) for r in
         evaluate_policies(load([str(E / "plan" / "plan.json")], LoadOptions()), aws)}
    assert h == p


def test_plan_with_its_configuration_maps_to_source_lines():
    g = load([str(E / "hcl"), str(E / "plan" / "plan.json")], LoadOptions())
    by = {r.address: r for r in g.resources}
    assert by["aws_ebs_volume.scratch[1]"].source == "plan"
    assert (by["aws_ebs_volume.scratch[1]"].file, by["aws_ebs_volume.scratch[1]"].line) == ("hcl/main.tf", 21)
    assert (by["module.vol.aws_ebs_volume.this"].file, by["module.vol.aws_ebs_volume.this"].line) == \
        ("hcl/modules/vol/main.tf", 2)
    assert by["aws_ebs_volume.scratch[1]"].line_of("encrypted") == 25
