"""Terraform's built-in functions give the values Terraform's documentation gives.

Each case cites its page: https://developer.hashicorp.com/terraform/language/functions/<name> (read through
the search tool, 2026). Expressions are parsed from HCL text and evaluated as the resolver does.
"""
from __future__ import annotations

import pytest

from hipaa_iac.model import SENSITIVE_MARK, Unknown
from hipaa_iac.parse.hcl import parse_expression
from hipaa_iac.resolve import functions as F
from hipaa_iac.resolve.evaluate import Evaluator, PartialJSON, Scope, TFError

DOC = "https://developer.hashicorp.com/terraform/language/functions/"


def _lookup(root, steps, scope):
    if root == "var" and steps == ["arn"]:
        return Unknown("aws_s3_bucket.b.arn is known only after apply")
    return Unknown(f"{root} is not known")


def ev(text: str, scope: Scope | None = None):
    return Evaluator().eval(parse_expression(text), scope or Scope(_lookup))


# (expression, value Terraform's page shows); the page is DOC + the function's name
CASES = [
    # numeric functions
    ("abs(23)", 23), ("abs(0)", 0), ("abs(-12.4)", 12.4),
    ("ceil(5)", 5), ("ceil(5.1)", 6), ("floor(5)", 5), ("floor(4.9)", 4),
    ("log(16, 2)", 4), ("max(12, 54, 3)", 54), ("max([12, 54, 3]...)", 54), ("min(12, 54, 3)", 3),
    ('parseint("100", 10)', 100), ('parseint("FF", 16)', 255), ('parseint("-10", 16)', -16),
    ('parseint("1011111011101111", 2)', 48879), ('parseint("aA", 62)', 656), ('parseint("12", 2)', TFError),
    ("pow(3, 2)", 9), ("pow(4, 0)", 1), ("signum(-13)", -1), ("signum(0)", 0), ("signum(344)", 1),
    # string functions
    ('chomp("hello\\n")', "hello"), ('chomp("hello\\r\\n")', "hello"), ('chomp("hello\\n\\n")', "hello"),
    ('endswith("hello world", "world")', True), ('endswith("hello world", "hello")', False),
    ('format("Hello, %s!", "Ander")', "Hello, Ander!"), ('format("There are %d lights", 4)', "There are 4 lights"),
    ('format("%.3f", 3.14159)', "3.142"), ('format("%5d|%-5d|", 42, 42)', "   42|42   |"),
    ('format("%q", "a\\"b")', '"a\\"b"'), ('format("%v", [1, "a"])', '[1,"a"]'), ('format("%t", true)', "true"),
    ('format("%%")', "%"), ('format("%d", 1.5)', TFError), ('format("%s")', TFError), ('format("x", 1)', TFError),
    ('formatlist("Hello, %s!", ["Valentina", "Ander", "Olivia", "Sam"])',
     ["Hello, Valentina!", "Hello, Ander!", "Hello, Olivia!", "Hello, Sam!"]),
    ('formatlist("%s, %s!", "Salutations", ["Valentina", "Ander"])', ["Salutations, Valentina!", "Salutations, Ander!"]),
    ('indent(2, "[\\n  foo,\\n]")', "[\n    foo,\n  ]"),
    ('join("-", ["foo", "bar", "baz"])', "foo-bar-baz"), ('join(", ", ["foo"])', "foo"),
    ('lower("HELLO")', "hello"), ('upper("hello")', "HELLO"),
    ('regex("[a-z]+", "53453453.345345aaabbbccc23454")', "aaabbbccc"),
    ('regex("(\\\\d\\\\d\\\\d\\\\d)-(\\\\d\\\\d)-(\\\\d\\\\d)", "2019-02-01")', ["2019", "02", "01"]),
    ('regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?", "https://terraform.io/docs/")',
     {"scheme": "https", "authority": "terraform.io"}),
    ('regex("[a-z]+", "53453453.34534523454")', TFError),
    ('regexall("[a-z]+", "1234abcd5678efgh9")', ["abcd", "efgh"]), ('length(regexall("[a-z]+", "123456789")) > 0', False),
    ('replace("1 + 2 + 3", "+", "-")', "1 - 2 - 3"), ('replace("hello world", "/w.*d/", "everybody")', "hello everybody"),
    # Go's Expand: a named group is also numbered, so $1 is the same group; $$ is a dollar
    ('replace("hello world", "/(?P<w>w)orld/", "$${w}-$1")', "hello w-w"),
    ('replace("hello world", "/(w)orld/", "$$1")', "hello $1"),
    ('split(",", "foo,bar,baz")', ["foo", "bar", "baz"]), ('split(",", "foo")', ["foo"]), ('split(",", "")', [""]),
    ('startswith("hello world", "hello")', True), ('startswith("hello world", "world")', False),
    ('strcontains("hello world", "wor")', True), ('strcontains("hello world", "cat")', False),
    ('strrev("hello")', "olleh"), ('strrev("a ☃")', "☃ a"),
    ('substr("hello world", 1, 4)', "ello"), ('substr("🤔🚀", 0, 1)', "🤔"), ('substr("hello world", -5, -1)', "world"),
    ('substr("hello world", 6, 10)', "world"),
    ('title("hello world")', "Hello World"),
    ('trim("?!hello?!", "!?")', "hello"), ('trim("foobar", "far")', "oob"), ('trim("   hello! world.!  ", "! ")', "hello! world."),
    ('trimprefix("helloworld", "hello")', "world"), ('trimprefix("helloworld", "cat")', "helloworld"),
    ('trimsuffix("helloworld", "world")', "hello"), ('trimspace("  hello\\n\\n")', "hello"),
    # collection functions
    ('alltrue(["true", true])', True), ("alltrue([true, false])", False), ("alltrue([])", True),
    ('anytrue(["true"])', True), ("anytrue([true, false])", True), ("anytrue([])", False),
    ('chunklist(["a", "b", "c", "d", "e"], 2)', [["a", "b"], ["c", "d"], ["e"]]),
    ('chunklist(["a", "b", "c", "d", "e"], 1)', [["a"], ["b"], ["c"], ["d"], ["e"]]),
    ('coalesce("a", "b")', "a"), ('coalesce("", "b")', "b"), ("coalesce(1, 2)", 1),
    ('coalescelist(["a", "b"], ["c", "d"])', ["a", "b"]), ('coalescelist([], ["c", "d"])', ["c", "d"]),
    ('compact(["a", "", "b", null, "c"])', ["a", "b", "c"]),
    ('concat(["a", ""], ["b", "c"])', ["a", "", "b", "c"]),
    ('contains(["a", "b", "c"], "a")', True), ('contains(["a", "b", "c"], "d")', False),
    ('distinct(["a", "b", "a", "c", "d", "b"])', ["a", "b", "c", "d"]),
    ('element(["a", "b", "c"], 1)', "b"), ('element(["a", "b", "c"], 3)', "a"),
    ('element(["a", "b", "c"], length(["a", "b", "c"])-1)', "c"), ('element(["a"], -1)', TFError),
    ('flatten([["a", "b"], [], ["c"]])', ["a", "b", "c"]), ('flatten([[["a", "b"], []], ["c"]])', ["a", "b", "c"]),
    ('index(["a", "b", "c"], "b")', 1),
    ("keys({a=1, c=2, d=3})", ["a", "c", "d"]), ("values({a=3, c=2, d=1})", [3, 2, 1]),
    ("length([])", 0), ('length(["a", "b"])', 2), ('length({"a" = "b"})', 1), ('length("hello")', 5),
    ('length("👾🕹️")', 2),
    ('lookup({a="ay", b="bee"}, "a", "what?")', "ay"), ('lookup({a="ay", b="bee"}, "c", "what?")', "what?"),
    ('matchkeys(["i-123", "i-abc", "i-def"], ["us-west", "us-east", "us-east"], ["us-east"])', ["i-abc", "i-def"]),
    ('merge({a="b", c="d"}, {e="f", c="z"})', {"a": "b", "c": "z", "e": "f"}),
    ('merge({a="b"}, null, {c="d"})', {"a": "b", "c": "d"}),
    ("one([])", None), ('one(["hello"])', "hello"), ('one(["hello", "goodbye"])', TFError),
    ("range(3)", [0, 1, 2]), ("range(1, 4)", [1, 2, 3]), ("range(1, 8, 2)", [1, 3, 5, 7]),
    ("range(1, 4, 0.5)", [1, 1.5, 2, 2.5, 3, 3.5]), ("range(4, 1)", [4, 3, 2]), ("range(10, 5, -2)", [10, 8, 6]),
    ("range(2000)", TFError),
    ("reverse([1, 2, 3])", [3, 2, 1]),
    ('setintersection(["a", "b"], ["b", "c"], ["b", "d"])', ["b"]),
    ('setproduct(["development", "staging", "production"], ["app1", "app2"])',
     [["development", "app1"], ["development", "app2"], ["staging", "app1"], ["staging", "app2"],
      ["production", "app1"], ["production", "app2"]]),
    ('setsubtract(["a", "b", "c"], ["a", "c"])', ["b"]),
    # the page lists the elements unordered; Terraform holds a set of strings in lexicographic order
    ('setunion(["a", "b"], ["b", "c"], ["d"])', ["a", "b", "c", "d"]),
    ('slice(["a", "b", "c", "d"], 1, 3)', ["b", "c"]),
    ('sort(["e", "d", "a", "x"])', ["a", "d", "e", "x"]),
    ("sum([10, 13, 6, 4.5])", 33.5),
    ('transpose({"a" = ["1", "2"], "b" = ["2", "3"]})', {"1": ["a"], "2": ["a", "b"], "3": ["b"]}),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
    # encoding functions
    ('base64encode("Hello World")', "SGVsbG8gV29ybGQ="), ('base64decode("SGVsbG8gV29ybGQ=")', "Hello World"),
    ('jsonencode({"hello"="world"})', '{"hello":"world"}'),
    ('jsonencode({b = 1.0, a = [true, null, "<&>"]})', '{"a":[true,null,"\\u003c\\u0026\\u003e"],"b":1}'),
    ('jsondecode("{\\"hello\\": \\"world\\"}")', {"hello": "world"}), ('jsondecode("true")', True),
    ('urlencode("Hello World!")', "Hello+World%21"), ('urlencode("☃")', "%E2%98%83"),
    ('urlencode("foo:bar@localhost?foo=bar&bar=baz")', "foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz"),
    ('yamldecode("hello: world")', {"hello": "world"}), ('yamldecode("true")', True),
    ('yamldecode("{a: &foo [1, 2, 3], b: *foo}")', {"a": [1, 2, 3], "b": [1, 2, 3]}),
    ('yamldecode("when: 2020-01-01")', {"when": "2020-01-01"}),
    # hash and crypto functions
    ('md5("hello world")', "5eb63bbbe01eeed093cb22bb8f5acdc3"),
    ('sha1("hello world")', "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
    ('sha256("hello world")', "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
    ('sha512("hello world")', "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da"
                             "34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"),
    ('base64sha256("hello world")', "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),
    ('base64sha512("hello world")', "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw=="),
    # IP network functions
    ('cidrhost("10.12.112.0/20", 16)', "10.12.112.16"), ('cidrhost("10.12.112.0/20", 268)', "10.12.113.12"),
    ('cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)', "fd00:fd12:3456:7890::22"),
    ('cidrnetmask("172.16.0.0/12")', "255.240.0.0"),
    ('cidrsubnet("172.16.0.0/12", 4, 2)', "172.18.0.0/16"), ('cidrsubnet("10.1.2.0/24", 4, 15)', "10.1.2.240/28"),
    ('cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)', "fd00:fd12:3456:7800:a200::/72"),
    ('cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)', ["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]),
    # filesystem functions (pure on the text)
    ('basename("foo/bar/baz.txt")', "baz.txt"), ('dirname("foo/bar/baz.txt")', "foo/bar"),
    # type conversion functions
    ('tobool("true")', True), ("tobool(null)", None), ('tobool("yes")', TFError),
    ('tonumber("1")', 1), ("tonumber(null)", None), ('tonumber("no")', TFError),
    ('tostring("hello")', "hello"), ("tostring(1)", "1"), ("tostring(true)", "true"), ("tostring(null)", None),
    ("tostring(1.0)", "1"), ("tostring(1.5)", "1.5"), ("tostring([])", TFError),
    ('toset(["a", "b", "c"])', ["a", "b", "c"]), ('toset(["a", "b", 3])', ["3", "a", "b"]),
    ('toset(["c", "b", "b"])', ["b", "c"]),
    ('tolist(["a", "b", 3])', ["a", "b", "3"]),
    ('tomap({"a" = 1, "b" = 2})', {"a": 1, "b": 2}), ('tomap({"a" = "foo", "b" = true})', {"a": "foo", "b": "true"}),
    ('try(tonumber("x"), "fallback")', "fallback"), ('can(regex("^ami-", "ami-123"))', True),
    ('can(regex("^ami-", "img-123"))', False), ('can(lookup({}, "a"))', False),
    ("core::length([1])", 1),
]


@pytest.mark.parametrize("text,want", CASES, ids=[c[0][:60] for c in CASES])
def test_function_gives_the_documented_value(text, want):
    got = ev(text)
    if want is TFError:
        assert isinstance(got, TFError), got
    else:
        assert got == want and type(got) is type(want), (got, want)


def test_for_over_a_map_and_over_a_set_iterate_in_terraforms_order():
    # language/expressions/for: a map or object is iterated in lexicographic key order; a set of
    # strings (toset) in lexicographic order
    assert ev('[for k, v in {b = 1, a = 2, c = 3} : k]') == ["a", "b", "c"]
    assert ev('[for s in toset(["b", "c", "a", "b"]) : s]') == ["a", "b", "c"]
    assert ev('{for k, v in {z = 1, y = 2} : v => k}') == {"2": "y", "1": "z"}


def test_functions_that_are_not_static_are_unknown_with_the_reason():
    for text in ("uuid()", "timestamp()", "plantimestamp()", 'bcrypt("x")', 'abspath("x")', 'pathexpand("~/x")',
                 'provider::aws::arn_parse("x")'):
        v = ev(text)
        assert isinstance(v, Unknown) and not isinstance(v, TFError), (text, v)
        assert "not evaluated statically" in v.reason


def test_regex_constructs_re2_rejects_or_python_reads_differently():
    assert isinstance(ev('regex("(?=a)a", "a")'), TFError)  # RE2 has no lookahead
    assert isinstance(ev('regex("(a)\\\\1", "aa")'), TFError)  # nor back references
    assert isinstance(ev('regex("(?P<a>x)(y)", "xy")'), TFError)  # named and unnamed groups mixed
    assert ev('regex("a$", "a\\n")') == TFError or isinstance(ev('regex("a$", "a\\n")'), TFError)  # $ is end of text
    assert ev('regex("(?m)a$", "a\\nb")') == "a"
    assert ev('regex("(?<y>\\\\d{4})", "in 2024")') == {"y": "2024"}
    assert ev('regex("[[:digit:]]+", "ab12")') == "12"
    v = ev('regex("\\\\pL+", "ab")')
    assert isinstance(v, Unknown) and not isinstance(v, TFError)


def test_templatestring_renders_interpolations_and_directives():
    # functions/templatestring and language/expressions/strings#directives
    scope = Scope(_lookup, {"tpl": "Hello, ${name}! %{ for i, x in items ~}\n[${i}:${x}]%{ endfor ~}\n"
                                   "%{ if admin }admin%{ else }user%{ endif }"})
    v = ev('templatestring(tpl, {name = "Ander", items = ["a", "b"], admin = false})', scope)
    assert v == "Hello, Ander! [0:a][1:b]user"
    assert isinstance(ev('templatestring(tpl, {})', Scope(_lookup, {"tpl": "${nope}"})), TFError)
    u = ev('templatestring(tpl, {x = var.arn})', Scope(_lookup, {"tpl": "arn=${x}"}))
    assert isinstance(u, Unknown) and u.prefix == "arn="


def test_templatefile_and_fileset_read_only_the_scanned_tree(tmp_path):
    # functions/templatefile (the backends.tftpl example) and functions/fileset
    root = tmp_path / "repo"
    (root / "files" / "sub").mkdir(parents=True)
    (root / "backends.tftpl").write_text("%{ for addr in ip_addrs ~}\nbackend ${addr}:${port}\n%{ endfor ~}\n")
    (root / "files" / "hello.txt").write_text("h")
    (root / "files" / "world.txt").write_text("w")
    (root / "files" / "sub" / "deep.txt").write_text("d")
    (tmp_path / "secret.txt").write_text("s")
    scope = Scope(_lookup, module_dir=str(root), root_dir=str(root))
    assert ev('templatefile("backends.tftpl", { port = 8080, ip_addrs = ["10.0.0.1", "10.0.0.2"] })', scope) == \
        "backend 10.0.0.1:8080\nbackend 10.0.0.2:8080\n"
    assert ev('fileset(".", "files/*.txt")', scope) == ["files/hello.txt", "files/world.txt"]
    assert ev('fileset("files", "**/*.txt")', scope) == ["hello.txt", "sub/deep.txt", "world.txt"]
    assert ev('fileset("files", "{hello,nope}.txt")', scope) == ["hello.txt"]
    assert ev('fileexists("files/hello.txt")', scope) is True
    assert ev('fileexists("files/none.txt")', scope) is False
    assert ev('filemd5("files/hello.txt")', scope) == "2510c39011c5be704182423e3a695e91"
    for text in ('file("../secret.txt")', 'fileset("..", "*")', 'templatefile("../secret.txt", {})'):
        v = ev(text, scope)
        assert isinstance(v, Unknown) and "outside the repository" in v.reason, (text, v)


def test_sensitive_marks_the_evaluation_and_keeps_the_value():
    scope = Scope(_lookup)
    assert ev('sensitive("x")', scope) == "x"
    assert SENSITIVE_MARK in scope.collect
    scope = Scope(_lookup)
    assert ev('nonsensitive("x")', scope) == "x" and SENSITIVE_MARK not in scope.collect


def test_jsonencode_with_unknown_leaves_keeps_the_known_text():
    v = ev('jsonencode({Statement = [{Effect = "Deny", Resource = var.arn, '
           'Condition = {Bool = {"aws:SecureTransport" = "false"}}}]})')
    assert isinstance(v, PartialJSON)
    assert v.text() == ('{"Statement":[{"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny",'
                        '"Resource":"(known after apply)"}]}')
    assert "known only after apply" in v.reason
    assert ev('jsondecode(jsonencode({a = var.arn, b = 1}))')["b"] == 1


def _regex_match(op, text, value):
    import re
    m = re.compile(value).match(text) is not None
    return m if op == "regex_match" else not m


def test_a_text_check_on_a_partial_json_document_decides_only_when_the_unknown_part_cannot_matter():
    deny_tls = '(?s)^(?=.*["\']Effect["\']\\s*:\\s*["\']Deny["\'])(?=.*aws:SecureTransport).*'
    doc = ev('jsonencode({Statement = [{Effect = "Deny", Resource = var.arn, '
             'Condition = {Bool = {"aws:SecureTransport" = "false"}}}]})')
    assert F.decide_partial_json("regex_match", deny_tls, doc, _regex_match) is True
    # the Effect itself unknown: "Deny" is among the probes, so the verdict stays open
    doc = ev('jsonencode({Statement = [{Effect = var.arn, Condition = {Bool = {"aws:SecureTransport" = "false"}}}]})')
    assert F.decide_partial_json("regex_match", deny_tls, doc, _regex_match) is None
    admin = ('(?s).*\\{(?=[^{}]*["\']Effect["\']\\s*:\\s*["\']Allow["\'])(?=[^{}]*["\']Action["\']\\s*:\\s*(\\[\\s*)?'
             '["\']\\*["\'])(?=[^{}]*["\']Resource["\']\\s*:\\s*(\\[\\s*)?["\']\\*["\'])[^{}]*\\}.*')
    doc = ev('jsonencode({Statement = [{Effect = "Allow", Action = ["s3:GetObject"], Resource = var.arn}]})')
    assert F.decide_partial_json("not_regex_match", admin, doc, _regex_match) is True
    doc = ev('jsonencode({Statement = [{Effect = "Allow", Action = "*", Resource = var.arn}]})')
    assert F.decide_partial_json("not_regex_match", admin, doc, _regex_match) is None
