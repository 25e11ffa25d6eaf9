"""Parse cache: parsed files keyed by their content, path and the parser version.

Entries are written atomically (safe when two scans run at once); a corrupted or unreadable entry is
ignored and rewritten. The cache lives outside the scanned repository (default ~/.cache/hipaa-iac,
HIPAA_IAC_CACHE_DIR to move it, --no-cache to bypass).
"""
from __future__ import annotations

import hashlib
import os
import pickle

from .. import __version__

# bump when the parsed model changes shape
PARSER_VERSION = "1"


def _key(data: bytes, relpath: str) -> str:
    h = hashlib.sha256()
    h.update(f"{__version__}/{PARSER_VERSION}/{relpath}\0".encode())
    h.update(data)
    return h.hexdigest()


def read_input(path: str) -> bytes:
    """An input file's bytes, recorded in the scan ledger (the scan cache key is the digest of what was
    parsed). Raises OSError."""
    from .scan import record
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        record(path, None)
        raise
    record(path, data)
    return data


def _entry(cache_dir: str, data: bytes, relpath: str) -> str:
    key = _key(data, relpath)
    return os.path.join(cache_dir, key[:2], key + ".pickle")


def lookup(cache_dir: str, path: str, relpath: str, data: bytes | None = None):
    """The parsed file for these bytes (read from `path` when not given), or None (a corrupt or wrong-type
    entry is a miss; the next store replaces it)."""
    from ..model import SourceFile
    try:
        data = read_input(path) if data is None else data
    except OSError:
        return None
    try:
        with open(_entry(cache_dir, data, relpath), "rb") as fh:
            sf = pickle.load(fh)
    except Exception:
        return None
    return sf if isinstance(sf, SourceFile) and isinstance(sf.blocks, list) else None


def store(cache_dir: str, path: str, relpath: str, sf, data: bytes | None = None) -> None:
    try:
        data = read_input(path) if data is None else data
    except OSError:
        return
    try:
        from ..fsutil import atomic_write
        atomic_write(_entry(cache_dir, data, relpath), pickle.dumps(sf, protocol=pickle.HIGHEST_PROTOCOL),
                     durable=False)
    except Exception:  # a read-only or full disk never fails the scan
        pass


def cached_parse(cache_dir: str, path: str, relpath: str, parse):
    """Read once: the bytes that select the entry are the bytes parsed (`parse(path, relpath, data)`)."""
    from ..parse.read import MAX_PARSE_BYTES
    if os.path.getsize(path) > MAX_PARSE_BYTES:
        return parse(path, relpath)  # refused by size before it is read
    data = read_input(path)
    sf = lookup(cache_dir, path, relpath, data)
    if sf is None:
        sf = parse(path, relpath, data)
        store(cache_dir, path, relpath, sf, data)
    return sf
