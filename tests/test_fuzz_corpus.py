"""Mutation fuzzing over real third-party files: the corpus's Terraform files and plans (read in place from
../shared/corpus, never copied), mutated in memory with a fixed seed, written to a temporary directory and
scanned through the whole pipeline (`runner.execute`, then every report format).

Property: no exception escapes, a report is produced, the exit code is 0, 1 or 2, every error names a file,
and no stage guard had to catch an internal error (those keep users' scans alive, but each is a bug; run with
HIPAA_IAC_DEBUG=1 to see its traceback). CI runs HIPAA_IAC_FUZZ_CASES (default 300) cases; `HIPAA_IAC_FUZZ_CASES=5000` is the slow mode.
"""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import corpus as corpus_harness  # noqa: E402

CASES = int(os.environ.get("HIPAA_IAC_FUZZ_CASES", "300"))
SEED = int(os.environ.get("HIPAA_IAC_FUZZ_SEED", "20261204"))
FORMATS = ("text", "json", "sarif", "junit", "markdown", "html", "csv")

# fragments real parsers and resolvers have tripped on: numbers at the edges, escapes, unknown-producing
# references, deep nesting, functions the resolver may not evaluate, splats and for expressions
SNIPPETS = [
    b"1e999", b"-1e999", b"NaN", b"9" * 5000, b"0x10", b'"\\ud800"', b'"\\U0010FFFF"', b'"${', b"}", b"]", b"[",
    b"{", b"var.missing", b"local.nope", b"module.m.out", b"data.aws_caller_identity.c.account_id",
    b"aws_s3_bucket.b[*].id", b"each.value", b"count.index", b"null", b"true", b"[for x in var.l : x]",
    b"{for k, v in var.m : k => v if v}", b'one(var.l)', b'regex("^a(b)", var.s)', b"range(100000)",
    b'format("%999d", 1)', b'replace(var.s, "/a/", "b")', b"jsonencode({a = var.x})", b"try(var.a.b, null)",
    b"dynamic \"x\" {\n for_each = var.u\n content {}\n}\n", b"count = var.n\n", b"for_each = toset(var.l)\n",
    b"\xff\xfe", b"\x00", b"\r\n", b"<<EOT\nx\nEOT\n", b"${var.a}${var.b}", b"%{ for x in var.l }${x}%{ endfor }",
    b'"\\\\"', b"-", b"!", b"==", b"? :", b"...", b"sensitive(var.s)", b"provider::aws::arn_parse(var.x)",
]
PLAN_SNIPPETS = [b"1e999", b"NaN", b"9" * 5000, b'"\\ud800"', b"null", b"[]", b"{}", b"true", b'"after_unknown"',
                 b'{"a":' * 50 + b"1" + b"}" * 50, b"-1", b'"module.x[\\"a\\"]"']


def _sources() -> tuple[list[Path], list[Path]]:
    root = corpus_harness.default_corpus()
    if not root.is_dir():
        return [], []
    tf = sorted(p for p in (root / "repos").rglob("*") if p.is_file() and p.suffix in (".tf", ".tfvars", ".json")
                and p.stat().st_size < 200_000)
    plans = sorted(p for p in (root / "plans").rglob("*.json") if p.stat().st_size < 2_000_000)
    return tf, plans


def mutate(data: bytes, rng: random.Random, snippets: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(6)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:  # delete a span
            del b[pos:pos + rng.randint(1, 64)]
        elif op == 1:  # insert a hostile snippet
            b[pos:pos] = rng.choice(snippets)
        elif op == 2 and b:  # flip a byte
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op == 3 and b:  # duplicate a span (nesting, repeated blocks)
            span = bytes(b[pos:pos + rng.randint(1, 200)])
            b[pos:pos] = span * rng.randint(2, 5)
        elif op == 4 and len(b) > 2:  # swap two spans' order
            q = rng.randrange(len(b))
            lo, hi = sorted((pos, q))
            b[lo:hi] = bytes(b[lo:hi])[::-1] if hi - lo < 64 else b[lo:hi]
        else:  # replace a token-ish run with a snippet
            end = pos
            while end < len(b) and end - pos < 30 and chr(b[end]).isalnum():
                end += 1
            b[pos:end] = rng.choice(snippets)
    return bytes(b)


def cases():
    tf, plans = _sources()
    if not tf:
        return []
    rng = random.Random(SEED)
    out = []
    for n in range(CASES):
        if plans and n % 4 == 3:
            src = rng.choice(plans)
            out.append((n, "plan.json", src, PLAN_SNIPPETS))
        else:
            src = rng.choice(tf)
            name = "main.tf.json" if src.name.endswith(".json") else ("terraform.tfvars" if src.suffix == ".tfvars"
                                                                     else "main.tf")
            out.append((n, name, src, SNIPPETS))
    return out


CASE_LIST = cases()


@pytest.mark.skipif(not CASE_LIST, reason="no corpus at ../shared/corpus (the corpus gate test fails in CI then)")
def test_mutated_real_files_never_crash(tmp_path):
    from hipaa_iac.cli import render
    from hipaa_iac.runner import ScanRequest, execute
    failures = []
    rng = random.Random(SEED + 1)
    for n, name, src, snippets in CASE_LIST:
        d = tmp_path / f"c{n}"
        d.mkdir()
        data = mutate(src.read_bytes(), rng, snippets)
        (d / name).write_bytes(data)
        if name == "terraform.tfvars":  # a variables file needs a module that declares something
            (d / "main.tf").write_text('variable "v" {}\nresource "aws_s3_bucket" "b" { bucket = var.v }\n')
        where = f"case {n} ({src.relative_to(corpus_harness.default_corpus())} -> {name})"
        try:
            out = execute(ScanRequest(paths=[str(d)], no_cache=True))
            assert out.exit_code in (0, 1, 2), f"exit {out.exit_code}"
            if out.fatal:
                continue
            rep = out.report
            for e in rep["errors"]:
                assert e.get("file"), f"error without a file: {e}"
            internal = [e["message"] for e in rep["errors"] if "internal error" in e["message"]]
            assert not internal, f"internal error (a bug caught by a stage guard): {internal[0]}"
            assert not [r for r in rep["results"] if "internal error" in (r.get("message") or "")], \
                "an internal error in a result without an entry in errors"
            for fmt in FORMATS:
                text = render(fmt, rep, out.policies)
                text.encode("utf-8", "strict") if fmt != "text" else None
        except Exception as e:  # noqa: BLE001 - the property is that nothing escapes
            failures.append(f"{where}: {type(e).__name__}: {str(e)[:200]}")
    assert not failures, f"{len(failures)} of {len(CASE_LIST)} cases crashed:\n" + "\n".join(failures[:30])


def test_mutator_is_deterministic():
    a = mutate(b'resource "aws_s3_bucket" "b" { bucket = "x" }\n', random.Random(1), SNIPPETS)
    b = mutate(b'resource "aws_s3_bucket" "b" { bucket = "x" }\n', random.Random(1), SNIPPETS)
    assert a == b and a != b'resource "aws_s3_bucket" "b" { bucket = "x" }\n'
