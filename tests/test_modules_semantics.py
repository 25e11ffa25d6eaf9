"""Terraform's semantics in module resolution (issue 11, points 3-5): memoized references, bounded module
fan-out, invalid counts, optional() and nullable in variable types, aws_iam_policy_document rendered, local
modules read inside the repository, results told apart by root module, unknown instance keys."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hipaa_iac.load import LoadOptions, load
from hipaa_iac.resolve import module as modmod
from hipaa_iac.runner import ScanRequest, execute


def write(d: Path, name: str, text: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / name
    p.write_text(text)
    return p


def resolve(d: Path):
    g = load([str(d)], LoadOptions())
    return {r.address: r for r in g.resources}, g


def warnings(g) -> list[dict]:
    return [w.as_dict() for w in g.warnings]


# ---- 1. memoized references ---------------------------------------------------------------------------
N = 40


def test_chain_of_resources_each_reading_the_previous_twice_is_linear(tmp_path):
    text = 'resource "aws_s3_bucket" "b0" {\n  tags = { a = "x", b = "y" }\n}\n'
    for i in range(1, N):
        text += (f'resource "aws_s3_bucket" "b{i}" {{\n'
                 f'  tags = {{ a = aws_s3_bucket.b{i - 1}.tags.a, b = aws_s3_bucket.b{i - 1}.tags.b }}\n}}\n')
    write(tmp_path, "main.tf", text)
    t0 = time.monotonic()
    res, g = resolve(tmp_path)
    assert time.monotonic() - t0 < 1.0  # 2**40 evaluations without the memo
    assert len(res) == N
    assert res[f"aws_s3_bucket.b{N - 1}"].attributes == {"tags": {"a": "x", "b": "y"}}
    # every reference followed is still an edge (transitively, as before the memo)
    assert f"aws_s3_bucket.b{N - 2}" in res[f"aws_s3_bucket.b{N - 1}"].refs


def test_chain_of_locals_and_of_module_outputs_is_linear(tmp_path):
    text = 'locals {\n  l0 = { a = "x", b = "y" }\n'
    for i in range(1, N):
        text += f'  l{i} = {{ a = local.l{i - 1}.a, b = local.l{i - 1}.b }}\n'
    text += '}\n'
    text += f'resource "aws_s3_bucket" "l" {{\n  tags = local.l{N - 1}\n}}\n'
    # module outputs: m{i} reads m{i-1}'s output twice
    text += 'module "m0" {\n  source = "./mod"\n  a = "x"\n  b = "y"\n}\n'
    for i in range(1, N):
        text += (f'module "m{i}" {{\n  source = "./mod"\n  a = module.m{i - 1}.out.a\n'
                 f'  b = module.m{i - 1}.out.b\n}}\n')
    text += f'resource "aws_s3_bucket" "m" {{\n  tags = module.m{N - 1}.out\n}}\n'
    write(tmp_path, "main.tf", text)
    write(tmp_path / "mod", "main.tf", 'variable "a" {}\nvariable "b" {}\noutput "out" {\n'
                                       '  value = { a = var.a, b = var.b }\n}\n')
    t0 = time.monotonic()
    res, g = resolve(tmp_path)
    assert time.monotonic() - t0 < 1.0
    assert res["aws_s3_bucket.l"].attributes == {"tags": {"a": "x", "b": "y"}}
    assert res["aws_s3_bucket.m"].attributes == {"tags": {"a": "x", "b": "y"}}


def test_reference_cycle_between_resources_is_unknown_not_a_hang(tmp_path):
    write(tmp_path, "main.tf", 'resource "aws_s3_bucket" "a" {\n  bucket = aws_s3_bucket.b.bucket\n}\n'
                               'resource "aws_s3_bucket" "b" {\n  bucket = aws_s3_bucket.a.bucket\n}\n')
    res, _ = resolve(tmp_path)
    # Terraform rejects the cycle; here each side is unknown, reached once (the memo keeps it linear)
    assert res["aws_s3_bucket.a"].attributes["bucket"].reason == "aws_s3_bucket.b.bucket is known only after apply"
    assert res["aws_s3_bucket.b"].attributes["bucket"].reason == "aws_s3_bucket.a.bucket is known only after apply"


# ---- 2. module fan-out and invalid counts ----------------------------------------------------------------
def test_module_count_100_three_deep_is_capped_and_says_what_was_cut(tmp_path):
    write(tmp_path, "main.tf", 'module "a" {\n  source = "./a"\n  count = 100\n}\n')
    write(tmp_path / "a", "main.tf", 'module "b" {\n  source = "../b"\n  count = 100\n}\n')
    write(tmp_path / "b", "main.tf", 'module "c" {\n  source = "../c"\n  count = 100\n}\n')
    write(tmp_path / "c", "main.tf", 'resource "aws_ebs_volume" "v" {\n  encrypted = true\n}\n')
    t0 = time.monotonic()
    res, g = resolve(tmp_path)
    assert time.monotonic() - t0 < 20
    # 2,000 module instances in all: a (100) + a[0].b (100) + 18 calls of c (100 each)
    assert len(res) == 18 * 100
    assert "module.a[0].module.b[17].module.c[99].aws_ebs_volume.v" in res
    w = warnings(g)
    assert w[0] == {"file": "b/main.tf", "line": 1, "message":
                    "module.a[0].module.b[18].module.c: not analyzed: the scan reached its limit of 2000 module "
                    "instances"}
    # 82 calls of c under a[0] and 99 calls of b under a[1..99] were cut: 20 named, then one summary
    assert len(w) == modmod.MAX_CUT_WARNINGS + 1
    assert w[-1] == {"file": "b/main.tf", "line": 1, "message":
                     "161 more resource or module blocks were cut by the scan's analysis limits (20000 resource "
                     "and 2000 module instances), the first of them here"}


def test_module_instances_beyond_the_budget_become_one_unknown_instance(tmp_path, monkeypatch):
    monkeypatch.setattr(modmod, "MAX_SCAN_MODULES", 150)
    write(tmp_path, "main.tf", 'module "a" {\n  source = "./a"\n  count = 100\n}\n')
    write(tmp_path / "a", "main.tf",
          'module "b" {\n  source = "../b"\n  for_each = toset([for i in range(100) : "k${i}"])\n}\n')
    write(tmp_path / "b", "main.tf", 'resource "aws_ebs_volume" "v" {\n  encrypted = true\n  tags = { k = each.key }\n}\n')
    res, g = resolve(tmp_path)
    under_a0 = sorted(a for a in res if a.startswith("module.a[0]."))
    assert len(under_a0) == 50 and 'module.a[0].module.b[*].aws_ebs_volume.v' in under_a0
    assert res['module.a[0].module.b[*].aws_ebs_volume.v'].attributes["encrypted"] is True
    assert warnings(g)[0] == {"file": "a/main.tf", "line": 1, "message":
                              "module.a[0].module.b: 51 of 100 instances are beyond the scan's limit of 150 module "
                              "instances; they are judged as one instance with an unknown key"}


def test_total_resource_instances_are_capped_across_the_scan(tmp_path, monkeypatch):
    monkeypatch.setattr(modmod, "MAX_SCAN_RESOURCES", 25)
    write(tmp_path, "main.tf", 'resource "aws_ebs_volume" "a" {\n  count = 20\n  encrypted = true\n}\n'
                               'resource "aws_ebs_volume" "b" {\n  count = 20\n  encrypted = true\n}\n'
                               'resource "aws_ebs_volume" "c" {\n  encrypted = true\n}\n')
    res, g = resolve(tmp_path)
    assert len([a for a in res if a.startswith("aws_ebs_volume.a[")]) == 20
    assert sorted(a for a in res if a.startswith("aws_ebs_volume.b")) == \
        ["aws_ebs_volume.b", "aws_ebs_volume.b[0]", "aws_ebs_volume.b[1]", "aws_ebs_volume.b[2]",
         "aws_ebs_volume.b[3]"]
    surplus = res["aws_ebs_volume.b"]
    assert surplus.attributes["encrypted"] is True  # what does not depend on the index is still judged
    assert surplus.attributes["__instances_unknown__"].reason == \
        "instance key of aws_ebs_volume.b not analyzed (the scan's limit of 25 resource instances)"
    assert "aws_ebs_volume.c" not in res
    assert warnings(g) == [
        {"file": "main.tf", "line": 5, "message": "aws_ebs_volume.b: 16 of 20 instances are beyond the scan's "
         "limit of 25 resource instances; they are judged as one instance with an unknown key"},
        {"file": "main.tf", "line": 9, "message": "aws_ebs_volume.c: not analyzed: the scan reached its limit "
         "of 25 resource instances"}]


@pytest.mark.parametrize("count,why", [
    ("-1", "count is negative (Terraform rejects this)"),
    ("1.5", "count is not a whole number (Terraform rejects this)"),
    ('"many"', "count is not a number (Terraform rejects this)"),
    ("true", "count is not a number (Terraform rejects this)"),
])
def test_invalid_count_is_unknown_with_file_and_line(tmp_path, count, why):
    write(tmp_path, "main.tf", f'resource "aws_ebs_volume" "v" {{\n  encrypted = true\n  count = {count}\n}}\n')
    res, g = resolve(tmp_path)
    assert list(res) == ["aws_ebs_volume.v"]
    assert res["aws_ebs_volume.v"].attributes["__instances_unknown__"].reason == \
        f"count of aws_ebs_volume.v is not known statically ({why})"
    assert warnings(g) == [{"file": "main.tf", "line": 3, "message":
                            f"aws_ebs_volume.v: {why}; its instances are judged as one instance with an unknown index"}]


def test_nan_count_in_json_syntax_and_string_count(tmp_path):
    write(tmp_path, "main.tf.json", '{"resource": {"aws_ebs_volume": {"v": {"count": NaN, "encrypted": true}}}}')
    write(tmp_path, "s.tf", 'resource "aws_ebs_volume" "s" {\n  count = "2"\n}\n')
    res, g = resolve(tmp_path)
    assert "aws_ebs_volume.v" in res and not [a for a in res if a.startswith("aws_ebs_volume.v[")]
    assert sorted(a for a in res if a.startswith("aws_ebs_volume.s")) == ["aws_ebs_volume.s[0]", "aws_ebs_volume.s[1]"]


# ---- 7. unknown instance keys ----------------------------------------------------------------------------
def test_unknown_for_each_key_is_written_as_terraform_does_never_as_a_repr(tmp_path):
    write(tmp_path, "main.tf", 'variable "names" {}\nmodule "m" {\n  source = "./m"\n  for_each = var.names\n}\n')
    write(tmp_path / "m", "main.tf", 'resource "aws_ebs_volume" "v" {\n  encrypted = true\n}\n')
    res, _ = resolve(tmp_path)
    assert list(res) == ["module.m[*].aws_ebs_volume.v"]


def test_instance_keys_with_quotes_are_escaped(tmp_path):
    write(tmp_path, "main.tf", 'resource "aws_ebs_volume" "v" {\n  for_each = toset(["a\\"b"])\n}\n')
    res, _ = resolve(tmp_path)
    assert list(res) == ['aws_ebs_volume.v["a\\"b"]']


# ---- 3. optional() and nullable ---------------------------------------------------------------------------
# Terraform (language/expressions/type-constraints#optional-object-type-attributes): an object attribute
# marked optional(T) that the caller omits is null; optional(T, default) omitted or null takes the default,
# converted to T, and nested optional attributes of that default get their own defaults. Attributes not in
# the type are dropped by the conversion. (language/values/variables#disallowing-null-input-values):
# `nullable = false` makes a null input take the variable's default.
MOD = '''
variable "cfg" {
  type = object({
    name       = string
    encrypted  = optional(bool, true)
    kms        = optional(string)
    size       = optional(number, 20)
    backup     = optional(object({ enabled = optional(bool, true), days = optional(number, 7) }), {})
  })
}
variable "disks" {
  type = list(object({ name = string, encrypted = optional(bool, true) }))
  default = []
}
variable "by_name" {
  type = map(object({ encrypted = optional(bool, false) }))
  default = {}
}
variable "flag" {
  type     = bool
  default  = true
  nullable = false
}
variable "count_s" {
  type    = number
  default = 1
}
resource "aws_ebs_volume" "main" {
  tags = {
    name      = var.cfg.name
    encrypted = var.cfg.encrypted
    kms       = var.cfg.kms
    size      = var.cfg.size
    backup    = var.cfg.backup
    flag      = var.flag
    count_s   = var.count_s
  }
  encrypted = var.cfg.encrypted
}
resource "aws_ebs_volume" "list" {
  count     = length(var.disks)
  encrypted = var.disks[count.index].encrypted
}
resource "aws_ebs_volume" "map" {
  for_each  = var.by_name
  encrypted = each.value.encrypted
}
'''


def test_optional_attributes_get_their_defaults_in_module_inputs(tmp_path):
    write(tmp_path / "mod", "main.tf", MOD)
    write(tmp_path, "main.tf", '''
module "m" {
  source  = "./mod"
  cfg     = { name = "data", extra = "dropped", size = null }
  disks   = [{ name = "a" }, { name = "b", encrypted = false }]
  by_name = { x = {}, y = { encrypted = "true" } }
  flag    = null
  count_s = "3"
}
''')
    res, g = resolve(tmp_path)
    main = res["module.m.aws_ebs_volume.main"].attributes
    assert main["tags"] == {"name": "data", "encrypted": True, "kms": None, "size": 20,
                            "backup": {"enabled": True, "days": 7}, "flag": True, "count_s": 3}
    assert main["encrypted"] is True
    assert res["module.m.aws_ebs_volume.list[0]"].attributes == {"encrypted": True}
    assert res["module.m.aws_ebs_volume.list[1]"].attributes == {"encrypted": False}
    assert res['module.m.aws_ebs_volume.map["x"]'].attributes == {"encrypted": False}
    assert res['module.m.aws_ebs_volume.map["y"]'].attributes == {"encrypted": True}  # "true" -> bool


def test_optional_defaults_apply_to_a_variable_default_and_to_tfvars(tmp_path):
    write(tmp_path, "main.tf", '''
variable "cfg" {
  type    = object({ encrypted = optional(bool, true), size = optional(number, 8) })
  default = {}
}
variable "from_tfvars" {
  type = object({ encrypted = optional(bool, true) })
}
variable "plain" {
  type    = string
  default = 5
}
resource "aws_ebs_volume" "v" {
  encrypted = var.cfg.encrypted
  size      = var.cfg.size
  tags      = { t = var.from_tfvars.encrypted, p = var.plain }
}
''')
    write(tmp_path, "terraform.tfvars", 'from_tfvars = {}\n')
    res, _ = resolve(tmp_path)
    assert res["aws_ebs_volume.v"].attributes == {"encrypted": True, "size": 8, "tags": {"t": True, "p": "5"}}


def test_nullable_true_by_default_keeps_a_null_input(tmp_path):
    write(tmp_path / "mod", "main.tf", 'variable "k" {\n  default = "def"\n}\n'
                                       'resource "aws_ebs_volume" "v" {\n  kms_key_id = var.k\n}\n')
    write(tmp_path, "main.tf", 'module "m" {\n  source = "./mod"\n  k = null\n}\n')
    res, _ = resolve(tmp_path)
    assert res["module.m.aws_ebs_volume.v"].attributes == {"kms_key_id": None}


def test_type_given_as_a_string_in_json_syntax(tmp_path):
    write(tmp_path, "main.tf.json", json.dumps({
        "variable": {"cfg": {"type": "object({ encrypted = optional(bool, true) })", "default": {}}},
        "resource": {"aws_ebs_volume": {"v": {"tags": {"e": "${var.cfg.encrypted ? 1 : 0}"}}}}}))
    res, _ = resolve(tmp_path)
    assert res["aws_ebs_volume.v"].attributes["tags"]["e"] in (1, "1")  # the optional default: true


def test_count_outside_the_range_analyzed_never_crashes(tmp_path):
    write(tmp_path, "main.tf", 'resource "aws_ebs_volume" "v" {\n  count = 1e999\n}\n')
    res, _ = resolve(tmp_path)
    assert list(res) == ["aws_ebs_volume.v"]
    assert res["aws_ebs_volume.v"].attributes["__instances_unknown__"].reason.startswith(
        "count of aws_ebs_volume.v is not known statically")
    # values no HCL literal gives, but plans, JSON and arithmetic can
    assert modmod._invalid_count(float("inf")) == "count is infinite (Terraform rejects this)"
    assert modmod._invalid_count(float("nan")) == "count is NaN (Terraform rejects this)"
    assert modmod._invalid_count(3.0) is None


# ---- 4. data "aws_iam_policy_document" ---------------------------------------------------------------------
# The provider's rendering (terraform-provider-aws internal/service/iam/policy_document_data_source.go,
# policy_model.go; website/docs/d/iam_policy_document.html.markdown): Version defaults to 2012-10-17, Effect to
# Allow; a set of one string is written as the string, larger sets sorted in reverse; principals become a map
# by type; conditions test -> variable -> values; `json` is indented by two spaces, `minified_json` compact;
# an empty Sid is omitted (current provider; the docs' examples still show "Sid": "" from older releases).
def policy_of(tmp_path, text: str, attr: str = "json"):
    write(tmp_path, "main.tf", text + f'resource "aws_iam_policy" "p" {{\n  policy = data.aws_iam_policy_document.d.{attr}\n}}\n')
    res, _ = resolve(tmp_path)
    return res["aws_iam_policy.p"].attributes["policy"], res


def test_policy_document_json_as_the_provider_writes_it(tmp_path):
    doc, res = policy_of(tmp_path, '''
data "aws_iam_policy_document" "d" {
  statement {
    sid       = "1"
    actions   = ["s3:ListAllMyBuckets", "s3:GetBucketLocation"]
    resources = ["arn:aws:s3:::*"]
  }
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::b", "arn:aws:s3:::b/&{aws:username}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = [false]
    }
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["home/", "home/&{aws:username}/"]
    }
  }
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]
    }
  }
}
''')
    assert doc == """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "1",
      "Effect": "Allow",
      "Action": [
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation"
      ],
      "Resource": "arn:aws:s3:::*"
    },
    {
      "Effect": "Deny",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::b/${aws:username}/*",
        "arn:aws:s3:::b"
      ],
      "Principal": "*",
      "Condition": {
        "Bool": {
          "aws:SecureTransport": "false"
        },
        "StringLike": {
          "s3:prefix": [
            "home/",
            "home/${aws:username}/"
          ]
        }
      }
    },
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": {
        "AWS": [
          "arn:aws:iam::444455556666:root",
          "arn:aws:iam::111122223333:root"
        ],
        "Service": "lambda.amazonaws.com"
      }
    }
  ]
}"""
    # the data source is an edge of the resource using its JSON
    assert "data.aws_iam_policy_document.d" in res["aws_iam_policy.p"].refs


def test_policy_document_minified_and_source_override_merging(tmp_path):
    # the provider docs' "Example with Both Source and Override Documents" and "Merging Override Documents"
    doc, _ = policy_of(tmp_path, '''
data "aws_iam_policy_document" "one" {
  statement {
    sid       = "OverridePlaceHolderOne"
    actions   = ["s3:*"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "two" {
  statement {
    actions   = ["ec2:*"]
    resources = ["*"]
  }
  statement {
    sid       = "OverridePlaceHolderTwo"
    actions   = ["iam:*"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "three" {
  statement {
    sid       = "OverridePlaceHolderOne"
    effect    = "Deny"
    actions   = ["logs:*"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "d" {
  source_policy_documents   = [jsonencode({ Version = "2012-10-17", Statement = [
    { Sid = "Src", Effect = "Allow", Action = ["b:x", "a:y"], Resource = "*", Principal = { AWS = ["2", "1"] },
      Condition = { Bool = { "aws:SecureTransport" = true } } }] })]
  override_policy_documents = [
    data.aws_iam_policy_document.one.json,
    data.aws_iam_policy_document.two.json,
    data.aws_iam_policy_document.three.json,
  ]
  statement {
    sid       = "OverridePlaceHolderTwo"
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]
  }
}
''', "minified_json")
    assert json.loads(doc) == {"Version": "2012-10-17", "Statement": [
        {"Sid": "Src", "Effect": "Allow", "Action": ["b:x", "a:y"], "Resource": "*",
         "Principal": {"AWS": ["2", "1"]}, "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Sid": "OverridePlaceHolderTwo", "Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Sid": "OverridePlaceHolderOne", "Effect": "Deny", "Action": "logs:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
    assert "\n" not in doc and doc.startswith('{"Version":"2012-10-17","Statement":[{"Sid":"Src",')


def test_policy_document_escapes_as_go_does_and_reports_provider_errors(tmp_path):
    doc, _ = policy_of(tmp_path, '''
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::a&b<c>"]
  }
}
''', "minified_json")
    assert doc == ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
                   '"Resource":"arn:aws:s3:::a\\u0026b\\u003cc\\u003e"}]}')
    dup, _ = policy_of(tmp_path, '''
data "aws_iam_policy_document" "d" {
  statement {
    sid     = "A"
    actions = ["s3:GetObject"]
  }
  statement {
    sid     = "A"
    actions = ["s3:PutObject"]
  }
}
''')
    assert dup.reason == "aws_iam_policy_document: duplicate Sid (A): the provider rejects this"


def test_policy_document_with_an_unknown_part_says_where(tmp_path):
    doc, _ = policy_of(tmp_path, '''
resource "aws_s3_bucket" "b" {}
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.b.arn}/*"]
  }
}
''')
    from hipaa_iac.resolve.functions import PartialJSON
    # the text is known except at the unknown leaf: policies decide on the known parts
    assert isinstance(doc, PartialJSON)
    assert doc.reason == ("aws_iam_policy_document: statement 0 resources is not known statically "
                          "(aws_s3_bucket.b.arn is known only after apply)")
    assert "aws_s3_bucket.b" in doc.refs
    assert doc.text('"?"') == ('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
                               '      "Action": "s3:GetObject",\n      "Resource": "?"\n    }\n  ]\n}')
    # the structure itself unknown (a principal type): no text at all
    doc, _ = policy_of(tmp_path, '''
variable "t" {}
data "aws_iam_policy_document" "d" {
  statement {
    actions = ["s3:GetObject"]
    principals {
      type        = var.t
      identifiers = ["*"]
    }
  }
}
''')
    assert not isinstance(doc, PartialJSON) and doc.reason == (
        "aws_iam_policy_document: statement 0 principals 0 type is not known statically "
        "(var.t has no default and no value in the scanned tfvars files)")


def test_policy_document_with_unknown_resources_still_decides_a_text_policy(tmp_path):
    write(tmp_path, "main.tf", '''
resource "aws_s3_bucket" "b" {}
data "aws_iam_policy_document" "tls" {
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
resource "aws_s3_bucket_policy" "tls" {
  bucket = aws_s3_bucket.b.id
  policy = data.aws_iam_policy_document.tls.json
}
''')
    import re

    import yaml

    from hipaa_iac.resolve.functions import PartialJSON, decide_partial_json
    res, _ = resolve(tmp_path)
    doc = res["aws_s3_bucket_policy.tls"].attributes["policy"]
    assert isinstance(doc, PartialJSON)
    pol = yaml.safe_load((Path(__file__).resolve().parents[1] / "policies/aws/HIPAA_AWS_S3_008.yaml").read_text())
    pattern = pol["definition"]["value"]
    # the evaluator's decision on partial JSON text: the Deny and the SecureTransport condition are known
    assert decide_partial_json("regex_match", pattern, doc,
                               lambda op, text, value: re.search(value, text) is not None) is True


def test_policy_document_decides_a_policy_end_to_end(tmp_path):
    write(tmp_path, "main.tf", '''
data "aws_iam_policy_document" "admin" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}
resource "aws_iam_policy" "admin" {
  name   = "admin"
  policy = data.aws_iam_policy_document.admin.json
}
''')
    out = execute(ScanRequest(paths=[str(tmp_path)], policies=["HIPAA_AWS_IAM_001"], no_cache=True))
    assert [(r["resource"], r["status"]) for r in out.report["results"]] == [("aws_iam_policy.admin", "failed")]


# ---- 5. local modules outside the scanned directory, inside the repository -------------------------------
def examples_repo(tmp_path: Path) -> Path:
    """The terraform-aws-modules layout: the module at the root, examples calling it with `../../`."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo, "main.tf", 'variable "encrypted" {\n  type = bool\n}\n'
                           'resource "aws_ebs_volume" "this" {\n  encrypted = var.encrypted\n'
                           '  kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/k"\n}\n')
    for name, enc in (("complete", "true"), ("simple", '"false"')):
        write(repo / "examples" / name, "main.tf",
              f'module "vol" {{\n  source    = "../../"\n  encrypted = {enc}\n}}\n')
    write(tmp_path / "elsewhere", "main.tf", 'resource "aws_ebs_volume" "x" {}\n')
    write(repo / "examples" / "escape", "main.tf", 'module "out" {\n  source = "../../../elsewhere"\n}\n')
    return repo


def test_example_reads_the_module_of_its_repository(tmp_path):
    repo = examples_repo(tmp_path)
    res, g = resolve(repo / "examples" / "complete")
    assert {a: r.attributes["encrypted"] for a, r in res.items()} == {"module.vol.aws_ebs_volume.this": True}
    assert res["module.vol.aws_ebs_volume.this"].file == "../../main.tf"
    assert warnings(g) == []


def test_module_outside_the_repository_is_still_refused(tmp_path):
    repo = examples_repo(tmp_path)
    res, g = resolve(repo / "examples" / "escape")
    assert res == {}
    assert [w["message"] for w in warnings(g)] == [
        "module.out: source '../../../elsewhere' is outside the scanned tree; its resources are not analyzed"]


# ---- 6. results of different root modules are told apart --------------------------------------------------
def test_whole_repository_results_carry_their_root_module(tmp_path):
    repo = examples_repo(tmp_path)
    out = execute(ScanRequest(paths=[str(repo)], policies=["HIPAA_AWS_EBS_001"], no_cache=True))
    got = sorted((r["module_root"], r["resource"], r["file"], r["status"]) for r in out.report["results"])
    # the repository's own module is called by the examples, so it is judged through them
    assert got == [
        ("examples/complete", "module.vol.aws_ebs_volume.this", "main.tf", "passed"),
        ("examples/simple", "module.vol.aws_ebs_volume.this", "main.tf", "failed"),  # "false" -> false
    ]
    # the JSON report validates against its schema with the new field
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).resolve().parents[1] / "src/hipaa_iac/data/report.schema.json").read_text())
    jsonschema.validate(out.report, schema)

    from hipaa_iac.report import sarif
    from hipaa_iac.suppress import fingerprint
    results = out.report["results"]
    fps = {sarif.fingerprint(r) for r in results}
    assert len(fps) == 2  # one per root, though file, policy and address are shared by the two examples
    # a result of the scan root's own module keeps the fingerprint it had before module_root existed
    alone = execute(ScanRequest(paths=[str(repo / "examples" / "complete")], policies=["HIPAA_AWS_EBS_001"],
                                no_cache=True)).report["results"]
    assert [(r["module_root"], r["file"]) for r in alone] == [(".", "../../main.tf")]
    assert sarif.fingerprint(alone[0]) == fingerprint("HIPAA_AWS_EBS_001", "module.vol.aws_ebs_volume.this",
                                                      "../../main.tf")
    doc = json.loads(sarif.render(out.report, out.policies))
    names = sorted(loc["logicalLocations"][0]["fullyQualifiedName"]
                   for res in doc["runs"][0]["results"] for loc in res["locations"])
    assert names == ["examples/simple:module.vol.aws_ebs_volume.this"]  # SARIF lists what failed


def test_baseline_keeps_one_finding_per_root_and_matches_a_scan_of_one_example(tmp_path):
    from hipaa_iac.suppress import write_baseline
    repo = examples_repo(tmp_path)
    write(repo / "examples" / "complete", "main.tf",
          'module "vol" {\n  source    = "../../"\n  encrypted = false\n}\n')  # both examples fail now
    full = execute(ScanRequest(paths=[str(repo)], policies=["HIPAA_AWS_EBS_001"], no_cache=True))
    base = repo / "baseline.json"
    assert write_baseline(str(base), full.report) == 2
    findings = json.loads(base.read_text())["findings"]
    assert sorted((f.get("module_root", "."), f["resource"]) for f in findings) == [
        ("examples/complete", "module.vol.aws_ebs_volume.this"),
        ("examples/simple", "module.vol.aws_ebs_volume.this")]
    again = execute(ScanRequest(paths=[str(repo)], policies=["HIPAA_AWS_EBS_001"], no_cache=True,
                                baseline=str(base)))
    assert {r["status"] for r in again.report["results"]} == {"suppressed"}
    # a pre-commit scan of one example alone: its module_root is "." there, rebased onto the baseline's root
    one = execute(ScanRequest(paths=[str(repo / "examples" / "simple")], policies=["HIPAA_AWS_EBS_001"],
                              no_cache=True, baseline=str(base)))
    assert [(r["resource"], r["status"]) for r in one.report["results"]] == \
        [("module.vol.aws_ebs_volume.this", "suppressed")]


# ---- references to instances, inside and outside try() ----------------------------------------------------
INSTANCES = '''
variable "n" {}
variable "none" { default = {} }
resource "aws_launch_template" "one" {
  count = 1
  name  = "x"
}
resource "aws_launch_template" "some" {
  count = var.n
  name  = "x"
}
resource "aws_launch_template" "fe" {
  for_each = var.none
  name     = "x"
}
resource "aws_launch_template" "single" {
  name = "x"
}
resource "aws_eks_node_group" "exists" {
  launch_template { id = try(aws_launch_template.one[0].id, null) }
}
resource "aws_eks_node_group" "single" {
  launch_template { id = try(aws_launch_template.single.id, null) }
}
resource "aws_eks_node_group" "maybe" {
  launch_template { id = try(aws_launch_template.some[0].id, null) }
}
resource "aws_eks_node_group" "absent" {
  launch_template { id = try(aws_launch_template.fe["k"].id, "fallback") }
}
resource "aws_eks_node_group" "element" {
  launch_template { id = try(aws_launch_template.one[0].tags_all["k"], null) }
}
resource "aws_eks_node_group" "bare_absent" {
  launch_template { id = aws_launch_template.fe["k"].id }
}
'''


def test_try_of_an_attribute_of_an_existing_instance_is_that_reference(tmp_path):
    """Terraform's try() returns its first argument that evaluates without error. Reading one attribute of an
    instance that exists cannot fail at apply, so the result is that attribute (a configured reference, as
    without try); an instance that may not exist, or an element of an attribute, stays unknown; an instance
    known not to exist is an error (Terraform: Invalid index), so try() takes the next alternative."""
    write(tmp_path, "main.tf", INSTANCES)
    res, _ = resolve(tmp_path)

    def lt(name):
        return res[f"aws_eks_node_group.{name}"].attributes["launch_template"][0]["id"]
    assert lt("exists").reason == "aws_launch_template.one[0].id is known only after apply"
    assert lt("exists").ref_address == "aws_launch_template.one[0]"
    assert lt("single").reason == "aws_launch_template.single.id is known only after apply"
    assert lt("maybe").reason == ("try() depends on a value not known statically "
                                  "(aws_launch_template.some[0].id is known only after apply)")
    assert lt("absent") == "fallback"
    assert lt("element").reason.startswith("try() depends on a value not known statically")
    assert lt("bare_absent").reason == ('Terraform reports an error: aws_launch_template.fe["k"] does not exist '
                                        '(the key is not among the instances of aws_launch_template.fe)')


def test_try_of_an_existing_instance_decides_an_exists_policy(tmp_path):
    write(tmp_path, "main.tf", INSTANCES)
    out = execute(ScanRequest(paths=[str(tmp_path)], policies=["HIPAA_AWS_EKS_002"], no_cache=True))
    got = {(r["resource"], r["status"]) for r in out.report["results"]}
    assert got == {("aws_eks_node_group.exists", "passed"), ("aws_eks_node_group.single", "passed"),
                   ("aws_eks_node_group.maybe", "unknown"), ("aws_eks_node_group.absent", "passed"),
                   ("aws_eks_node_group.element", "unknown"), ("aws_eks_node_group.bare_absent", "unknown")}
