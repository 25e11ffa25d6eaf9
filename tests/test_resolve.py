"""The exact graph for each construct in fixtures/resolve/: resources, values or Unknown reasons, lines, edges."""
from __future__ import annotations

from pathlib import Path

import pytest

from hipaa_iac.graph_dump import dump
from hipaa_iac.load import LoadOptions, load

R = Path(__file__).resolve().parents[1] / "fixtures" / "resolve"


def graph(case: str, **kw):
    g = dump(load([str(R / case)], LoadOptions(**kw)))
    return {r["address"]: r for r in g["resources"]}, g


def U(reason: str) -> dict:
    return {"unknown": reason}


def test_variables_tfvars_locals():
    res, g = graph("vars_locals")
    assert set(res) == {"aws_s3_bucket.data", "aws_cloudwatch_log_group.logs"}
    # terraform.tfvars overrides the default; *.auto.tfvars is read too
    assert res["aws_s3_bucket.data"]["attributes"] == {
        "bucket": "phi-prod-data", "tags": {"data_classification": "ephi", "env": "prod"}}
    assert res["aws_cloudwatch_log_group.logs"]["attributes"] == {
        "name": "/phi/prod", "retention_in_days": 2190,
        "kms_key_id": U("var.kms_key_arn has no default and no value in the scanned tfvars files")}
    assert res["aws_cloudwatch_log_group.logs"]["lines"] == {"name": 18, "retention_in_days": 19, "kms_key_id": 20}
    assert (res["aws_s3_bucket.data"]["line"], res["aws_s3_bucket.data"]["end_line"]) == (13, 16)
    assert g["edges"] == [] and g["errors"] == []


def test_var_file_option_overrides(tmp_path):
    vf = tmp_path / "prod.tfvars"
    vf.write_text('env = "stage"\nkms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/abc"\n')
    res, _ = graph("vars_locals", var_files=[str(vf)])
    assert res["aws_cloudwatch_log_group.logs"]["attributes"]["kms_key_id"] == "arn:aws:kms:us-east-1:111122223333:key/abc"
    assert res["aws_s3_bucket.data"]["attributes"]["bucket"] == "phi-stage-data"


def test_local_module_inputs_outputs_and_edges_through_them():
    res, g = graph("modules")
    assert set(res) == {"aws_kms_key.phi", "aws_s3_bucket_policy.tls", "module.store.aws_s3_bucket.this",
                        "module.store.aws_s3_bucket_server_side_encryption_configuration.this"}
    sse = res["module.store.aws_s3_bucket_server_side_encryption_configuration.this"]
    assert sse["file"] == "mods/store/main.tf" and sse["module"] == "module.store"
    assert sse["attributes"]["rule"][0]["apply_server_side_encryption_by_default"][0] == {
        "sse_algorithm": "aws:kms", "kms_master_key_id": U("aws_kms_key.phi.arn is known only after apply")}
    assert sse["lines"]["rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id"] == 11
    # a module output resolves to its configured value and still links the resources
    assert res["aws_s3_bucket_policy.tls"]["attributes"] == {"bucket": "training-data"}
    assert g["edges"] == [
        ["aws_s3_bucket_policy.tls", "module.store.aws_s3_bucket.this"],
        ["module.store.aws_s3_bucket_server_side_encryption_configuration.this", "aws_kms_key.phi"],
        ["module.store.aws_s3_bucket_server_side_encryption_configuration.this", "module.store.aws_s3_bucket.this"]]


def test_count_and_for_each_expand_to_terraform_addresses():
    res, g = graph("count_foreach")
    assert set(res) == {'aws_s3_bucket.ds["gold"]', 'aws_s3_bucket.ds["raw"]',
                        'aws_s3_bucket_object_lock_configuration.ds["gold"]',
                        'aws_s3_bucket_object_lock_configuration.ds["raw"]',
                        "aws_ebs_volume.scratch[0]", "aws_ebs_volume.scratch[1]"}  # count = 0: no instance
    assert res["aws_ebs_volume.scratch[0]"]["attributes"] == {"encrypted": True, "size": 10}
    assert res["aws_ebs_volume.scratch[1]"]["attributes"] == {"encrypted": False, "size": 11}
    gold = res['aws_s3_bucket_object_lock_configuration.ds["gold"]']["attributes"]
    assert gold["rule"] == [{"default_retention": [{"mode": "COMPLIANCE", "days": 30}]}]
    assert gold["bucket"] == U('aws_s3_bucket.ds["gold"].id is known only after apply')
    # each instance links to its own bucket only
    assert g["edges"] == [['aws_s3_bucket_object_lock_configuration.ds["gold"]', 'aws_s3_bucket.ds["gold"]'],
                          ['aws_s3_bucket_object_lock_configuration.ds["raw"]', 'aws_s3_bucket.ds["raw"]']]


def test_dynamic_blocks_expand_with_iterator():
    res, _ = graph("dynamic_blocks")
    sg = res["aws_security_group.db"]
    assert sg["attributes"] == {"name": "db", "ingress": [
        {"from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]},
        {"from_port": 5432, "to_port": 5432, "cidr_blocks": ["10.0.0.0/8"]}], "egress": [{"from_port": 0}]}
    assert sg["lines"]["ingress.1.from_port"] == 10 and sg["lines"]["egress.0.from_port"] == 16


def test_functions_real_configurations_use():
    res, _ = graph("functions")
    assert res["aws_ebs_volume.f"]["attributes"] == {
        "encrypted": True, "size": 20, "type": "gp3", "iops": 3000,
        "tags": {"list": "a,b", "fmt": "x-007", "s": "5"}}
    assert res["aws_cloudfront_distribution.cf"]["attributes"] == {
        "comment": "yes", "policy": '{"Statement":[{"Effect":"Deny"}]}',
        "viewer_certificate": [{"minimum_protocol_version": "TLSv1.2_2021"}]}


def test_override_files_merge_as_terraform_does():
    res, _ = graph("overrides")
    assert res["aws_db_instance.db"]["attributes"] == {"storage_encrypted": True, "engine": "postgres",
                                                       "backup_retention_period": 1}
    assert res["aws_db_instance.db"]["file"] == "main.tf"


def test_tofu_file_takes_precedence_over_tf():
    res, _ = graph("tofu")
    assert res["aws_ebs_volume.v"]["attributes"] == {"encrypted": True}
    assert res["aws_ebs_volume.v"]["file"] == "main.tofu"


def test_json_syntax_with_references():
    res, g = graph("tfjson")
    sse = res["aws_s3_bucket_server_side_encryption_configuration.sse"]
    assert sse["file"] == "main.tf.json" and sse["line"] == 9
    assert sse["attributes"]["rule"][0]["apply_server_side_encryption_by_default"][0]["kms_master_key_id"] == \
        U("aws_kms_key.k.arn is known only after apply")
    assert g["edges"] == [["aws_s3_bucket_server_side_encryption_configuration.sse", "aws_kms_key.k"]]


def test_unknowns_carry_reasons_and_unread_modules_are_reported():
    res, g = graph("unknowns")
    maybe = res["aws_ebs_volume.maybe"]["attributes"]
    assert maybe["kms_key_id"] == U("data.aws_kms_alias.s3.target_key_arn is read from the provider at plan time")
    assert maybe["__instances_unknown__"]["unknown"].startswith("count of aws_ebs_volume.maybe is not known statically")
    assert res["aws_ebs_volume.ext"]["attributes"] == {"kms_key_id": U("module.remote could not be read")}
    assert res["data.aws_kms_alias.s3"]["attributes"] == {"name": "alias/aws/s3"}
    assert g["edges"] == [["aws_ebs_volume.maybe", "data.aws_kms_alias.s3"]]
    assert g["warnings"] == [{"file": "main.tf", "line": 12, "message":
                              "module.remote: source 'terraform-aws-modules/kms/aws' is not downloaded (no "
                              ".terraform/modules/modules.json entry); run `terraform init` to analyze its resources"}]


def test_modules_json_is_used_for_downloaded_modules(tmp_path):
    (tmp_path / "main.tf").write_text('module "kms" {\n  source = "terraform-aws-modules/kms/aws"\n}\n')
    mod = tmp_path / ".terraform" / "modules" / "kms"
    mod.mkdir(parents=True)
    (mod / "main.tf").write_text('resource "aws_kms_key" "this" {\n  enable_key_rotation = true\n}\n')
    (tmp_path / ".terraform" / "modules" / "modules.json").write_text(
        '{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"kms","Source":"registry.terraform.io/x","Dir":".terraform/modules/kms"}]}')
    res, g = graph_path(tmp_path)
    assert set(res) == {"module.kms.aws_kms_key.this"}
    assert res["module.kms.aws_kms_key.this"]["file"] == ".terraform/modules/kms/main.tf"
    assert g["warnings"] == []


def graph_path(p: Path):
    g = dump(load([str(p)], LoadOptions()))
    return {r["address"]: r for r in g["resources"]}, g


def test_module_cycle_is_an_error_and_nothing_is_skipped():
    res, g = graph("cycle")
    assert set(res) == {"module.b.aws_ebs_volume.in_b"}
    assert g["errors"] == [{"file": "b/main.tf", "line": 1, "message": "module.a: module cycle or nesting deeper than 25 (a -> b)"}]


def test_module_source_outside_the_tree_is_not_followed(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "main.tf").write_text('resource "aws_ebs_volume" "x" {}\n')
    (root / "main.tf").write_text('module "o" {\n  source = "../outside"\n}\n')
    res, g = graph_path(root)
    assert res == {}
    assert g["warnings"] == [{"file": "main.tf", "line": 1, "message":
                              "module.o: source '../outside' is outside the scanned tree; its resources are not analyzed"}]
    g2 = dump(load([str(root)], LoadOptions(allow_outside_modules=True)))
    assert [r["address"] for r in g2["resources"]] == ["module.o.aws_ebs_volume.x"]


@pytest.mark.parametrize("n", [1_000_000_000])
def test_huge_count_is_capped_and_reported(tmp_path, n):
    (tmp_path / "main.tf").write_text(f'resource "aws_ebs_volume" "v" {{\n  count = {n}\n  encrypted = true\n}}\n')
    g = load([str(tmp_path)], LoadOptions())
    assert len(g.resources) == 10_000
    assert [w.as_dict() for w in g.warnings] == [{"file": "main.tf", "line": 2, "message":
        f"aws_ebs_volume.v: count = {n} exceeds the analysis limit; the first 10000 instances are judged"}]


def test_sensitive_variables_mark_attributes(tmp_path):
    (tmp_path / "main.tf").write_text('variable "pw" {\n  sensitive = true\n  default = "x"\n}\n'
                                      'resource "aws_db_instance" "db" {\n  password = var.pw\n  engine = "postgres"\n}\n')
    g = load([str(tmp_path)], LoadOptions())
    assert g.resources[0].sensitive == {"password"}


def test_missing_local_module_is_named_relative_to_the_scan_root(tmp_path):
    """The error names the source as written and the directory relative to the scan root: never the runner's
    absolute path (reports are evidence that travels; the corpus summary must not depend on where CI runs)."""
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "main.tf").write_text('module "env" {\n  source = "./env"\n}\n')
    _, g = graph_path(tmp_path / "stack")
    assert g["errors"] == [{"file": "main.tf", "line": 1, "message":
                            "module.env: cannot read module './env' (directory env does not exist or is not "
                            "readable)"}]
    assert str(tmp_path) not in str(g)
