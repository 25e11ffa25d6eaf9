"""`scan` and `graph` read Terraform the same way (build.build_graph): same resources, same attribute values
and unknowns, same edges, on every example stack and on a sample of the corpus's directories."""
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hipaa_iac.cli import app
from hipaa_iac.graph_dump import dump
from hipaa_iac.runner import ScanRequest, execute

ROOT = Path(__file__).resolve().parent.parent
STACKS = sorted(p for p in (ROOT / "fixtures" / "stacks").iterdir() if p.is_dir())
CORPUS = Path(os.environ.get("HIPAA_IAC_CORPUS") or ROOT.parent / "shared" / "corpus")
TF = (".tf", ".tf.json", ".tofu", ".tofu.json")


def corpus_sample(every: int = 40) -> list[Path]:
    """Every `every`-th Terraform directory of the corpus's repositories, in a stable order."""
    repos = CORPUS / "repos"
    if not repos.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(repos):
        dirnames[:] = sorted(d for d in dirnames if d not in (".terraform", ".git"))
        if any(f.endswith(TF) for f in filenames):
            found.append(Path(dirpath))
    return sorted(found)[::every]


def graph_cli(args: list[str]) -> tuple[int, dict]:
    r = CliRunner().invoke(app, ["graph", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r.exit_code, json.loads(r.stdout)


def scan_graph(paths: list[str], **kw) -> dict:
    out = execute(ScanRequest(paths=paths, no_cache=True, allow_empty=True, **kw))
    assert out.fatal is None, out.fatal
    return dump(out.graph)


def assert_agree(path: Path) -> None:
    _, via_graph = graph_cli([str(path)])
    via_scan = scan_graph([str(path)])
    for key in ("resources", "edges", "parsers", "errors"):
        assert via_graph[key] == via_scan[key], (path, key)


@pytest.mark.parametrize("stack", STACKS, ids=lambda p: p.name)
def test_scan_and_graph_agree_on_example_stacks(stack):
    assert_agree(stack)


def test_scan_and_graph_agree_on_corpus_sample():
    sample = corpus_sample()
    if not sample:
        if os.environ.get("CI"):
            pytest.fail(f"corpus not found at {CORPUS}")
        pytest.skip("corpus not present")
    for d in sample:
        assert_agree(d)


def test_graph_reads_the_configuration_var_files(tmp_path):
    """The bug this module fixes: `graph` ignored the configuration's var_files and showed as unknown what
    `scan` resolved."""
    (tmp_path / "main.tf").write_text('variable "enc" {}\nresource "aws_s3_bucket" "b" {\n  bucket = var.enc\n}\n')
    (tmp_path / "prod.tfvars").write_text('enc = "records"\n')
    cfg = tmp_path / ".hipaa-iac.yaml"
    cfg.write_text("var_files: [prod.tfvars]\n")
    code, g = graph_cli([str(tmp_path)])
    assert code == 0
    assert [r["attributes"]["bucket"] for r in g["resources"]] == ["records"]
    assert g == {**g, "resources": scan_graph([str(tmp_path)])["resources"]}


def test_graph_config_option_and_missing_var_file(tmp_path):
    (tmp_path / "main.tf").write_text('variable "v" {}\nresource "aws_s3_bucket" "b" {\n  bucket = var.v\n}\n')
    outside = tmp_path.parent / f"{tmp_path.name}-cfg.yaml"
    outside.write_text(f"var_files: [{tmp_path / 'missing.tfvars'}]\n")
    r = CliRunner().invoke(app, ["graph", str(tmp_path), "--config", str(outside)])
    assert r.exit_code == 2
    assert "missing.tfvars: variables file not found" in r.stderr
    code, g = graph_cli([str(tmp_path)])
    assert code == 0 and set(g["resources"][0]["attributes"]["bucket"]) == {"unknown"}
