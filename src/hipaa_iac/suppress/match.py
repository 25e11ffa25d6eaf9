"""Matching results to suppression entries: id and address globs, fingerprints, paths, dates."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re

SUPPRESSIBLE = ("failed", "unknown")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@functools.lru_cache(maxsize=1024)
def glob_match(pattern: str, value: str) -> bool:
    """`*` matches any run of characters (dots and slashes included), `?` one character; everything else,
    `[` and `]` of instance keys included, is literal. Linear time (no regular-expression backtracking, so a
    hostile glob such as `*a*a*a*a*a!` cannot stall a scan)."""
    if pattern == value:
        return True
    if "*" not in pattern and "?" not in pattern:
        return False
    p = v = 0
    star = -1
    mark = 0
    while v < len(value):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == value[v]):
            p += 1
            v += 1
        elif p < len(pattern) and pattern[p] == "*":
            star = p
            mark = v
            p += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            v = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def resource_match(pattern: str, address: str) -> bool:
    """An address or glob; an address without an instance key also covers each of its instances."""
    if glob_match(pattern, address):
        return True
    if address.endswith("]") and "*" not in pattern and "?" not in pattern:
        from ..graph import base_address
        return base_address(address) == pattern
    return False


def qualified_address(resource: str, module_root: str | None) -> str:
    """The address told apart by its root module: `examples/complete:module.x.aws_s3_bucket.b`; a resource
    of the scan root's own module (or a plan) keeps its plain address, so earlier fingerprints still hold."""
    if not module_root or module_root == ".":
        return resource
    return f"{module_root}:{resource}"


def fingerprint(policy_id: str, resource: str, file: str, module_root: str | None = None) -> str:
    """sha256 of `policy|resource|file`, the resource qualified by its root module when that is not the scan
    root: no line, so moving a block does not reopen a finding (the same key as the SARIF reporter's partial
    fingerprint); two examples calling one module keep two findings."""
    return hashlib.sha256(f"{policy_id}|{qualified_address(resource, module_root)}|{file}".encode()).hexdigest()


def _posix(path: str) -> str:
    return path.replace(os.sep, "/")


def _display(path: str, root: str) -> str:
    """A path as reports show it: relative to the scan root when inside it, else as given."""
    a = os.path.abspath(path)
    r = os.path.abspath(root)
    try:
        if os.path.commonpath([a, r]) == r:
            return _posix(os.path.relpath(a, r))
    except ValueError:  # other drive
        pass
    return _posix(path)


def _relative_to(root: str, file: str | None, base: str) -> str | None:
    """A result's file (relative to the scan root) relative to another directory, POSIX."""
    if not file:
        return None
    return _posix(os.path.relpath(os.path.normpath(os.path.join(root, file)), base))


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
