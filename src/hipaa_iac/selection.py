"""What a scan reads after discovery: `--exclude` path globs, what was skipped and why, and the empty-input
check (a gate must not pass on nothing: an empty directory, one without Terraform, a mistyped path)."""
from __future__ import annotations

import fnmatch
import os

from .discover import Discovery


def _rel(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def excluded(rel: str, patterns: list[str]) -> bool:
    """Whether a path relative to the scan root (POSIX) matches one of `patterns`.

    A pattern is an fnmatch glob (`*` also matches `/`) matched against the path and each of its parent
    directories, so `examples`, `examples/` and `examples/*` all exclude everything under `examples/`;
    a pattern without `/` also matches any single path component (`tests` excludes `modules/x/tests/`)."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in patterns:
        pat = raw.replace("\\", "/").strip()
        while pat.startswith("./"):
            pat = pat[2:]
        pat = pat.rstrip("/")
        if not pat:
            continue
        if any(fnmatch.fnmatchcase(p, pat) for p in prefixes):
            return True
        if "/" not in pat and any(fnmatch.fnmatchcase(p, pat) for p in parts):
            return True
    return False


def apply_excludes(disc: Discovery, patterns: list[str]) -> list[tuple[str, str]]:
    """Drop excluded module directories, variables files and plans from `disc`; return everything found but
    not scanned, as (path relative to the scan root, why), sorted."""
    skipped = [(_rel(p, disc.root), why) for p, why in disc.skipped]
    if patterns:
        for d in sorted(disc.module_dirs):
            if excluded(_rel(d, disc.root), patterns):
                n = len(disc.module_dirs.pop(d))
                skipped.append((_rel(d, disc.root) + "/", f"--exclude ({n} Terraform file{'s' if n != 1 else ''})"))
        for d in sorted(disc.tfvars):
            if excluded(_rel(d, disc.root), patterns):
                disc.tfvars.pop(d)
        for lst in (disc.plans, disc.explicit_json):
            for p in list(lst):
                if excluded(_rel(p, disc.root), patterns):
                    lst.remove(p)
                    skipped.append((_rel(p, disc.root), "--exclude"))
    return sorted(skipped)


def empty_input(disc: Discovery, paths: list[str], skipped: list[tuple[str, str]]) -> str | None:
    """The error message when nothing is left to scan (and no other error explains why), else None."""
    if disc.module_dirs or disc.plans or disc.explicit_json or disc.errors:
        return None
    shown = " ".join(paths or ["."])
    msg = (f"nothing to scan: no Terraform file (.tf, .tf.json, .tofu, .tofu.json) or plan JSON in {shown}"
           + (f" ({len(skipped)} skipped: see the note above)" if skipped else "")
           + "; check the path, or pass --allow-empty when an empty input is expected")
    return msg


def skipped_note(skipped: list[tuple[str, str]], limit: int = 5) -> str | None:
    """One line saying what discovery found and did not scan, grouped by reason."""
    if not skipped:
        return None
    by_reason: dict[str, list[str]] = {}
    for path, why in skipped:
        by_reason.setdefault(why, []).append(path)
    parts = []
    for why, items in by_reason.items():
        head = ", ".join(items[:limit]) + (f", and {len(items) - limit} more" if len(items) > limit else "")
        parts.append(f"{why}: {head}")
    n = len(skipped)
    return (f"hipaa-iac: note: skipped {n} path{'s' if n != 1 else ''} ({'; '.join(parts)}); "
            "name a plan file on the command line to scan it")
