"""Containment: the one rule for every path that comes from the scanned repository.

The scanned repository is untrusted input (a pull request from a fork). A path written in its own
configuration (`.hipaa-iac.yaml`, `[tool.hipaa-iac]` in pyproject.toml: var_files, exceptions, policy_dir,
baseline) or in its Terraform (module sources, `.terraform/modules/modules.json`, `file()`) must resolve,
symbolic links included, inside the repository: its git root (the nearest parent holding `.git`), else the
scanned root. A path outside is refused with an error that names where it was written (file and key), and the
file is never opened. Paths given on the command line are the user's choice and are not contained.

See docs/security.md.
"""
from __future__ import annotations

import functools
import os


class Refused(Exception):
    """A path from the repository that resolves outside it. `str()` names where it was written."""

    def __init__(self, what: str, message: str):
        super().__init__(f"{what}: {message}")
        self.what = what
        self.message = message


@functools.lru_cache(maxsize=256)
def _repo_root(start: str) -> str:
    cur = start
    while True:
        if os.path.lexists(os.path.join(cur, ".git")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return start
        cur = parent


def find_upwards(start: str, names: tuple[str, ...] | list[str], accept=None) -> str | None:
    """The first of `names` (a file, and `accept(path)` when given) in `start` (a directory, or a file's
    directory) or a parent, stopping at the repository root (the directory holding `.git`) or the
    filesystem root. The one upward search: configuration files, the pre-commit exceptions file."""
    d = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        for name in names:
            p = os.path.join(d, name)
            if os.path.isfile(p) and (accept is None or accept(p)):
                return p
        if os.path.exists(os.path.join(d, ".git")):
            return None
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def repo_root(start: str) -> str:
    """The repository a scan path belongs to: the git root above it, else the path itself (a directory, or
    a file's directory). Returned as a real path (symbolic links resolved)."""
    a = os.path.realpath(start or ".")
    if not os.path.isdir(a):
        a = os.path.dirname(a)
    return _repo_root(a)


LICENSE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING")
MAX_PROJECT_LEVELS = 4


@functools.lru_cache(maxsize=256)
def project_root(start: str) -> str:
    """Where local modules of a scan may come from (issue: a module's own `examples/*` call `../../`).

    The git root when there is one (`repo_root`). Without one (a tarball, a vendored copy), the nearest
    directory at most MAX_PROJECT_LEVELS above `start` that holds a license file, the root of a module
    repository by convention (the Terraform Registry publishes a module's license from there); else `start`.
    Only module sources and the files Terraform functions read use this; paths in the repository's own
    configuration stay inside `repo_root`. System directories are refused by the module resolver anyway."""
    base = repo_root(start)
    if os.path.lexists(os.path.join(base, ".git")):
        return base
    never = {os.path.expanduser("~"), os.sep}

    def near(license_file: str) -> bool:
        d = os.path.dirname(license_file)
        levels = 0 if d == base else len(os.path.relpath(base, d).split(os.sep))
        return d not in never and levels <= MAX_PROJECT_LEVELS

    found = find_upwards(base, LICENSE_FILES, near)
    return os.path.dirname(found) if found else base


def inside(path: str, root: str) -> bool:
    """True when `path`, resolved (symbolic links followed), is `root` or below it."""
    real = os.path.realpath(path)
    r = os.path.realpath(root)
    return real == r or real.startswith(r.rstrip(os.sep) + os.sep)


def contain(path: str, root: str, what: str, shown: str | None = None) -> str:
    """`path` (relative paths are taken as already joined by the caller) if it resolves inside `root`;
    else raise `Refused`. `what` names where the path was written ("/repo/.hipaa-iac.yaml: var_files");
    `shown` is how the path is named in the message (default: as written; pass "(sensitive)" for a path
    derived from a sensitive value). The target is never opened here."""
    if inside(path, root):
        return path
    name = repr(path) if shown is None else shown
    raise Refused(what, f"{name} is outside the repository ({root}): refused, not read")
