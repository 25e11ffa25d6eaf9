#!/usr/bin/env python3
"""Long local fuzz of the whole command line (not collected by pytest; see docs/robustness.md).

Takes the repository's own Terraform (fixtures/**/*.tf) as seeds, mutates them (byte flips, token
deletion/duplication, truncation, splices, hostile tokens, deep nesting, invalid UTF-8, BOMs), writes each
mutant as `main.tf` (sometimes with a second file or a plan JSON beside it) and runs `hipaa-iac scan -f json`
in a subprocess bounded in time and memory. A run is a finding when it:

  - prints a Python traceback, dies from a signal, or exits with a code other than 0, 1, 2;
  - exceeds the time limit (hang) -- the whole process group is killed;
  - prints something that is not the JSON report, or a report whose errors lack file or line;
  - exits 0/1 although the report lists errors (without --allow-parse-errors).

Each finding is saved under OUT/<n>/ with the input files and `result.txt` (command, exit code, stderr).

    .venv/bin/python tests/fuzz/fuzz_cli.py --iterations 500 --seed 1 --out /tmp/hipaa-iac-fuzz
    HIPAA_IAC_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_properties.py -q   # in-process properties
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOSTILE = [b"${", b"%{", b"}", b"{", b"[" * 200, b"(" * 200, b"\xff\xfe", b"\x00", b"\xef\xbb\xbf", b'"',
           b"<<EOT\n", b"EOT\n", b"1e+09", b"count = 1000000000\n", b"for_each = toset([])\n", b"\\u0000",
           b"dynamic \"x\" {\n", b"content {\n", b"module \"m\" {\n source = \"./\"\n}\n", b"/*", b"#", b"\r",
           b"var.x", b"local.x", b"each.value", b"self.id", b"...", b"=>", b"? :", b"null", b"-9999999999999999999"]


def seeds() -> list[bytes]:
    out = []
    for p in sorted((REPO / "fixtures").rglob("*.tf")):
        try:
            data = p.read_bytes()
        except OSError:
            continue
        if 0 < len(data) < 200_000:
            out.append(data)
    return out or [b'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n']


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(8)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:  # flip a byte
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op == 1 and b:  # delete a span
            del b[pos:pos + rng.randint(1, 40)]
        elif op == 2:  # insert a hostile token
            b[pos:pos] = rng.choice(HOSTILE)
        elif op == 3 and b:  # duplicate a span
            end = min(len(b), pos + rng.randint(1, 200))
            b[pos:pos] = b[pos:end] * rng.randint(1, 50)
        elif op == 4:  # truncate
            del b[pos:]
        elif op == 5:  # splice another seed
            other = rng.choice(pool)
            q = rng.randrange(len(other) + 1)
            b[pos:] = other[q:]
        elif op == 6:  # deep nesting
            n = rng.choice([50, 500, 3000])
            b[pos:pos] = b"x = " + b"[" * n + b"]" * n + b"\n"
        else:  # swap two lines
            lines = bytes(b).split(b"\n")
            if len(lines) > 2:
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
                b = bytearray(b"\n".join(lines))
    return bytes(b)


def plan_mutant(rng: random.Random) -> bytes:
    values = {"bucket": "b", "object_lock_enabled": rng.choice([True, False, None, "x", [], {}])}
    res = {"address": "aws_s3_bucket.p", "mode": "managed", "type": "aws_s3_bucket", "name": "p",
           "provider_name": "registry.terraform.io/hashicorp/aws"}
    doc = {"format_version": "1.2", "terraform_version": "1.9.0",
           "planned_values": {"root_module": {"resources": [dict(res, values=values, sensitive_values={})]}},
           "resource_changes": [dict(res, change={"actions": ["create"], "before": None, "after": values,
                                                  "after_unknown": {}, "after_sensitive": {}})]}
    raw = json.dumps(doc).encode()
    if rng.random() < 0.5:
        raw = mutate(rng, raw, [raw])
    if rng.random() < 0.2:
        raw = b"\xff\xfe" + raw.decode("utf-8", "replace").encode("utf-16-le")
    return raw


def run(case: Path, timeout: float, mem: int, cache: str) -> tuple[str | None, str]:
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    env = dict(os.environ, HIPAA_IAC_CACHE_DIR=cache, NO_COLOR="1")
    cmd = [sys.executable, "-m", "hipaa_iac", "scan", str(case), "-f", "json"]
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=limits, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return "hang", f"{' '.join(cmd)}\nno exit after {timeout} s\n"
    detail = f"{' '.join(cmd)}\nexit {p.returncode}\n--- stderr ---\n{err[-20000:]}"
    if p.returncode < 0:
        return f"signal {-p.returncode}", detail
    if "Traceback" in err:
        return "traceback", detail
    if p.returncode not in (0, 1, 2):
        return f"exit {p.returncode}", detail
    if p.returncode == 2 and not out.strip():
        return None, detail  # a fatal usage/config error printed on stderr
    try:
        rep = json.loads(out)
    except ValueError:
        return "not json", detail + "\n--- stdout ---\n" + out[:2000]
    for e in rep.get("errors", []):
        if not e.get("file") or not e.get("message"):
            return "error without file", detail + json.dumps(e)
    if rep.get("errors") and p.returncode != 2:
        return "errors but exit != 2", detail + json.dumps(rep["errors"][:3])
    return None, detail


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per scan")
    ap.add_argument("--mem-mb", type=int, default=2048, help="address-space limit per scan")
    ap.add_argument("--time-budget", type=float, default=0, help="stop after this many seconds (0: no limit)")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "hipaa-iac-fuzz"))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    pool = seeds()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hipaa-iac-fuzz-work-"))
    cache = str(work / "cache")
    start = time.time()
    findings = 0
    try:
        for i in range(a.iterations):
            if a.time_budget and time.time() - start > a.time_budget:
                break
            case = work / f"case{i}"
            case.mkdir()
            (case / "main.tf").write_bytes(mutate(rng, rng.choice(pool), pool))
            if rng.random() < 0.3:
                (case / "second.tf").write_bytes(mutate(rng, rng.choice(pool), pool))
            if rng.random() < 0.2:
                (case / "plan.json").write_bytes(plan_mutant(rng))
            kind, detail = run(case, a.timeout, a.mem_mb * 1024 * 1024, cache)
            if kind:
                findings += 1
                dest = out / f"{a.seed}-{i}"
                shutil.copytree(case, dest, dirs_exist_ok=True)
                (dest / "result.txt").write_text(f"{kind}\n{detail}")
                print(f"[{i}] {kind}: {dest}", flush=True)
            shutil.rmtree(case, ignore_errors=True)
            if i % 25 == 0:
                print(f"[{i}] {findings} findings, {time.time() - start:.0f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"done: {findings} findings in {out}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
