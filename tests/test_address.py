"""Terraform addresses (address.py): one table per operation, keys holding dots, brackets and quotes."""
import pytest

from hipaa_iac import address as A
from hipaa_iac.graph import Graph
from hipaa_iac.model import Resource

SPLIT = [
    ("aws_s3_bucket.b", ["aws_s3_bucket", "b"]),
    ("aws_s3_bucket.b[0]", ["aws_s3_bucket", "b[0]"]),
    ('module.a["x.y"].aws_s3_bucket.b[0]', ["module", 'a["x.y"]', "aws_s3_bucket", "b[0]"]),
    ('aws_s3_bucket.b["[x"]', ["aws_s3_bucket", 'b["[x"]']),
    ('aws_s3_bucket.b["x]"]', ["aws_s3_bucket", 'b["x]"]']),
    ('aws_s3_bucket.b["a\\"]b"]', ["aws_s3_bucket", 'b["a\\"]b"]']),
    ('aws_s3_bucket.b["a\\\\"]', ["aws_s3_bucket", 'b["a\\\\"]']),
    ("data.aws_iam_policy_document.d", ["data", "aws_iam_policy_document", "d"]),
    ("aws_s3_bucket.b[0", None),
    ("aws_s3_bucket.b]", None),
    ('aws_s3_bucket.b["x]', None),
    ("a..b", None),
    (".a", None),
    ("", None),
]


@pytest.mark.parametrize("address,parts", SPLIT)
def test_split(address, parts):
    assert A.split(address) == parts


BASE = [
    ("aws_s3_bucket.b", "aws_s3_bucket.b"),
    ("aws_s3_bucket.b[0]", "aws_s3_bucket.b"),
    ('aws_s3_bucket.b["x"]', "aws_s3_bucket.b"),
    ('aws_s3_bucket.b["[x"]', "aws_s3_bucket.b"),  # was aws_s3_bucket.b[" (the edge to it was lost)
    ('aws_s3_bucket.b["x]"]', "aws_s3_bucket.b"),  # was the whole address
    ('aws_s3_bucket.b["a\\"]b"]', "aws_s3_bucket.b"),
    ('module.a["k"].aws_s3_bucket.b', 'module.a["k"].aws_s3_bucket.b'),
    ('module.a["k"].aws_s3_bucket.b["[x"]', 'module.a["k"].aws_s3_bucket.b'),
    ('module.a["[k"]', "module.a"),
    ("aws_s3_bucket.b[*]", "aws_s3_bucket.b"),
    ("broken]", "broken]"),
]


@pytest.mark.parametrize("address,expected", BASE)
def test_base(address, expected):
    assert A.base(address) == expected


STRIP = [
    ('module.a[0].module.b["k"].data.aws_iam_policy_document.d["x"]',
     "module.a.module.b.data.aws_iam_policy_document.d"),
    ('module.a["[k"].aws_s3_bucket.b["x.y"]', "module.a.aws_s3_bucket.b"),
    ("aws_s3_bucket.b", "aws_s3_bucket.b"),
    ("aws_s3_bucket.b[0", "aws_s3_bucket.b[0"),  # does not parse: unchanged
]


@pytest.mark.parametrize("address,expected", STRIP)
def test_strip_keys(address, expected):
    assert A.strip_keys(address) == expected


PARSE = [
    ("aws_s3_bucket.b", ("", "managed", "aws_s3_bucket", "b")),
    ('module.a["x"].data.t.n[0]', ('module.a["x"]', "data", "t", "n[0]")),
    ('module.a.module.b[1].ephemeral.t.n', ("module.a.module.b[1]", "ephemeral", "t", "n")),
    ('aws_s3_bucket.b["[x"]', ("", "managed", "aws_s3_bucket", 'b["[x"]')),
    ("aws_s3_bucket[0].b", None),
    ("module.a", None),
    ("a.b.c.d", None),
]


@pytest.mark.parametrize("address,expected", PARSE)
def test_parse_resource(address, expected):
    assert A.parse_resource(address) == expected


KEYS = [(0, "[0]"), (12, "[12]"), ("x", '["x"]'), ("[x", '["[x"]'), ('a"b', '["a\\"b"]'), ("a\\b", '["a\\\\b"]'),
        (True, '["true"]'), (False, '["false"]')]


@pytest.mark.parametrize("key,suffix", KEYS)
def test_format_key_round_trips(key, suffix):
    assert A.format_key(key) == suffix
    address = "aws_s3_bucket.b" + suffix
    assert A.split(address) == ["aws_s3_bucket", "b" + suffix]
    assert A.base(address) == "aws_s3_bucket.b"


def test_a_reference_without_key_reaches_an_instance_whose_key_holds_a_bracket():
    bucket = Resource('aws_s3_bucket.b["[x"]', "managed", "aws_s3_bucket", "b", "", "main.tf", 1, 3)
    sse = Resource("aws_s3_bucket_server_side_encryption_configuration.e", "managed",
                   "aws_s3_bucket_server_side_encryption_configuration", "e", "", "main.tf", 4, 9,
                   refs={"aws_s3_bucket.b"})
    g = Graph([bucket, sse])
    assert g.connected(bucket, {"aws_s3_bucket_server_side_encryption_configuration"}) == [sse]


def test_scan_links_a_for_each_key_with_brackets(tmp_path):
    """End to end: a bucket keyed `[x` and its encryption configuration over the same for_each are linked."""
    from hipaa_iac.load import load
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "b" {\n  for_each = toset(["[x"])\n  bucket = each.key\n}\n'
        'resource "aws_s3_bucket_public_access_block" "p" {\n  bucket = aws_s3_bucket.b["[x"].id\n}\n')
    g = load([str(tmp_path)])
    by = {r.address: r for r in g.resources}
    assert set(by) == {'aws_s3_bucket.b["[x"]', "aws_s3_bucket_public_access_block.p"}
    assert g.connected(by['aws_s3_bucket.b["[x"]'], {"aws_s3_bucket_public_access_block"}) == \
        [by["aws_s3_bucket_public_access_block.p"]]
