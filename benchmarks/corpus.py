"""Corpus gate: scan real third-party Terraform and plans, and fail on what a user would see as breakage.

    python benchmarks/corpus.py [--corpus DIR] [--jobs N] [--only dirs,repos,plans,labeled]
                                [--summary FILE] [--details FILE] [--check-summary] [--update-summary]

The corpus (default ``$HIPAA_IAC_CORPUS`` or ``../shared/corpus`` beside the checkout) is read in place and
never copied. Items scanned:

- ``dirs``: every directory of ``repos/*`` that holds Terraform files (each root and module directory);
- ``repos``: each repository as a whole (``hipaa-iac scan <repo>``), for the unknown share;
- ``plans``: every plan JSON under ``plans/``;
- ``labeled``: every KICS and trivy fixture directory under ``labeled/`` (crash-freedom here; recall and
  false alarms are reported by ``benchmarks/labeled.py`` when present).

Each item is scanned by a long-lived worker process that runs the real command line in-process
(``hipaa-iac scan ITEM -f json -o FILE --no-cache``); a worker that dies, exceeds its memory limit or hangs
is recorded as such and replaced. The gate fails on any traceback (an exception out of the command line),
any exit code other than 0/1/2, any internal error, any error without a file, any worker death and any item
over ``--max-seconds`` (20 s).

Writes the details (per item: exit code, seconds, counts, errors) to ``--details`` (not committed) and the
per-repository counts to ``--summary`` (committed: ``benchmarks/corpus-summary.json``), so a change that
moves them shows in review. ``--check-summary`` fails when the committed summary differs from this run.
Standard library only, besides the project itself.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SUMMARY = HERE / "corpus-summary.json"
DETAILS = HERE / "results" / "corpus-details.json"
TF_SUFFIXES = (".tf", ".tf.json", ".tofu", ".tofu.json")
MAX_SECONDS = 20.0
HARD_TIMEOUT = 120.0          # a worker is killed after this; the item is a timeout
WORKER_MEMORY = 4 * 1024 ** 3  # address-space limit of a worker (bytes)


def default_corpus() -> Path:
    env = os.environ.get("HIPAA_IAC_CORPUS")
    return Path(env) if env else (REPO.parent / "shared" / "corpus")


# ---------------------------------------------------------------------------------------------- items
def tf_dirs(root: Path) -> list[Path]:
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in (".terraform", ".git"))
        if any(f.endswith(TF_SUFFIXES) for f in filenames):
            found.add(Path(dirpath))
    return sorted(found)


def items(corpus: Path, kinds: set[str]) -> list[tuple[str, str, Path]]:
    """(kind, group, path): group is the repository (or plan source / labeled tool) the item counts under."""
    out = []
    repos = sorted(p for p in (corpus / "repos").iterdir() if p.is_dir()) if (corpus / "repos").is_dir() else []
    if "repos" in kinds:
        out += [("repo", r.name, r) for r in repos]
    if "dirs" in kinds:
        for r in repos:
            out += [("dir", r.name, d) for d in tf_dirs(r)]
    if "plans" in kinds and (corpus / "plans").is_dir():
        for src in sorted(p for p in (corpus / "plans").iterdir() if p.is_dir()):
            for f in sorted(src.rglob("*.json")):
                out.append(("plan", src.name, f))
    if "labeled" in kinds and (corpus / "labeled").is_dir():
        for tool in sorted(p for p in (corpus / "labeled").iterdir() if p.is_dir()):
            for d in tf_dirs(tool):
                out.append(("labeled", tool.name, d))
    return out


# --------------------------------------------------------------------------------------------- worker
WORKER = r'''
import io, json, os, resource, sys, time, traceback, contextlib
limit = int(sys.argv[1])
try:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
except (ValueError, OSError):
    pass
from hipaa_iac.cli import app
out = sys.stdout
sys.stdout = sys.stderr  # nothing the scan prints may corrupt the protocol
for line in sys.stdin:
    job = json.loads(line)
    buf_err = io.StringIO()
    rec = {"id": job["id"]}
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stderr(buf_err), contextlib.redirect_stdout(io.StringIO()):
            code = app(["scan", job["path"], "-f", "json", "-o", job["out"], "--no-cache"] + job.get("args", []),
                       standalone_mode=False, prog_name="hipaa-iac")
        rec["exit"] = 0 if code is None else code
    except SystemExit as e:
        rec["exit"] = e.code if isinstance(e.code, int) else 2
    except BaseException as e:
        rec["exit"] = None
        rec["traceback"] = "".join(traceback.format_exception(e))[-4000:]
    rec["seconds"] = time.perf_counter() - t0
    rec["stderr"] = buf_err.getvalue()[-2000:]
    out.write(json.dumps(rec) + "\n")
    out.flush()
'''


class Worker:
    def __init__(self, python: str):
        env = dict(os.environ, PYTHONHASHSEED="0", HIPAA_IAC_CACHE_DIR=os.devnull)
        env.pop("CI", None)
        self.proc = subprocess.Popen([python, "-c", WORKER, str(WORKER_MEMORY)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                                     cwd=str(REPO))
        self.job = None
        self.started = 0.0

    def send(self, job: dict) -> None:
        self.job = job
        self.started = time.monotonic()
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(5)
        except Exception:
            pass


def run_all(jobs: list[dict], python: str, n: int, progress: bool) -> dict[int, dict]:
    import selectors
    results: dict[int, dict] = {}
    pending = list(reversed(jobs))
    workers = [Worker(python) for _ in range(max(1, n))]
    sel = selectors.DefaultSelector()
    for w in workers:
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)

    def feed(w: Worker) -> None:
        if pending:
            w.send(pending.pop())
        else:
            w.job = None

    def replace(w: Worker, rec: dict) -> Worker:
        results[w.job["id"]] = rec
        sel.unregister(w.proc.stdout)
        w.kill()
        nw = Worker(python)
        sel.register(nw.proc.stdout, selectors.EVENT_READ, nw)
        workers[workers.index(w)] = nw
        return nw

    for w in workers:
        feed(w)
    done = 0
    while any(w.job for w in workers):
        for key, _ in sel.select(timeout=1.0):
            w = key.data
            if w.job is None:
                continue
            line = w.proc.stdout.readline()
            if not line:
                rc = w.proc.poll()
                nw = replace(w, {"id": w.job["id"], "exit": None, "seconds": time.monotonic() - w.started,
                                 "died": f"worker died (return code {rc}; out of memory or a crash in C code)"})
                feed(nw)
            else:
                rec = json.loads(line)
                results[rec["id"]] = rec
                feed(w)
            done += 1
            if progress and done % 50 == 0:
                print(f"corpus: {done}/{len(jobs)}", file=sys.stderr, flush=True)
        now = time.monotonic()
        for w in list(workers):
            if w.job and now - w.started > HARD_TIMEOUT:
                nw = replace(w, {"id": w.job["id"], "exit": None, "seconds": now - w.started,
                                 "died": f"killed after {HARD_TIMEOUT:.0f} s"})
                feed(nw)
                done += 1
    for w in workers:
        w.kill()
    return results


# ------------------------------------------------------------------------------------------- analysis
_PATTERNS = [
    # an absolute path (where the corpus lies differs between machines: the summary must not)
    (re.compile(r"(?<![\w.'\"])/(?:[\w.+@\-]+/)*[\w.+@\-]+"), "<path>"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "'…'"),
    (re.compile(r"\b(?:var|local|module|data|each|count|path|self)\.[\w.\-\[\]\"*]+"), "<ref>"),
    (re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\.[\w\-]+(?:\[[^\]]*\])?(?:\.[\w\-\[\]*]+)*"), "<resource-ref>"),
    (re.compile(r"\b(?:aws|awscc|azurerm|azapi|google|google-beta|random|null|time|tls)_[a-z0-9_]+\b"), "<type>"),
    (re.compile(r"\b\d+(\.\d+)?\b"), "N"),
]


def reason_pattern(message: str) -> str:
    m = message.split("\n", 1)[0]
    for rx, rep in _PATTERNS:
        m = rx.sub(rep, m)
    return m[:160]


def error_kind(message: str) -> str:
    m = message.split("\n", 1)[0]
    if m.startswith("internal error"):
        return m[:80]
    for rx, rep in _PATTERNS:
        m = rx.sub(rep, m)
    return m[:80]


def analyse(item: tuple[str, str, Path], rec: dict, out_file: str, corpus: Path) -> dict:
    kind, group, path = item
    row = {"kind": kind, "group": group, "path": str(path.relative_to(corpus)), "exit": rec.get("exit"),
           "seconds": round(rec.get("seconds", 0.0), 3)}
    for k in ("traceback", "died"):
        if rec.get(k):
            row[k] = rec[k]
    report = None
    try:
        with open(out_file, encoding="utf-8") as fh:
            text = fh.read()
        report = json.loads(text)
        # a report is evidence that travels: it names files relative to the scan, never where the runner
        # keeps them (the corpus' absolute location stands for any path of the machine). `scan.roots` echoes
        # the command line, the user's own words.
        where = str(corpus.parent)
        if isinstance(report, dict) and text.count(where) > json.dumps(report.get("scan")).count(where):
            row["absolute_path"] = True
    except (OSError, ValueError):
        pass
    finally:
        try:
            os.unlink(out_file)
        except OSError:
            pass
    if report is None:
        if row["exit"] == 2:
            row["fatal"] = (rec.get("stderr") or "").strip().splitlines()[-1:] or ["(no message)"]
        elif row["exit"] is not None:
            row["no_report"] = True
        return row
    status = collections.Counter(r["status"] for r in report.get("results", []))
    row["status"] = dict(sorted(status.items()))
    row["resources"] = report.get("summary", {}).get("resources", 0)
    row["errors"] = [{"file": e.get("file"), "line": e.get("line"), "kind": error_kind(e.get("message", ""))}
                     for e in report.get("errors", [])]
    row["unknown_reasons"] = dict(collections.Counter(
        reason_pattern(r.get("message") or "") for r in report.get("results", []) if r["status"] == "unknown"))
    row["failed_policies"] = dict(collections.Counter(
        r["policy_id"] for r in report.get("results", []) if r["status"] == "failed"))
    return row


def gate(rows: list[dict], max_seconds: float) -> list[str]:
    bad = []
    for r in rows:
        where = f"{r['kind']} {r['path']}"
        if r.get("traceback"):
            bad.append(f"{where}: traceback: {r['traceback'].strip().splitlines()[-1]}")
        if r.get("died"):
            bad.append(f"{where}: {r['died']}")
        if r["exit"] not in (0, 1, 2) and not r.get("traceback") and not r.get("died"):
            bad.append(f"{where}: exit code {r['exit']}")
        if r.get("absolute_path"):
            bad.append(f"{where}: the report holds the runner's absolute path")
        if r.get("no_report"):
            bad.append(f"{where}: exit {r['exit']} without a report")
        for e in r.get("errors", []):
            if not e["file"]:
                bad.append(f"{where}: error without a file: {e['kind']}")
            if e["kind"].startswith("internal error"):
                bad.append(f"{where}: {e['file']}: {e['kind']}")
        if r["seconds"] > max_seconds:
            bad.append(f"{where}: {r['seconds']:.1f} s (limit {max_seconds:.0f} s)")
    return bad


def summarize(rows: list[dict]) -> dict:
    """Deterministic counts per (kind, group): what the committed summary holds (no timings)."""
    groups: dict = {}
    for r in rows:
        g = groups.setdefault(r["kind"], {}).setdefault(r["group"], {
            "items": 0, "exit": collections.Counter(), "results": collections.Counter(), "resources": 0,
            "errors": collections.Counter()})
        g["items"] += 1
        g["exit"][str(r["exit"])] += 1
        g["results"].update(r.get("status", {}))
        g["resources"] += r.get("resources", 0)
        for e in r.get("errors", []):
            g["errors"][e["kind"]] += 1
    out = {}
    for kind in sorted(groups):
        out[kind] = {}
        for name in sorted(groups[kind]):
            g = groups[kind][name]
            out[kind][name] = {"items": g["items"], "exit": dict(sorted(g["exit"].items())),
                               "resources": g["resources"], "results": dict(sorted(g["results"].items())),
                               "errors": dict(sorted(g["errors"].items()))}
    totals = {}
    for kind, gs in out.items():
        res = collections.Counter()
        for g in gs.values():
            res.update(g["results"])
        n = sum(res.values())
        totals[kind] = {"items": sum(g["items"] for g in gs.values()), "results": dict(sorted(res.items())),
                        "unknown_share": round(res.get("unknown", 0) / n, 4) if n else 0.0}
    listing = "\n".join(sorted(f"{r['kind']} {r['path']}" for r in rows))
    return {"corpus": {"items": len(rows), "sha256": hashlib.sha256(listing.encode()).hexdigest()},
            "totals": totals, "groups": out}


def summary_diff(old: dict, new: dict, at: str = "") -> list[str]:
    """The leaves that differ between two summaries, one line each (`groups/dir/X/exit/2: 1 -> 2`)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            where = f"{at}/{k}" if at else str(k)
            if k not in old:
                out.append(f"{where}: (absent) -> {json.dumps(new[k], sort_keys=True)[:200]}")
            elif k not in new:
                out.append(f"{where}: {json.dumps(old[k], sort_keys=True)[:200]} -> (absent)")
            else:
                out += summary_diff(old[k], new[k], where)
        return out
    return [] if old == new else [f"{at}: {json.dumps(old)[:200]} -> {json.dumps(new)[:200]}"]


def report_text(rows: list[dict], summary: dict, bad: list[str], top: int = 25) -> str:
    lines = ["corpus gate", ""]
    for kind, t in summary["totals"].items():
        lines.append(f"{kind:8} {t['items']:5} items  results {t['results']}  unknown share "
                     f"{t['unknown_share'] * 100:.2f}%")
    ex = collections.Counter(str(r["exit"]) for r in rows)
    lines.append(f"exit codes: {dict(sorted(ex.items()))}")
    errs = collections.Counter(e["kind"] for r in rows for e in r.get("errors", []))
    lines += ["", "errors by kind:"] + [f"  {n:6}  {k}" for k, n in errs.most_common(top)]
    for kind in ("repo", "dir"):
        reasons = collections.Counter()
        for r in rows:
            if r["kind"] == kind:
                reasons.update(r.get("unknown_reasons", {}))
        if reasons:
            lines += ["", f"unknown reasons ({kind} scans), by pattern:"]
            lines += [f"  {n:6}  {k}" for k, n in reasons.most_common(top)]
    slow = sorted(rows, key=lambda r: -r["seconds"])[:10]
    lines += ["", "slowest:"] + [f"  {r['seconds']:7.2f} s  {r['kind']} {r['path']}" for r in slow]
    lines += ["", f"gate: {'PASS' if not bad else 'FAIL'} ({len(bad)} problems)"] + [f"  {b}" for b in bad[:200]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", default="dirs,repos,plans,labeled")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--summary", type=Path, default=SUMMARY)
    ap.add_argument("--details", type=Path, default=DETAILS)
    ap.add_argument("--max-seconds", type=float, default=MAX_SECONDS)
    ap.add_argument("--check-summary", action="store_true", help="fail when the committed summary is stale")
    ap.add_argument("--update-summary", action="store_true", help="write the summary file")
    ap.add_argument("--filter", default="", help="only items whose path contains this text")
    ap.add_argument("--policy-dir", default=None,
                    help="scan with this policy directory (e.g. a frozen copy, to compare two versions of the code)")
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"corpus: {corpus} not found (set HIPAA_IAC_CORPUS)", file=sys.stderr)
        return 2
    kinds = {k.strip() for k in args.only.split(",") if k.strip()}
    its = [i for i in items(corpus, kinds) if args.filter in str(i[2])]
    tmp = tempfile.mkdtemp(prefix="hipaa-iac-corpus-")
    extra = ["--policy-dir", os.path.abspath(args.policy_dir)] if args.policy_dir else []
    jobs = [{"id": n, "path": str(p), "out": os.path.join(tmp, f"{n}.json"), "args": extra}
            for n, (_, _, p) in enumerate(its)]
    t0 = time.monotonic()
    recs = run_all(jobs, args.python, args.jobs, args.progress)
    rows = [analyse(its[j["id"]], recs[j["id"]], j["out"], corpus) for j in jobs]
    try:
        os.rmdir(tmp)
    except OSError:
        pass
    summary = summarize(rows)
    bad = gate(rows, args.max_seconds)
    sys.stdout.write(report_text(rows, summary, bad))
    print(f"corpus: {len(rows)} items in {time.monotonic() - t0:.0f} s")
    args.details.parent.mkdir(parents=True, exist_ok=True)
    args.details.write_text(json.dumps({"summary": summary, "gate": bad, "items": rows}, indent=1) + "\n")
    text = json.dumps(summary, indent=1, sort_keys=True) + "\n"
    code = 1 if bad else 0
    if args.update_summary:
        args.summary.write_text(text)
    elif args.check_summary:
        current = args.summary.read_text() if args.summary.is_file() else ""
        if current != text:
            old = json.loads(current) if current else {}
            print(f"corpus: {args.summary} is stale; run `./dev corpus --update-summary` and review the diff:",
                  *summary_diff(old, summary)[:40], sep="\n  ", file=sys.stderr)
            code = code or 1
    return code


if __name__ == "__main__":
    sys.exit(main())
