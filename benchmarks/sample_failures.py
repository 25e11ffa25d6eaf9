"""A seeded random sample of failed results on the `examples/*` directories of the corpus's well-built modules
(terraform-aws-modules, Azure's terraform-azurerm modules, terraform-google-modules), for a HIPAA reviewer to
judge one by one (issue 13: at most 2 of 40 a reviewer would reject).

    .venv/bin/python benchmarks/sample_failures.py [--seed 20261204] [--n 40] [--corpus DIR] [--json FILE]

Each `examples/<name>` directory is scanned alone with the real command line (as a user runs it), in-process.
The sample is drawn from the sorted list of (directory, policy, resource) so the same code, corpus and seed
give the same sample.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WELL_BUILT = ("terraform-aws-modules+", "Azure+terraform-azurerm-", "terraform-google-modules+terraform-google-")


def default_corpus() -> Path:
    env = os.environ.get("HIPAA_IAC_CORPUS")
    return Path(env) if env else (REPO.parent / "shared" / "corpus")


def example_dirs(corpus: Path) -> list[Path]:
    out = []
    for repo in sorted((corpus / "repos").iterdir()):
        if repo.is_dir() and repo.name.startswith(WELL_BUILT) and (repo / "examples").is_dir():
            out += sorted(d for d in (repo / "examples").iterdir() if d.is_dir())
    return out


def scan(directory: Path) -> list[dict]:
    sys.path.insert(0, str(HERE))
    from labeled import scan_results  # the one in-process scan of the benchmark harnesses
    return scan_results(directory)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--seed", type=int, default=20261204)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    failures = []
    for d in example_dirs(args.corpus):
        where = str(d.relative_to(args.corpus / "repos"))
        for r in scan(d):
            if r["status"] == "failed":
                failures.append({"dir": where, "policy_id": r["policy_id"], "resource": r["resource"],
                                 "file": r["file"], "line": r["line"], "message": r["message"]})
    failures.sort(key=lambda f: (f["dir"], f["policy_id"], f["resource"], f["file"] or "", f["line"] or 0))
    sample = random.Random(args.seed).sample(failures, min(args.n, len(failures)))
    print(f"{len(failures)} failures on {len(example_dirs(args.corpus))} example directories; "
          f"sample of {len(sample)} (seed {args.seed}):")
    for i, f in enumerate(sample, 1):
        print(f"{i:2d}. {f['policy_id']} {f['dir']} {f['resource']} ({f['file']}:{f['line']}): {f['message'][:240]}")
    if args.json:
        args.json.write_text(json.dumps({"seed": args.seed, "failures": len(failures), "sample": sample}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
