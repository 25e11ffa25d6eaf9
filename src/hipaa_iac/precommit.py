"""The pre-commit hook: `hipaa-iac pre-commit [--plan] [options] FILE...`.

pre-commit passes the staged files that match the hook's `files` pattern. Terraform resolves references
across every file of a module directory, so the hook scans the directories that hold the staged files (each
once, and a directory inside another scanned one is not scanned twice) rather than the files alone. With
`--plan` the files are `terraform show -json` documents, scanned as they are; JSON files that are not plans
are skipped. The configuration is found from the scanned directory upwards to the repository root, as for
`hipaa-iac scan`; so is the exceptions file when the configuration does not name one. Output is the compact
text report; the exit code is the scan's (0 pass, 1 findings, 2 incomplete).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TextIO

EXCEPTIONS_FILE = ".hipaa-iac-exceptions.yaml"


def _is_within(path: str, parent: str) -> bool:
    return path != parent and os.path.commonpath([path, parent]) == parent


def targets(files: Iterable[str], plan: bool = False) -> list[str]:
    """What to scan for these staged files: their directories (outermost only), or the plan files."""
    from .discover import looks_like_plan
    if plan:
        return sorted({f for f in files if os.path.isfile(f) and looks_like_plan(f)})
    dirs = set()
    for f in files:
        d = os.path.dirname(f) or "."
        if os.path.isdir(d):
            dirs.add(os.path.normpath(d))
    absolute = {d: os.path.abspath(d) for d in dirs}
    keep = [d for d in dirs if not any(_is_within(absolute[d], absolute[o]) for o in dirs if o != d)]
    return sorted(keep)


def find_upwards(start: str, name: str) -> str | None:
    """`name` in `start` or a parent directory, up to the repository root (the directory holding .git)."""
    from .paths import find_upwards as search
    return search(start, (name,))


def _preflight(paths: list[str], config_file: str | None) -> tuple[str | None, str | None]:
    """(exceptions file to use, problem). The exceptions file is the repository's when neither the options nor
    the configuration name one: the scan root of a hook run is the staged directory, while the file usually
    sits at the repository root. The problem is a missing policy pack (an incomplete installation would
    otherwise pass every commit)."""
    from .config import ConfigError, load_config
    from .policy.loader import default_policy_dir
    try:
        cfg = load_config(config_file, paths[0])
    except ConfigError:
        return None, None  # the scan reports the configuration error
    pack = cfg.policy_dir or default_policy_dir()
    if not any(n.endswith((".yaml", ".yml")) for _, _, names in os.walk(pack) for n in names):
        return None, f"no policy was loaded: the policy pack is missing from this installation ({pack})"
    if cfg.exceptions:
        return None, None
    bases = [os.path.abspath(p) if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in paths]
    base = os.path.commonpath(bases)
    found = find_upwards(base, EXCEPTIONS_FILE)
    from .paths import inside, repo_root
    if found and not inside(found, repo_root(base)):  # found in the repository, so contained like its config
        return None, f"{found}: symbolic link to a file outside the repository: refused, not read"
    return found, None


def run(files: list[str], plan: bool = False, severity_threshold: str | None = None, unknown: str | None = None,
        config: str | None = None, exceptions: str | None = None, baseline: str | None = None,
        policies: list[str] | None = None, skip_policies: list[str] | None = None,
        var_files: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None,
        verbose: bool = False) -> int:
    """Scan for a pre-commit hook; print the compact report (verbose: with reason, citations and fix); return
    the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr

    def usage(msg: str) -> int:
        err.write(f"hipaa-iac: error: {msg}\n")
        return 2
    from .vocab import SEVERITIES, UNKNOWN_MODES
    if severity_threshold and severity_threshold.lower() not in SEVERITIES:
        return usage("--severity-threshold must be low, medium, high or critical")
    if unknown and unknown not in UNKNOWN_MODES:
        return usage("--unknown must be warn or fail")
    paths = targets(files, plan)
    if not paths:
        return 0
    from .report import text
    from .runner import ScanRequest, execute
    found, problem = _preflight(paths, config)
    if problem:
        return usage(problem)
    if exceptions is None:
        exceptions = found
    outcome = execute(ScanRequest(paths=paths, config_file=config, policies=list(policies or []),
                                  skip_policies=list(skip_policies or []), var_files=list(var_files or []),
                                  exceptions=exceptions, baseline=baseline,
                                  severity_threshold=severity_threshold.lower() if severity_threshold else None,
                                  unknown=unknown))
    if outcome.fatal:
        return usage(outcome.fatal)
    out.write(text.render(relocate(outcome.report, paths), outcome.policies, compact=not verbose))
    return outcome.exit_code


def relocate(report: dict, paths: list[str]) -> dict:
    """The report with file paths relative to the working directory (the repository root under pre-commit)
    instead of the scan root, so that `infra/main.tf:3` can be opened from where the hook runs."""
    bases = [os.path.abspath(p) if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in paths]
    prefix = os.path.relpath(os.path.commonpath(bases))
    if prefix == "." or prefix.startswith(".."):
        return report

    def move(item: dict) -> dict:
        f = item.get("file")
        if not f or os.path.isabs(f):
            return item
        return {**item, "file": os.path.normpath(os.path.join(prefix, f)).replace(os.sep, "/")}
    return {**report, "results": [move(r) for r in report["results"]],
            "errors": [move(e) for e in report["errors"]], "warnings": [move(w) for w in report.get("warnings", [])]}
