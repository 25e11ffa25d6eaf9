"""The caches, in one place. All live in one directory outside the scanned repository (`directory()`:
HIPAA_IAC_CACHE_DIR, else $XDG_CACHE_HOME/hipaa-iac or ~/.cache/hipaa-iac; `--no-cache` or `cache: false`
for none), are written atomically without fsync (a lost entry is a miss), and a corrupt entry is ignored:

- `parse.py`  parsed files, keyed by content, path and parser version (`<dir>/<hash>.pickle`);
- `scan.py`   a whole scan's graph and results, keyed by every input read (`<dir>/scans/`);
- packs       a validated policy pack, keyed by its digest (`pack_entry`, `<dir>/packs/`; read by
              policy/loader.py);
- in memory, per scan: resolve/loader.Loader.cache (module directories parsed once) and
  policy/run._SHARED (the fields every result of one policy shares).

The parse cache pays off from the second scan on: a scan into a directory without any scan entry yet
(`in_use`) writes only its scan entry.
"""
from __future__ import annotations

import os

from .parse import PARSER_VERSION, cached_parse, lookup, read_input, store  # noqa: F401


def directory(no_cache: bool, enabled: bool) -> str | None:
    """The cache directory of a scan, None for no cache."""
    if no_cache or not enabled:
        return None
    d = os.environ.get("HIPAA_IAC_CACHE_DIR")
    if d:
        return d
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hipaa-iac")


def in_use(cdir: str) -> bool:
    """Whether an earlier scan wrote a scan entry into this cache directory."""
    try:
        with os.scandir(os.path.join(cdir, "scans")) as it:
            return any(e.name.endswith(".pickle") for e in it)
    except OSError:
        return False


def pack_entry(cdir: str, digest: str) -> str:
    """The file holding the validated pack of this digest."""
    return os.path.join(cdir, "packs", digest + ".json")
