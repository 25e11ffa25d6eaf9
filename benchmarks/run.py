"""Benchmark hipaa-iac against checkov 3.3.30 on the same inputs and the same policy pack.

    python benchmarks/run.py [--sizes 100,1000,5000,20000] [--runs 3] [--checkov PATH]

Generates the synthetic repositories if missing (benchmarks/generate.py), then for each case runs
``hipaa-iac scan PATH -f json`` and checkov (its own venv, loaded with this project's pack through
``--external-checks-dir policies/<cloud>`` and ``--check`` limited to the pack's ids), interleaved
(h, c, h, c, ...). Each run is one child process; its wall time is taken around spawn and reap, and its
peak RSS is ``ru_maxrss`` from ``os.wait4`` on that child (which includes any children it reaped).

Cases: ``precommit`` (one small file, as the pre-commit hook scans it), each size (cold: hipaa-iac with
``--no-cache`` when accepted and always a fresh empty ``HIPAA_IAC_CACHE_DIR``), and ``<warm-size>-warm``
(a re-scan with the parse cache primed by one untimed run). Above ``--checkov-max-size`` checkov runs once.

Writes benchmarks/results/latest.json and latest.md (a Markdown table for docs/performance.md).
Needs only the standard library (PyYAML is used when present to read the policy ids).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (sibling modules; the benchmarks are not a package)
from measure import Spawner  # noqa: E402

REPO = HERE.parent
DEFAULT_HIPAA_IAC = REPO / ".venv" / "bin" / "hipaa-iac"
DEFAULT_CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
PINNED_CHECKOV = "3.3.30"
RESULTS = HERE / "results"
OK_EXIT = {"hipaa-iac": {0, 1}, "checkov": {0, 1}}  # hipaa-iac 2 = incomplete analysis: not a valid run
MB = 1_000_000
MIB = 1024 * 1024

# Targets from the issue. "300 MB" is read strictly as 300 * 10^6 bytes (286.1 MiB).
TARGET_PRECOMMIT_S = 0.35
TARGET_PRECOMMIT_RATIO = 6
TARGET_5K_RATIO = 20
TARGET_5K_S = 1.5
TARGET_20K_S = 5.0
TARGET_20K_BYTES = 300 * MB
TARGET_SCALING = 4.5
TARGET_WARM_RATIO = 5


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# One measured child process


@dataclass
class Sample:
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    exit_code: int
    valid: bool
    note: str = ""
    load1: float | None = None  # 1-minute load average when the run started (the machine is shared)
    busy_before: float | None = None  # share of the CPUs busy (other processes) in the 0.5 s before the run


def cpu_busy(interval: float = 0.5) -> float | None:
    """Share of all CPUs busy over ``interval`` seconds (from /proc/stat), or None off Linux."""
    def snapshot() -> tuple[int, int] | None:
        try:
            with open("/proc/stat") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    first = snapshot()
    time.sleep(interval)
    second = snapshot()
    if not first or not second or second[0] == first[0]:
        return None
    return 1 - (second[1] - first[1]) / (second[0] - first[0])


def wait_for_quiet(max_wait_s: float, threshold: float) -> float | None:
    """Wait (up to ``max_wait_s``) until other processes use less than ``threshold`` of the CPUs."""
    deadline = time.monotonic() + max_wait_s
    busy = cpu_busy()
    while busy is not None and busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy(1.0)
    return None if busy is None else round(busy, 2)


def tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])[:400]


# --------------------------------------------------------------------------------------------------
# Tools


@dataclass
class Tool:
    name: str  # "hipaa-iac" or "checkov"
    command: list[str]
    version: str = ""
    available: bool = True
    note: str = ""
    extra: list[str] = field(default_factory=list)  # options added to every scan (e.g. --policy-dir)

    def summary_of(self, stdout_path: Path) -> dict | None:
        """The tool's own result counts, to show both did comparable work."""
        try:
            data = json.loads(stdout_path.read_text())
        except (OSError, ValueError):
            return None
        if self.name == "hipaa-iac":
            return data.get("summary") if isinstance(data, dict) else None
        reports = data if isinstance(data, list) else [data]
        total: dict[str, int] = {}
        for report in reports:
            if not isinstance(report, dict):
                continue
            for key in ("passed", "failed", "skipped", "parsing_errors", "resource_count"):
                total[key] = total.get(key, 0) + int(report.get("summary", {}).get(key, 0) or 0)
        return total


def probe_version(command: list[str]) -> tuple[bool, str]:
    try:
        proc = subprocess.run(command + ["--version"], capture_output=True, text=True, timeout=120)
    except OSError as exc:
        return False, str(exc)
    text = (proc.stdout or proc.stderr).strip()
    if proc.returncode != 0:
        return False, f"`{shlex.join(command)} --version` exited {proc.returncode}: {text.splitlines()[-1:] or ''}"
    return True, text.splitlines()[-1] if text else ""


def scan_help(command: list[str]) -> str:
    try:
        proc = subprocess.run(command + ["scan", "--help"], capture_output=True, text=True, timeout=120)
    except OSError:
        return ""
    return proc.stdout if proc.returncode == 0 else ""


def snapshot_pack(source: Path, scratch: Path) -> Path:
    """Copy the pack's policy files, so both tools run the same policies while others edit the pack."""
    target = scratch / "pack"
    target.mkdir()
    for path in sorted(source.glob("*/*.y*ml")) if source.is_dir() else []:
        (target / path.parent.name).mkdir(exist_ok=True)
        shutil.copy2(path, target / path.parent.name / path.name)
    return target


@dataclass
class Pack:
    dirs: list[Path]
    ids: list[str]  # the policies hipaa-iac runs by default: checkov's --check list
    opt_in: list[str] = field(default_factory=list)  # run by hipaa-iac only when enabled: left out of both


ID_LINE = re.compile(r"^\s+id:\s*['\"]?([A-Za-z0-9_-]+)")
OPT_IN_LINE = re.compile(r"^\s+opt_in:\s*true\b", re.IGNORECASE)


def read_policy(text: str) -> tuple[str | None, bool]:
    """(id, opt_in) of one policy file; PyYAML when present, else a line match."""
    try:
        import yaml  # type: ignore
        meta = yaml.safe_load(text)["metadata"]
        return str(meta["id"]), bool(meta.get("opt_in"))
    except Exception:  # no PyYAML, or a malformed file (the pack's own tests report it)
        lines = text.splitlines()
        match = next((m for m in map(ID_LINE.match, lines) if m), None)
        return (match.group(1) if match else None), any(OPT_IN_LINE.match(x) for x in lines)


def read_pack(root: Path) -> Pack:
    """Policy ids per cloud folder of the pack (policies/<cloud>/*.yaml|yml)."""
    dirs, ids, opt_in = [], set(), set()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        found = [read_policy(path.read_text()) for path in sorted(folder.glob("*.y*ml"))]
        found = [(pid, opt) for pid, opt in found if pid]
        if found:
            dirs.append(folder)
            ids.update(pid for pid, opt in found if not opt)
            opt_in.update(pid for pid, opt in found if opt)
    return Pack(dirs, sorted(ids), sorted(opt_in))


# --------------------------------------------------------------------------------------------------
# Cases and runs


@dataclass
class CaseResult:
    case: str
    tool: str
    resources: int
    files: int
    samples: list[Sample] = field(default_factory=list)
    tool_summary: dict | None = None
    note: str = ""

    @property
    def walls(self) -> list[float]:
        return [s.wall_s for s in self.samples if s.valid]

    def stats(self) -> dict | None:
        walls = self.walls
        if not walls:
            return None
        peak = max(s.peak_rss_bytes for s in self.samples if s.valid)
        cpus = [s.cpu_s for s in self.samples if s.valid]
        return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
                "median_cpu_s": statistics.median(cpus), "runs": len(walls), "peak_rss_bytes": peak,
                "peak_mib": peak / MIB}


class Bench:
    def __init__(self, args: argparse.Namespace, hipaa: Tool, checkov: Tool, pack: Pack, spawner: Spawner,
                 scratch: Path) -> None:
        self.args = args
        self.spawner = spawner
        self.hipaa = hipaa
        self.checkov = checkov
        self.pack = pack
        self.results: list[CaseResult] = []
        self.scratch = scratch
        self.cold_flag = args.cold in ("auto", "flag")
        self.notes: list[str] = []

    # commands ------------------------------------------------------------------------------------
    def hipaa_cmd(self, target: str, cold: bool) -> list[str]:
        cmd = self.hipaa.command + ["scan", target, "-f", "json"] + self.hipaa.extra
        return cmd + ["--no-cache"] if cold and self.cold_flag else cmd

    def checkov_cmd(self, target: str, is_file: bool) -> list[str]:
        cmd = self.checkov.command + (["-f", target] if is_file else ["-d", target])
        cmd += ["--framework", "terraform"]
        for folder in self.pack.dirs:
            cmd += ["--external-checks-dir", str(folder)]
        return cmd + ["--check", ",".join(self.pack.ids), "-o", "json", "--skip-download"]

    def env(self, cache_dir: Path | None) -> dict[str, str]:
        env = dict(os.environ)
        env["BC_SKIP_MAPPING"] = "TRUE"
        env.pop("HIPAA_IAC_CACHE_DIR", None)
        if cache_dir is not None:
            env["HIPAA_IAC_CACHE_DIR"] = str(cache_dir)
        return env

    def fresh_dir(self, stem: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=self.scratch))

    # one run -------------------------------------------------------------------------------------
    def measure(self, result: CaseResult, tool: Tool, cmd: list[str], cwd: Path, cache_dir: Path | None,
                label: str) -> Sample:
        run_dir = self.fresh_dir("run")
        busy = wait_for_quiet(self.args.wait_quiet, self.args.quiet_below)
        load1 = round(os.getloadavg()[0], 2)
        out, err = run_dir / "stdout", run_dir / "stderr"
        try:
            m = self.spawner.run(cmd, str(cwd), self.env(cache_dir), self.args.timeout, str(out), str(err))
        except OSError as exc:  # could not start: record an invalid run rather than stop the benchmark
            m = {"wall_s": 0.0, "cpu_s": 0.0, "peak_rss_bytes": 0, "exit_code": -1, "timed_out": False}
            err.write_text(str(exc))
        wall, peak, code = m["wall_s"], m["peak_rss_bytes"], m["exit_code"]
        valid = code in OK_EXIT[tool.name] and not m["timed_out"]
        note = "" if valid else ("timed out" if m["timed_out"] else f"exit {code}: {tail(err)}")
        if valid and tool.name == "checkov":
            summary = tool.summary_of(out)
            if summary is None:
                valid, note = False, "checkov output is not JSON: " + tail(err)
            else:
                result.tool_summary = summary
        elif valid:
            result.tool_summary = tool.summary_of(out)
        sample = Sample(round(wall, 4), round(m["cpu_s"], 4), peak, code, valid, note, load1, busy)
        result.samples.append(sample)
        log(f"  [{result.case}] {label}: {wall:7.3f} s  {peak / MIB:7.1f} MiB  exit {code}"
            + f"  load {load1} busy {busy}" + ("" if valid else f"  INVALID ({note})"))
        shutil.rmtree(run_dir, ignore_errors=True)
        return sample

    def hipaa_cold(self, result: CaseResult, target: str, cwd: Path, label: str) -> Sample:
        cache = self.fresh_dir("cache-cold")
        sample = self.measure(result, self.hipaa, self.hipaa_cmd(target, cold=True), cwd, cache, label)
        if (not sample.valid and self.args.cold == "auto" and self.cold_flag
                and sample.exit_code == 2 and "no-cache" in sample.note):
            self.cold_flag = False  # flag not accepted: fall back to a fresh, empty cache folder per run
            self.notes.append("hipaa-iac did not accept --no-cache: cold runs use a fresh empty "
                              "HIPAA_IAC_CACHE_DIR only")
            log("  --no-cache not accepted: falling back to a fresh HIPAA_IAC_CACHE_DIR per cold run")
            result.samples.pop()
            sample = self.measure(result, self.hipaa, self.hipaa_cmd(target, cold=True), cwd, cache, label)
        shutil.rmtree(cache, ignore_errors=True)
        return sample

    # cases ---------------------------------------------------------------------------------------
    def run_case(self, name: str, root: Path) -> None:
        manifest = json.loads((root / "manifest.json").read_text())
        is_file = manifest["entry"] != "."
        target = manifest["entry"]
        size = manifest["resources"]
        runs = self.args.runs
        h = CaseResult(name, "hipaa-iac", size, manifest["files"])
        c = CaseResult(name, "checkov", size, manifest["files"])
        checkov_runs = runs if (name == generate.PRECOMMIT_CASE or size <= self.args.checkov_max_size) else 1
        if checkov_runs < runs and self.checkov.available:
            c.note = f"checkov ran once (above --checkov-max-size {self.args.checkov_max_size})"
        warm = name == str(self.args.warm_size) and self.hipaa.available
        w = CaseResult(f"{name}-warm", "hipaa-iac", size, manifest["files"]) if warm else None
        warm_cache = self.fresh_dir("cache-warm") if warm else None
        log(f"case {name}: {size} resources, {manifest['files']} files")
        reused = self.reuse_checkov(c, manifest)
        if w is not None:
            prime = CaseResult(name, "hipaa-iac", size, 0)
            primed = self.measure(prime, self.hipaa, self.hipaa_cmd(target, cold=False), root, warm_cache,
                                  "hipaa-iac prime")
            if primed.valid and not any(warm_cache.iterdir()):
                w.note = "cache folder still empty after priming: HIPAA_IAC_CACHE_DIR may be ignored"
        for i in range(runs):
            if self.hipaa.available:
                self.hipaa_cold(h, target, root, f"hipaa-iac run {i + 1}/{runs}")
            if self.checkov.available and i < checkov_runs and not reused:
                self.measure(c, self.checkov, self.checkov_cmd(target, is_file), root, None,
                             f"checkov   run {i + 1}/{checkov_runs}")
            if w is not None:
                self.measure(w, self.hipaa, self.hipaa_cmd(target, cold=False), root, warm_cache,
                             f"hipaa-iac warm {i + 1}/{runs}")
        self.results += [r for r, tool in ((h, self.hipaa), (c, self.checkov), (w, self.hipaa))
                         if r is not None and (tool.available or r.samples)]

    def reuse_checkov(self, result: CaseResult, manifest: dict) -> bool:
        """Take checkov's samples for this case from an earlier results file, if its inputs were identical."""
        prev = self.args.previous
        if prev is None or result.resources < self.args.reuse_min_size:
            return False
        if prev.get("inputs", {}).get(result.case, {}).get("sha256") != manifest["sha256"]:
            return False
        for case in prev.get("cases", []):
            if case["case"] == result.case and case["tool"] == "checkov" and case["samples"]:
                result.samples = [Sample(**x) for x in case["samples"]]
                result.tool_summary = case.get("tool_summary")
                result.note = "; ".join(filter(None, [case.get("note", ""), "reused from the run of "
                                                      f"{prev['environment']['date_utc']}"]))
                if prev.get("pack", {}).get("ids") != self.pack.ids:
                    result.note += f" (pack then: {len(prev.get('pack', {}).get('ids', []))} policies)"
                log(f"  [{result.case}] checkov: {len(result.samples)} run(s) reused from "
                    f"{prev['environment']['date_utc']}")
                return True
        return False

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# Report


def find(results: list[CaseResult], case: str, tool: str) -> dict | None:
    for r in results:
        if r.case == case and r.tool == tool:
            return r.stats()
    return None


def ratio(a: dict | None, b: dict | None) -> float | None:
    return a["median_s"] / b["median_s"] if a and b and b["median_s"] > 0 else None


def evaluate_targets(results: list[CaseResult], warm_size: int) -> list[dict]:
    """The issue's targets on wall time (the targets' measure) and, for a loaded machine, on CPU time."""
    targets = _targets(results, warm_size, "median_s")
    for t, cpu in zip(targets, _targets(results, warm_size, "median_cpu_s")):
        t["measured_cpu"], t["status_cpu"] = cpu["measured"], cpu["status"]
    return targets


def _targets(results: list[CaseResult], warm_size: int, key: str) -> list[dict]:
    def check(name: str, ok: bool | None, measured: str) -> dict:
        status = "N/A" if ok is None else ("PASS" if ok else "MISS")
        return {"target": name, "measured": measured, "status": status}

    def fmt(value: float | None, unit: str, digits: int = 2) -> str:
        return "not measured" if value is None else f"{value:.{digits}f}{unit}"

    def le(v: float | None, limit: float) -> bool | None:
        return None if v is None else v <= limit

    def ge(v: float | None, limit: float) -> bool | None:
        return None if v is None else v >= limit

    def med(s: dict | None) -> float | None:
        return s[key] if s else None

    def rat(a: dict | None, b: dict | None) -> float | None:
        return a[key] / b[key] if a and b and b[key] > 0 else None

    pre_h, pre_c = find(results, "precommit", "hipaa-iac"), find(results, "precommit", "checkov")
    k5_h, k5_c = find(results, "5000", "hipaa-iac"), find(results, "5000", "checkov")
    k20_h = find(results, "20000", "hipaa-iac")
    cold, warm = find(results, str(warm_size), "hipaa-iac"), find(results, f"{warm_size}-warm", "hipaa-iac")
    r_pre, r_5k, r_warm, scaling = rat(pre_c, pre_h), rat(k5_c, k5_h), rat(cold, warm), rat(k20_h, k5_h)
    peak = k20_h["peak_rss_bytes"] if k20_h else None
    return [
        check(f"one small file <= {TARGET_PRECOMMIT_S} s", le(med(pre_h), TARGET_PRECOMMIT_S), fmt(med(pre_h), " s", 3)),
        check(f"one small file >= {TARGET_PRECOMMIT_RATIO}x faster than checkov", ge(r_pre, TARGET_PRECOMMIT_RATIO),
              fmt(r_pre, "x", 1)),
        check(f"5,000 resources >= {TARGET_5K_RATIO}x faster than checkov", ge(r_5k, TARGET_5K_RATIO), fmt(r_5k, "x", 1)),
        check(f"5,000 resources <= {TARGET_5K_S} s", le(med(k5_h), TARGET_5K_S), fmt(med(k5_h), " s")),
        check(f"20,000 resources <= {TARGET_20K_S} s", le(med(k20_h), TARGET_20K_S), fmt(med(k20_h), " s")),
        check("20,000 resources peak RSS <= 300 MB (286.1 MiB)", le(peak, TARGET_20K_BYTES),
              fmt(peak / MIB if peak else None, " MiB", 1)),
        check(f"time(20k) / time(5k) <= {TARGET_SCALING}", le(scaling, TARGET_SCALING), fmt(scaling, "", 2)),
        check(f"warm re-scan of {warm_size:,} >= {TARGET_WARM_RATIO}x faster than cold", ge(r_warm, TARGET_WARM_RATIO),
              fmt(r_warm, "x", 1)),
    ]


def rows(results: list[CaseResult], warm_size: int) -> list[list[str]]:
    out = []
    for r in results:
        s = r.stats()
        if r.tool == "checkov":
            other = find(results, r.case, "hipaa-iac")
            rat = ratio(s, other)
        else:
            base = r.case[:-5] if r.case.endswith("-warm") else r.case
            rat = ratio(find(results, base, "checkov"), s)
        invalid = sum(not x.valid for x in r.samples)
        note = "; ".join(filter(None, [r.note, f"{invalid} invalid run(s)" if invalid else ""]))
        if r.case.endswith("-warm"):
            note = "; ".join(filter(None, ["ratio vs checkov's cold run (checkov has no cache)", note]))
        out.append([
            r.case, f"{r.resources:,}", r.tool,
            f"{s['median_s']:.3f}" if s else "-",
            f"{s['min_s']:.3f}-{s['max_s']:.3f}" if s else "-",
            f"{s['median_cpu_s']:.3f}" if s else "-",
            f"{s['peak_mib']:.0f}" if s else "-",
            f"{rat:.1f}x" if rat else "-",
            str(s["runs"]) if s else "0",
            counts(r.tool_summary),
            note,
        ])
    return out


def counts(summary: dict | None) -> str:
    if not summary:
        return "-"
    unknown = summary.get("unknown")
    return f"{summary.get('passed', 0)}/{summary.get('failed', 0)}/" + ("-" if unknown is None else str(unknown))


HEADER = ["case", "resources", "tool", "median s", "min-max s", "median CPU s", "peak MiB", "checkov/hipaa-iac",
          "runs", "passed/failed/unknown", "notes"]


TARGET_HEADER = ["target", "wall time", "status", "CPU time", "status on CPU time"]


def target_rows(targets: list[dict]) -> list[list[str]]:
    return [[t["target"], t["measured"], t["status"], t["measured_cpu"], t["status_cpu"]] for t in targets]


def text_table(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in body])


def md_table(header: list[str], body: list[list[str]]) -> str:
    esc = lambda c: str(c).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(esc(c) for c in r) + " |" for r in body])


def markdown(report: dict, body: list[list[str]], targets: list[dict]) -> str:
    env = report["environment"]
    hipaa = report["tools"]["hipaa-iac"]
    label = "hipaa-iac" + (" (STAND-IN, not the product)" if hipaa.get("stand_in") else "")
    lines = [
        f"Measured {env['date_utc']} on {env['cpus']} CPUs ({env['platform']}), Python {env['python']}; "
        f"{label} `{hipaa['version'] or 'unavailable'}`, checkov `{report['tools']['checkov']['version'] or 'unavailable'}`; "
        f"pack: {len(report['pack']['ids'])} policies; {report['runs']} runs per case, interleaved; "
        f"load average before/after: {env['loadavg_before']} / {env['loadavg_after']}; "
        f"peak RSS floor of the measurement (`/bin/true`): {env['rss_floor_mib']} MiB.",
        "",
        md_table(HEADER, body),
        "",
        md_table(TARGET_HEADER, target_rows(targets)),
    ]
    if report["notes"]:
        lines += [""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except OSError:
        return ""


# --------------------------------------------------------------------------------------------------
# CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--sizes", type=generate.parse_sizes, default=list(generate.DEFAULT_SIZES),
                   help="comma-separated resource counts")
    p.add_argument("--runs", type=int, default=3, help="timed runs per tool and case")
    p.add_argument("--checkov", default=str(DEFAULT_CHECKOV), help="checkov executable (pinned 3.3.30, own venv)")
    p.add_argument("--hipaa-iac", dest="hipaa_iac", default=str(DEFAULT_HIPAA_IAC),
                   help="hipaa-iac command (split like a shell); anything else than the project's entry point "
                        "is reported as a STAND-IN")
    p.add_argument("--checkov-max-size", type=int, default=5000,
                   help="above this many resources checkov runs once only (~200 s and 1.2 GB at 20,000)")
    p.add_argument("--warm-size", type=int, default=5000, help="size of the warm (cached) re-scan case")
    p.add_argument("--cold", choices=["auto", "flag", "env"], default="auto",
                   help="cold hipaa-iac runs: --no-cache plus a fresh HIPAA_IAC_CACHE_DIR (flag), the fresh "
                        "folder only (env), or the flag with fallback to env when it is rejected (auto)")
    p.add_argument("--no-precommit", action="store_true", help="skip the one-small-file case")
    p.add_argument("--tools", default="hipaa-iac,checkov", help="which tools to run")
    p.add_argument("--policies", type=Path, default=REPO / "policies",
                   help="the pack: folder of <cloud>/ folders of policy YAML files")
    p.add_argument("--work", type=Path, default=generate.DEFAULT_OUT, help="generated inputs")
    p.add_argument("--output", type=Path, default=RESULTS / "latest.json",
                   help="results JSON; the Markdown table goes beside it with a .md suffix")
    p.add_argument("--timeout", type=float, default=3600, help="seconds before a run is killed")
    p.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                   help="before each run, wait up to this long until the CPUs are less than --quiet-below busy "
                        "(for shared machines; the busy share seen is recorded either way)")
    p.add_argument("--quiet-below", type=float, default=0.5, help="busy share of all CPUs counted as quiet")
    p.add_argument("--reuse-checkov", type=Path, metavar="RESULTS_JSON",
                   help="take checkov's figures from an earlier results file for every case whose generated "
                        "inputs are identical (same sha256) instead of running checkov again")
    p.add_argument("--no-snapshot-pack", dest="snapshot_pack", action="store_false",
                   help="use the live pack instead of a copy taken at the start (both tools get the copy: "
                        "checkov through --external-checks-dir, hipaa-iac through --policy-dir)")
    p.add_argument("--reuse-min-size", type=int, default=0, metavar="N",
                   help="with --reuse-checkov: reuse only for cases of at least N resources (e.g. 20000)")
    p.add_argument("--report-only", type=Path, metavar="RESULTS_JSON",
                   help="run nothing: recompute the tables and targets from a saved results file into --output")
    args = p.parse_args(argv)
    args.previous = None
    if args.reuse_checkov:
        try:
            args.previous = json.loads(args.reuse_checkov.read_text())
        except (OSError, ValueError) as exc:
            p.error(f"--reuse-checkov: cannot read {args.reuse_checkov}: {exc}")
    if args.runs < 1:
        p.error("--runs must be at least 1")
    return args


def make_tools(args: argparse.Namespace, pack: Pack) -> tuple[Tool, Tool, list[str]]:
    notes: list[str] = []
    wanted = {t.strip() for t in args.tools.split(",")}
    hipaa_cmd = shlex.split(args.hipaa_iac)
    hipaa = Tool("hipaa-iac", hipaa_cmd)
    checkov = Tool("checkov", [args.checkov])
    for tool in (hipaa, checkov):
        if tool.name not in wanted:
            tool.available, tool.note = False, "not requested (--tools)"
            continue
        tool.available, text = probe_version(tool.command)
        if tool.available:
            tool.version = text
        else:
            tool.note = f"not runnable: {text}"
            notes.append(f"{tool.name} {tool.note}")
    if checkov.available and checkov.version != PINNED_CHECKOV:
        notes.append(f"checkov is {checkov.version}, not the pinned {PINNED_CHECKOV}")
    if checkov.available and not pack.ids:
        checkov.available, checkov.note = False, f"no policy ids found under {args.policies}"
        notes.append(f"checkov skipped: the pack under {args.policies} has no policies (it would run all "
                     "built-in checks, which is not the same work)")
    return hipaa, checkov, notes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        return rerender(args.report_only, args.output)
    spawner = Spawner()  # before any work, so the children's peak RSS is not floored by this process's
    scratch = Path(tempfile.mkdtemp(prefix="hipaa-iac-bench-"))
    pack_dir = snapshot_pack(args.policies, scratch) if args.snapshot_pack else args.policies
    pack = read_pack(pack_dir)
    hipaa, checkov, notes = make_tools(args, pack)
    stand_in = hipaa.available and Path(hipaa.command[0]).resolve() != DEFAULT_HIPAA_IAC.resolve()
    if stand_in:
        notes.append(f"hipaa-iac figures are from a STAND-IN command (`{args.hipaa_iac}`), not the product")
    if hipaa.available and args.snapshot_pack:
        if "--policy-dir" in scan_help(hipaa.command):
            hipaa.extra = ["--policy-dir", str(pack_dir)]
        else:
            notes.append("hipaa-iac has no --policy-dir: it read its own pack, checkov a snapshot taken at the start")
    if not (hipaa.available or checkov.available):
        log("nothing to run: " + "; ".join(notes))
        spawner.close()
        shutil.rmtree(scratch, ignore_errors=True)
        return 2
    try:
        roots = generate.ensure_cases(args.sizes, args.work, precommit=not args.no_precommit, log=log)
        load_before = [round(x, 2) for x in os.getloadavg()]
        started = dt.datetime.now(dt.timezone.utc)
        bench = Bench(args, hipaa, checkov, pack, spawner, scratch)
        floor = spawner.floor_bytes(str(bench.scratch))
        try:
            for name, root in roots.items():
                bench.run_case(name, root)
        except KeyboardInterrupt:
            log("interrupted: writing what was measured")
            notes.append("interrupted before all cases ran")
        finally:
            bench.close()
    finally:
        spawner.close()
    notes += bench.notes
    pack_after = read_pack(args.policies)
    if pack_after.ids != pack.ids:
        how = ("both tools ran a snapshot taken at the start" if hipaa.extra or not hipaa.available
               else "checkov's --check list is the start's, hipaa-iac read the pack at each run")
        notes.append(f"the pack changed during the run ({len(pack.ids)} policies at the start, "
                     f"{len(pack_after.ids)} at the end): {how}")
    ran = sorted({r.tool_summary.get("policies") for r in bench.results
                  if r.tool == "hipaa-iac" and r.tool_summary and r.tool_summary.get("policies") is not None})
    if checkov.available and ran and ran != [len(pack.ids)]:
        notes.append(f"hipaa-iac reported {'/'.join(map(str, ran))} policies; checkov was given {len(pack.ids)} ids")
    notes += [f"{r.case} {r.tool}: {r.note}" for r in bench.results if r.note]
    report = {
        "schema": "hipaa-iac-benchmark/1",
        "environment": {
            "date_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_s": round((dt.datetime.now(dt.timezone.utc) - started).total_seconds(), 1),
            "platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "loadavg_before": load_before, "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "git_commit": git_commit(),
            "rss_floor_mib": round(floor / MIB, 1),
        },
        "tools": {
            "hipaa-iac": {"command": hipaa.command, "version": hipaa.version, "available": hipaa.available,
                          "stand_in": stand_in, "cold_runs": "--no-cache + fresh HIPAA_IAC_CACHE_DIR"
                          if bench.cold_flag else "fresh HIPAA_IAC_CACHE_DIR", "note": hipaa.note},
            "checkov": {"command": checkov.command, "version": checkov.version, "available": checkov.available,
                        "env": {"BC_SKIP_MAPPING": "TRUE"}, "note": checkov.note},
        },
        "pack": {"source": str(args.policies), "snapshot": args.snapshot_pack,
                 "dirs": [d.name for d in pack.dirs], "ids": pack.ids, "opt_in_not_run": pack.opt_in},
        "runs": args.runs,
        "warm_size": args.warm_size,
        "reused_checkov_from": str(args.reuse_checkov) if args.reuse_checkov else None,
        "checkov_max_size": args.checkov_max_size,
        "inputs": {name: json.loads((root / "manifest.json").read_text()) for name, root in roots.items()},
        "cases": [dict(asdict(r), stats=r.stats()) for r in bench.results],
        "notes": notes,
    }
    publish(report, bench.results, args.output)
    return 0


def publish(report: dict, results: list[CaseResult], output: Path) -> None:
    """Compute the targets, write the JSON and the Markdown, print the tables."""
    report["targets"] = evaluate_targets(results, report.get("warm_size", 5000))
    body = rows(results, report.get("warm_size", 5000))
    write_atomic(output, json.dumps(report, indent=2) + "\n")
    write_atomic(output.with_suffix(".md"), markdown(report, body, report["targets"]))
    print(text_table(HEADER, body))
    print()
    print(text_table(TARGET_HEADER, target_rows(report["targets"])))
    for note in report["notes"]:
        print(f"note: {note}")
    print(f"\nwrote {output} and {output.with_suffix('.md')}")


def rerender(source: Path, output: Path) -> int:
    """Recompute tables and targets from a saved results file (no run)."""
    report = json.loads(source.read_text())
    results = []
    for case in report["cases"]:
        r = CaseResult(case["case"], case["tool"], case["resources"], case["files"],
                       [Sample(**x) for x in case["samples"]], case.get("tool_summary"), case.get("note", ""))
        results.append(r)
    report.setdefault("warm_size", 5000)
    report["cases"] = [dict(asdict(r), stats=r.stats()) for r in results]
    publish(report, results, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
