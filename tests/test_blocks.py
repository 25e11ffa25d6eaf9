"""Policy building blocks (policy/blocks.py, data/blocks.yaml): a marked fragment expands to plain checkov YAML,
every policy file holds its blocks' current expansion, and marking a verbatim copy changes nothing it parses to."""
from pathlib import Path

import pytest
import yaml

from hipaa_iac import vocab
from hipaa_iac.policy import blocks

REPO = Path(__file__).resolve().parent.parent
POLICY_FILES = sorted((REPO / "policies").glob("*/*.yaml"))

COPY = """definition:
  and:
  - cond_type: attribute
    resource_types:
    - aws_backup_vault
    - aws_x
    attribute: kms_key_arn
    operator: exists
  - cond_type: attribute
    resource_types:
    - aws_backup_vault
    - aws_x
    attribute: kms_key_arn
    operator: not_regex_match
    value: ^(arn:aws[a-zA-Z-]*:kms:[a-z0-9-]*:[0-9]*:)?alias/aws/
metadata:
  compliant_references:
    kms_key_arn:
    - aws_kms_key
    - aws_kms_replica_key
    - aws_kms_external_key
"""


def test_wrap_marks_a_verbatim_copy_without_changing_the_yaml():
    marked, n = blocks.wrap(COPY)
    assert n == 2
    assert "  # block: aws_customer_managed_key attribute=kms_key_arn resource_types=aws_backup_vault,aws_x\n" in marked
    assert "    # block: aws_customer_managed_key_types\n" in marked
    assert yaml.safe_load(marked) == yaml.safe_load(COPY)
    assert blocks.expand(marked) == marked
    assert blocks.wrap(marked) == (marked, 0)


def test_expand_rewrites_a_stale_expansion():
    marked, _ = blocks.wrap(COPY)
    stale = marked.replace("operator: not_regex_match\n    value: ^(arn", "operator: not_regex_match\n    value: ^(old")
    assert blocks.expand(stale) == marked
    edited_args = marked.replace("resource_types=aws_backup_vault,aws_x", "resource_types=aws_y")
    doc = yaml.safe_load(blocks.expand(edited_args))
    assert [leaf["resource_types"] for leaf in doc["definition"]["and"]] == [["aws_y"], ["aws_y"]]


def test_a_copy_that_differs_is_not_marked():
    other = COPY.replace("value: ^(arn:aws", "value: ^(arn:aws-cn")
    marked, n = blocks.wrap(other)
    assert n == 1 and "# block: aws_customer_managed_key " not in marked


def test_blocks_use_the_vocabularies():
    text = blocks.render("aws_customer_managed_key", {"attribute": "k", "resource_types": "t"})
    assert yaml.safe_load(text)[1]["value"] == vocab.AWS_MANAGED_KEY_REGEX
    assert yaml.safe_load(blocks.render("aws_customer_managed_key_types", {})) == \
        list(vocab.AWS_CUSTOMER_MANAGED_KEY_TYPES)
    with pytest.raises(blocks.BlockError, match="missing argument attribute"):
        blocks.render("aws_customer_managed_key", {"resource_types": "t"})
    with pytest.raises(blocks.BlockError, match="unknown block"):
        blocks.render("nope", {})


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.stem)
def test_policy_blocks_are_expanded(path):
    """`-k <ID>` fails when a policy's building blocks are stale: run `hipaa-iac docs generate`."""
    text = path.read_text(encoding="utf-8")
    assert blocks.expand(text) == text, f"{path.name}: a building block is stale: run `hipaa-iac docs generate`"


def test_policies_new_like_copies_policy_and_fixtures(tmp_path, monkeypatch):
    """`hipaa-iac policies new ID --like ID`: the policy and its fixtures under the new id, nothing overwritten."""
    import shutil

    from typer.testing import CliRunner

    from hipaa_iac.cli import app
    root = tmp_path / "proj"
    (root / "policies" / "aws").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    shutil.copy(REPO / "policies" / "aws" / "HIPAA_AWS_BACKUP_001.yaml", root / "policies" / "aws")
    shutil.copytree(REPO / "fixtures" / "policies" / "HIPAA_AWS_BACKUP_001",
                    root / "fixtures" / "policies" / "HIPAA_AWS_BACKUP_001")
    monkeypatch.chdir(root)
    r = CliRunner().invoke(app, ["policies", "new", "HIPAA_AWS_BACKUP_099", "--like", "HIPAA_AWS_BACKUP_001"])
    assert r.exit_code == 0, r.output
    new = yaml.safe_load((root / "policies" / "aws" / "HIPAA_AWS_BACKUP_099.yaml").read_text())
    assert new["metadata"]["id"] == "HIPAA_AWS_BACKUP_099"
    assert new["metadata"]["guideline"] == "docs/policies/HIPAA_AWS_BACKUP_099.md"
    fx = root / "fixtures" / "policies" / "HIPAA_AWS_BACKUP_099"
    assert sorted(p.name for p in fx.iterdir()) == sorted(
        p.name for p in (REPO / "fixtures" / "policies" / "HIPAA_AWS_BACKUP_001").iterdir())
    assert "HIPAA_AWS_BACKUP_001" not in (fx / "expected.yaml").read_text()
    again = CliRunner().invoke(app, ["policies", "new", "HIPAA_AWS_BACKUP_099", "--like", "HIPAA_AWS_BACKUP_001"])
    assert again.exit_code == 2 and "exists: nothing written" in again.stderr
    bad = CliRunner().invoke(app, ["policies", "new", "S3_1", "--like", "HIPAA_AWS_BACKUP_001"])
    assert bad.exit_code == 2 and "an id is HIPAA_" in bad.stderr
