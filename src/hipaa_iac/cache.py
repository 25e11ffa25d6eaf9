"""Parse cache: parsed files keyed by their content, path and the parser version.

Entries are written atomically (safe when two scans run at once); a corrupted or unreadable entry is
ignored and rewritten. The cache lives outside the scanned repository (default ~/.cache/hipaa-iac,
HIPAA_IAC_CACHE_DIR to move it, --no-cache to bypass).
"""
from __future__ import annotations

import hashlib
import os
import pickle

from . import __version__

# bump when the parsed model changes shape
PARSER_VERSION = "1"


def _key(data: bytes, relpath: str) -> str:
    h = hashlib.sha256()
    h.update(f"{__version__}/{PARSER_VERSION}/{relpath}\0".encode())
    h.update(data)
    return h.hexdigest()


def _entry(cache_dir: str, path: str, relpath: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    key = _key(data, relpath)
    return os.path.join(cache_dir, key[:2], key + ".pickle")


def lookup(cache_dir: str, path: str, relpath: str):
    entry = _entry(cache_dir, path, relpath)
    if entry is None:
        return None
    try:
        with open(entry, "rb") as fh:
            return pickle.load(fh)
    except Exception:
        return None


def store(cache_dir: str, path: str, relpath: str, sf) -> None:
    entry = _entry(cache_dir, path, relpath)
    if entry is None:
        return
    try:
        from .fsutil import atomic_write
        atomic_write(entry, pickle.dumps(sf, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # a read-only or full disk never fails the scan
        pass


def cached_parse(cache_dir: str, path: str, relpath: str, parse):
    sf = lookup(cache_dir, path, relpath)
    if sf is None:
        sf = parse(path, relpath)
        store(cache_dir, path, relpath, sf)
    return sf
