"""Each closed vocabulary is defined once (hipaa_iac/vocab.py). A literal list, tuple or set in the source that
spells out three or more words of a vocabulary is a copy and fails here; a dict keyed by a vocabulary (a
reporter's colour or level per severity) must name every word of it, so a new word cannot be forgotten."""
import ast
import json
from pathlib import Path

import pytest

from hipaa_iac import vocab

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "hipaa_iac"
VOCABULARIES = {
    "severities": set(vocab.SEVERITIES) | set(vocab.POLICY_SEVERITIES),
    "hipaa categories": set(vocab.HIPAA_CATEGORIES),
    "statuses": set(vocab.STATUSES),
    "formats": set(vocab.FORMATS),
    "operators": set(vocab.ATTRIBUTE_OPERATORS),
}
FULL = {"severities": [set(vocab.SEVERITIES), set(vocab.POLICY_SEVERITIES)],
        "hipaa categories": [set(vocab.HIPAA_CATEGORIES)], "statuses": [set(vocab.STATUSES), set(vocab.VERDICTS)],
        "formats": [set(vocab.FORMATS)], "operators": [set(vocab.ATTRIBUTE_OPERATORS)]}
PENDING: set = set()  # (file, vocabulary) copies still to remove: none
# Sequences that name a few statuses or formats as a subset on purpose, not as the vocabulary.
SUBSET_OK = {"statuses", "formats", "operators"}  # operator groups (numeric, negations) are subsets on purpose


def _strings(node) -> list[str]:
    return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _copies() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = str(path.relative_to(SRC))
        if rel == "vocab.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                words, keyed = _strings(node), False
            elif isinstance(node, ast.Dict):
                words, keyed = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)], True
            else:
                continue
            for name, vocabulary in VOCABULARIES.items():
                hits = set(words) & vocabulary
                if len(hits) < 3 or (rel, name) in PENDING:
                    continue
                if keyed:
                    # a table of most of a vocabulary (one entry per word) must have them all
                    if len(hits) * 2 >= len(vocabulary) // len(FULL[name]) and \
                            not any(full <= set(words) for full in FULL[name]):
                        missing = min((full - set(words) for full in FULL[name]), key=len)
                        out.append(f"{rel}:{node.lineno}: a dict keyed by {name} lacks {sorted(missing)}")
                elif name in SUBSET_OK and not any(full <= hits for full in FULL[name]):
                    continue
                else:
                    out.append(f"{rel}:{node.lineno}: a copy of the {name} (use hipaa_iac.vocab)")
    return out


def test_no_copy_of_a_vocabulary_in_the_source():
    assert _copies() == []


def test_the_copy_check_finds_a_copy(tmp_path, monkeypatch):
    """The check itself: a module spelling out the severities is found."""
    fake = tmp_path / "hipaa_iac"
    fake.mkdir()
    (fake / "x.py").write_text('LEVELS = ("low", "medium", "high", "critical")\nC = {"low": 1, "high": 2, "medium": 3}\n')
    monkeypatch.setattr(__import__(__name__), "SRC", fake)
    assert _copies() == ["x.py:1: a copy of the severities (use hipaa_iac.vocab)",
                         "x.py:2: a dict keyed by severities lacks ['critical']"]


def _enums(schema: dict) -> dict[str, list]:
    found = {}

    def walk(node, key=None):
        if isinstance(node, dict):
            if "enum" in node and key:
                found[key] = node["enum"]
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
    walk(schema)
    return found


@pytest.mark.parametrize("key,words", [
    ("severity", vocab.SEVERITIES), ("severity_threshold", vocab.SEVERITIES),
    ("hipaa_category", vocab.HIPAA_CATEGORIES), ("status", vocab.STATUSES), ("scope", vocab.SCOPES),
    ("unknown", vocab.UNKNOWN_MODES), ("verdict", vocab.GATE_VERDICTS), ("kind", vocab.SUPPRESSION_KINDS)])
def test_report_schema_enums_are_the_vocabularies(key, words):
    schema = json.loads((SRC / "data" / "report.schema.json").read_text())
    assert sorted(_enums(schema)[key]) == sorted(words)


def test_policy_schema_and_configuration_use_the_vocabularies():
    from typing import get_args

    from hipaa_iac.config import Config, _schema, settings
    from hipaa_iac.policy import schema
    assert set(schema.ATTRIBUTE_OPERATORS) == set(vocab.ATTRIBUTE_OPERATORS)
    assert tuple(schema.HIPAA_CATEGORIES) == vocab.HIPAA_CATEGORIES
    assert set(get_args(schema.Metadata.model_fields["severity"].annotation)) == set(vocab.POLICY_SEVERITIES)
    model = _schema().model_fields
    assert set(model) == {f.name for f in settings()}
    assert get_args(model["severity_threshold"].annotation) == vocab.SEVERITIES
    assert get_args(model["unknown"].annotation) == vocab.UNKNOWN_MODES
    assert get_args(model["scope"].annotation) == vocab.SCOPES
    defaults = Config()
    for name, f in model.items():  # one definition: the file schema's defaults are the dataclass's
        assert f.get_default(call_default_factory=True) == getattr(defaults, name), name


def test_cli_choices_are_the_vocabularies():
    from hipaa_iac import cli
    assert cli.FORMATS == vocab.FORMATS and cli.COLORS == vocab.COLOR_MODES


def test_aws_managed_key_regex_is_the_one_policies_use():
    import re

    from hipaa_iac.policy import evaluate
    assert evaluate._AWS_MANAGED_KEY.pattern == vocab.AWS_MANAGED_KEY_REGEX
    assert re.match(vocab.AWS_MANAGED_KEY_REGEX, "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/aws/s3")
    assert re.match(vocab.AWS_MANAGED_KEY_REGEX, "alias/aws/rds")
    assert not re.match(vocab.AWS_MANAGED_KEY_REGEX, "alias/awsome")
    assert not re.match(vocab.AWS_MANAGED_KEY_REGEX, "arn:aws:kms:us-east-1:123456789012:key/1234")


def _leaves(node):
    if isinstance(node, dict):
        if "cond_type" in node:
            yield node
        for v in node.values():
            yield from _leaves(v)
    elif isinstance(node, list):
        for v in node:
            yield from _leaves(v)


def test_policies_agree_on_the_customer_managed_key_fragment():
    """The AWS-managed-key pattern and the customer-managed key types appear in many policies (until they are
    building blocks): every copy is the vocabulary's, so the copies cannot drift apart."""
    import yaml
    bad = []
    for path in sorted((ROOT / "policies").glob("*/*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for leaf in _leaves(doc.get("definition")):
            value = leaf.get("value")
            if isinstance(value, str) and "alias/aws" in value and leaf.get("operator", "").endswith("regex_match"):
                if value != vocab.AWS_MANAGED_KEY_REGEX:
                    bad.append(f"{path.name}: {leaf.get('attribute')}: {value}")
        judges_awscc = "awscc_" in json.dumps(doc.get("definition"))
        allowed = {vocab.AWS_CUSTOMER_MANAGED_KEY_TYPES} | ({vocab.AWSCC_CUSTOMER_MANAGED_KEY_TYPES} if judges_awscc else set())
        for attr, types in ((doc.get("metadata") or {}).get("compliant_references") or {}).items():
            if "aws_kms_key" in types and tuple(types) not in allowed:
                bad.append(f"{path.name}: compliant_references.{attr}: {types}")
    assert bad == []
