"""Both HCL front ends, construct by construct: exact Block models from fixtures/hcl/*.tf.

`parse_hcl` (tree-sitter) is the front end; `parse_hcl_fallback` (python-hcl2) reads the files tree-sitter
rejects. Every model assertion runs against both. python-hcl2's known limits are listed in the
known-disagreements table of tests/test_hcl_oracle.py.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hipaa_iac.expr import (BinOp, Call, Cond, ForExpr, Invalid, Lit, ObjectExpr, Template, Traversal,
                            TupleExpr, UnaryOp, Var)
from hipaa_iac.model import Block
from hipaa_iac.parse.hcl import HCLSyntaxError, parse_hcl
from hipaa_iac.parse.hcl2_fallback import parse_hcl_fallback

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "hcl"
FRONTS = {"tree-sitter": parse_hcl, "python-hcl2": parse_hcl_fallback}


def read(front: str, name: str) -> list[Block]:
    return FRONTS[front]((FIX / name).read_bytes(), name)


@pytest.fixture(params=list(FRONTS))
def front(request) -> str:
    return request.param


def ref(root: str, *steps) -> Traversal | Var:
    """ref("var", "a", 0, "*") -> var.a[0][*]: str -> attr, int -> index, "*" -> splat, ".*" -> legacy."""
    if not steps:
        return Var(root)
    out = []
    for s in steps:
        if s == "*":
            out.append(("splat",))
        elif s == ".*":
            out.append(("legacy_splat",))
        elif isinstance(s, str):
            out.append(("attr", s))
        elif isinstance(s, tuple):  # ("idx", node)
            out.append(("index", s[1]))
        else:
            out.append(("index", Lit(s)))
    return Traversal(Var(root), out)


def idx(node) -> tuple:
    return ("idx", node)


def shape(b: Block) -> tuple:
    return (b.type, b.labels, b.line, b.end_line)


def attrs(b: Block) -> dict:
    return {n: (a.line, a.end_line, a.expr) for n, a in b.attributes.items()}


# ---- structure ---------------------------------------------------------------------------------------

def test_blocks_types_labels_and_spans(front):
    blocks = read(front, "blocks.tf")
    assert [shape(b) for b in blocks] == [
        ("terraform", [], 1, 9),
        ("resource", ["aws_s3_bucket", "phi"], 11, 13),
        ("resource", ["aws_security_group", "training"], 15, 29),
        ("resource", ["aws_s3_bucket_server_side_encryption_configuration", "phi"], 31, 40),
        ("resource", ["aws_s3_bucket_lifecycle_configuration", "phi"], 42, 52),
        ("data", ["aws_iam_policy_document", 'labels "quoted" é'], 54, 54),
        ("module", ["network"], 56, 56),
        ("locals", [], 58, 58),
        ("variable", ["retention_days"], 60, 63),
    ]
    assert all(b.file == "blocks.tf" for b in blocks)


def test_nested_blocks_keep_source_order_and_lines(front):
    blocks = read(front, "blocks.tf")
    tf = blocks[0]
    assert [shape(b) for b in tf.blocks] == [("required_providers", [], 3, 8)]
    assert attrs(tf.blocks[0]) == {"aws": (4, 7, ObjectExpr([(Lit("source"), Lit("hashicorp/aws")),
                                                               (Lit("version"), Lit("~> 5.0"))]))}
    sg = blocks[2]
    assert [shape(b) for b in sg.blocks] == [("ingress", [], 17, 20), ("egress", [], 21, 24),
                                             ("ingress", [], 25, 28)]
    assert [attrs(b) for b in sg.blocks] == [
        {"from_port": (18, 18, Lit(443)), "to_port": (19, 19, Lit(443))},
        {"from_port": (22, 22, Lit(0)), "to_port": (23, 23, Lit(0))},
        {"from_port": (26, 26, Lit(22)), "to_port": (27, 27, Lit(22))},
    ]
    sse = blocks[3]
    assert attrs(sse) == {"bucket": (32, 32, ref("aws_s3_bucket", "phi", "id"))}
    rule = sse.blocks[0]
    assert shape(rule) == ("rule", [], 33, 39)
    assert attrs(rule) == {"bucket_key_enabled": (38, 38, Lit(True))}
    assert [shape(b) for b in rule.blocks] == [("apply_server_side_encryption_by_default", [], 34, 37)]
    assert attrs(rule.blocks[0]) == {
        "sse_algorithm": (35, 35, Lit("aws:kms")),
        "kms_master_key_id": (36, 36, ref("aws_kms_key", "phi", "arn")),
    }


def test_dynamic_block(front):
    lc = read(front, "blocks.tf")[4]
    dyn = lc.blocks[0]
    assert shape(dyn) == ("dynamic", ["rule"], 44, 51)
    assert attrs(dyn) == {"for_each": (45, 45, ref("var", "lifecycle_rules")),
                          "iterator": (46, 46, Var("lc"))}
    assert [shape(b) for b in dyn.blocks] == [("content", [], 47, 50)]
    assert attrs(dyn.blocks[0]) == {"id": (48, 48, ref("lc", "value", "id")),
                                    "status": (49, 49, Lit("Enabled"))}


def test_one_line_and_empty_blocks(front):
    blocks = read(front, "blocks.tf")
    assert blocks[5].attributes == {} and blocks[5].blocks == []
    assert attrs(blocks[6]) == {"source": (56, 56, Lit("./modules/network"))}
    assert attrs(blocks[7]) == {"one_line": (58, 58, Lit(True))}
    assert attrs(blocks[8]) == {"type": (61, 61, Var("number")), "default": (62, 62, Lit(2190))}


def test_attribute_text_is_the_source(front):
    blocks = read(front, "expressions.tf")
    a = blocks[0].attributes
    assert a["arith"].text == "1 + 2 * 3 - 4 / 2 % 3"
    assert a["multi_call"].text == 'merge(\n    var.tags,\n    {\n      Name = "x"\n    },\n  )'
    assert read(front, "heredocs.tf")[0].attributes["empty"].text == "<<EOT\nEOT"


# ---- strings and templates ---------------------------------------------------------------------------

def test_quoted_strings_escapes_unicode_and_templates(front):
    b = read(front, "strings.tf")[0]
    assert shape(b) == ("resource", ["aws_kms_alias", "strings"], 1, 14)
    assert attrs(b) == {
        "plain": (2, 2, Lit("alias/phi-key")),
        "escapes": (3, 3, Lit('tab\there "quoted" back\\slash new\nline cr\r')),
        "unicode": (4, 4, Lit("ünïcødé ☃ é 😀")),
        "interp": (5, 5, Template(["arn:aws:s3:::", ref("var", "bucket"), "/*"])),
        "nested": (6, 6, Template([Call("lookup", [ref("var", "tags"), Lit("env"), Lit("dev")]), "-suffix"])),
        "two": (7, 7, Template([ref("var", "a"), ref("var", "b")])),
        "escaped": (8, 8, Lit("literal ${not_interp} and %{not_directive}")),
        "dollar": (9, 9, Lit("cost $5 and 100%")),
        "directive": (10, 10, Template([Invalid("template directive")], True)),
        "for_dir": (11, 11, Template(["x", Invalid("template directive"), "y"], True)),
        "only_interp": (12, 12, Template([ref("var", "name")])),
        "empty": (13, 13, Lit("")),
    }


def test_heredocs(front):
    b = read(front, "heredocs.tf")[0]
    assert shape(b) == ("resource", ["aws_iam_policy", "heredocs"], 1, 40)
    assert attrs(b) == {
        "plain": (2, 5, Lit('line one\n  indented "quoted" \\n not an escape\n')),
        "indented": (6, 10, Lit("first\n  second\nthird\n")),
        "interp": (11, 14, Template(["bucket=", ref("var", "bucket"), "\nkey=",
                                     ref("aws_kms_key", "phi", "arn"), "\n"])),
        "strip_interp": (15, 18, Template(["  ", ref("var", "deep"), "\nshallow\n"])),
        "empty": (19, 20, Lit("")),
        "tabs": (21, 24, Lit("tab one\n  tab two\n")),
        "dashed": (25, 27, Lit("body\n")),
        "in_call": (28, 31, Call("jsonencode", [Template(['{"Version": "2012-10-17", "Resource": "',
                                                          ref("var", "arn"), '"}\n'])])),
        "directive": (32, 36, Template([Invalid("template directive"), "\n"], True)),
        # the closing marker is followed by spaces: Terraform accepts it (python-hcl2 needs help)
        "trailing_space_marker": (37, 39, Lit("value\n")),
    }


def test_heredoc_template_escapes(front):
    b = read(front, "heredoc_escapes.tf")[0]
    assert b.attributes["policy"].expr == Lit(
        '{"Resource": "arn:aws:s3:::${aws:username}/*", "Note": "%{literal}"}\n')


def test_dollar_run_before_brace_is_an_escape(front):
    b = read(front, "template_dollar_run.tf")[0]
    key = Lit("kubernetes.io/cluster/$${var.cluster}")
    assert b.attributes["tags"].expr == ObjectExpr([(key, Lit("shared"))])


def test_interpolation_strip_markers_tree_sitter():
    b = read("tree-sitter", "strip_markers.tf")[0]
    assert b.attributes["bucket"].expr == Template(["phi-", ref("var", "env"), "-data"])
    b2 = parse_hcl(b'a {\n  x = "hello ${~ "world" }"\n}\n', "x.tf")[0]
    assert b2.attributes["x"].expr == Template(["hello", Lit("world")])


# ---- expressions -------------------------------------------------------------------------------------

def test_operators_and_precedence(front):
    a = attrs(read(front, "expressions.tf")[0])
    va, vb, vc, vn, vs = (ref("var", x) for x in "abcns")
    assert a["arith"] == (2, 2, BinOp("-", BinOp("+", Lit(1), BinOp("*", Lit(2), Lit(3))),
                                      BinOp("%", BinOp("/", Lit(4), Lit(2)), Lit(3))))
    assert a["left_assoc"] == (3, 3, BinOp("-", BinOp("-", va, vb), vc))
    assert a["parens"] == (4, 4, BinOp("*", BinOp("+", va, vb), UnaryOp("-", vc)))
    assert a["logic"] == (5, 5, BinOp("||", BinOp("&&", UnaryOp("!", va), vb), vc))
    cmp = BinOp(">=", vn, Lit(1))
    for op, left, right in (("<", vn, Lit(10)), ("==", vs, Lit("x")), ("!=", vs, Lit("y")),
                            ("<=", vn, Lit(9)), (">", vn, Lit(0))):
        cmp = BinOp("&&", cmp, BinOp(op, left, right))
    assert a["compare"] == (6, 6, cmp)
    assert a["unary_call"] == (7, 7, UnaryOp("-", Call("abs", [vn])))
    assert a["cond"] == (8, 8, Cond(ref("var", "enabled"), Lit("on"), Lit("off")))
    assert a["cond_nest"] == (9, 9, Cond(va, Cond(vb, Lit(1), Lit(2)), Lit(3)))


def test_nested_conditional_is_right_associative(front):
    b = read(front, "nested_conditional.tf")[0]
    assert b.attributes["bucket"].expr == Cond(ref("var", "a"), Lit("a"),
                                               Cond(ref("var", "b"), Lit("b"), Lit("c")))


def test_traversals_splats_and_indexes(front):
    a = attrs(read(front, "expressions.tf")[0])
    assert a["splat_full"] == (10, 10, ref("aws_instance", "web", "*", "id"))
    assert a["splat_attr"] == (11, 11, ref("aws_instance", "web", ".*", "private_ip"))
    assert a["splat_deep"] == (12, 12, ref("var", "list", "*", "tags", idx(Lit("Name"))))
    assert a["splat_idx"] == (13, 13, ref("var", "list", "*", 0))
    assert a["index"] == (14, 14, ref("var", "map", idx(Lit("key")), 0, "name"))
    assert a["index_expr"] == (15, 15, ref("var", "map", idx(ref("var", "key"))))
    assert a["legacy_idx"] == (16, 16, ref("var", "list", 0, "id"))
    assert a["call_index"] == (17, 17, Traversal(Call("element", [ref("var", "list"), Lit(0)]),
                                                 [("attr", "id")]))
    assert a["dashed-name"] == (41, 41, ref("var", "x", "y-z"))


def test_for_expressions(front):
    a = attrs(read(front, "expressions.tf")[0])
    vl, vm = ref("var", "list"), ref("var", "map")
    s, k, v = Var("s"), Var("k"), Var("v")
    assert a["for_tuple"] == (18, 18, ForExpr(False, None, "s", vl, None, Call("upper", [s]), None, False))
    assert a["for_kv"] == (19, 19, ForExpr(False, "k", "v", vm, None, Template([k, "=", v]),
                                           BinOp("!=", v, Lit(None)), False))
    assert a["for_obj"] == (20, 20, ForExpr(True, "k", "v", vm, k, v, None, False))
    assert a["for_group"] == (21, 21, ForExpr(True, None, "s", vl, Call("substr", [s, Lit(0), Lit(1)]), s,
                                              BinOp(">", Call("length", [s]), Lit(0)), True))
    assert a["for_nested"] == (22, 22, ForExpr(False, None, "s", vl, None,
                                               ForExpr(False, None, "t", s, None, Var("t"), None, False),
                                               None, False))


def test_calls_collections_and_multiline(front):
    a = attrs(read(front, "expressions.tf")[0])
    assert a["expand"] == (23, 23, Call("concat", [ref("var", "lists")], expand=True))
    assert a["multi_call"] == (24, 29, Call("merge", [ref("var", "tags"),
                                                      ObjectExpr([(Lit("Name"), Lit("x"))])]))
    assert a["tuple"] == (30, 30, TupleExpr([Lit(1), Lit("two"), Lit(True), Lit(None), ref("var", "x")]))
    assert a["empty_t"] == (31, 31, TupleExpr([]))
    assert a["object"] == (32, 38, ObjectExpr([
        (Lit("a"), Lit(1)), (Lit("b-c"), Lit(2)), (Lit("d"), Lit(3)),
        (ref("var", "key_expr", "name"), Lit(4)),
        (Template([ref("var", "prefix"), "-k"]), Lit(5)),
    ]))
    assert a["empty_o"] == (39, 39, ObjectExpr([]))
    assert a["provider_fn"] == (40, 40, Call("provider::aws::arn_parse", [Lit("arn:aws:s3:::b")]))
    stmt = ObjectExpr([(Lit("Effect"), Lit("Allow")), (Lit("Action"), TupleExpr([Lit("s3:GetObject")])),
                       (Lit("Resource"), TupleExpr([Template([ref("aws_s3_bucket", "phi", "arn"), "/*"])]))])
    assert a["policy"] == (42, 49, Call("jsonencode", [ObjectExpr([
        (Lit("Version"), Lit("2012-10-17")), (Lit("Statement"), TupleExpr([stmt]))])]))


def test_parenthesised_object_key_is_a_variable(front):
    b = read(front, "object_paren_key.tf")[0]
    assert b.attributes["tags"].expr == ObjectExpr([(Var("key"), Lit("v")), (Lit("plain"), Lit("w"))])


def test_numbers(front):
    b = read(front, "numbers.tf")[0]
    assert attrs(b) == {
        "int": (2, 2, Lit(42)), "zero": (3, 3, Lit(0)), "leading": (4, 4, Lit(7)),
        "float": (5, 5, Lit(3.25)),
        "negative": (6, 6, UnaryOp("-", Lit(17))), "neg_float": (7, 7, UnaryOp("-", Lit(0.5))),
        "exp_frac": (8, 8, Lit(1500.0)), "exp_upper": (9, 9, Lit(0.025)), "exp_sign": (10, 10, Lit(600.0)),
        "big": (11, 11, Lit(12345678901234567890)),
        "list": (12, 12, TupleExpr([Lit(1), Lit(2.0), UnaryOp("-", Lit(3))])),
    }
    assert type(b.attributes["int"].expr.value) is int
    assert type(b.attributes["exp_frac"].expr.value) is float


# ---- comments ----------------------------------------------------------------------------------------

BODY_COMMENTS = [
    (5, "# on the opening line"),
    (6, "# checkov:skip=CKV_AWS_18:access logs go to the central account"),
    (7, "// trailing slash comment"),
    (8, "/* inline block comment */"),
    (29, "# hipaa-iac:ignore=HIPAA_AWS_S3_002 reason"),
]
EXPRESSION_COMMENTS = [
    (9, "# in an object"), (10, "/* inline */"), (13, "# in a tuple"), (22, "# in parentheses"),
    (26, "# before a continued operator"),
]


def test_comments_in_block_bodies(front):
    b = read(front, "comments.tf")[0]
    assert shape(b) == ("resource", ["aws_s3_bucket", "comments"], 5, 32)
    assert set(BODY_COMMENTS) <= set(b.comments)
    # nothing outside the block, nothing inside a string or heredoc
    assert all(5 <= line <= 32 for line, _ in b.comments)
    assert not [t for _, t in b.comments if "not a comment" in t or "after" in t]
    assert b.blocks[0].comments == [(29, "# hipaa-iac:ignore=HIPAA_AWS_S3_002 reason")]
    a = attrs(b)
    assert a["bucket"] == (7, 7, Lit("b"))
    assert a["acl"] == (8, 8, Lit("private"))
    assert a["url"] == (16, 16, Lit("http://example.org/#not-a-comment"))
    assert a["hash"] == (17, 17, Lit("# not a comment // either"))
    assert a["doc"] == (18, 20, Lit("# not a comment inside a heredoc\n"))
    assert a["tags"] == (9, 11, ObjectExpr([(Lit("env"), Lit("prod"))]))
    assert a["list"] == (12, 15, TupleExpr([Lit(1), Lit(2)]))
    assert a["sum"] == (21, 24, BinOp("+", Lit(1), Lit(2)))
    assert a["both"] == (25, 27, BinOp("&&", ref("var", "a"), ref("var", "b")))


def test_comments_inside_expressions(front):
    b = read(front, "comments.tf")[0]
    assert sorted(BODY_COMMENTS + EXPRESSION_COMMENTS) == b.comments


def test_crlf_line_endings(front):
    b = read(front, "crlf.tf")[0]
    assert shape(b) == ("resource", ["aws_s3_bucket", "crlf"], 1, 12)
    a = attrs(b)
    assert a["bucket"] == (2, 2, Lit("crlf"))
    assert a["doc"][:2] == (3, 5) and a["doc"][2].value.rstrip("\r\n") == "line"
    assert a["list"] == (6, 8, TupleExpr([Lit(1)]))
    assert [shape(x) for x in b.blocks] == [("versioning", [], 9, 11)]
    assert [(line, text.rstrip("\r")) for line, text in b.comments] == [(2, "# comment")]


def test_crlf_comment_text_has_no_carriage_return(front):
    assert read(front, "crlf.tf")[0].comments == [(2, "# comment")]


# ---- fallback: files tree-sitter rejects -------------------------------------------------------------

def test_sci_notation_rejected_by_tree_sitter():
    with pytest.raises(HCLSyntaxError) as e:
        read("tree-sitter", "fallback/sci_notation.tf")
    assert e.value.line == 3


def test_fallback_reads_sci_notation_with_lines():
    blocks = read("python-hcl2", "fallback/sci_notation.tf")
    assert [shape(b) for b in blocks] == [("resource", ["google_bigquery_dataset", "sci_notation"], 1, 9)]
    b = blocks[0]
    assert attrs(b) == {
        "dataset_id": (2, 2, Lit("phi")),
        "default_table_expiration_ms": (3, 3, Lit(1000000000.0)),
        "labels": (5, 7, ObjectExpr([(Lit("ttl"), Lit(3000000.0))])),
        "scaled": (8, 8, BinOp("*", Lit(2), Lit(0.001))),
    }
    assert b.attributes["default_table_expiration_ms"].text == "1e+09"
    assert b.comments == [(4, "# hipaa-iac:ignore=HIPAA_GCP_BQ_001 test")]
    assert b.file == "fallback/sci_notation.tf"


def test_python_hcl2_limitations():
    """Valid Terraform that python-hcl2 8.1.4 cannot read (tree-sitter can): the fallback says where."""
    with pytest.raises(HCLSyntaxError) as e:  # strip markers in an interpolation
        read("python-hcl2", "strip_markers.tf")
    assert e.value.line == 2
    with pytest.raises(HCLSyntaxError) as e:  # a traversal continued on the next line inside [ ]
        read("python-hcl2", "multiline_traversal.tf")
    assert e.value.line == 4
    assert read("tree-sitter", "multiline_traversal.tf")[0].attributes["bucket"].expr == Call(
        "element", [TupleExpr([ref("aws_s3_bucket", "phi", "id")]), Lit(0)])


# ---- broken files ------------------------------------------------------------------------------------

BROKEN = {  # name: (source, line from tree-sitter, line from python-hcl2); None: any line of the file
    "unclosed_brace": (b'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n', None, 2),
    "header_only": (b'resource "aws_s3_bucket" {', 1, 1),
    "nested_unclosed": (b'resource "a" "b" {\n  rule {\n    x = 1\n}\n', None, 4),
    "extra_brace": (b'resource "a" "b" {\n  x = 1\n}\n}\n', 4, 4),
    "unclosed_string": (b'resource "a" "b" {\n  x = "abc\n}\n', None, 2),
    "missing_value": (b'resource "a" "b" {\n  x = 1\n  y =\n}\n', 3, 3),
    "unclosed_list": (b'resource "a" "b" {\n  x = [1, 2\n  y = 3\n}\n', 3, 3),
    "missing_equals": (b'resource "a" "b" {\n  x 1\n}\n', 1, 2),
    "top_level_attribute": (b'x = 1\nresource "a" "b" {}\n', 1, 1),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_files_raise_with_a_line(front, name):
    src, ts_line, ph_line = BROKEN[name]
    with pytest.raises(HCLSyntaxError) as e:
        FRONTS[front](src, name + ".tf")
    last = max(src.count(b"\n") + (0 if src.endswith(b"\n") else 1), 1)
    # tree-sitter may point one past the end (test_tree_sitter_eof_error_line_is_inside_the_file)
    assert 1 <= e.value.line <= (last + 1 if front == "tree-sitter" else last)
    assert e.value.message
    want = ts_line if front == "tree-sitter" else ph_line
    if want is not None:
        assert e.value.line == want


@pytest.mark.parametrize("name", ["unclosed_brace", "nested_unclosed", "unclosed_string"])
def test_tree_sitter_eof_error_line_is_inside_the_file(name):
    src = BROKEN[name][0]
    with pytest.raises(HCLSyntaxError) as e:
        parse_hcl(src, name + ".tf")
    assert e.value.line <= src.count(b"\n")


def test_fallback_rejects_invalid_utf8_and_accepts_a_byte_order_mark():
    """hclsyntax: invalid UTF-8 is a parse error; the scanner drops a leading BOM (stripUTF8BOM)."""
    with pytest.raises(HCLSyntaxError) as e:
        parse_hcl_fallback(b'a {\n  x = "\xff"\n}\n', "bad.tf")
    assert e.value.line == 2
    bom = b'\xef\xbb\xbfa {\n  x = 1\n}\n'
    for parse in FRONTS.values():
        blocks = parse(bom, "bom.tf")
        assert [(shape(b), attrs(b)) for b in blocks] == [(("a", [], 1, 3), {"x": (2, 2, Lit(1))})]


def test_empty_and_comment_only_files(front):
    assert FRONTS[front](b"", "e.tf") == []
    assert FRONTS[front](b"# only\n// comments\n/* here */\n", "c.tf") == []
    assert [shape(b) for b in FRONTS[front](b"a {\n  x = 1\n}", "n.tf")] == [("a", [], 1, 3)]


def test_long_operator_chains(front):
    src = ("a {\n  x = " + " + ".join(["1"] * 2000) + "\n}\n").encode()
    x = FRONTS[front](src, "long.tf")[0].attributes["x"]
    assert (x.line, x.end_line) == (2, 2)
    depth, node = 0, x.expr
    while isinstance(node, BinOp):
        depth, node = depth + 1, node.left
    assert depth == 1999 and node == Lit(1)


def test_python_hcl2_is_imported_only_on_fallback():
    code = ("import sys, hipaa_iac.parse.hcl2_fallback as f, hipaa_iac.parse.hcl as h\n"
            "assert 'hcl2' not in sys.modules\n"
            "f.parse_hcl_fallback(b'a {\\n x = 1e+09\\n}\\n', 'a.tf')\n"
            "assert 'hcl2' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
