"""Plan front end (`terraform show -json` documents): real Terraform output and our own fixtures."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hipaa_iac.model import Resource, Unknown
from hipaa_iac.parse.plan import (_nested_configured, attach_sources, classify, decode_json_bytes, load_json,
                                  not_a_plan_message, read_plan, read_plan_file, split_address, strip_instance_keys)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "plans"
PHI_PLAN = FIXTURES / "phi-training.plan.json"
SHARED = REPO / "tests" / "data" / "plans"  # real `terraform show -json` documents, vendored (MPL-2.0, README.md)
SHOW = SHARED / "terraform-show-json" / "internal" / "command" / "testdata"
EQUIV = SHARED / "terraform-show-json" / "testing" / "equivalence-tests" / "outputs"
TFJSON = SHARED / "terraform-json"

REAL_FILES = sorted(SHARED.rglob("*.json"))


def load(path: Path):
    doc, err = load_json(path.read_bytes(), str(path))
    assert err is None, err
    return doc


def read(path: Path) -> dict[str, Resource]:
    resources, errors = read_plan(load(path), str(path))
    assert errors == []
    by_address = {r.address: r for r in resources}
    assert len(by_address) == len(resources), "duplicate addresses"
    return by_address


def unknowns(value, path=""):
    """{dotted path: Unknown} inside a value."""
    out = {}
    if isinstance(value, Unknown):
        out[path] = value
    elif isinstance(value, dict):
        for k, v in value.items():
            out.update(unknowns(v, f"{path}.{k}" if path else k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(unknowns(v, f"{path}.{i}"))
    return out


def check_resource(res: Resource, file: str) -> None:
    """Invariants of every Resource the plan reader returns."""
    assert res.source == "plan" and res.parser == "plan"
    assert res.file == file and res.line is None and res.end_line is None
    assert res.mode in ("managed", "data")
    assert res.action not in ("delete", "forget")
    assert isinstance(res.attributes, dict)
    parts = split_address(res.address)
    assert parts is not None
    expected_module = ".".join(f"module.{parts[i + 1]}" for i in range(0, len(parts) - 2, 2)
                               if parts[i] == "module")
    if res.mode == "data":
        expected_module = ".".join(f"module.{parts[i + 1]}" for i in range(0, len(parts) - 3, 2)
                                   if parts[i] == "module")
    assert res.module == expected_module
    assert res.address.startswith(res.module + "." if res.module else "")
    assert res.type and res.name
    for u in unknowns(res.attributes).values():
        assert u.reason == "known after apply"
        assert all(not r.startswith(("var.", "local.", "each.", "count.")) for r in u.refs)
    for r in res.refs:
        assert not r.startswith(("var.", "local.", "each.", "count.", "path.", "terraform."))


# --------------------------------------------------------------------------- every real document
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: str(p.relative_to(SHARED)))
def test_every_real_document_is_read_or_named(path: Path):
    doc, err = load_json(path.read_bytes(), str(path))
    if err is not None:  # terraform-json's deliberately broken files
        assert "invalid" in path.parts
        assert err.message.startswith("invalid JSON") and err.line is not None
        return
    kind = classify(doc)
    if kind != "plan":
        message = not_a_plan_message(doc)
        assert "not a plan" in message or "not a Terraform plan" in message
        if kind == "state":
            assert "state" in message and "terraform show -json PLANFILE" in message
        resources, errors = read_plan_file(str(path))
        assert resources == [] and [e.message for e in errors] == [message]
        return
    resources, errors = read_plan(doc, str(path))
    assert errors == []
    for res in resources:
        check_resource(res, str(path))
    assert len({r.address for r in resources}) == len(resources)
    # every planned instance that is not being deleted is returned
    planned = set()
    stack = [(doc.get("planned_values") or {}).get("root_module") or {}]
    while stack:
        m = stack.pop()
        planned.update(r["address"] for r in m.get("resources") or [])
        stack.extend(m.get("child_modules") or [])
    assert planned <= {r.address for r in resources}
    # every `after_unknown` mark is an Unknown, every `after_sensitive` mark a sensitive path
    by_address = {r.address: r for r in resources}
    for change in doc.get("resource_changes") or []:
        res = by_address.get(change["address"])
        if res is None or change.get("deposed"):
            assert change.get("deposed") or change["change"]["actions"] == ["delete"]
            continue
        assert res.type == change["type"]
        found = unknowns(res.attributes)
        tree = _configured_top(doc, change)
        configured = set(tree) if isinstance(tree, dict) else None
        for marked in _marked(change["change"].get("after_unknown")):
            top = marked.split(".")[0]
            if configured is not None and "." not in marked and top not in configured:
                # set by no expression: the provider computes it, judged as not set (as in HCL)
                assert marked not in res.attributes, (res.address, marked)
                continue
            steps = tuple(int(p) if p.isdigit() else p for p in marked.split("."))
            if configured is not None and len(steps) > 1 and isinstance(steps[-1], str) \
                    and not _nested_configured(tree, steps):
                # a nested attribute the configured block does not set: computed, judged as not set
                assert marked not in found, (res.address, marked)
                continue
            assert isinstance(found.get(marked), Unknown), (res.address, marked)
        assert set(_marked(change["change"].get("after_sensitive"))) <= res.sensitive


def _configured_top(doc, change):
    """The configuration's expressions for the resource of a change (None: no configuration)."""
    addr = change["address"]
    parts = split_address(addr) or []
    mods, rest = [], parts
    while len(rest) >= 2 and rest[0] == "module":
        mods.append(rest[1].split("[")[0])
        rest = rest[2:]
    module = (doc.get("configuration") or {}).get("root_module")
    for m in mods:
        module = (((module or {}).get("module_calls") or {}).get(m) or {}).get("module")
    if module is None:
        return None
    base = strip_instance_keys(".".join(rest))
    for r in module.get("resources") or []:
        if r.get("address") == base:
            e = r.get("expressions")
            return e if isinstance(e, dict) else None
    return None


def _marked(marks, path=""):
    if marks is True:
        yield path
    elif isinstance(marks, dict):
        for k, v in marks.items():
            yield from _marked(v, f"{path}.{k}" if path else k)
    elif isinstance(marks, list):
        for i, v in enumerate(marks):
            yield from _marked(v, f"{path}.{i}")


def test_real_documents_cover_every_kind():
    kinds = {}
    for path in REAL_FILES:
        doc, err = load_json(path.read_bytes(), str(path))
        kinds.setdefault("invalid" if err else classify(doc), []).append(path)
    assert set(kinds) == {"plan", "state", "other", "invalid"}
    versions = {load(p)["format_version"] for p in kinds["plan"]}
    assert {"0.1", "0.2", "1.0", "1.1", "1.2"} <= versions


def test_not_a_plan_messages():
    assert not_a_plan_message(load(TFJSON / "no_changes" / "state.json")) == (
        "a Terraform state file, not a plan: run `terraform show -json PLANFILE`")
    assert classify(load(EQUIV / "basic_list" / "state.json")) == "state"  # no terraform_version
    assert not_a_plan_message(load(EQUIV / "null_provider_delete" / "state.json")).startswith(
        "an empty Terraform state file, not a plan")
    assert not_a_plan_message(load(TFJSON / "state_stores" / "single_store.json")).startswith(
        "a provider schema document (`terraform providers schema -json`), not a plan")
    assert not_a_plan_message(load(EQUIV / "basic_list" / "apply.json")).startswith("a JSON array")
    assert classify(load(EQUIV / "local_provider_basic" / "output.json")) == "other"


def test_not_a_plan_small_documents():
    assert classify({"format_version": "1.2", "planned_values": {}}) == "plan"
    assert classify({"format_version": "1.2", "resource_changes": []}) == "plan"
    assert classify({"terraform_version": "1.9.8", "values": {"root_module": {}}}) == "state"
    assert classify({"planned_values": {}}) == "other"
    assert classify("text") == "other" and classify(None) == "other"
    assert "(.tf.json)" in not_a_plan_message({"resource": {"aws_s3_bucket": {"b": {}}}})
    assert "not a Terraform plan" in not_a_plan_message({"hello": "world"})
    assert "not a Terraform plan" in not_a_plan_message(3)


def test_invalid_json_and_unreadable_file(tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text('{\n  "format_version": "1.2",\n  "planned_values": {,\n}\n')
    resources, errors = read_plan_file(str(bad), "plan.json")
    assert resources == [] and len(errors) == 1
    assert errors[0].file == "plan.json" and errors[0].line == 3
    assert errors[0].message.startswith("invalid JSON")
    resources, errors = read_plan_file(str(tmp_path / "missing.json"), "missing.json")
    assert resources == [] and errors[0].message.startswith("cannot read")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\x80\x81\x82\x83{}")
    _, errors = read_plan_file(str(binary))
    assert errors[0].message.startswith("not UTF-8 or UTF-16 text")


# --------------------------------------------------------------------------- exact: real plans
def test_modules_count_and_module_path():
    path = SHOW / "show-json" / "modules" / "output.json"
    got = read(path)
    assert sorted(got) == [
        "module.module_test_bar.test_instance.test",
        "module.module_test_foo.test_instance.test[0]",
        "module.module_test_foo.test_instance.test[1]",
        "module.module_test_foo.test_instance.test[2]",
    ]
    res = got["module.module_test_foo.test_instance.test[1]"]
    assert (res.mode, res.type, res.name, res.module, res.action) == (
        "managed", "test_instance", "test", "module.module_test_foo", "create")
    assert res.attributes["ami"] == "baz"
    # `id` is set by no expression: computed by the provider, judged as not set
    assert "id" not in res.attributes
    assert res.refs == set()  # only `var.test_var`
    assert got["module.module_test_bar.test_instance.test"].attributes["ami"] == "bar-var"


def test_deep_and_nested_modules():
    got = read(TFJSON / "deep_module" / "plan.json")
    assert list(got) == ["module.foo.module.bar.null_resource.baz"]
    assert got["module.foo.module.bar.null_resource.baz"].module == "module.foo.module.bar"
    got = read(SHOW / "show-json" / "nested-modules" / "output.json")
    assert got["module.my_module.module.more.test_instance.test"].module == "module.my_module.module.more"


def test_after_unknown_with_configuration_references():
    got = read(TFJSON / "110_basic" / "plan.json")  # format 1.0
    assert sorted(got) == ["module.foo.null_resource.aliased", "module.foo.null_resource.foo",
                           "null_resource.bar", "null_resource.baz[0]", "null_resource.baz[1]",
                           "null_resource.baz[2]", "null_resource.foo"]
    for address in ("null_resource.bar", "null_resource.baz[0]", "null_resource.baz[2]"):
        res = got[address]
        assert res.refs == {"null_resource.foo"}
        trig = res.attributes["triggers"]
        assert isinstance(trig, Unknown)
        assert (trig.refs, trig.ref_type, trig.ref_address) == (
            ("null_resource.foo",), "null_resource", "null_resource.foo")
    assert got["null_resource.baz[1]"].name == "baz"
    assert got["null_resource.foo"].attributes["triggers"] == {"foo": "bar"}
    assert got["module.foo.null_resource.foo"].module == "module.foo"


def test_unknown_inside_a_list_of_blocks():
    got = read(TFJSON / "nested_config_keys" / "plan.json")
    block = got["aws_instance.foo"].attributes["ebs_block_device"][0]
    # the configuration writes the block with device_name only: the keys the provider computes
    # (after_unknown) are not configured, judged as not set as in HCL (an unset `encrypted` never passes)
    assert block == {"delete_on_termination": True, "device_name": "/dev/sda1"}


def test_references_into_modules_and_module_outputs():
    got = read(EQUIV / "data_read" / "plan.json")
    assert {a: r.action for a, r in got.items()} == {
        "data.tfcoremock_simple_resource.read": "read",
        "tfcoremock_simple_resource.create": "create",
        "module.create.local_file.data_file": "create",
        "module.create.random_integer.random": "create",
    }
    data = got["data.tfcoremock_simple_resource.read"]
    assert data.mode == "data" and data.refs == {"module.create"}
    assert (data.attributes["id"].refs, data.attributes["id"].ref_type) == (("module.create",), None)
    filename = got["module.create.local_file.data_file"].attributes["filename"]
    assert (filename.refs, filename.ref_type, filename.ref_address) == (
        ("module.create.random_integer.random",), "random_integer", "module.create.random_integer.random")
    content = got["module.create.local_file.data_file"].attributes["content"]
    assert content.refs == () and content.ref_type is None  # `local.contents` follows nothing
    assert got["tfcoremock_simple_resource.create"].refs == {"data.tfcoremock_simple_resource.read"}


def test_sensitive_paths():
    got = read(SHOW / "show-json-sensitive" / "output.json")
    assert sorted(got) == ["test_instance.test[0]", "test_instance.test[1]", "test_instance.test[2]"]
    for res in got.values():
        assert res.sensitive == {"ami", "password"}  # sensitive_values + after_sensitive
        assert res.attributes["password"] == "secret"  # kept for policies, never printed
    got = read(TFJSON / "has_checks" / "plan.json")
    res = got['module.files.local_file.foo["file1.txt"]']
    assert res.sensitive == {"sensitive_content"}


def test_for_each_keys():
    got = read(TFJSON / "has_checks" / "plan.json")
    assert sorted(got) == ['module.files.local_file.foo["file1.txt"]', 'module.files.local_file.foo["file2.txt"]']
    res = got['module.files.local_file.foo["file2.txt"]']
    assert (res.module, res.type, res.name) == ("module.files", "local_file", "foo")
    assert res.attributes["filename"] == "file2.txt"


def test_actions_and_deleted_resources():
    got = read(SHOW / "show-json" / "basic-delete" / "output.json")
    assert list(got) == ["test_instance.test"]  # test_instance.test-delete is only deleted
    assert got["test_instance.test"].action == "update"
    assert read(SHOW / "show-json" / "requires-replace" / "output.json")["test_instance.test"].action == "replace"
    assert read(TFJSON / "action_reason" / "plan.json")["null_resource.example"].action == "replace"
    got = read(SHOW / "show-json" / "multi-resource-update" / "output.json")
    assert {a: r.action for a, r in got.items()} == {"test_instance.test[0]": "no-op",
                                                     "test_instance.test[1]": "create"}
    assert read(EQUIV / "null_provider_delete" / "plan.json") == {}
    assert read(TFJSON / "moved_block" / "plan.json")["random_id.test2"].action == "no-op"


def test_data_sources_read_during_plan_come_from_prior_state():
    got = read(TFJSON / "no_changes" / "plan.json")
    data = got["data.null_data_source.baz"]
    assert data.action is None and data.mode == "data"
    assert data.refs == {"null_resource.foo", "null_resource.bar"}
    # Terraform 0.12 wrote child-module prior_state addresses without the module prefix
    got = read(TFJSON / "registry_module" / "plan.json")
    assert sorted(got) == ["module.module.data.null_data_source.data", "module.module.null_resource.resource"]
    assert got["module.module.data.null_data_source.data"].module == "module.module"


def test_old_format_without_terraform_version():
    got = read(TFJSON / "basic" / "plan-0.15.json")
    assert list(got) == ["test_instance.test"] and got["test_instance.test"].sensitive == {"ami"}


def test_nested_values_stay_lists_of_dicts():
    got = read(EQUIV / "fully_populated_complex" / "plan.json")
    attrs = got["tfcoremock_complex_resource.complex"].attributes
    assert attrs["list_block"][1]["string"] == '{"index":1}'
    assert attrs["list_block"][1]["list"][2]["number"] == 2
    assert attrs["object"]["object"]["string"] == "i am a nested nested object"


def test_read_plan_does_not_change_the_document():
    doc = load(TFJSON / "110_basic" / "plan.json")
    before = copy.deepcopy(doc)
    read_plan(doc, "plan.json")
    assert doc == before


# --------------------------------------------------------------------------- encodings
def _variants(raw: bytes) -> dict[str, bytes]:
    text = raw.decode("utf-8")
    crlf = text.replace("\n", "\r\n")
    return {
        "utf-8": raw,
        "utf-8-bom": b"\xef\xbb\xbf" + raw,
        "utf-16-le-bom-crlf": b"\xff\xfe" + crlf.encode("utf-16-le"),  # PowerShell 5.1 `>`
        "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
        "utf-16-le": text.encode("utf-16-le"),
    }


def _summary(resources):
    return [(r.address, r.action, repr(r.attributes), sorted(r.refs), sorted(r.sensitive),
             {p: (u.refs, u.ref_type, u.ref_address) for p, u in unknowns(r.attributes).items()})
            for r in resources]


@pytest.mark.parametrize("source", [
    PHI_PLAN,
    pytest.param(SHOW / "show-json-sensitive" / "output.json"),
    pytest.param(TFJSON / "has_checks" / "plan.json"),
], ids=["phi-training", "show-json-sensitive", "has_checks"])
def test_encodings_give_identical_results(source: Path, tmp_path):
    results = {}
    for name, data in _variants(source.read_bytes()).items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(data)
        resources, errors = read_plan_file(str(path), "plan.json")
        assert errors == [], name
        results[name] = _summary(resources)
    first = results["utf-8"]
    assert first
    for name, got in results.items():
        assert got == first, name


def test_decode_json_bytes():
    assert decode_json_bytes(b'{"a": "\xc3\xa9"}') == '{"a": "\u00e9"}'
    assert decode_json_bytes(b"\xef\xbb\xbf{}") == "{}"
    assert decode_json_bytes(b"\xff\xfe" + "{}".encode("utf-16-le")) == "{}"
    assert decode_json_bytes(b"\xfe\xff" + "{}".encode("utf-16-be")) == "{}"
    assert decode_json_bytes("{}".encode("utf-16-be")) == "{}"
    with pytest.raises(UnicodeDecodeError):
        decode_json_bytes(b"\xc3\x28{}")


# --------------------------------------------------------------------------- our own fixture
@pytest.fixture(scope="module")
def phi() -> dict[str, Resource]:
    resources, errors = read_plan_file(str(PHI_PLAN), "plans/phi-training.plan.json")
    assert errors == []
    for res in resources:
        check_resource(res, "plans/phi-training.plan.json")
    return {r.address: r for r in resources}


def test_fixture_addresses_and_actions(phi):
    assert {a: (r.mode, r.module, r.action) for a, r in phi.items()} == {
        "aws_kms_key.phi": ("managed", "", "create"),
        "aws_s3_bucket.phi": ("managed", "", "create"),
        "aws_s3_bucket_server_side_encryption_configuration.phi": ("managed", "", "create"),
        "aws_s3_bucket_versioning.phi": ("managed", "", "create"),
        'aws_s3_bucket.raw["dicom"]': ("managed", "", "create"),
        'aws_s3_bucket.raw["notes"]': ("managed", "", "create"),
        'aws_s3_bucket_public_access_block.raw["dicom"]': ("managed", "", "create"),
        'aws_s3_bucket_public_access_block.raw["notes"]': ("managed", "", "create"),
        "aws_cloudtrail.phi[0]": ("managed", "", "create"),
        "aws_s3_bucket_policy.phi": ("managed", "", "create"),
        "data.aws_iam_policy_document.phi": ("data", "", "read"),
        "aws_iam_role.trainer": ("managed", "", "replace"),  # its deposed object's delete is ignored
        "aws_mq_broker.events": ("managed", "", "create"),
        "aws_ssm_parameter.db_endpoint": ("managed", "", "create"),
        "module.phi_db.aws_db_instance.main": ("managed", "module.phi_db", "create"),
        "module.phi_db.aws_db_subnet_group.main": ("managed", "module.phi_db", "create"),
        'module.tenant["a"].aws_s3_bucket.this': ("managed", 'module.tenant["a"]', "create"),
        'module.tenant["a"].aws_s3_bucket_logging.this': ("managed", 'module.tenant["a"]', "create"),
        'module.tenant["b"].aws_s3_bucket.this': ("managed", 'module.tenant["b"]', "create"),
        'module.tenant["b"].aws_s3_bucket_logging.this': ("managed", 'module.tenant["b"]', "create"),
        # read while planning: in prior_state only
        "data.aws_iam_policy_document.assume": ("data", "", None),
    }
    # aws_cloudwatch_log_group.legacy is only deleted; data.aws_region.removed is no longer configured
    assert phi["aws_cloudtrail.phi[0]"].name == "phi"
    assert phi['aws_s3_bucket.raw["notes"]'].attributes["bucket"] == "hc-ai-raw-notes-prod"


def test_fixture_graph_edges(phi):
    assert {a: r.refs for a, r in phi.items() if r.refs} == {
        "aws_s3_bucket_server_side_encryption_configuration.phi": {"aws_s3_bucket.phi", "aws_kms_key.phi"},
        "aws_s3_bucket_versioning.phi": {"aws_s3_bucket.phi"},
        'aws_s3_bucket_public_access_block.raw["dicom"]': {"aws_s3_bucket.raw"},
        'aws_s3_bucket_public_access_block.raw["notes"]': {"aws_s3_bucket.raw"},
        "aws_cloudtrail.phi[0]": {"aws_kms_key.phi", "aws_s3_bucket.phi"},
        "aws_s3_bucket_policy.phi": {"aws_s3_bucket.phi", "data.aws_iam_policy_document.phi"},
        "data.aws_iam_policy_document.phi": {"aws_s3_bucket.phi"},
        "aws_iam_role.trainer": {"data.aws_iam_policy_document.assume"},
        "aws_mq_broker.events": {"aws_kms_key.phi"},
        "aws_ssm_parameter.db_endpoint": {"aws_kms_key.phi", "module.phi_db"},
        # `kms_key_id = var.kms_key_arn` follows the module call's input to the caller's key
        "module.phi_db.aws_db_instance.main": {"module.phi_db.aws_db_subnet_group.main", "aws_kms_key.phi"},
        'module.tenant["a"].aws_s3_bucket_logging.this': {'module.tenant["a"].aws_s3_bucket.this'},
        'module.tenant["b"].aws_s3_bucket_logging.this': {'module.tenant["b"].aws_s3_bucket.this'},
    }


def test_fixture_sse_configuration_unknowns(phi):
    sse = phi["aws_s3_bucket_server_side_encryption_configuration.phi"]
    by_default = sse.attributes["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert by_default["sse_algorithm"] == "aws:kms"
    key = by_default["kms_master_key_id"]
    assert isinstance(key, Unknown) and key.reason == "known after apply"
    assert (key.refs, key.ref_type, key.ref_address) == (("aws_kms_key.phi",), "aws_kms_key", "aws_kms_key.phi")
    bucket = sse.attributes["bucket"]
    assert (bucket.refs, bucket.ref_type, bucket.ref_address) == (
        ("aws_s3_bucket.phi",), "aws_s3_bucket", "aws_s3_bucket.phi")
    assert set(unknowns(sse.attributes)) == {
        "bucket", "rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id"}
    assert "id" not in sse.attributes  # computed, set by no expression
    assert sse.attributes["rule"][0]["bucket_key_enabled"] is True


def test_fixture_other_unknowns(phi):
    bucket = phi["aws_s3_bucket.phi"].attributes
    # the legacy inline block is computed and not configured: judged as not set, as in HCL
    assert "server_side_encryption_configuration" not in bucket
    assert bucket["bucket"] == "hc-ai-phi-training"
    # a dynamic key (`aws_s3_bucket.raw[each.key].id`): Terraform cuts the reference at the resource
    pab = phi['aws_s3_bucket_public_access_block.raw["dicom"]'].attributes["bucket"]
    assert (pab.refs, pab.ref_type, pab.ref_address) == (("aws_s3_bucket.raw",), "aws_s3_bucket", "aws_s3_bucket.raw")
    # a data source's attribute is not a resource of the data source's type
    policy = phi["aws_s3_bucket_policy.phi"].attributes["policy"]
    assert (policy.ref_type, policy.ref_address) == ("data.aws_iam_policy_document", "data.aws_iam_policy_document.phi")
    # a module output: an edge to the module call, no resource type
    value = phi["aws_ssm_parameter.db_endpoint"].attributes["value"]
    assert (value.refs, value.ref_type, value.ref_address) == (("module.phi_db",), None, None)
    # `var.kms_key_arn` inside the module follows the module call's input expression to the caller's key
    kms = phi["module.phi_db.aws_db_instance.main"].attributes["kms_key_id"]
    assert (kms.refs, kms.ref_type, kms.ref_address) == (("aws_kms_key.phi",), "aws_kms_key", "aws_kms_key.phi")
    # in a for_each module instance, references stay inside that instance
    logging = phi['module.tenant["b"].aws_s3_bucket_logging.this'].attributes["bucket"]
    assert logging.ref_address == 'module.tenant["b"].aws_s3_bucket.this'
    # unknown inside a list of blocks of a data source read at apply
    statement = phi["data.aws_iam_policy_document.phi"].attributes["statement"][0]
    assert statement["resources"].ref_address == "aws_s3_bucket.phi"
    assert statement["effect"] == "Deny"
    # unknown inside a block that has known siblings
    enc = phi["aws_mq_broker.events"].attributes["encryption_options"][0]
    assert enc["use_aws_owned_key"] is False and enc["kms_key_id"].ref_type == "aws_kms_key"


def test_fixture_sensitive(phi):
    db = phi["module.phi_db.aws_db_instance.main"]
    assert db.sensitive == {"password"} and db.attributes["password"] == "correct-horse-not-real"
    assert phi["aws_mq_broker.events"].sensitive == {"user.0.password"}
    assert phi["aws_ssm_parameter.db_endpoint"].sensitive == {"value"}
    assert phi["aws_s3_bucket.phi"].sensitive == set()


def test_fixture_prior_state_data(phi):
    assume = phi["data.aws_iam_policy_document.assume"]
    assert assume.attributes["statement"][0]["principals"][0]["identifiers"] == ["sagemaker.amazonaws.com"]


# --------------------------------------------------------------------------- malformed and edge cases
def _plan(resources=None, changes=None, configuration=None, fv="1.2", children=None):
    root = {"resources": resources or []}
    if children:
        root["child_modules"] = children
    doc = {"format_version": fv, "planned_values": {"root_module": root}}
    if changes is not None:
        doc["resource_changes"] = changes
    if configuration is not None:
        doc["configuration"] = configuration
    return doc


def _res(address, rtype="aws_s3_bucket", name="b", values=None, mode="managed", **kw):
    return dict({"address": address, "mode": mode, "type": rtype, "name": name, "values": values or {}}, **kw)


def _change(address, actions, after=None, unknown=None, sens=None, rtype="aws_s3_bucket", name="b", **kw):
    return dict({"address": address, "mode": "managed", "type": rtype, "name": name,
                 "change": {"actions": actions, "before": None, "after": after, "after_unknown": unknown or {},
                            "after_sensitive": sens if sens is not None else {}}}, **kw)


def test_malformed_pieces_are_errors_and_reading_goes_on():
    doc = _plan(resources=[
        {"address": "aws_s3_bucket.no_type", "mode": "managed", "name": "no_type", "values": {}},
        {"mode": "managed", "type": "aws_s3_bucket", "name": "no_address"},
        "not an object",
        _res("aws_s3_bucket.bad_values", name="bad_values", values=["x"]),
        _res("aws_s3_bucket.ok", name="ok", values={"bucket": "ok"}),
        _res("aws_s3_bucket.ok", name="ok"),
        _res("aws_s3_bucket.mismatch", name="mismatch", values={"versioning": "enabled"}),
        _res("module.a..b", name="b"),
    ], changes=[
        {"address": "aws_s3_bucket.ok", "type": "aws_s3_bucket", "name": "ok", "change": "create"},
        _change("aws_s3_bucket.mismatch", ["create"], unknown={"versioning": [{"enabled": True}]}, name="mismatch"),
        _change("aws_s3_bucket.actions", "create", name="actions"),
    ], configuration={"root_module": {"resources": "nope"}})
    resources, errors = read_plan(doc, "p.json")
    assert [r.address for r in resources] == ["aws_s3_bucket.ok", "aws_s3_bucket.mismatch"]
    assert resources[0].attributes == {"bucket": "ok"}
    messages = [e.message for e in errors]
    assert all(e.file == "p.json" and e.line is None for e in errors)
    expected = [
        "configuration resources of root is not a list",
        "resource_changes: aws_s3_bucket.ok: `change` is not an object",
        "resource_changes: aws_s3_bucket.actions: `actions` is not a list of strings",
        "planned_values: aws_s3_bucket.no_type: resource has no type",
        "planned_values: a resource has no address",
        "planned_values: a resource is not an object",
        "planned_values: aws_s3_bucket.ok appears twice",
        "planned_values: module.a..b: not a resource address",
        "aws_s3_bucket.bad_values: values are not an object",
        "aws_s3_bucket.mismatch: after_unknown path versioning.0.enabled does not match the values",
    ]
    assert sorted(messages) == sorted(expected)


def test_wrong_top_level_types():
    resources, errors = read_plan({"format_version": "1.2", "planned_values": [], "resource_changes": {}},
                                  "p.json")
    assert resources == []
    assert sorted(e.message for e in errors) == ["plan `planned_values` is not an object",
                                                 "plan `resource_changes` is not a list"]
    resources, errors = read_plan(_plan(fv="2.0", resources=[_res("aws_s3_bucket.b")]), "p.json")
    assert [r.address for r in resources] == ["aws_s3_bucket.b"]
    assert [e.message for e in errors] == ["plan format_version 2.0 is newer than supported (1.x); read as 1.x"]


def test_change_only_resources_and_deletes():
    doc = _plan(resources=[_res("aws_s3_bucket.kept", name="kept", values={"bucket": "k"})], changes=[
        _change("aws_s3_bucket.kept", ["update"], after={"bucket": "k"}, name="kept"),
        _change("aws_s3_bucket.only_change", ["create"], after={"bucket": "c", "rule": [{}]},
                unknown={"arn": True, "rule": [{"key": True}]}, sens={"rule": [{"key": True}]}, name="only_change"),
        _change("aws_s3_bucket.gone", ["delete"], name="gone"),
        _change("aws_s3_bucket.forgotten", ["forget"], name="forgotten"),
        _change("aws_s3_bucket.cbd", ["create", "delete"], after={"bucket": "x"}, name="cbd"),
        _change("aws_s3_bucket.odd", ["create", "forget"], after={}, name="odd"),
    ])
    resources, errors = read_plan(doc, "p.json")
    assert errors == []
    got = {r.address: r for r in resources}
    assert {a: r.action for a, r in got.items()} == {
        "aws_s3_bucket.kept": "update", "aws_s3_bucket.only_change": "create",
        "aws_s3_bucket.cbd": "replace", "aws_s3_bucket.odd": "create-forget"}
    only = got["aws_s3_bucket.only_change"]
    assert only.attributes["bucket"] == "c" and isinstance(only.attributes["arn"], Unknown)
    assert isinstance(only.attributes["rule"][0]["key"], Unknown)
    assert only.sensitive == {"rule.0.key"}


def test_after_unknown_creates_missing_containers_and_whole_sensitive_objects():
    doc = _plan(resources=[_res("aws_s3_bucket.b", values={"tags": None})], changes=[
        _change("aws_s3_bucket.b", ["create"], after={}, sens=True,
                unknown={"tags": {"Name": True}, "rule": [{"x": [True]}], "grant": [False, True]})])
    resources, errors = read_plan(doc, "p.json")
    assert errors == []
    attrs = resources[0].attributes
    assert isinstance(attrs["tags"]["Name"], Unknown)
    assert isinstance(attrs["rule"][0]["x"][0], Unknown)
    assert attrs["grant"][0] is None and isinstance(attrs["grant"][1], Unknown)
    assert resources[0].sensitive == {"tags", "rule", "grant"}


def test_configuration_references_edge_cases():
    config = {"root_module": {
        "resources": [
            {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b", "expressions": {
                "bucket": {"references": ["aws_s3_bucket.names[0].id", "aws_s3_bucket.names[0]",
                                          "aws_s3_bucket.names"]},
                "policy": {"references": ["var.policy", "aws_iam_role.r.arn", "aws_iam_role.r"]},
                "acl": {"references": ["local.acl"]},
                "tags": {"references": ["aws_kms_key.k"]},
                "logging": [{"target_bucket": {"references": ["module.logs[\"eu\"].bucket", "module.logs[\"eu\"]"]}}],
                "note": {},
            }},
        ],
        "module_calls": {"m": {"module": {"module_calls": {"n": {"module": {"resources": [
            {"address": "aws_s3_bucket.inner", "mode": "managed", "type": "aws_s3_bucket", "name": "inner",
             "expressions": {"bucket": {"references": ["module.deeper.name", "module.deeper"]}}}]}}}}}},
    }}
    unknown = {"bucket": True, "policy": True, "acl": True, "tags": True, "logging": True, "note": True}
    doc = _plan(
        resources=[_res("aws_s3_bucket.b[0]", index=0), _res("aws_s3_bucket.b[1]", index=1)],
        children=[{"address": "module.m", "child_modules": [{"address": "module.m.module.n", "resources": [
            _res("module.m.module.n.aws_s3_bucket.inner", name="inner")]}]}],
        changes=[_change("aws_s3_bucket.b[0]", ["create"], after={}, unknown=unknown, index=0),
                 _change("module.m.module.n.aws_s3_bucket.inner", ["create"], after={}, unknown={"bucket": True},
                         name="inner")],
        configuration=config)
    resources, errors = read_plan(doc, "p.json")
    assert errors == []
    got = {r.address: r for r in resources}
    edges = {"aws_s3_bucket.names[0]", "aws_iam_role.r", "aws_kms_key.k", 'module.logs["eu"]'}
    assert got["aws_s3_bucket.b[0]"].refs == edges and got["aws_s3_bucket.b[1]"].refs == edges
    a = got["aws_s3_bucket.b[0]"].attributes
    assert (a["bucket"].refs, a["bucket"].ref_type, a["bucket"].ref_address) == (
        ("aws_s3_bucket.names[0]",), "aws_s3_bucket", "aws_s3_bucket.names[0]")
    assert (a["policy"].refs, a["policy"].ref_type) == (("aws_iam_role.r",), None)  # var.policy too
    assert (a["acl"].refs, a["acl"].ref_type) == ((), None)
    assert (a["tags"].refs, a["tags"].ref_type) == (("aws_kms_key.k",), None)  # the whole object
    assert (a["logging"].refs, a["logging"].ref_type) == (('module.logs["eu"]',), None)
    assert a["note"].refs == ()
    inner = got["module.m.module.n.aws_s3_bucket.inner"]
    assert inner.module == "module.m.module.n"
    assert inner.refs == {"module.m.module.n.module.deeper"}
    assert inner.attributes["bucket"].refs == ("module.m.module.n.module.deeper",)


# --------------------------------------------------------------------------- addresses and sources
def test_split_and_strip_addresses():
    assert split_address('module.a["x.y"].aws_s3_bucket.b[0]') == ["module", 'a["x.y"]', "aws_s3_bucket", "b[0]"]
    assert split_address('aws_s3_bucket.b["a\\"]b"]') == ["aws_s3_bucket", 'b["a\\"]b"]']
    assert split_address("aws_s3_bucket.b[0") is None and split_address("a..b") is None
    assert strip_instance_keys('module.a[0].module.b["k"].data.aws_iam_policy_document.d["x"]') == (
        "module.a.module.b.data.aws_iam_policy_document.d")


def _hcl(address, file, line, end_line):
    parts = split_address(address)
    return Resource(address=address, mode="managed", type=parts[-2], name=parts[-1].split("[")[0], module="",
                    file=file, line=line, end_line=end_line, lines={"bucket": line + 1},
                    comments=[(line, "# phi data")])


def test_attach_sources():
    plan = {r.address: r for r in read_plan(json.loads(PHI_PLAN.read_text()), "plan.json")[0]}
    hcl = [
        _hcl("aws_s3_bucket.phi", "main.tf", 10, 20),
        _hcl('aws_s3_bucket.raw["dicom"]', "raw.tf", 3, 8),  # keys resolved by the HCL resolver
        _hcl("aws_s3_bucket_public_access_block.raw", "raw.tf", 10, 16),  # keys unresolved
        _hcl("module.tenant.aws_s3_bucket.this", "modules/tenant/main.tf", 1, 4),
    ]
    attach_sources(list(plan.values()), hcl)
    got = {a: (r.file, r.line, r.end_line) for a, r in plan.items() if r.file != "plan.json"}
    assert got == {
        "aws_s3_bucket.phi": ("main.tf", 10, 20),
        'aws_s3_bucket.raw["dicom"]': ("raw.tf", 3, 8),
        'aws_s3_bucket_public_access_block.raw["dicom"]': ("raw.tf", 10, 16),
        'aws_s3_bucket_public_access_block.raw["notes"]': ("raw.tf", 10, 16),
        'module.tenant["a"].aws_s3_bucket.this': ("modules/tenant/main.tf", 1, 4),
        'module.tenant["b"].aws_s3_bucket.this': ("modules/tenant/main.tf", 1, 4),
    }
    bucket = plan["aws_s3_bucket.phi"]
    assert bucket.lines == {"bucket": 11} and bucket.comments == [(10, "# phi data")]
    assert bucket.source == "plan" and bucket.attributes["bucket"] == "hc-ai-phi-training"
    assert plan['aws_s3_bucket.raw["notes"]'].file == "plan.json"  # no HCL resource of that address
    bucket.lines["x"] = 1
    assert "x" not in hcl[0].lines  # copies, not shared


# --------------------------------------------------------------------------- robustness
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(
        ["", "aws_s3_bucket.b", "module.a", "var.x", "aws_kms_key.k.arn", 'b["x"]', "create", "data", "[", "a..b"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["address", "type", "name", "mode", "values", "resources", "child_modules", "change",
                         "actions", "after", "after_unknown", "after_sensitive", "sensitive_values",
                         "expressions", "references", "constant_value", "module_calls", "module",
                         "root_module", "deposed", "x"]), children, max_size=5),
    max_leaves=25)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planned=_json, changes=_json, configuration=_json, prior=_json)
def test_arbitrary_shapes_never_raise(planned, changes, configuration, prior):
    doc = {"format_version": "1.2", "planned_values": planned, "resource_changes": changes,
           "configuration": configuration, "prior_state": prior}
    resources, errors = read_plan(doc, "p.json")
    for res in resources:
        assert res.file == "p.json" and res.source == "plan"
    for err in errors:
        assert err.file == "p.json" and err.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_fixture_never_raises(data):
    doc = json.loads(PHI_PLAN.read_text())
    # replace one random node of the fixture by a random JSON value
    node, key = doc, None
    for _ in range(data.draw(st.integers(1, 8))):
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) \
            if isinstance(node, list) else []
        children = [(k, v) for k, v in children if isinstance(v, (dict, list))]
        if not children:
            break
        key, child = data.draw(st.sampled_from(children))
        parent, node = node, child
    if key is not None:
        parent[key] = data.draw(_json)
    resources, errors = read_plan(doc, "p.json")
    assert all(e.message for e in errors)


def test_keyless_reference_in_plan_links_the_same_key_only():
    """Terraform writes `aws_s3_bucket.raw[each.key].id` as `aws_s3_bucket.raw`; in the graph each public
    access block links to the bucket with its own key, so one bucket's block cannot pass another bucket."""
    from hipaa_iac.graph import Graph
    resources, _ = read_plan_file(str(PHI_PLAN), "plans/phi-training.plan.json")
    g = Graph(resources)
    pab = [r for r in resources if r.type == "aws_s3_bucket_public_access_block" and r.address.endswith('["dicom"]')]
    assert pab, "fixture has a keyed public access block"
    assert g.out_edges[pab[0].address] == {'aws_s3_bucket.raw["dicom"]'}
