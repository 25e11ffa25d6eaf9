"""Scan cache: the evaluated results of an unchanged input, so a warm re-scan skips parsing, resolution and
evaluation. The key covers every input file's path and content (configuration, variables files, plans), the
files read beyond them (downloaded or outside modules, file()), the selected policies' definitions, the
configuration that changes verdicts, and the tool version. Suppressions are applied after the cache, so
expiry dates are judged on the day of each scan.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle

from . import __version__
from .graph import Graph
from .model import Resource, ScanError

FORMAT = "scan/1"


def _hash_file(h, path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            h.update(fh.read())
        return True
    except OSError:
        return False


def scan_key(files: list[str], root: str, policies: list, cfg, var_files: list[str], allow_outside: bool) -> str:
    h = hashlib.sha256(f"{FORMAT}/{__version__}\0{root}\0".encode())
    for f in files + sorted(var_files):
        h.update(f.encode() + b"\0")
        if not _hash_file(h, f):
            h.update(b"<unreadable>")
        h.update(b"\0")
    h.update(json.dumps([[p.id, p.meta, p.definition] for p in policies], sort_keys=True, default=str).encode())
    h.update(json.dumps({"scope": cfg.scope, "phi_tags": cfg.phi_tags, "parameters": cfg.parameters,
                         "eligible": cfg.eligible_services, "outside": allow_outside}, sort_keys=True,
                        default=str).encode())
    return h.hexdigest()


def _file_digest(path: str) -> str | None:
    h = hashlib.sha256()
    return h.hexdigest() if _hash_file(h, path) else None


def get(cache_dir: str, key: str) -> dict | None:
    path = os.path.join(cache_dir, "scans", key + ".pickle")
    try:
        with open(path, "rb") as fh:
            entry = pickle.load(fh)
    except Exception:
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return None
    for f, digest in entry.get("extra", {}).items():
        if _file_digest(f) != digest:
            return None
    return entry


def put(cache_dir: str, key: str, graph: Graph, results: list[dict]) -> None:
    stubs = [(r.address, r.mode, r.type, r.name, r.module, r.file, r.line, r.end_line, r.comments)
             for r in graph.resources if r.comments or r.mode == "managed"]
    entry = {"format": FORMAT, "results": results, "stubs": stubs,
             "errors": [e.as_dict() for e in graph.errors], "warnings": [w.as_dict() for w in graph.warnings],
             "files_read": graph.files_read, "root": graph.root,
             "extra": {f: _file_digest(f) for f in graph.extra_files}}
    if graph.errors:
        return  # an incomplete analysis is not worth keeping
    try:
        from .fsutil import atomic_write
        atomic_write(os.path.join(cache_dir, "scans", key + ".pickle"),
                     pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        pass


def graph_from(entry: dict) -> Graph:
    """A graph with just what suppression and the summary need: addresses, files, lines, comments."""
    res = [Resource(address=a, mode=m, type=t, name=n, module=mod, file=f, line=line, end_line=end, comments=c)
           for a, m, t, n, mod, f, line, end, c in entry["stubs"]]
    return Graph(res, root=entry["root"],
                 errors=[ScanError(**e) for e in entry["errors"]],
                 warnings=[ScanError(**w) for w in entry["warnings"]], files_read=entry["files_read"])
