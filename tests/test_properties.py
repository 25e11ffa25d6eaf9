"""Properties over generated input (hypothesis, derandomized: the same examples on every run).

- any text or bytes written as a `.tf` file: `load.load` never raises; the file is either read or reported
  as an error with file and line;
- any JSON as a plan: `parse.plan.read_plan` and loading the `.json` path never raise;
- generated valid configurations (resources with string/number/bool attributes, lists and maps, nested
  blocks, variables with defaults, locals) are read back with exactly the generated values;
- the policy evaluator follows Kleene three-valued logic and an unknown never turns into passed.

CI budget: a few seconds per property. `HIPAA_IAC_FUZZ_EXAMPLES=5000` raises the number of examples for a
long local run (see docs/robustness.md and tests/fuzz/).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hipaa_iac.load import load
from hipaa_iac.model import Resource, Unknown

FUZZ = int(os.environ.get("HIPAA_IAC_FUZZ_EXAMPLES", "0"))


def budget(ci: int):
    """Fixed seed, no example database in the repository, CI-sized unless HIPAA_IAC_FUZZ_EXAMPLES is set."""
    return settings(derandomize=True, database=None, deadline=None, max_examples=FUZZ or ci,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="hipaa-iac-prop-") as d:
        yield Path(d)


# ---- arbitrary input never raises -------------------------------------------------------------------------
HCL_TOKENS = ['resource', 'data', 'module', 'variable', 'locals', 'dynamic', 'content', 'for_each', 'count',
              '"aws_s3_bucket"', '"b"', '"x"', 'a', 'b', 'var.x', 'local.y', 'each.key', 'count.index', '=', '==',
              '{', '}', '[', ']', '(', ')', '"', '${', '%{', '}', '$${', '<<EOT\n', '<<-EOT\n', 'EOT\n', '\n',
              ' ', '\t', ',', ':', '?', '.', '*', '...', '=>', 'for', 'in', 'if', 'true', 'false', 'null', '0',
              '1e+09', '-1.5', '0x1F', '\\', '\\u00e9', '#', '//', '/*', '*/', '\ufeff', '\x00', 'é', '\r\n']


@st.composite
def hcl_like(draw) -> str:
    """Token soup close enough to HCL to reach the parser's and resolver's corners."""
    toks = draw(st.lists(st.sampled_from(HCL_TOKENS), max_size=60))
    prefix = draw(st.sampled_from(['', 'resource "aws_s3_bucket" "b" {\n', 'locals {\n', 'variable "x" {\n']))
    return prefix + "".join(toks)


def _check_loaded(d: Path, name: str = "main.tf") -> None:
    g = load([str(d)])  # must not raise
    if g.errors:
        for e in g.errors:
            assert e.file == name, e
            assert isinstance(e.line, int) and e.line >= 1, e
            assert e.message
    else:
        assert g.files_read == 1 and name in g.parsers, (g.files_read, g.parsers)
    for r in g.resources:
        assert r.file == name and isinstance(r.line, int)


@budget(100)
@given(text=st.one_of(st.text(max_size=300), hcl_like()))
def test_any_text_as_tf_is_read_or_reported(workdir, text):
    d = workdir / "text"
    d.mkdir(exist_ok=True)
    (d / "main.tf").write_text(text, encoding="utf-8", errors="surrogatepass")
    _check_loaded(d)


@budget(100)
@given(data=st.binary(max_size=400))
def test_any_bytes_as_tf_are_read_or_reported(workdir, data):
    d = workdir / "bytes"
    d.mkdir(exist_ok=True)
    (d / "main.tf").write_bytes(data)
    _check_loaded(d)


@budget(60)
@given(text=hcl_like())
def test_any_text_as_tfvars_is_read_or_reported(workdir, text):
    d = workdir / "tfvars"
    d.mkdir(exist_ok=True)
    (d / "main.tf").write_text('variable "x" {\n  default = "d"\n}\n')
    (d / "terraform.tfvars").write_text(text)
    g = load([str(d)])
    for e in g.errors:
        assert e.file == "terraform.tfvars" and isinstance(e.line, int) and e.line >= 1, e


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30)

PLAN_KEYS = ["format_version", "terraform_version", "planned_values", "resource_changes", "configuration",
             "prior_state", "variables", "root_module", "resources", "child_modules", "address", "mode", "type",
             "name", "index", "values", "sensitive_values", "change", "actions", "before", "after",
             "after_unknown", "after_sensitive", "module_calls", "module", "expressions", "references",
             "constant_value", "provider_name", "deposed", "module_address", "schema_version", "source"]


def _valid_plan() -> dict:
    values = {"bucket": "b", "tags": {"data_classification": "phi"},
              "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [
                  {"sse_algorithm": "aws:kms", "kms_master_key_id": "k"}]}]}]}
    res = {"address": "module.m.aws_s3_bucket.b[0]", "module_address": "module.m", "mode": "managed",
           "type": "aws_s3_bucket", "name": "b", "index": 0, "provider_name": "registry.terraform.io/hashicorp/aws"}
    return {"format_version": "1.2", "terraform_version": "1.9.0",
            "planned_values": {"root_module": {"child_modules": [
                {"address": "module.m", "resources": [dict(res, values=values, sensitive_values={})]}]}},
            "resource_changes": [dict(res, change={"actions": ["create"], "before": None, "after": values,
                                                   "after_unknown": {"arn": True}, "after_sensitive": {}})],
            "configuration": {"root_module": {"module_calls": {"m": {"source": "./m", "module": {"resources": [
                {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
                 "expressions": {"bucket": {"references": ["var.x"]}}}]}}}}}}


@st.composite
def mutated_plan(draw) -> dict:
    """A valid plan with random subtrees replaced, deleted or given unexpected keys."""
    doc = _valid_plan()
    for _ in range(draw(st.integers(1, 6))):
        node = doc
        path = []
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            if isinstance(node, dict):
                k = draw(st.sampled_from(sorted(node)))
            else:
                k = draw(st.integers(0, len(node) - 1))
            path.append((node, k))
            node = node[k]
        if not path:
            continue
        parent, k = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[k] = draw(json_values)
        elif action == "delete" and isinstance(parent, dict):
            del parent[k]
        elif isinstance(parent[k], dict):
            parent[k][draw(st.sampled_from(PLAN_KEYS))] = draw(json_values)
    return doc


TF_JSON_KEYS = ["resource", "data", "module", "variable", "locals", "output", "provider", "terraform",
                "aws_s3_bucket", "b", "bucket", "count", "for_each", "default", "source", "dynamic", "content",
                "//", "tags", "${var.x}", "rule"]
tf_json_docs = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 50) | st.text(st.sampled_from("ab${}.[]\"%x"), max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(TF_JSON_KEYS), inner, max_size=4),
    max_leaves=25)


@budget(100)
@given(doc=tf_json_docs)
def test_any_json_as_tf_json_is_read_or_reported(workdir, doc):
    d = workdir / "tfjson"
    d.mkdir(exist_ok=True)
    (d / "main.tf.json").write_text(json.dumps(doc))
    _check_loaded(d, "main.tf.json")


@budget(120)
@given(doc=st.one_of(json_values, mutated_plan(), st.dictionaries(st.sampled_from(PLAN_KEYS), json_values)))
def test_any_json_as_plan_never_raises(doc):
    from hipaa_iac.parse.plan import read_plan
    if isinstance(doc, dict):
        res, errs = read_plan(doc, "plan.json")
        for e in errs:
            assert e.file == "plan.json" and e.message
        for r in res:
            assert isinstance(r, Resource) and r.address


@budget(60)
@given(doc=st.one_of(json_values, mutated_plan()), bom=st.sampled_from([None, "utf-8-sig", "utf-16"]))
def test_any_json_file_as_plan_loads_or_reports(workdir, doc, bom):
    d = workdir / "plan"
    d.mkdir(exist_ok=True)
    p = d / "plan.json"
    text = json.dumps(doc)
    p.write_bytes(text.encode(bom) if bom else text.encode())
    g = load([str(p)])
    for e in g.errors:
        assert e.file == "plan.json" and e.message, e


# ---- round trip of valid configurations -------------------------------------------------------------------
IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: s not in {"true", "false", "null", "for", "in", "if", "count", "for_each", "provider",
                        "depends_on", "lifecycle", "provisioner", "connection", "dynamic", "source", "version"})
STR_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\n\t\r")
ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def hcl_string(s: str) -> str:
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c in ESCAPES:
            out.append(ESCAPES[c])
        elif s.startswith("${", i) or s.startswith("%{", i):
            out.append(c + c + "{")
            i += 2
            continue
        else:
            out.append(c)
        i += 1
    return '"' + "".join(out) + '"'


def hcl_number(n) -> str:
    if isinstance(n, float):
        r = repr(n)
        return r if "e" not in r and "inf" not in r else repr(round(n, 3))
    return str(n)


scalars = st.one_of(st.text(STR_CHARS, max_size=12), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                      st.dictionaries(IDENT, inner, max_size=3), max_leaves=8)


def hcl_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return hcl_number(v)
    if isinstance(v, str):
        return hcl_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(hcl_value(x) for x in v) + "]"
    return "{ " + ", ".join(f"{k} = {hcl_value(x)}" for k, x in v.items()) + " }"


def expected_value(v):
    if isinstance(v, float):
        return float(hcl_number(v))
    if isinstance(v, list):
        return [expected_value(x) for x in v]
    if isinstance(v, dict):
        return {k: expected_value(x) for k, x in v.items()}
    return v


@st.composite
def body(draw, depth: int = 0):
    """(attributes {name: value}, blocks [(type, body)])."""
    attrs = draw(st.dictionaries(IDENT, values, max_size=4))
    blocks = []
    if depth < 2:
        for _ in range(draw(st.integers(0, 2))):
            t = draw(IDENT.filter(lambda s: s not in attrs))
            blocks.append((t, draw(body(depth + 1))))
    return attrs, blocks


@st.composite
def configuration(draw):
    variables = draw(st.dictionaries(IDENT, values, max_size=3))
    locals_ = draw(st.dictionaries(IDENT, values, max_size=3))
    resources = draw(st.dictionaries(IDENT, body(), min_size=1, max_size=3))
    # each resource may reference a variable and a local by an extra attribute
    refs = {}
    for name in resources:
        r = {}
        if variables and draw(st.booleans()):
            r["from_var"] = draw(st.sampled_from(sorted(variables)))
        if locals_ and draw(st.booleans()):
            r["from_local"] = draw(st.sampled_from(sorted(locals_)))
        refs[name] = r
    return variables, locals_, resources, refs


def render_body(attrs: dict, blocks: list, indent: str) -> str:
    out = [f"{indent}{k} = {hcl_value(v)}\n" for k, v in attrs.items()]
    for t, (a, b) in blocks:
        out.append(f"{indent}{t} {{\n{render_body(a, b, indent + '  ')}{indent}}}\n")
    return "".join(out)


def expected_body(attrs: dict, blocks: list) -> dict:
    out = {k: expected_value(v) for k, v in attrs.items()}
    for t, (a, b) in blocks:
        out.setdefault(t, []).append(expected_body(a, b))
    return out


@budget(50)
@given(cfg=configuration())
def test_valid_configuration_round_trips(workdir, cfg):
    variables, locals_, resources, refs = cfg
    text = []
    for k, v in variables.items():
        text.append(f'variable "{k}" {{\n  default = {hcl_value(v)}\n}}\n')
    if locals_:
        text.append("locals {\n" + "".join(f"  {k} = {hcl_value(v)}\n" for k, v in locals_.items()) + "}\n")
    expected = {}
    for name, (attrs, blocks) in resources.items():
        attrs = {k: v for k, v in attrs.items() if k not in ("from_var", "from_local")}
        blocks = [(t, b) for t, b in blocks if t not in ("from_var", "from_local")]
        extra = ""
        exp = expected_body(attrs, blocks)
        if "from_var" in refs[name]:
            extra += f"  from_var = var.{refs[name]['from_var']}\n"
            exp["from_var"] = expected_value(variables[refs[name]["from_var"]])
        if "from_local" in refs[name]:
            extra += f"  from_local = local.{refs[name]['from_local']}\n"
            exp["from_local"] = expected_value(locals_[refs[name]["from_local"]])
        text.append(f'resource "aws_s3_bucket" "{name}" {{\n{render_body(attrs, blocks, "  ")}{extra}}}\n')
        expected[f"aws_s3_bucket.{name}"] = exp
    d = workdir / "roundtrip"
    d.mkdir(exist_ok=True)
    src = "".join(text)
    (d / "main.tf").write_text(src)
    g = load([str(d)])
    assert g.errors == [], (g.errors, src)
    got = {r.address: r.attributes for r in g.resources if r.mode == "managed"}
    assert got == expected, src


# ---- evaluator laws ---------------------------------------------------------------------------------------
LEAF = {  # leaf -> (definition, Kleene value on the synthetic resource)
    "T": ({"cond_type": "attribute", "resource_types": ["aws_s3_bucket"], "attribute": "yes",
           "operator": "equals", "value": "yes"}, "T"),
    "F": ({"cond_type": "attribute", "resource_types": ["aws_s3_bucket"], "attribute": "no",
           "operator": "equals", "value": "yes"}, "F"),
    "U": ({"cond_type": "attribute", "resource_types": ["aws_s3_bucket"], "attribute": "unk",
           "operator": "equals", "value": "yes"}, "U"),
    "Tn": ({"cond_type": "attribute", "resource_types": ["aws_s3_bucket"], "attribute": "nested.0.on",
            "operator": "is_true"}, "T"),
    "Fx": ({"cond_type": "attribute", "resource_types": ["aws_s3_bucket"], "attribute": "absent",
            "operator": "exists"}, "F"),
    "Un": ({"cond_type": "attribute", "resource_types": ["aws_s3_bucket"], "attribute": "nested.0.unk",
            "operator": "greater_than", "value": 3}, "U"),
}


def synthetic(unknown_to=None) -> Resource:
    """The resource the leaves are judged on; `unknown_to` replaces its unknowns by a known value."""
    unk = Unknown("var.x has no default") if unknown_to is None else unknown_to
    nested_unk = Unknown("var.n has no default") if unknown_to is None else (5 if unknown_to == "yes" else 1)
    return Resource("aws_s3_bucket.s", "managed", "aws_s3_bucket", "s", "", "main.tf", 1, 5,
                    attributes={"yes": "yes", "no": "no", "unk": unk, "nested": [{"on": True, "unk": nested_unk}]})


def kleene(tree) -> str:
    op, *args = tree
    if op == "leaf":
        return LEAF[args[0]][1]
    vals = [kleene(a) for a in args]
    if op == "not":
        return {"T": "F", "F": "T", "U": "U"}[vals[0]]
    if op == "and":
        return "F" if "F" in vals else "U" if "U" in vals else "T"
    return "T" if "T" in vals else "U" if "U" in vals else "F"


def definition(tree):
    op, *args = tree
    if op == "leaf":
        return dict(LEAF[args[0]][0])
    if op == "not":
        return {"not": definition(args[0])}
    return {op: [definition(a) for a in args]}


trees = st.recursive(st.tuples(st.just("leaf"), st.sampled_from(sorted(LEAF))),
                     lambda inner: st.one_of(st.tuples(st.just("not"), inner),
                                             st.lists(inner, min_size=1, max_size=3).map(lambda xs: ("and", *xs)),
                                             st.lists(inner, min_size=1, max_size=3).map(lambda xs: ("or", *xs))),
                     max_leaves=10)


def evaluate(defn, r: Resource) -> str:
    from hipaa_iac.graph import Graph
    from hipaa_iac.policy.evaluate import DefinitionEvaluator
    return DefinitionEvaluator(Graph([r]), {}, defn).evaluate(r).state


@budget(150)
@given(tree=trees)
def test_evaluator_is_kleene_and_double_negation_holds(tree):
    r = synthetic()
    got = evaluate(definition(tree), r)
    assert got == kleene(tree), (tree, got)
    assert evaluate({"not": {"not": definition(tree)}}, r) == got


@budget(150)
@given(tree=trees)
def test_unknown_never_turns_into_passed(tree):
    """Kleene logic is monotone: a verdict reached with unknowns holds for every value they could take."""
    got = evaluate(definition(tree), synthetic())
    assume(got in ("T", "F"))
    for value in ("yes", "no"):
        assert evaluate(definition(tree), synthetic(unknown_to=value)) == got, (tree, value)


@pytest.mark.parametrize("a", ["T", "F", "U"])
@pytest.mark.parametrize("b", ["T", "F", "U"])
def test_truth_tables(a, b):
    r = synthetic()
    leaf = {"T": ("leaf", "T"), "F": ("leaf", "F"), "U": ("leaf", "U")}
    t_and, t_or = ("and", leaf[a], leaf[b]), ("or", leaf[a], leaf[b])
    want_and = "F" if "F" in (a, b) else "U" if "U" in (a, b) else "T"
    want_or = "T" if "T" in (a, b) else "U" if "U" in (a, b) else "F"
    assert evaluate(definition(t_and), r) == want_and
    assert evaluate(definition(t_or), r) == want_or
    assert evaluate(definition(("not", leaf[a])), r) == {"T": "F", "F": "T", "U": "U"}[a]
