"""The provider versions a root module is locked to: `.terraform.lock.hcl`, which `terraform init` writes beside
the root module and HashiCorp asks teams to commit. A default that changed between provider versions
(`metadata.provider_defaults` of a policy) is decided by the locked version; without a lock file it is unknown.

The file is read through the scan ledger (cache/scan.py: a lock file added, changed or removed invalidates a
cached scan), only inside the repository (paths.inside), at most MAX_LOCK_BYTES, and parsed strictly: a
`provider "<host>/<namespace>/<type>"` block and its `version = "X.Y.Z"` line; anything else is ignored.
"""
from __future__ import annotations

import os
import re

LOCK_FILE = ".terraform.lock.hcl"
MAX_LOCK_BYTES = 1_000_000
_PROVIDER = re.compile(r'^provider\s+"([A-Za-z0-9.\-]+/[A-Za-z0-9_\-]+/[A-Za-z0-9_\-]+)"\s*\{(.*?)^\}', re.M | re.S)
_VERSION = re.compile(r'^\s*version\s*=\s*"(\d+\.\d+\.\d+(?:-[0-9A-Za-z.\-]+)?)"\s*$', re.M)


def version_tuple(version: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of a version string (a pre-release counts as its release: `6.0.0-beta1` is 6.0.0,
    where breaking changes of a major version land first); None when it is not one."""
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.\-]+)?$", version or "")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def locked_versions(directory: str, repo: str | None = None) -> dict[str, str]:
    """{"hashicorp/aws": "5.31.0", ...} from the lock file in `directory`; {} when there is none, when it lies
    outside `repo` (a symbolic link out of the repository) or cannot be read."""
    from .cache import read_input
    path = os.path.join(directory, LOCK_FILE)
    if repo is not None:
        from .paths import inside
        if os.path.lexists(path) and not inside(path, repo):
            return {}
    try:
        if os.path.getsize(path) > MAX_LOCK_BYTES:
            return {}
    except OSError:  # no lock file: recorded as absent, so one added later invalidates a cached scan
        from .cache.scan import record
        record(os.path.abspath(path), None)
        return {}
    try:
        text = read_input(path).decode("utf-8", "replace")
    except OSError:
        return {}
    out: dict[str, str] = {}
    for m in _PROVIDER.finditer(text):
        v = _VERSION.search(m.group(2))
        if v:
            host, namespace, name = m.group(1).split("/")
            out[f"{namespace}/{name}".lower()] = v.group(1)
    return out


def default_for(entry: dict, versions: dict[str, str]) -> tuple[object, str] | None:
    """(value, version) when the locked version of the entry's provider picks one of its `values`
    ({below: V, value: X} / {from: V, value: X}); None when there is no lock, or no entry matches."""
    provider = (entry.get("provider") or "").lower()
    version = versions.get(provider)
    vt = version_tuple(version) if version else None
    if vt is None:
        return None
    for case in entry.get("values") or []:
        if "below" in case and vt < (version_tuple(str(case["below"])) or (0, 0, 0)):
            return case["value"], version
        if "from" in case and vt >= (version_tuple(str(case["from"])) or (10 ** 9, 0, 0)):
            return case["value"], version
    return None
