"""Scan cache: the evaluated results of an unchanged input, so a warm re-scan skips parsing, resolution and
evaluation.

The key covers everything that decides the verdict: the tool version, the scan root, every input file's path
and content (configuration, auto-loaded and `--var-file` variables files in their order, plans), each module
directory's `.terraform/modules/modules.json`, the selected policies' definitions and the configuration that
changes verdicts. What a load reads beyond that (module directories found through sources or modules.json,
their listings, `file()` targets, including absent ones) is recorded in the entry with its digest and checked
on every hit.

Hash what you parse: while a scan loads, every read goes through the ledger (`record`), which keeps the digest
of the bytes actually parsed. The entry is stored under the key computed from those digests, not from the
files as they were before the scan, so a file edited during a scan can never be cached with the old verdict;
a file read twice with different bytes in one scan is not cached at all. A corrupt or wrong-type entry is
ignored (and replaced by the next store). Suppressions are applied after the cache, so expiry dates are judged
on the day of each scan.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle

from .. import __version__
from ..graph import Graph
from ..model import Resource, ScanError

FORMAT = "scan/2"
MODULES_JSON = os.path.join(".terraform", "modules", "modules.json")


# ---- the ledger: what a load read ------------------------------------------------------------------------
class Ledger:
    def __init__(self) -> None:
        self.files: dict[str, str | None] = {}  # path -> sha256 of the bytes read (None: absent/unreadable)
        self.listings: dict[str, str] = {}  # directory -> digest of its sorted entry names
        self.unstable = False  # a file read twice in one scan gave different bytes

    def record(self, path: str, data: bytes | None) -> None:
        d = hashlib.sha256(data).hexdigest() if data is not None else None
        prev = self.files.setdefault(path, d)
        if prev != d:
            self.unstable = True

    def listing(self, directory: str, names: list[str]) -> None:
        d = _names_digest(names)
        prev = self.listings.setdefault(directory, d)
        if prev != d:
            self.unstable = True


_LEDGER: Ledger | None = None


def begin() -> Ledger:
    global _LEDGER
    _LEDGER = Ledger()
    return _LEDGER


def end() -> Ledger | None:
    global _LEDGER
    led, _LEDGER = _LEDGER, None
    return led


def record(path: str, data: bytes | None) -> None:
    """Called by every reader of an input (parse/read.read_text, plans, modules.json, file())."""
    if _LEDGER is not None:
        _LEDGER.record(os.path.abspath(path), data)


def record_listing(directory: str, names: list[str]) -> None:
    if _LEDGER is not None:
        _LEDGER.listing(os.path.abspath(directory), names)


def _names_digest(names: list[str]) -> str:
    return hashlib.sha256("\0".join(sorted(names)).encode("utf-8", "surrogateescape")).hexdigest()


def _disk_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _disk_listing(directory: str) -> str | None:
    try:
        return _names_digest(os.listdir(directory))
    except OSError:
        return None


# ---- keys ------------------------------------------------------------------------------------------------
def key_inputs(disc, var_files: list[str]) -> list[str]:
    """The files whose contents are hashed into the key, in a fixed order; var files keep their order."""
    from ..load import disc_files
    files = list(disc_files(disc))
    files += [os.path.join(d, MODULES_JSON) for d in sorted(disc.module_dirs)]
    return files + ["\0var-files"] + [os.path.abspath(v) for v in var_files]


def _key(digests: list[tuple[str, str | None]], root: str, policies: list, cfg, allow_outside: bool) -> str:
    h = hashlib.sha256(f"{FORMAT}/{__version__}\0{root}\0".encode())
    for f, d in digests:
        h.update(f.encode("utf-8", "surrogateescape") + b"\0" + (d or "<absent>").encode() + b"\0")
    h.update(json.dumps([[p.id, p.meta, p.definition] for p in policies], sort_keys=True, default=str).encode())
    h.update(json.dumps({"scope": cfg.scope, "phi_tags": cfg.phi_tags, "parameters": cfg.parameters,
                         "eligible": cfg.eligible_services, "outside": allow_outside}, sort_keys=True,
                        default=str).encode())
    return h.hexdigest()


class Token:
    """What a lookup computed, for the store after the load."""

    def __init__(self, files: list[str], pre: dict, root: str, policies: list, cfg, allow_outside: bool):
        self.files, self.pre, self.root = files, pre, root
        self.policies, self.cfg, self.allow_outside = policies, cfg, allow_outside
        self.key = _key([(f, pre.get(f)) for f in files], root, policies, cfg, allow_outside)


def scan_key(files: list[str], root: str, policies: list, cfg, var_files: list[str], allow_outside: bool) -> str:
    """The key of the inputs as they are on disk now (var files in the order given)."""
    names = list(files) + ["\0var-files"] + [os.path.abspath(v) for v in var_files]
    return _key([(f, None if f.startswith("\0") else _disk_digest(f)) for f in names], root, policies, cfg,
                allow_outside)


def lookup(cache_dir: str, disc, policies: list, cfg, var_files: list[str], allow_outside: bool):
    """(entry or None, token). The token is passed to `store` after the load."""
    files = key_inputs(disc, var_files)
    pre = {f: (None if f.startswith("\0") else _disk_digest(f)) for f in files}
    token = Token(files, pre, disc.root, policies, cfg, allow_outside)
    return get(cache_dir, token.key), token


def store(cache_dir: str, token: Token, ledger: Ledger | None, graph: Graph, results: list[dict]) -> None:
    """Store under the key of the bytes the load parsed (ledger digests; the pre-scan digest for an input
    the load did not read, which therefore did not decide anything)."""
    if ledger is None or ledger.unstable:
        return
    parsed = [(f, ledger.files[f] if f in ledger.files else token.pre.get(f)) for f in token.files]
    key = _key(parsed, token.root, token.policies, token.cfg, token.allow_outside)
    keyed = set(token.files)
    extra = {f: d for f, d in ledger.files.items() if f not in keyed}
    put(cache_dir, key, graph, results, extra, dict(ledger.listings))


# ---- entries ---------------------------------------------------------------------------------------------
def _valid(entry) -> bool:
    """Structure of an entry as `put` writes it (anything else, from a bug or a hand-edit, is a miss)."""
    try:
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            return False
        if not isinstance(entry["results"], list) or not all(isinstance(r, dict) for r in entry["results"]):
            return False
        if not isinstance(entry["stubs"], list) or not all(isinstance(s, tuple) and len(s) == 9
                                                           for s in entry["stubs"]):
            return False
        for k in ("errors", "warnings"):
            if not isinstance(entry[k], list) or not all(isinstance(e, dict) and set(e) == {"file", "line", "message"}
                                                         for e in entry[k]):
                return False
        return (isinstance(entry["files_read"], int) and isinstance(entry["root"], str)
                and isinstance(entry["extra"], dict) and isinstance(entry["listings"], dict))
    except (KeyError, TypeError):
        return False


def get(cache_dir: str, key: str) -> dict | None:
    path = os.path.join(cache_dir, "scans", key + ".pickle")
    try:
        with open(path, "rb") as fh:
            entry = pickle.load(fh)
    except Exception:
        return None
    if not _valid(entry):
        return None
    for f, digest in entry["extra"].items():
        if _disk_digest(f) != digest:
            return None
    for d, digest in entry["listings"].items():
        if _disk_listing(d) != digest:
            return None
    return entry


def put(cache_dir: str, key: str, graph: Graph, results: list[dict], extra: dict | None = None,
        listings: dict | None = None) -> None:
    if graph.errors:
        return  # an incomplete analysis is not worth keeping
    stubs = [(r.address, r.mode, r.type, r.name, r.module, r.file, r.line, r.end_line, r.comments)
             for r in graph.resources if r.comments or r.mode == "managed"]
    entry = {"format": FORMAT, "results": results, "stubs": stubs,
             "errors": [e.as_dict() for e in graph.errors], "warnings": [w.as_dict() for w in graph.warnings],
             "files_read": graph.files_read, "root": graph.root,
             "extra": dict(extra or {}), "listings": dict(listings or {})}
    try:
        from ..fsutil import atomic_write
        atomic_write(os.path.join(cache_dir, "scans", key + ".pickle"),
                     pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL), durable=False)
    except Exception:
        pass


def graph_from(entry: dict) -> Graph:
    """A graph with just what suppression and the summary need: addresses, files, lines, comments."""
    res = [Resource(address=a, mode=m, type=t, name=n, module=mod, file=f, line=line, end_line=end, comments=c)
           for a, m, t, n, mod, f, line, end, c in entry["stubs"]]
    return Graph(res, root=entry["root"],
                 errors=[ScanError(**e) for e in entry["errors"]],
                 warnings=[ScanError(**w) for w in entry["warnings"]], files_read=entry["files_read"])
