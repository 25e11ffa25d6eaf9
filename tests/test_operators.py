"""The operator table (policy/operators.py): one table of (attribute value, policy value, verdict) per
operator, and the same cases through checkov 3.3.30 (.venv-checkov): each operator becomes a tiny policy, each
case a resource in HCL, and checkov's pass/fail must equal ours."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from hipaa_iac import vocab
from hipaa_iac.policy.operators import OPERATORS, apply_operator

REPO = Path(__file__).resolve().parent.parent
CHECKOV = Path(os.environ.get("HIPAA_IAC_CHECKOV", REPO / ".venv-checkov" / "bin" / "checkov"))
MISSING = None  # the attribute is not set

# operator -> [(attribute value, policy value, expected)]
TABLE = {
    "equals": [("a", "a", True), ("a", "b", False), (5, "5", True), (5, 5, True), (True, "true", True),
               (False, "true", False), (MISSING, "a", False)],
    "not_equals": [("a", "a", False), ("a", "b", True), (5, "5", False), (True, "true", False)],
    "equals_ignore_case": [("AbC", "abc", True), ("abc", "abd", False), ("TLS1_2", "tls1_2", True)],
    "not_equals_ignore_case": [("AbC", "abc", False), ("abc", "abd", True)],
    "exists": [("a", None, True), ("", None, True), (MISSING, None, False)],
    "not_exists": [("a", None, False), (MISSING, None, True)],
    "any": [("a", None, True), (5, None, True)],
    "is_empty": [("", None, True), ([], None, True), ("a", None, False), (["a"], None, False)],
    "is_not_empty": [("", None, False), ("a", None, True), (["a"], None, True)],
    "is_true": [(True, None, True), ("true", None, True), (False, None, False), ("yes", None, False)],
    "is_false": [(False, None, True), ("false", None, True), (True, None, False)],
    "within": [("a", ["a", "b"], True), ("c", ["a", "b"], False), (5, ["5", "6"], True), (True, ["true"], True),
               (MISSING, ["a"], False)],
    "not_within": [("a", ["a", "b"], False), ("c", ["a", "b"], True)],
    "contains": [(["a", "b"], "a", True), (["a", "b"], "c", False), ("abc", "b", True), ("abc", "x", False),
                 ({"k": "v"}, "k", True), (MISSING, "a", False)],
    "not_contains": [(["a", "b"], "a", False), (["a", "b"], "c", True), ("abc", "x", True)],
    "intersects": [(["a", "b"], ["b", "c"], True), (["a"], ["c"], False), ("a", ["a"], True)],
    "not_intersects": [(["a", "b"], ["b", "c"], False), (["a"], ["c"], True)],
    "subset": [(["a"], ["a", "b"], True), (["a", "c"], ["a", "b"], False), ([], ["a"], False)],
    "not_subset": [(["a"], ["a", "b"], False), (["a", "c"], ["a", "b"], True)],
    "starting_with": [("arn:aws:kms", "arn:", True), ("alias/x", "arn:", False), (5, "5", False)],
    "not_starting_with": [("arn:aws:kms", "arn:", False), ("alias/x", "arn:", True)],
    "ending_with": [("bucket-logs", "-logs", True), ("bucket", "-logs", False)],
    "not_ending_with": [("bucket-logs", "-logs", False), ("bucket", "-logs", True)],
    "regex_match": [("alias/aws/s3", vocab.AWS_MANAGED_KEY_REGEX, True), ("alias/mine", vocab.AWS_MANAGED_KEY_REGEX,
                                                                         False), ("xab", "ab", False),
                    (True, "^True$", True)],
    "not_regex_match": [("alias/aws/s3", vocab.AWS_MANAGED_KEY_REGEX, False), ("alias/mine", "^alias/aws/", True)],
    "greater_than": [(10, 5, True), (5, 5, False), ("10", 5, True), ("x", 5, False), (True, 0, False)],
    "greater_than_or_equal": [(5, 5, True), (4, 5, False), (365, "365", True)],
    "less_than": [(4, 5, True), (5, 5, False), (MISSING, 5, False)],
    "less_than_or_equal": [(5, 5, True), (6, 5, False)],
    "length_equals": [(["a", "b"], 2, True), ("abc", 3, True), (["a"], 2, False), (MISSING, 0, False)],
    "length_not_equals": [(["a", "b"], 2, False), (["a"], 2, True)],
    "length_greater_than": [(["a", "b"], 1, True), (["a"], 1, False)],
    "length_greater_than_or_equal": [(["a"], 1, True), ([], 1, False)],
    "length_less_than": [(["a"], 2, True), (["a", "b"], 2, False)],
    "length_less_than_or_equal": [(["a", "b"], 2, True), (["a", "b", "c"], 2, False)],
}
CASES = [(op, i, attr, value, want) for op, rows in TABLE.items() for i, (attr, value, want) in enumerate(rows)]


def test_every_operator_has_a_table_and_a_function():
    assert set(TABLE) == set(vocab.ATTRIBUTE_OPERATORS) == set(OPERATORS)
    assert all(any(w for *_, w in rows) and not all(w for *_, w in rows) for op, rows in TABLE.items()
               if op != "any"), "each table has a true and a false case"


@pytest.mark.parametrize("op,i,attr,value,want", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_operator(op, i, attr, value, want):
    assert apply_operator(op, attr, value) is want


def test_unknown_operator_is_an_error():
    with pytest.raises(ValueError, match="unsupported operator nope"):
        apply_operator("nope", "a", "a")


# ---- the same cases through the evaluator and through checkov ---------------------------------------------
def _hcl(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_hcl(x) for x in v) + "]"
    return "{ " + " ".join(f"{k} = {_hcl(x)}" for k, x in v.items()) + " }"


def _write_cases(root: Path) -> None:
    """cases/<op>/main.tf (one resource per case: aws_thing.c<i>) and policies/OPS_<OP>_<i>.yaml."""
    import yaml
    (root / "policies").mkdir(parents=True)
    for op, rows in TABLE.items():
        d = root / "cases" / op
        d.mkdir(parents=True)
        blocks = []
        for i, (attr, _, _) in enumerate(rows):
            body = "" if attr is MISSING else f"  v_{op} = {_hcl(attr)}\n"
            blocks.append(f'resource "aws_thing" "c{i}" {{\n  name = "c{i}"\n{body}}}\n')
        (d / "main.tf").write_text("\n".join(blocks))
        for i, (_, value, _) in enumerate(rows):
            # its own attribute name per operator: checkov drops a whole check whose solver raises on another
            # operator's value (contains on a number)
            definition = {"cond_type": "attribute", "resource_types": ["aws_thing"], "attribute": f"v_{op}",
                          "operator": op}
            if value is not None:
                definition["value"] = value
            doc = {"metadata": {"id": f"OPS_{op.upper()}_{i}", "name": f"operator {op} case {i}",
                                "category": "GENERAL_SECURITY"},
                   "definition": {"and": [definition, {"cond_type": "attribute", "resource_types": ["aws_thing"],
                                                       "attribute": "name", "operator": "equals",
                                                       "value": f"c{i}"}]}}
            (root / "policies" / f"OPS_{op.upper()}_{i}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


# Where the evaluator, on parsed HCL, decides otherwise than the bare operator, by design (docs/ARCHITECTURE.md,
# three-valued exists): "" is not set, as providers read it. checkov sees it as set.
EVALUATOR = {("exists", 1): False}
CHECKOV_DIFFERS = {
    ("exists", 1): "checkov: an empty string exists; hipaa-iac: \"\" is not set, as providers read it",
    ("within", 2): "checkov compares Python values strictly (5 is not \"5\"); hipaa-iac compares as Terraform converts "
                   "(a tfvars string \"5\" given to a number variable is 5)",
    ("within", 3): "as within-2, for a boolean and the string \"true\"",
    ("subset", 2): "checkov: the empty list is a subset (passes); hipaa-iac: an empty list is not (no policy uses subset)",
    ("greater_than", 3): "checkov falls back to comparing text (\"x\" > \"5\"); hipaa-iac: a non-number is not greater",
    ("greater_than", 4): "checkov compares the text \"True\" > \"0\"; hipaa-iac: a boolean is not a number",
}


def _ours(root: Path) -> dict[tuple[str, int], bool]:
    from hipaa_iac.load import load
    from hipaa_iac.policy.evaluate import FALSE, TRUE, DefinitionEvaluator
    out = {}
    for op, rows in TABLE.items():
        g = load([str(root / "cases" / op)])
        by = {r.name: r for r in g.resources}
        for i, (_, value, _) in enumerate(rows):
            d = {"cond_type": "attribute", "resource_types": ["aws_thing"], "attribute": f"v_{op}", "operator": op}
            if value is not None:
                d["value"] = value
            state = DefinitionEvaluator(g, {"id": "T"}, d).evaluate(by[f"c{i}"]).state
            assert state in (TRUE, FALSE), (op, i, state)
            out[(op, i)] = state == TRUE
    return out


def test_the_evaluator_gives_the_table_on_parsed_hcl(tmp_path):
    _write_cases(tmp_path)
    ours = _ours(tmp_path)
    assert ours == {(op, i): EVALUATOR.get((op, i), want) for op, i, _, _, want in CASES}


@pytest.mark.skipif(not CHECKOV.exists() and os.environ.get("CI") != "true",
                    reason="checkov is not installed in .venv-checkov (./dev test installs it)")
def test_checkov_agrees(tmp_path):
    _write_cases(tmp_path)
    cmd = [str(CHECKOV), "-d", str(tmp_path / "cases"), "--framework", "terraform", "-o", "json", "--skip-download",
           "--external-checks-dir", str(tmp_path / "policies"), "--check", "OPS_"]
    ids = sorted(p.stem for p in (tmp_path / "policies").glob("*.yaml"))
    cmd[-1] = ",".join(ids)
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="ERROR")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr[-2000:]
    docs = json.loads(p.stdout)
    docs = docs if isinstance(docs, list) else [docs]
    theirs: dict[tuple[str, int], bool] = {}
    for doc in docs:
        for key, passed in (("passed_checks", True), ("failed_checks", False)):
            for c in doc.get("results", {}).get(key, []):
                op = Path(c["file_path"]).parent.name
                named, i = c["check_id"][len("OPS_"):].rsplit("_", 1)
                i = int(i)
                if named == op.upper() and c["resource"] == f"aws_thing.c{i}":  # a policy on its own cases
                    theirs[(op, i)] = passed
    expected = {(op, i): EVALUATOR.get((op, i), want) for op, i, _, _, want in CASES}
    missing = sorted(set(expected) - set(theirs))
    assert missing == [], f"checkov gave no result for {missing}"
    differ = {k: (expected[k], theirs[k]) for k in expected if expected[k] != theirs[k] and k not in CHECKOV_DIFFERS}
    assert all(expected[k] != theirs[k] for k in CHECKOV_DIFFERS), "a listed divergence no longer happens"
    assert differ == {}, f"(ours, checkov) differ: {differ}"
