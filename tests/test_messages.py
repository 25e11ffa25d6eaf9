"""Messages of results: which condition decided, the value found in HCL syntax, what is required, and for an
unknown result what is missing and how to supply it. Exact texts, for every operator and for `and`, `or`, `not`;
plus the three-valued `exists` (unknown in, unknown out; "" and [] are not set) on real configurations."""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from hipaa_iac.graph import Graph
from hipaa_iac.load import LoadOptions, load
from hipaa_iac.model import Resource, Unknown
from hipaa_iac.policy.evaluate import DefinitionEvaluator
from hipaa_iac.policy.loader import Policy, load_pack
from hipaa_iac.policy.messages import hcl
from hipaa_iac.scan import evaluate_policies, make_result

REPO = Path(__file__).resolve().parents[1]
META = {"id": "T", "name": "a test policy", "severity": "HIGH", "hipaa_category": "integrity",
        "hipaa": ["164.312(c)(1)"], "nist_800_171": ["3.3.8"], "remediation": "fix it"}
NOVAL = Unknown("var.k has no default and no value in the scanned tfvars files")
U = "cannot be decided statically: "
HINT = (". To decide it: set it in a tfvars file passed with --var-file (or terraform.tfvars), "
        "or scan a plan (terraform show -json)")


def leaf(attr: str, op: str, value=None, types=("aws_thing",)) -> dict:
    d = {"cond_type": "attribute", "resource_types": list(types), "attribute": attr, "operator": op}
    if value is not None:
        d["value"] = value
    return d


def result(definition, attrs: dict, sensitive=(), rtype="aws_thing", meta=META) -> tuple[str, str]:
    r = Resource(f"{rtype}.a", "managed", rtype, "a", "", "main.tf", 1, 5, attributes=attrs, sensitive=set(sensitive))
    ev = DefinitionEvaluator(Graph([r]), meta, definition)
    out = make_result(Policy(meta["id"], "aws", "policies/aws/T.yaml", meta, definition), r, ev.evaluate(r))
    return out["status"], out["message"]


@pytest.mark.parametrize("value,text", [
    (True, "true"), (False, "false"), (None, "null"), (30, "30"), (30.0, "30"), (1.5, "1.5"),
    ("AES256", '"AES256"'), ('say "hi"', '"say \\"hi\\""'), (["a", "b"], '["a", "b"]'), ([], "[]"),
    ({"env": "prod", "cost center": 1}, '{env = "prod", "cost center" = 1}'), ([{"a": [True]}], "[{a = [true]}]"),
])
def test_values_print_in_hcl_syntax(value, text):
    assert hcl(value) == text


def test_long_values_are_cut():
    assert hcl("x" * 200) == '"' + "x" * 76 + "..."


OPERATORS = [
    ('x', 'equals', 'Disabled', {'x': 'Enabled'}, 'failed',
     'x = "Enabled", but it must be "Disabled"'),
    ('x', 'equals', 'Disabled', {'x': 'Disabled'}, 'passed',
     'x = "Disabled", as required (it must be "Disabled")'),
    ('x', 'equals', 'Disabled', {}, 'failed',
     'x is not set, but it must be "Disabled"'),
    ('x', 'equals', 'Disabled', {'x': NOVAL}, 'unknown',
     U + 'x: var.k has no default and no value in the scanned tfvars files (it must be "Disabled")' + HINT),
    ('x', 'not_equals', 'Enabled', {'x': 'Enabled'}, 'failed',
     'x = "Enabled", but it must not be "Enabled"'),
    ('x', 'not_equals', 'Enabled', {'x': 'Disabled'}, 'passed',
     'x = "Disabled", as required (it must not be "Enabled")'),
    ('x', 'not_equals', 'Enabled', {'x': NOVAL}, 'unknown',
     U + 'x: var.k has no default and no value in the scanned tfvars files (it must not be "Enabled")' + HINT),
    ('x', 'within', ['TLS_1_2', 'TLS_1_3'], {'x': 'TLS_1_0'}, 'failed',
     'x = "TLS_1_0", but it must be one of "TLS_1_2", "TLS_1_3"'),
    ('x', 'within', ['TLS_1_2', 'TLS_1_3'], {'x': 'TLS_1_2'}, 'passed',
     'x = "TLS_1_2", as required (it must be one of "TLS_1_2", "TLS_1_3")'),
    ('x', 'within', ['TLS_1_2', 'TLS_1_3'], {'x': NOVAL}, 'unknown',
     U + 'x: var.k has no default and no value in the scanned tfvars files (it must be one of "TLS_1_2", "TLS_1_3")' + HINT),
    ('x', 'within', ['a', 'b', 'c', 'd', 'e', 'f', 'g'], {'x': 'z'}, 'failed',
     'x = "z", but it must be one of "a", "b", "c", "d", "e" (and 2 more listed in the policy)'),
    ('x', 'not_within', ['allUsers', 'allAuthenticatedUsers'], {'x': 'allUsers'}, 'failed',
     'x = "allUsers", but it must not be one of "allUsers", "allAuthenticatedUsers"'),
    ('x', 'not_within', ['allUsers', 'allAuthenticatedUsers'], {'x': 'user:a@b.c'}, 'passed',
     'x = "user:a@b.c", as required (it must not be one of "allUsers", "allAuthenticatedUsers")'),
    ('x', 'exists', None, {}, 'failed',
     'x is not set, but it must be set'),
    ('x', 'exists', None, {'x': 'k'}, 'passed',
     'x = "k", as required (it must be set)'),
    ('x', 'exists', None, {'x': ''}, 'failed',
     'x = "" (empty, which Terraform treats as not set), but it must be set'),
    ('x', 'exists', None, {'x': []}, 'failed',
     'x = [] (empty, which Terraform treats as not set), but it must be set'),
    ('x', 'exists', None, {'x': NOVAL}, 'unknown',
     U + 'x: var.k has no default and no value in the scanned tfvars files (it must be set)' + HINT),
    ('x', 'exists', None, {'x': None}, 'failed',
     'x is not set, but it must be set'),
    ('x', 'not_exists', None, {'x': True}, 'failed',
     'x = true, but it must be unset'),
    ('x', 'not_exists', None, {}, 'passed',
     'x is not set, as required (it must be unset)'),
    ('x', 'not_exists', None, {'x': NOVAL}, 'unknown',
     U + 'x: var.k has no default and no value in the scanned tfvars files (it must be unset)' + HINT),
    ('x', 'regex_match', '^arn:aws:kms:', {'x': 'alias/aws/s3'}, 'failed',
     'x = "alias/aws/s3", but it must match the pattern `^arn:aws:kms:`'),
    ('x', 'regex_match', '^arn:aws:kms:', {'x': 'arn:aws:kms:us-east-1:1:key/k'}, 'passed',
     'x = "arn:aws:kms:us-east-1:1:key/k", as required (it must match the pattern `^arn:aws:kms:`)'),
    ('x', 'regex_match', '^arn:aws:kms:', {'x': NOVAL}, 'unknown',
     U + 'x: var.k has no default and no value in the scanned tfvars files (it must match the pattern `^arn:aws:kms:`)' + HINT),
    ('x', 'not_regex_match', '^(arn:aws[a-zA-Z-]*:kms:[a-z0-9-]*:[0-9]*:)?alias/aws/', {'x': 'alias/aws/s3'}, 'failed',
     'x = "alias/aws/s3", but it must not match the pattern `^(arn:aws[a-zA-Z-]*:kms:[a-z0-9-]*:[0-9]*:)?alias/aws/`'),
    ('x', 'not_regex_match', '^(arn:aws[a-zA-Z-]*:kms:[a-z0-9-]*:[0-9]*:)?alias/aws/', {'x': 'arn:aws:kms:us-east-1:1:key/k'}, 'passed',
     'x = "arn:aws:kms:us-east-1:1:key/k", as required (it must not match the pattern `^(arn:aws[a-zA-Z-]*:kms:[a-z0-9-]*:[0-9]*:)?alias/aws/`)'),
    ('x', 'contains', 'aws:kms', {'x': ['AES256']}, 'failed',
     'x = ["AES256"], but it must contain "aws:kms"'),
    ('x', 'contains', 'aws:kms', {'x': ['aws:kms', 'x']}, 'passed',
     'x = ["aws:kms", "x"], as required (it must contain "aws:kms")'),
    ('x', 'contains', 'aws:kms', {'x': NOVAL}, 'unknown',
     U + 'x: var.k has no default and no value in the scanned tfvars files (it must contain "aws:kms")' + HINT),
    ('x', 'not_contains', '0.0.0.0/0', {'x': ['0.0.0.0/0']}, 'failed',
     'x = ["0.0.0.0/0"], but it must not contain "0.0.0.0/0"'),
    ('x', 'not_contains', '0.0.0.0/0', {'x': ['10.0.0.0/8']}, 'passed',
     'x = ["10.0.0.0/8"], as required (it must not contain "0.0.0.0/0")'),
    ('x', 'starting_with', 'projects/', {'x': 'folders/1'}, 'failed',
     'x = "folders/1", but it must start with "projects/"'),
    ('x', 'starting_with', 'projects/', {'x': 'projects/p'}, 'passed',
     'x = "projects/p", as required (it must start with "projects/")'),
    ('x', 'not_starting_with', 'alias/aws/', {'x': 'alias/aws/x'}, 'failed',
     'x = "alias/aws/x", but it must not start with "alias/aws/"'),
    ('x', 'ending_with', '.gov', {'x': 'a.com'}, 'failed',
     'x = "a.com", but it must end with ".gov"'),
    ('x', 'not_ending_with', '.com', {'x': 'a.com'}, 'failed',
     'x = "a.com", but it must not end with ".com"'),
    ('x', 'greater_than', 0, {'x': 0}, 'failed',
     'x = 0, but it must be greater than 0'),
    ('x', 'greater_than', 0, {'x': 1}, 'passed',
     'x = 1, as required (it must be greater than 0)'),
    ('x', 'greater_than_or_equal', 365, {'x': 30}, 'failed',
     'x = 30, but it must be at least 365'),
    ('x', 'greater_than_or_equal', 365, {'x': 400}, 'passed',
     'x = 400, as required (it must be at least 365)'),
    ('x', 'greater_than_or_equal', 365, {}, 'failed',
     'x is not set, but it must be at least 365'),
    ('x', 'greater_than_or_equal', 365, {'x': NOVAL}, 'unknown',
     U + 'x: var.k has no default and no value in the scanned tfvars files (it must be at least 365)' + HINT),
    ('x', 'less_than', 91, {'x': 120}, 'failed',
     'x = 120, but it must be less than 91'),
    ('x', 'less_than_or_equal', 90, {'x': 120.0}, 'failed',
     'x = 120, but it must be at most 90'),
    ('x', 'less_than_or_equal', 90, {'x': 1.5}, 'passed',
     'x = 1.5, as required (it must be at most 90)'),
    ('x', 'is_true', None, {'x': False}, 'failed',
     'x = false, but it must be true'),
    ('x', 'is_true', None, {'x': True}, 'passed',
     'x = true, as required (it must be true)'),
    ('x', 'is_false', None, {'x': True}, 'failed',
     'x = true, but it must be false'),
    ('x', 'is_empty', None, {'x': ['a']}, 'failed',
     'x = ["a"], but it must be empty or unset'),
    ('x', 'is_not_empty', None, {'x': []}, 'failed',
     'x = [], but it must not be empty'),
    ('x', 'intersects', ['a', 'b'], {'x': ['c']}, 'failed',
     'x = ["c"], but it must include at least one of "a", "b"'),
    ('x', 'not_intersects', ['a', 'b'], {'x': ['a', 'c']}, 'failed',
     'x = ["a", "c"], but it must include none of "a", "b"'),
    ('x', 'subset', ['a', 'b'], {'x': ['a', 'c']}, 'failed',
     'x = ["a", "c"], but it must contain only values from "a", "b"'),
    ('x', 'not_subset', ['a', 'b'], {'x': ['a']}, 'failed',
     'x = ["a"], but it must contain a value other than "a", "b"'),
    ('x', 'length_equals', 1, {'x': ['a', 'b']}, 'failed',
     'x = ["a", "b"], but it must have exactly 1 element'),
    ('x', 'length_greater_than', 0, {'x': []}, 'failed',
     'x = [], but it must have more than 0 elements'),
    ('x', 'length_greater_than', 0, {'x': {'a': 1, 'b c': 'd'}}, 'passed',
     'x = {a = 1, "b c" = "d"}, as required (it must have more than 0 elements)'),
    ('x', 'equals_ignore_case', 'enabled', {'x': 'Disabled'}, 'failed',
     'x = "Disabled", but it must be "enabled", ignoring case'),
    ('rule.*.sse', 'equals', 'aws:kms', {'rule': [{'sse': 'AES256'}]}, 'failed',
     'rule.0.sse = "AES256", but it must be "aws:kms"'),
    ('rule.*.sse', 'equals', 'aws:kms', {'rule': []}, 'failed',
     'rule.sse is not set, but it must be "aws:kms"'),
    ('password', 'equals', 'x', {'password': 'hunter2'}, 'failed',
     'password is set (sensitive), but it must be "x"'),
]


OPERATORS += [
    # an absent block is said down to the attribute asked for; alternatives share their verb
    ("blob_properties.versioning_enabled", "equals", True, {}, "failed",
     "blob_properties.versioning_enabled is not set, but it must be true"),
    ("engine", "starting_with", "sqlserver-", {"engine": "mysql"}, "failed",
     'engine = "mysql", but it must start with "sqlserver-"'),
]


@pytest.mark.parametrize("attr,op,value,attrs,status,message", OPERATORS)
def test_each_operator_failed_passed_unknown(attr, op, value, attrs, status, message):
    sensitive = ["password"] if attr == "password" else []
    assert result(leaf(attr, op, value), attrs, sensitive) == (status, message)


PUBLIC = {"or": [leaf("publicly_accessible", "not_exists"), leaf("publicly_accessible", "equals", False)]}
RETENTION = {"or": [leaf("retention_in_days", "not_exists"), leaf("retention_in_days", "equals", 0),
                    leaf("retention_in_days", "greater_than_or_equal", 2190)]}
TWO = {"or": [leaf("a", "equals", True), leaf("b", "exists")]}


@pytest.mark.parametrize("definition,attrs,status,message", [
    # every alternative of an `or` is said, not only the first (was "publicly_accessible is set (expected not set)")
    (PUBLIC, {"publicly_accessible": True}, "failed", "publicly_accessible = true, but it must be unset or false"),
    (PUBLIC, {"publicly_accessible": False}, "passed",
     "publicly_accessible = false, as required (it must be unset or false)"),
    (PUBLIC, {}, "passed", "publicly_accessible is not set, as required (it must be unset or false)"),
    (PUBLIC, {"publicly_accessible": NOVAL}, "unknown",
     U + "publicly_accessible: var.k has no default and no value in the scanned tfvars files "
         "(it must be unset or false)" + HINT),
    # was "retention_in_days is set (expected not set)" for 30
    (RETENTION, {"retention_in_days": 30}, "failed",
     "retention_in_days = 30, but it must be unset, 0 or at least 2190"),
    (RETENTION, {"retention_in_days": 3000}, "passed",
     "retention_in_days = 3000, as required (it must be unset, 0 or at least 2190)"),
    (TWO, {"a": False}, "failed", "a = false and b is not set, but a must be true or b must be set"),
    (TWO, {"b": "x"}, "passed", 'b = "x", as required (a must be true or b must be set)'),
    ({"or": [leaf("engine", "starting_with", "sqlserver-"), leaf("engine", "starting_with", "oracle-")]},
     {"engine": "mysql"}, "failed", 'engine = "mysql", but it must start with "sqlserver-" or "oracle-"'),
    ({"or": [leaf("members", "contains", "a"), leaf("members", "contains", "b")]}, {"members": ["c"]}, "failed",
     'members = ["c"], but it must contain "a" or "b"'),
    (TWO, {"a": NOVAL}, "unknown",
     U + "a: var.k has no default and no value in the scanned tfvars files (it must be true); the other "
         "alternatives do not hold (b is not set)" + HINT),
])
def test_or(definition, attrs, status, message):
    assert result(definition, attrs) == (status, message)


ENCRYPTED = {"and": [leaf("storage_encrypted", "equals", True), leaf("kms_key_id", "exists"),
                     leaf("kms_key_id", "not_regex_match", "^alias/aws/")]}


@pytest.mark.parametrize("attrs,status,message", [
    # every failed part of an `and` is said
    ({}, "failed", "storage_encrypted is not set, but it must be true; kms_key_id is not set, but it must be set"),
    ({"storage_encrypted": True}, "failed", "kms_key_id is not set, but it must be set"),
    ({"storage_encrypted": True, "kms_key_id": "alias/aws/rds"}, "failed",
     'kms_key_id = "alias/aws/rds", but it must not match the pattern `^alias/aws/`'),
    ({"storage_encrypted": True, "kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/k"}, "passed",
     'storage_encrypted = true, as required (it must be true); kms_key_id = '
     '"arn:aws:kms:us-east-1:111122223333:key/k", as required (it must be set and not match the pattern '
     '`^alias/aws/`)'),
    # a known failure decides even when another part is unknown
    ({"storage_encrypted": False, "kms_key_id": NOVAL}, "failed", "storage_encrypted = false, but it must be true"),
    ({"storage_encrypted": True, "kms_key_id": NOVAL}, "unknown",
     U + "kms_key_id: var.k has no default and no value in the scanned tfvars files (it must be set and not match "
         "the pattern `^alias/aws/`)" + HINT),
])
def test_and(attrs, status, message):
    assert result(ENCRYPTED, attrs) == (status, message)


OPEN = {"not": {"and": [leaf("cidr_blocks", "contains", "0.0.0.0/0"), leaf("from_port", "less_than_or_equal", 22),
                        leaf("to_port", "greater_than_or_equal", 22)]}}
INGRESS = {"or": [leaf("type", "equals", "egress"), OPEN]}


@pytest.mark.parametrize("definition,attrs,status,message", [
    ({"not": leaf("direct_internet_access", "equals", "Enabled")}, {"direct_internet_access": "Enabled"}, "failed",
     'direct_internet_access = "Enabled", but it must not be "Enabled"'),
    ({"not": leaf("direct_internet_access", "equals", "Enabled")}, {"direct_internet_access": "Disabled"}, "passed",
     'direct_internet_access = "Disabled", as required (it must not be "Enabled")'),
    ({"not": leaf("direct_internet_access", "equals", "Enabled")}, {"direct_internet_access": NOVAL}, "unknown",
     U + 'direct_internet_access: var.k has no default and no value in the scanned tfvars files (it must not be '
         '"Enabled")' + HINT),
    ({"not": {"not": leaf("a", "exists")}}, {}, "failed", "a is not set, but it must be set"),
    (OPEN, {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22}, "failed",
     'cidr_blocks = ["0.0.0.0/0"] (contains "0.0.0.0/0"), from_port = 22 (at most 22) and to_port = 22 '
     '(at least 22): this combination is not allowed'),
    (OPEN, {"cidr_blocks": ["10.0.0.0/8"], "from_port": 22, "to_port": 22}, "passed",
     'cidr_blocks = ["10.0.0.0/8"], as required (it must not contain "0.0.0.0/0")'),
    # given the other two, only to_port < 22 would pass
    (OPEN, {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": NOVAL}, "unknown",
     U + "to_port: var.k has no default and no value in the scanned tfvars files (it must be less than 22)" + HINT),
    ({"not": {"or": [leaf("a", "equals", "x"), leaf("b", "equals", "y")]}}, {"a": "x"}, "failed",
     'a = "x": this is not allowed'),
    ({"not": {"or": [leaf("a", "equals", "x"), leaf("b", "equals", "y")]}}, {"a": "z", "b": "z"}, "passed",
     'a = "z" and b = "z": not the combination the policy forbids'),
    # an ingress rule open to the world (was "type is not set (expected equal to 'egress')")
    (INGRESS, {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 0, "to_port": 65535}, "failed",
     'cidr_blocks = ["0.0.0.0/0"] (contains "0.0.0.0/0"), from_port = 0 (at most 22) and to_port = 65535 '
     '(at least 22): this combination is not allowed unless type is "egress" (type = "ingress")'),
    (INGRESS, {"type": "egress"}, "passed", 'type = "egress", as required (it must be "egress")'),
    # an alternative that is not set adds no fact (an ingress-only resource type has no `type`)
    (INGRESS, {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22}, "failed",
     'cidr_blocks = ["0.0.0.0/0"] (contains "0.0.0.0/0"), from_port = 22 (at most 22) and to_port = 22 '
     '(at least 22): this combination is not allowed unless type is "egress"'),
])
def test_not(definition, attrs, status, message):
    assert result(definition, attrs) == (status, message)


def test_sensitive_values_are_never_printed():
    for definition in (leaf("password", "equals", "x"), {"not": leaf("password", "regex_match", "^h")},
                       {"or": [leaf("password", "not_exists"), leaf("password", "within", ["a", "b"])]}):
        status, message = result(definition, {"password": "hunter2"}, sensitive=["password"])
        assert "hunter2" not in message and "password is set (sensitive)" in message, message


def test_connection_messages():
    key = Resource("aws_kms_key.k", "managed", "aws_kms_key", "k", "", "main.tf", 1, 2)
    bucket = Resource("aws_s3_bucket.b", "managed", "aws_s3_bucket", "b", "", "main.tf", 3, 4, refs={"aws_kms_key.k"})
    lone = Resource("aws_s3_bucket.c", "managed", "aws_s3_bucket", "c", "", "main.tf", 5, 6)
    g = Graph([key, bucket, lone])
    d = {"cond_type": "connection", "resource_types": ["aws_s3_bucket"], "connected_resource_types": ["aws_kms_key"],
         "operator": "exists"}
    ev = DefinitionEvaluator(g, META, d)
    assert ev.evaluate(bucket).reason == "connected to aws_kms_key.k (a connected aws_kms_key is required)"
    assert ev.evaluate(lone).reason == "no connected aws_kms_key, but one is required"


def _scan(tmp_path: Path, tf: str, definition: dict, files: dict | None = None) -> dict:
    (tmp_path / "main.tf").write_text(textwrap.dedent(tf))
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    g = load([str(tmp_path)], LoadOptions())
    p = Policy("T", "aws", "policies/aws/T.yaml", {**META, "description": "d" * 30, "category": "ENCRYPTION",
                                                   "guideline": "x", "source": "test"}, definition)
    return {r["resource"]: (r["status"], r["message"]) for r in evaluate_policies(g, [p])}


EXISTS_TF = """
variable "key" {}
variable "untyped" { default = {} }
variable "typed" {
  type    = object({ key = optional(string) })
  default = {}
}
resource "aws_kms_key" "k" {}
resource "aws_thing" "empty_string" { kms_key_id = "" }
resource "aws_thing" "empty_list" { kms_key_id = [] }
resource "aws_thing" "null" { kms_key_id = null }
resource "aws_thing" "literal" { kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/k" }
resource "aws_thing" "reference" { kms_key_id = aws_kms_key.k.arn }
resource "aws_thing" "known_start" { kms_key_id = "arn:aws:kms:${var.key}" }
resource "aws_thing" "no_value" { kms_key_id = var.key }
resource "aws_thing" "absent_key" { kms_key_id = var.untyped.key }
resource "aws_thing" "optional_key" { kms_key_id = var.typed.key }
"""


def test_exists_is_three_valued_and_empty_is_not_set(tmp_path):
    got = _scan(tmp_path, EXISTS_TF, leaf("kms_key_id", "exists"))
    assert {k: v[0] for k, v in got.items()} == {
        "aws_thing.empty_string": "failed", "aws_thing.empty_list": "failed", "aws_thing.null": "failed",
        "aws_thing.literal": "passed", "aws_thing.reference": "passed", "aws_thing.known_start": "passed",
        # unknown in, unknown out: a variable with no value, a key the input object may not have
        "aws_thing.no_value": "unknown", "aws_thing.absent_key": "unknown",
        # optional() without a default is null when absent: not set
        "aws_thing.optional_key": "failed",
    }
    assert got["aws_thing.empty_string"][1] == \
        'kms_key_id = "" (empty, which Terraform treats as not set), but it must be set'
    assert got["aws_thing.reference"][1] == "kms_key_id references aws_kms_key.k, as required (it must be set)"
    assert got["aws_thing.absent_key"][1] == (
        U + "kms_key_id: var.untyped.key has no key with that name (it must be set). To decide it: set that key in the "
            "input object, or give the optional() attribute a default")
    not_set = _scan(tmp_path, EXISTS_TF, leaf("kms_key_id", "not_exists"))
    assert {k: v[0] for k, v in not_set.items()} == {
        k: {"passed": "failed", "failed": "passed"}.get(v[0], v[0]) for k, v in got.items()}


DYNAMIC_TF = """
variable "rules" {}
resource "aws_thing" "unknown_collection" {
  dynamic "logging" {
    for_each = var.rules
    content { target_bucket = "logs" }
  }
}
resource "aws_thing" "empty_collection" {
  dynamic "logging" {
    for_each = []
    content { target_bucket = "logs" }
  }
}
resource "aws_thing" "one" {
  dynamic "logging" {
    for_each = ["x"]
    content { target_bucket = "logs" }
  }
}
resource "aws_thing" "static_and_unknown" {
  logging { target_bucket = "logs" }
  dynamic "logging" {
    for_each = var.rules
    content { target_bucket = "other" }
  }
}
"""


@pytest.mark.parametrize("definition,expected", [
    (leaf("logging", "exists"), {"unknown_collection": "unknown", "empty_collection": "failed", "one": "passed",
                                 "static_and_unknown": "passed"}),
    (leaf("logging", "not_exists"), {"unknown_collection": "unknown", "empty_collection": "passed", "one": "failed",
                                     "static_and_unknown": "failed"}),
    (leaf("logging.*.target_bucket", "equals", "logs"),
     {"unknown_collection": "unknown", "empty_collection": "failed", "one": "passed", "static_and_unknown": "passed"}),
])
def test_a_dynamic_block_over_an_unknown_collection_may_not_exist(tmp_path, definition, expected):
    got = _scan(tmp_path, DYNAMIC_TF, definition)
    assert {k.split(".")[1]: v[0] for k, v in got.items()} == expected


def test_dynamic_unknown_message(tmp_path):
    got = _scan(tmp_path, DYNAMIC_TF, leaf("logging", "exists"))
    assert got["aws_thing.unknown_collection"][1] == (
        U + 'logging: dynamic "logging" for_each is not known statically (var.rules has no default and no value in '
            'the scanned tfvars files) (it must be set)' + HINT)


def _plan(tmp_path: Path, after: dict, after_unknown: dict, expressions: dict) -> dict:
    doc = {"format_version": "1.2", "terraform_version": "1.9.0",
           "planned_values": {"root_module": {"resources": [
               {"address": "aws_thing.a", "mode": "managed", "type": "aws_thing", "name": "a", "values": after}]}},
           "resource_changes": [{"address": "aws_thing.a", "mode": "managed", "type": "aws_thing", "name": "a",
                                 "change": {"actions": ["create"], "before": None, "after": after,
                                            "after_unknown": after_unknown}}],
           "configuration": {"root_module": {"resources": [
               {"address": "aws_thing.a", "mode": "managed", "type": "aws_thing", "name": "a",
                "expressions": expressions}]}}}
    (tmp_path / "plan.json").write_text(json.dumps(doc))
    g = load([str(tmp_path / "plan.json")], LoadOptions())
    return g.by_address["aws_thing.a"].attributes


def test_plan_nested_attribute_the_provider_computes_is_not_configured(tmp_path):
    attrs = _plan(tmp_path, {"rule": [{"sse": {}}]},
                  {"rule": [{"sse": {"kms_master_key_id": True, "algorithm": True}}]},
                  {"rule": [{"sse": {"algorithm": {"references": ["var.alg"]}}}]})
    # algorithm is written (from a variable Terraform resolves at apply); kms_master_key_id is computed
    assert attrs["rule"][0]["sse"] == {"algorithm": Unknown("known after apply")}
    assert isinstance(attrs["rule"][0]["sse"]["algorithm"], Unknown)


def test_pack_policies_say_what_is_wrong():
    pack = {p.id: p for p in load_pack(str(REPO / "policies")).policies}

    def run(pid, rtype, attrs):
        p = pack[pid]
        return result(p.definition, attrs, rtype=rtype, meta=p.meta)
    assert run("HIPAA_AWS_RDS_003", "aws_db_instance", {"publicly_accessible": True}) == (
        "failed", "publicly_accessible = true, but it must be unset or false")
    assert run("HIPAA_AWS_KMS_003", "aws_kms_key", {}) == (
        "passed", "policy is not set, as required (it must be unset or not match the pattern given in the policy)")
    status, message = run("HIPAA_AWS_VPC_001", "aws_security_group_rule",
                          {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22,
                           "protocol": "tcp"})
    assert status == "failed"
    assert message.startswith('cidr_blocks = ["0.0.0.0/0"] (contains "0.0.0.0/0"), from_port = 22 (at most 22) '
                              'and to_port = 22 (at least 22): this combination is not allowed unless type is '
                              '"egress" (type = "ingress")'), message


CLAIM = re.compile(r"\bprov(e|es|en|ing)\b|\bmeets the\b|\bcompliant with (the )?HIPAA\b|\bHIPAA[- ]compliant\b",
                   re.IGNORECASE)


def _user_facing_texts() -> dict[str, str]:
    import tomllib
    from typer.main import get_command

    from hipaa_iac.cli import app
    texts = {"pyproject.toml description": tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["description"],
             "action.yml": (REPO / "action.yml").read_text(), "README.md": (REPO / "README.md").read_text()}
    hooks = REPO / ".pre-commit-hooks.yaml"
    if hooks.exists():
        texts[".pre-commit-hooks.yaml"] = hooks.read_text()
    for doc in sorted((REPO / "docs").glob("*.md")):
        texts[f"docs/{doc.name}"] = doc.read_text()
    cmd = get_command(app)
    texts["cli help"] = cmd.help or ""
    for name, sub in getattr(cmd, "commands", {}).items():
        texts[f"cli {name} help"] = sub.help or ""
    return texts


def test_user_facing_texts_say_supports_an_assessment_never_proves_or_meets():
    texts = _user_facing_texts()
    found = {where: m.group(0) for where, text in texts.items() for m in [CLAIM.search(text)] if m}
    assert found == {}
    for where in ("pyproject.toml description", "action.yml", "cli help"):
        assert re.search(r"supports? an assessment", texts[where], re.IGNORECASE), where
    assert "supports an assessment" in texts["README.md"].split("\n\n")[1]


def test_unknown_from_a_module_not_downloaded_says_terraform_init(tmp_path):
    got = _scan(tmp_path, """
        module "kms" {
          source = "terraform-aws-modules/kms/aws"
        }
        resource "aws_thing" "a" { kms_key_id = module.kms.key_arn }
        """, leaf("kms_key_id", "exists"))
    assert got["aws_thing.a"] == ("unknown", U + "kms_key_id: module.kms could not be read (it must be set). To decide "
                                              "it: run `terraform init` so the module is in .terraform/modules, or scan "
                                              "a plan (terraform show -json)")


@pytest.mark.parametrize("reason,hint", [
    ("aws_kms_key.k.arn is known only after apply",
     "scan a plan (terraform show -json), where Terraform resolves it unless the provider computes it at apply time"),
    ("known after apply", "the provider computes it at apply time: set it explicitly in the configuration"),
    ("var.o.key has no key with that name", "set that key in the input object, or give the optional() attribute a "
                                            "default"),
    ("function foo() is not evaluated statically", "scan a plan (terraform show -json), where Terraform has "
                                                   "evaluated it"),
])
def test_unknown_says_how_to_supply_the_value(reason, hint):
    assert result(leaf("x", "equals", "y"), {"x": Unknown(reason)}) == (
        "unknown", U + f'x: {reason} (it must be "y"). To decide it: {hint}')


def test_enumerated_indexes_are_said_once_and_alternatives_are_capped():
    flags = {"or": [{"and": [leaf(f"flags.{i}.name", "equals", "log_connections"),
                             leaf(f"flags.{i}.value", "equals", "on")]} for i in range(12)]}
    assert result(flags, {"flags": []}) == (
        "failed", 'none of the accepted alternatives holds: flags.*.name is not set, but it must be '
                  '"log_connections"; flags.*.value is not set, but it must be "on"')
    many = {"or": [{"and": [leaf(f"a{i}", "equals", 1), leaf(f"b{i}", "equals", 2)]} for i in range(5)]}
    assert result(many, {}) == (
        "failed", "none of the accepted alternatives holds: a0 is not set, but it must be 1; b0 is not set, but it "
                  "must be 2; or a1 is not set, but it must be 1; b1 is not set, but it must be 2; or a2 is not set, "
                  "but it must be 1; b2 is not set, but it must be 2; or 2 more alternatives, none of which holds")


def test_long_fact_lists_are_summarized():
    rules = {"not": {"and": [leaf("security_rule.*.source_address_prefix", "equals", "*"),
                             leaf("security_rule.*.access", "equals", "Allow"),
                             leaf("security_rule.*.direction", "equals", "Inbound")]}}
    assert result(rules, {}) == (
        "passed", "none of security_rule.source_address_prefix, security_rule.access or security_rule.direction is "
                  "set: not the combination the policy forbids")
    wide = {"not": {"and": [leaf(f"a{i}", "equals", "x") for i in range(9)]}}
    assert result(wide, {"a0": "y"}) == ("passed", 'a0 = "y": not the combination the policy forbids')
    status, message = result(wide, {f"a{i}": "y" for i in range(9)})
    assert message == ('a0 = "y", a1 = "y", a2 = "y", a3 = "y", a4 = "y", a5 = "y" and 3 more: not the combination '
                       'the policy forbids')


def test_messages_are_bounded():
    many = {"and": [leaf(f"attribute_with_a_long_name_{i}", "equals", "x" * 70) for i in range(30)]}
    status, message = result(many, {})
    assert status == "failed" and len(message) <= 1000 and message.endswith("; ... (shortened)")


# every operator of the policy schema: (value, failing value, passing value) -> failed, passed, unknown results
# (the unknown one for a variable with no value; None = attribute absent)
EVERY_OPERATOR = [
    ('any', None, None, 'k',
     ('passed', 'x is not set, as required (it must be anything)'),
     ('passed', 'x = "k", as required (it must be anything)'),
     ('passed', 'x: var.k has no default and no value in the scanned tfvars files, as required (it must be anything)')),
    ('contains', 'aws:kms', ['AES256'], ['aws:kms'],
     ('failed', 'x = ["AES256"], but it must contain "aws:kms"'),
     ('passed', 'x = ["aws:kms"], as required (it must contain "aws:kms")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must contain "aws:kms")')),
    ('ending_with', '.gov', 'a.com', 'a.gov',
     ('failed', 'x = "a.com", but it must end with ".gov"'),
     ('passed', 'x = "a.gov", as required (it must end with ".gov")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must end with ".gov")')),
    ('equals', 'Disabled', 'Enabled', 'Disabled',
     ('failed', 'x = "Enabled", but it must be "Disabled"'),
     ('passed', 'x = "Disabled", as required (it must be "Disabled")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be "Disabled")')),
    ('equals_ignore_case', 'disabled', 'Enabled', 'DISABLED',
     ('failed', 'x = "Enabled", but it must be "disabled", ignoring case'),
     ('passed', 'x = "DISABLED", as required (it must be "disabled", ignoring case)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be "disabled", ignoring case)')),
    ('exists', None, None, 'k',
     ('failed', 'x is not set, but it must be set'),
     ('passed', 'x = "k", as required (it must be set)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be set)')),
    ('greater_than', 0, 0, 1,
     ('failed', 'x = 0, but it must be greater than 0'),
     ('passed', 'x = 1, as required (it must be greater than 0)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be greater than 0)')),
    ('greater_than_or_equal', 365, 30, 400,
     ('failed', 'x = 30, but it must be at least 365'),
     ('passed', 'x = 400, as required (it must be at least 365)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be at least 365)')),
    ('intersects', ['a', 'b'], ['c'], ['a', 'c'],
     ('failed', 'x = ["c"], but it must include at least one of "a", "b"'),
     ('passed', 'x = ["a", "c"], as required (it must include at least one of "a", "b")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must include at least one of "a", "b")')),
    ('is_empty', None, ['a'], [],
     ('failed', 'x = ["a"], but it must be empty or unset'),
     ('passed', 'x = [], as required (it must be empty or unset)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be empty or unset)')),
    ('is_false', None, True, False,
     ('failed', 'x = true, but it must be false'),
     ('passed', 'x = false, as required (it must be false)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be false)')),
    ('is_not_empty', None, [], ['a'],
     ('failed', 'x = [], but it must not be empty'),
     ('passed', 'x = ["a"], as required (it must not be empty)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must not be empty)')),
    ('is_true', None, False, True,
     ('failed', 'x = false, but it must be true'),
     ('passed', 'x = true, as required (it must be true)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be true)')),
    ('length_equals', 1, ['a', 'b'], ['a'],
     ('failed', 'x = ["a", "b"], but it must have exactly 1 element'),
     ('passed', 'x = ["a"], as required (it must have exactly 1 element)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must have exactly 1 element)')),
    ('length_greater_than', 0, [], ['a'],
     ('failed', 'x = [], but it must have more than 0 elements'),
     ('passed', 'x = ["a"], as required (it must have more than 0 elements)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must have more than 0 elements)')),
    ('length_greater_than_or_equal', 2, ['a'], ['a', 'b'],
     ('failed', 'x = ["a"], but it must have at least 2 elements'),
     ('passed', 'x = ["a", "b"], as required (it must have at least 2 elements)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must have at least 2 elements)')),
    ('length_less_than', 2, ['a', 'b'], ['a'],
     ('failed', 'x = ["a", "b"], but it must have fewer than 2 elements'),
     ('passed', 'x = ["a"], as required (it must have fewer than 2 elements)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must have fewer than 2 elements)')),
    ('length_less_than_or_equal', 1, ['a', 'b'], ['a'],
     ('failed', 'x = ["a", "b"], but it must have at most 1 element'),
     ('passed', 'x = ["a"], as required (it must have at most 1 element)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must have at most 1 element)')),
    ('length_not_equals', 1, ['a'], ['a', 'b'],
     ('failed', 'x = ["a"], but it must not have exactly 1 element'),
     ('passed', 'x = ["a", "b"], as required (it must not have exactly 1 element)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must not have exactly 1 element)')),
    ('less_than', 91, 120, 90,
     ('failed', 'x = 120, but it must be less than 91'),
     ('passed', 'x = 90, as required (it must be less than 91)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be less than 91)')),
    ('less_than_or_equal', 90, 120, 90,
     ('failed', 'x = 120, but it must be at most 90'),
     ('passed', 'x = 90, as required (it must be at most 90)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be at most 90)')),
    ('not_contains', '0.0.0.0/0', ['0.0.0.0/0'], ['10.0.0.0/8'],
     ('failed', 'x = ["0.0.0.0/0"], but it must not contain "0.0.0.0/0"'),
     ('passed', 'x = ["10.0.0.0/8"], as required (it must not contain "0.0.0.0/0")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must not contain "0.0.0.0/0")')),
    ('not_ending_with', '.com', 'a.com', 'a.gov',
     ('failed', 'x = "a.com", but it must not end with ".com"'),
     ('passed', 'x = "a.gov", as required (it must not end with ".com")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must not end with ".com")')),
    ('not_equals', 'Enabled', 'Enabled', 'Disabled',
     ('failed', 'x = "Enabled", but it must not be "Enabled"'),
     ('passed', 'x = "Disabled", as required (it must not be "Enabled")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must not be "Enabled")')),
    ('not_equals_ignore_case', 'enabled', 'ENABLED', 'Disabled',
     ('failed', 'x = "ENABLED", but it must not be "enabled", ignoring case'),
     ('passed', 'x = "Disabled", as required (it must not be "enabled", ignoring case)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must not be "enabled", ignoring case)')),
    ('not_exists', None, 'k', None,
     ('failed', 'x = "k", but it must be unset'),
     ('passed', 'x is not set, as required (it must be unset)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be unset)')),
    ('not_intersects', ['a', 'b'], ['a', 'c'], ['c'],
     ('failed', 'x = ["a", "c"], but it must include none of "a", "b"'),
     ('passed', 'x = ["c"], as required (it must include none of "a", "b")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must include none of "a", "b")')),
    ('not_regex_match', '^alias/aws/', 'alias/aws/s3', 'arn:k',
     ('failed', 'x = "alias/aws/s3", but it must not match the pattern `^alias/aws/`'),
     ('passed', 'x = "arn:k", as required (it must not match the pattern `^alias/aws/`)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must not match the pattern `^alias/aws/`)')),
    ('not_starting_with', 'alias/aws/', 'alias/aws/x', 'arn:k',
     ('failed', 'x = "alias/aws/x", but it must not start with "alias/aws/"'),
     ('passed', 'x = "arn:k", as required (it must not start with "alias/aws/")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must not start with "alias/aws/")')),
    ('not_subset', ['a', 'b'], ['a'], ['a', 'c'],
     ('failed', 'x = ["a"], but it must contain a value other than "a", "b"'),
     ('passed', 'x = ["a", "c"], as required (it must contain a value other than "a", "b")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must contain a value other than "a", "b")')),
    ('not_within', ['allUsers'], 'allUsers', 'user:a@b.c',
     ('failed', 'x = "allUsers", but it must not be "allUsers"'),
     ('passed', 'x = "user:a@b.c", as required (it must not be "allUsers")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must not be "allUsers")')),
    ('regex_match', '^arn:', 'alias/x', 'arn:k',
     ('failed', 'x = "alias/x", but it must match the pattern `^arn:`'),
     ('passed', 'x = "arn:k", as required (it must match the pattern `^arn:`)'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must match the pattern `^arn:`)')),
    ('starting_with', 'projects/', 'folders/1', 'projects/p',
     ('failed', 'x = "folders/1", but it must start with "projects/"'),
     ('passed', 'x = "projects/p", as required (it must start with "projects/")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must start with "projects/")')),
    ('subset', ['a', 'b'], ['a', 'c'], ['a'],
     ('failed', 'x = ["a", "c"], but it must contain only values from "a", "b"'),
     ('passed', 'x = ["a"], as required (it must contain only values from "a", "b")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must contain only values from "a", "b")')),
    ('within', ['TLS1_2', 'TLS1_3'], 'TLS1_0', 'TLS1_2',
     ('failed', 'x = "TLS1_0", but it must be one of "TLS1_2", "TLS1_3"'),
     ('passed', 'x = "TLS1_2", as required (it must be one of "TLS1_2", "TLS1_3")'),
     ('unknown', 'x: var.k has no default and no value in the scanned tfvars files (it must be one of "TLS1_2", "TLS1_3")')),

]


def test_every_operator_of_the_schema_has_its_three_messages():
    from hipaa_iac.policy.schema import ATTRIBUTE_OPERATORS
    assert {row[0] for row in EVERY_OPERATOR} == ATTRIBUTE_OPERATORS


@pytest.mark.parametrize("op,value,bad,good,failed,passed,unknown", EVERY_OPERATOR)
def test_every_operator_failed_passed_unknown(op, value, bad, good, failed, passed, unknown):
    got = [result(leaf("x", op, value), {} if x is None else {"x": x}) for x in (bad, good, NOVAL)]
    if got[2][0] == "unknown":
        assert got[2][1].startswith(U) and got[2][1].endswith(HINT)
        got[2] = ("unknown", got[2][1][len(U):-len(HINT)])
    assert got == [failed, passed, unknown]


def test_a_wildcard_path_where_no_element_holds_names_each_and_asks_for_one():
    """`a.*.b equals X` holds when one element does; when none does, every element's value is named (not only
    the first, which read as if only that one had been judged) and the requirement is for one of them."""
    d = leaf("cfg.*.log_type", "equals", "DATA_WRITE")
    assert result(d, {"cfg": [{"log_type": "ADMIN_READ"}, {"log_type": "DATA_READ"}]}) == (
        "failed", 'cfg.0.log_type = "ADMIN_READ" and cfg.1.log_type = "DATA_READ", but one of them must be '
                  '"DATA_WRITE"')
    assert result(d, {"cfg": [{"log_type": "ADMIN_READ"}]}) == (
        "failed", 'cfg.0.log_type = "ADMIN_READ", but it must be "DATA_WRITE"')
    assert result(d, {"cfg": [{"log_type": "ADMIN_READ"}, {"log_type": "DATA_WRITE"}]})[0] == "passed"
    # under `not`, the forbidden combination does not hold: the facts of every element are named
    assert result({"not": d}, {"cfg": [{"log_type": "ADMIN_READ"}, {"log_type": "DATA_READ"}]}) == (
        "passed", 'cfg.0.log_type = "ADMIN_READ" and cfg.1.log_type = "DATA_READ": not the combination the '
                  'policy forbids')


def test_not_exists_on_a_wildcard_needs_every_element_as_checkov_does():
    """checkov 3.3.30, measured: `ip_configuration.*.public_ip_address_id not_exists` passes only when no block
    has it (a NIC whose second ip_configuration has a public IP fails), like not_contains; exists stays any."""
    d = leaf("cfg.*.pub", "not_exists")
    assert result(d, {"cfg": [{"name": "a"}, {"name": "b", "pub": "/x/pip"}]}) == (
        "failed", 'cfg.1.pub = "/x/pip", but it must be unset')
    assert result(d, {"cfg": [{"name": "a"}, {"name": "b"}]})[0] == "passed"
    assert result(leaf("cfg.*.pub", "exists"), {"cfg": [{"name": "a"}, {"name": "b", "pub": "/x"}]})[0] == "passed"


def test_an_unknown_under_not_states_the_negated_requirement():
    """`not: {member within [allUsers, allAuthenticatedUsers]}` unknown must say what the value must NOT be
    (it said "it must be one of allUsers, ..." before: the opposite of the rule)."""
    inner = leaf("member", "within", ["allUsers", "allAuthenticatedUsers"])
    assert result({"not": inner}, {"member": NOVAL}) == (
        "unknown", U + 'member: ' + NOVAL.reason + ' (it must not be one of "allUsers", "allAuthenticatedUsers")'
        + HINT)
    # not (a exists or b exists): neither may be set
    both = {"not": {"or": [leaf("a", "exists"), leaf("b", "equals", "x")]}}
    assert result(both, {"b": NOVAL})[1] == U + "b: " + NOVAL.reason + ' (it must not be "x")' + HINT


def test_credential_values_are_never_printed_even_when_terraform_does_not_mark_them():
    """A literal password or SAS token in the configuration is not marked sensitive by Terraform; messages name
    the argument, never its value (top-level, nested, inside a printed block)."""
    assert result(leaf("sas_key", "not_exists"), {"sas_key": "sv=2024&sig=abc"}) == (
        "failed", "sas_key is set (a credential: value not shown), but it must be unset")
    assert result(leaf("mount.0.blob.0.account_key", "not_exists"),
                  {"mount": [{"blob": [{"account_key": "k3y=="}]}]})[1] == (
        "mount.0.blob.0.account_key is set (a credential: value not shown), but it must be unset")
    status, msg = result(leaf("mount", "length_equals", 0), {"mount": [{"blob": [{"account_name": "a",
                                                                                 "sas_key": "sv=1&sig=x"}]}]})
    assert status == "failed" and "sig=" not in msg and "sas_key = (not shown)" in msg, msg
    # ids of keys are not credentials
    assert result(leaf("kms_key_id", "equals", "k"), {"kms_key_id": "arn:aws:kms:us-east-1:1:key/x"})[1] == (
        'kms_key_id = "arn:aws:kms:us-east-1:1:key/x", but it must be "k"')
