"""Labeled recall: hipaa-iac against third-party labeled fixtures (KICS queries, trivy-checks snippets).

    python benchmarks/labeled.py [--corpus DIR] [--tool kics|trivy] [--json FILE] [--misses] [--filter TEXT]

Reads ``<corpus>/labeled`` in place (default ``$HIPAA_IAC_CORPUS`` or ``../shared/corpus``; never copied).

- KICS (``labeled/kics/<provider>/<query>/test/``): each line of ``positive_expected_result.json`` names a
  file and a line; the resource block holding that line must get a **failed** result in a category mapped
  from the query's theme (``INDEX.tsv``), or from a policy whose crosswalk names the query. A line outside every resource block counts as a miss, except a line
  inside a call of a registry module, which the fixture does not ship: counted apart, not judged.
- trivy (``labeled/trivy/<provider>/<service>/<check>/``): each ``bad_N.tf`` must get a failed result in a
  mapped category (``INDEX.tsv``'s categories) on any resource of the snippet.
- Negatives (KICS ``negative*.tf``, trivy ``good_N.tf``): a failed result in the label's mapped categories
  from a policy that checks what the label checks (its crosswalk names the label's KICS/trivy id; on KICS, its
  failed result points at the expected line; on trivy without a crosswalk, it found a bad snippet) is a false
  alarm; other findings on a negative concern other settings.

Labels judged not HIPAA-relevant, and negatives on which hipaa-iac is deliberately stricter than the tool,
are listed with a reason in ``benchmarks/labeled-exclusions.yaml``; recall is reported on the remaining
(HIPAA-relevant) labels. Each file is scanned alone, in-process, with the real command line.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXCLUSIONS = HERE / "labeled-exclusions.yaml"
THEMES = {  # ../shared/corpus/README.md: themes map to hipaa-iac categories
    "enc_at_rest": {"encryption_at_rest"}, "cmk": {"encryption_at_rest", "key_management"},
    "kms": {"key_management"}, "kms_rotation": {"key_management"}, "tls": {"encryption_in_transit"},
    "public_access": {"network_isolation", "access_control"}, "network_isolation": {"network_isolation"},
    "logging": {"audit_logging"}, "iam": {"access_control"}, "backup": {"backup_recovery", "integrity"},
}
EXCLUSION_KINDS = ("not-hipaa", "stricter")


def default_corpus() -> Path:
    env = os.environ.get("HIPAA_IAC_CORPUS")
    return Path(env) if env else (REPO.parent / "shared" / "corpus")


@dataclass
class Label:
    tool: str              # kics | trivy
    key: str               # kics: aws/<query_dir>; trivy: aws/<service>/<check>
    directory: Path
    categories: set[str]
    positives: list[tuple[str, int | None]]  # (file name, line) ; line None for trivy (any resource)
    negatives: list[str]   # file names
    tool_id: str = ""      # KICS query id / trivy AVD id (matched against policies' crosswalk)
    excluded: str | None = None                 # reason the whole label is not HIPAA-relevant
    stricter: dict[str, str] = field(default_factory=dict)  # negative file -> reason its alarms do not count


@dataclass
class Outcome:
    label: Label
    found: list[tuple[str, int | None]] = field(default_factory=list)
    missed: list[tuple[str, int | None, str]] = field(default_factory=list)   # (file, line, why)
    false_alarms: list[tuple[str, str, str]] = field(default_factory=list)    # (file, resource, policy)
    waived_alarms: list[tuple[str, str, str]] = field(default_factory=list)   # on a 'stricter' negative
    in_module: list[tuple[str, int | None]] = field(default_factory=list)     # inside a registry module call


# ----------------------------------------------------------------------------------------------- labels
def read_exclusions(path: Path = EXCLUSIONS) -> tuple[list[dict], list[str]]:
    """Entries {tool, label, kind, reason[, file]} and the problems of the file (each naming the entry)."""
    import yaml
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {"exclusions": []}
    entries = doc.get("exclusions") or []
    problems = []
    for n, e in enumerate(entries):
        where = f"{path.name}: exclusions[{n}]"
        if not isinstance(e, dict):
            problems.append(f"{where}: a mapping")
            continue
        if e.get("tool") not in ("kics", "trivy"):
            problems.append(f"{where}: tool must be kics or trivy")
        if not e.get("label"):
            problems.append(f"{where}: label missing")
        if e.get("kind") not in EXCLUSION_KINDS:
            problems.append(f"{where}: kind must be one of {', '.join(EXCLUSION_KINDS)}")
        if e.get("kind") == "stricter" and not e.get("file"):
            problems.append(f"{where}: a 'stricter' entry names the negative file")
        if not str(e.get("reason") or "").strip():
            problems.append(f"{where}: reason missing")
    return entries, problems


def _index(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def kics_labels(root: Path) -> list[Label]:
    out = []
    for row in _index(root / "INDEX.tsv"):
        d = root / row["provider"] / row["query_dir"]
        test = d / "test"
        if not test.is_dir():
            continue
        expected = json.loads((test / "positive_expected_result.json").read_text(encoding="utf-8"))
        files = sorted(p.name for p in test.iterdir() if p.name.startswith("positive")
                       and p.suffix in (".tf", ".json") and p.name != "positive_expected_result.json")
        # KICS leaves the file name out when the query has one positive file
        default = files[0] if len(files) == 1 else "positive.tf"
        positives = [(e.get("fileName") or e.get("filename") or default, int(e["line"])) for e in expected]
        negatives = sorted(p.name for p in test.iterdir() if p.name.startswith("negative")
                           and p.suffix in (".tf", ".json"))
        out.append(Label("kics", f"{row['provider']}/{row['query_dir']}", test,
                         set(THEMES.get(row["theme"], set())), positives, negatives, row["kics_id"]))
    return out


def trivy_labels(root: Path) -> list[Label]:
    out = []
    for row in _index(root / "INDEX.tsv"):
        d = root / row["check_dir"]
        if not d.is_dir():
            continue
        cats = {c for c in row["categories"].split("|") if c} or set(THEMES.get(row["theme"], set()))
        bad = sorted(p.name for p in d.glob("bad_*.tf"))
        good = sorted(p.name for p in d.glob("good_*.tf"))
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8")) if (d / "meta.json").exists() else {}
        out.append(Label("trivy", row["check_dir"], d, cats, [(b, None) for b in bad], good,
                         meta.get("avd_id", "")))
    return out


def labels(corpus: Path, tools: list[str], exclusions: list[dict]) -> list[Label]:
    found = []
    if "kics" in tools:
        found += kics_labels(corpus / "labeled" / "kics")
    if "trivy" in tools:
        found += trivy_labels(corpus / "labeled" / "trivy")
    by_key = {(lb.tool, lb.key): lb for lb in found}
    for e in exclusions:
        lb = by_key.get((e.get("tool"), e.get("label")))
        if lb is None:
            continue
        if e.get("kind") == "not-hipaa":
            lb.excluded = e["reason"]
        elif e.get("kind") == "stricter":
            lb.stricter[e["file"]] = e["reason"]
    return found


def unmatched_exclusions(corpus: Path, exclusions: list[dict]) -> list[str]:
    """Entries that name no label (or no negative file of it): stale after a corpus change, or a typo."""
    all_labels = {(lb.tool, lb.key): lb for lb in labels(corpus, ["kics", "trivy"], [])}
    bad = []
    for e in exclusions:
        lb = all_labels.get((e.get("tool"), e.get("label")))
        if lb is None:
            bad.append(f"{e.get('tool')}:{e.get('label')}: no such label")
        elif e.get("kind") == "stricter" and e.get("file") not in lb.negatives:
            bad.append(f"{e.get('tool')}:{e.get('label')}: no negative file {e.get('file')!r}")
    return bad


# ----------------------------------------------------------------------------------------------- scanning
def scan_results(path: Path) -> list[dict]:
    """The results of scanning `path` (a file or a directory) alone with the real command line, in-process."""
    from hipaa_iac.cli import app
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.json")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                app(["scan", str(path), "-f", "json", "-o", out, "--no-cache"], standalone_mode=False,
                    prog_name="hipaa-iac")
            except SystemExit:
                pass
        try:
            return json.loads(Path(out).read_text(encoding="utf-8")).get("results", [])
        except (OSError, ValueError):
            return []


def scan_file(path: Path) -> tuple[list[dict], list[dict]]:
    """(resources with file/line/end_line, results) of one file, scanned alone with the real command line."""
    from hipaa_iac.graph_dump import dump
    from hipaa_iac.load import LoadOptions, load
    graph = dump(load([str(path)], LoadOptions()))
    return graph["resources"], scan_results(path)


def block_of(resources: list[dict], file: str, line: int) -> list[str]:
    """Addresses of the innermost resource block (all its instances) that holds the line."""
    holding = [r for r in resources if os.path.basename(r.get("file") or "") == file
               and r.get("line") and r.get("end_line") and r["line"] <= line <= r["end_line"]]
    if not holding:
        return []
    span = min(r["end_line"] - r["line"] for r in holding)
    return sorted({r["address"] for r in holding if r["end_line"] - r["line"] == span})


def crosswalked(tool: str) -> dict[str, set[str]]:
    """tool id (KICS query id / trivy AVD id) -> ids of the policies whose crosswalk names it."""
    from hipaa_iac.policy.loader import load_pack
    out: dict[str, set[str]] = {}
    for p in load_pack().policies:
        for ref in (p.meta.get("crosswalk") or {}).get(tool) or []:
            out.setdefault(ref, set()).add(p.id)
    return out


MODULE_RE = re.compile(r'^\s*module\s+"[^"]+"\s*\{')


def module_spans(path: Path) -> list[tuple[int, int]]:
    """Line spans of `module` blocks whose source is not a local path (a registry or git module the labeled
    fixture does not ship: no static analyzer sees inside without downloading it)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    spans = []
    for i, line in enumerate(lines):
        if not MODULE_RE.match(line):
            continue
        depth, end = 0, i
        for j in range(i, len(lines)):
            depth += lines[j].count("{") - lines[j].count("}")
            if depth <= 0:
                end = j
                break
        body = "\n".join(lines[i:end + 1])
        if not re.search(r'source\s*=\s*"\.{1,2}/', body):
            spans.append((i + 1, end + 1))
    return spans


def judge(label: Label, scan=scan_file, mapped: set[str] | None = None) -> Outcome:
    """Recall on the positives; on the negatives, a false alarm is a failed result in the label's categories
    from a policy that checks what the label checks: the policies whose crosswalk names the label's id
    (`mapped`); without one, those whose failed result on a KICS positive points at the expected line, or
    (trivy) those that found a bad snippet. Other findings on a negative are about other settings."""
    out = Outcome(label)
    matching: set[str] = set()
    found_by: set[str] = set()
    cache: dict[str, tuple[list[dict], list[dict]]] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = scan(label.directory / name)
        return cache[name]

    for name, line in label.positives:
        resources, results = get(name)
        # a failed result counts in a mapped category, or from a policy whose crosswalk names the label
        failed = [r for r in results if r["status"] == "failed"
                  and (r["hipaa_category"] in label.categories or r["policy_id"] in (mapped or ()))]
        if line is None:
            ok = bool(failed)
            why = "no failed result in " + "/".join(sorted(label.categories))
        else:
            block = block_of(resources, name, line)
            ok = any(r["resource"] in block for r in failed)
            why = ("line outside every resource block" if not block else
                   f"{block[0]}: no failed result in " + "/".join(sorted(label.categories)))
        if not ok and line is not None and not block and \
                any(a <= line <= b for a, b in module_spans(label.directory / name)):
            out.in_module.append((name, line))
            continue
        if ok:
            out.found.append((name, line))
            if line is None:
                found_by |= {r["policy_id"] for r in failed}
            else:  # the policy points at the line the label points at: it checks the same setting
                matching |= {r["policy_id"] for r in failed if r["resource"] in block and r["line"] == line}
        else:
            out.missed.append((name, line, why))
    # the crosswalk, where it names the label, decides alone; else the policies pointing at the expected
    # line (KICS) or, for trivy snippets (no line), every policy that found a bad one
    matching = set(mapped) if mapped else matching | found_by
    for name in label.negatives:
        _, results = get(name)
        seen = set()
        for r in results:
            if r["status"] == "failed" and r["policy_id"] in matching and \
                    (r["hipaa_category"] in label.categories or r["policy_id"] in (mapped or ())) and \
                    (r["resource"], r["policy_id"]) not in seen:
                seen.add((r["resource"], r["policy_id"]))
                (out.waived_alarms if name in label.stricter else out.false_alarms).append(
                    (name, r["resource"], r["policy_id"]))
    return out


# ----------------------------------------------------------------------------------------------- summary
def summarize(outcomes: list[Outcome]) -> dict:
    tools = {}
    for o in outcomes:
        t = tools.setdefault(o.label.tool, {"labels": 0, "relevant_labels": 0, "excluded_labels": 0,
                                            "positives": 0, "found": 0, "recall": 0.0, "false_alarms": 0,
                                            "waived_alarms": 0, "labels_fully_found": 0, "in_module_calls": 0})
        t["labels"] += 1
        if o.label.excluded:
            t["excluded_labels"] += 1
            continue
        t["relevant_labels"] += 1
        t["positives"] += len(o.found) + len(o.missed)
        t["found"] += len(o.found)
        t["false_alarms"] += len(o.false_alarms)
        t["waived_alarms"] += len(o.waived_alarms)
        t["in_module_calls"] += len(o.in_module)
        t["labels_fully_found"] += int(not o.missed and bool(o.found))
    for t in tools.values():
        t["recall"] = round(100.0 * t["found"] / t["positives"], 1) if t["positives"] else 0.0
    return tools


def run(corpus: Path, tools: list[str], text_filter: str | None = None) -> tuple[list[Outcome], list[str]]:
    exclusions, problems = read_exclusions()
    problems += unmatched_exclusions(corpus, exclusions)
    todo = [lb for lb in labels(corpus, tools, exclusions) if not text_filter or text_filter in lb.key]
    maps = {t: crosswalked(t) for t in tools}
    return [judge(lb, mapped=maps[lb.tool].get(lb.tool_id)) for lb in todo], problems


def checkov_recall(checkov: str, corpus: Path, outcomes: list[Outcome]) -> dict[str, dict]:
    """checkov's built-in checks on the same positives (one checkov run per tool over the labeled tree).

    Any failed built-in check counts, whatever its category: checkov's JSON output names no category, so this is
    an upper bound of checkov's recall in the labels' categories. Positives inside registry module calls and
    excluded labels are left out as for hipaa-iac; false alarms are not measured for checkov."""
    import subprocess
    failed: dict[str, list[tuple[int, int]]] = {}
    for tool in sorted({o.label.tool for o in outcomes}):
        cmd = [checkov, "-d", str(corpus / "labeled" / tool), "--framework", "terraform", "-o", "json",
               "--skip-download", "--quiet", "--compact"]
        env = dict(os.environ, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="ERROR")
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        docs = json.loads(p.stdout) if p.stdout.strip() else []
        for doc in docs if isinstance(docs, list) else [docs]:
            for c in (doc.get("results") or {}).get("failed_checks", []):
                path = str(corpus / "labeled" / tool) + "/" + c["file_path"].lstrip("/")
                failed.setdefault(os.path.normpath(path), []).append(tuple(c["file_line_range"]))
    out: dict[str, dict] = {}
    for o in outcomes:
        if o.label.excluded:
            continue
        t = out.setdefault(o.label.tool, {"positives": 0, "found": 0})
        skip = set(o.in_module)
        for name, line in o.label.positives:
            if (name, line) in skip:
                continue
            ranges = failed.get(os.path.normpath(str(o.label.directory / name)), [])
            t["positives"] += 1
            t["found"] += int(bool(ranges) if line is None else any(a <= line <= b for a, b in ranges))
    for t in out.values():
        t["recall"] = round(100.0 * t["found"] / t["positives"], 1) if t["positives"] else 0.0
    return out


def report_text(outcomes: list[Outcome], problems: list[str], misses: bool) -> str:
    lines = []
    for tool, t in sorted(summarize(outcomes).items()):
        lines.append(f"{tool}: recall {t['recall']}% ({t['found']}/{t['positives']} expected findings on "
                     f"{t['relevant_labels']} HIPAA-relevant labels; {t['excluded_labels']} labels excluded; "
                     f"{t['in_module_calls']} more inside registry module calls, not judged), "
                     f"false alarms {t['false_alarms']} (+{t['waived_alarms']} on negatives where hipaa-iac is "
                     f"deliberately stricter)")
    if misses:
        for o in outcomes:
            if o.label.excluded:
                continue
            for f, ln, why in o.missed:
                lines.append(f"  miss  {o.label.tool}:{o.label.key} {f}:{ln or ''} {why}")
            for f, res, pid in o.false_alarms:
                lines.append(f"  alarm {o.label.tool}:{o.label.key} {f} {res} {pid}")
    lines += [f"exclusions: {p}" for p in problems]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--tool", choices=["kics", "trivy"], action="append")
    ap.add_argument("--filter", help="only labels whose key contains TEXT")
    ap.add_argument("--json", type=Path, help="write per-label outcomes and the summary to FILE")
    ap.add_argument("--misses", action="store_true", help="list every miss and false alarm")
    ap.add_argument("--checkov", help="also run checkov's built-in checks (path to its executable, e.g. "
                                      ".venv-checkov/bin/checkov) and report its recall (an upper bound; slow)")
    args = ap.parse_args(argv)
    if not (args.corpus / "labeled").is_dir():
        print(f"labeled.py: no labeled corpus at {args.corpus}", file=sys.stderr)
        return 2
    outcomes, problems = run(args.corpus, args.tool or ["kics", "trivy"], args.filter)
    sys.stdout.write(report_text(outcomes, problems, args.misses))
    if args.checkov:
        for tool, t in sorted(checkov_recall(args.checkov, args.corpus, outcomes).items()):
            sys.stdout.write(f"checkov built-in checks on {tool}: recall <= {t['recall']}% ({t['found']}/{t['positives']}; "
                             f"any failed check on the block or snippet counts)\n")
    if args.json:
        args.json.write_text(json.dumps({"summary": summarize(outcomes), "problems": problems, "labels": [
            {"tool": o.label.tool, "label": o.label.key, "excluded": o.label.excluded,
             "categories": sorted(o.label.categories), "found": o.found, "missed": o.missed,
             "false_alarms": o.false_alarms, "waived_alarms": o.waived_alarms} for o in outcomes]}, indent=1))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
