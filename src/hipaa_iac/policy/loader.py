"""Discover and load the policy pack: `policies/<cloud>/<ID>.yaml`, one policy per file."""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any

MAX_POLICY_BYTES = 256 * 1024


@dataclass
class Policy:
    id: str
    cloud: str
    file: str
    meta: dict
    definition: Any

    @property
    def severity(self) -> str:
        return self.meta["severity"]

    @property
    def name(self) -> str:
        return self.meta["name"]

    def as_metadata(self) -> dict:
        m = dict(self.meta)
        m["cloud"] = self.cloud
        return m


@dataclass
class Pack:
    policies: list[Policy] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, Policy]:
        return {p.id: p for p in self.policies}


def default_policy_dir() -> str:
    """The pack next to the package in a source checkout, else the copy installed with the package."""
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "policies"), os.path.join(here, "..", "..", "..", "policies")):
        cand = os.path.normpath(cand)
        if os.path.isdir(cand):
            return cand
    return os.path.normpath(os.path.join(here, "..", "..", "..", "policies"))


def _pack_files(policy_dir: str) -> list[str]:
    files = []
    for dirpath, dirnames, filenames in os.walk(policy_dir):
        dirnames.sort()
        for n in sorted(filenames):
            if n.endswith((".yaml", ".yml")):
                files.append(os.path.join(dirpath, n))
    return files


COMPILED_PACK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "pack.json")


def pack_digest(policy_dir: str, files: list[str]) -> str | None:
    """sha256 over every policy file's path and content: identical packs have identical digests."""
    import hashlib
    h = hashlib.sha256(b"pack/1\0")
    try:
        for f in files:
            h.update(os.path.relpath(f, policy_dir).replace(os.sep, "/").encode() + b"\0")
            with open(f, "rb") as fh:
                h.update(fh.read(MAX_POLICY_BYTES + 1))
            h.update(b"\0")
    except OSError:
        return None
    return h.hexdigest()


def _read_policies(path: str, digest: str | None = None) -> list[Policy] | None:
    import json
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if digest is not None and (not isinstance(data, dict) or data.get("digest") != digest):
            return None
        items = data["policies"] if isinstance(data, dict) else data
        return [Policy(**d) for d in items]
    except Exception:  # missing, stale or corrupted: validate the files instead
        return None


def load_pack(policy_dir: str | None = None, validate: bool = True, cache_dir: str | None = None) -> Pack:
    """Load and validate the pack. A pack identical to the one validated when this version was built
    (src/hipaa_iac/data/pack.json, checked current in CI) or to one validated before (the user cache) is not
    validated again: a cold pre-commit scan neither parses 200 YAML files nor imports pydantic."""
    policy_dir = policy_dir or default_policy_dir()
    files = _pack_files(policy_dir)
    if not files:
        # never judge with nothing: an empty or missing pack would pass everything
        return Pack([], [f"{policy_dir}: no policy files found (a missing or empty policy directory)"])
    digest = pack_digest(policy_dir, files) if validate else None
    key = None
    if digest:
        bundled = _read_policies(COMPILED_PACK, digest)
        if bundled is not None:
            return Pack(bundled, [])
        if cache_dir:
            from ..cache import pack_entry
            key = pack_entry(cache_dir, digest)
            cached = _read_policies(key)
            if cached is not None:
                return Pack(cached, [])
    pack = _load_files(policy_dir, files, validate)
    if key and not pack.errors:
        import json
        from ..fsutil import atomic_write
        try:
            atomic_write(key, json.dumps([p.__dict__ for p in pack.policies]), durable=False)  # a cache entry
        except OSError:
            pass
    return pack


def compiled_pack_text(policy_dir: str | None = None) -> tuple[str | None, list[str]]:
    """The content of src/hipaa_iac/data/pack.json for the pack, or the pack's errors."""
    import json
    policy_dir = policy_dir or default_policy_dir()
    files = _pack_files(policy_dir)
    pack = _load_files(policy_dir, files, True)
    if pack.errors or not files:
        return None, pack.errors or ["no policy files"]
    body = {"digest": pack_digest(policy_dir, files), "policies": [p.__dict__ for p in pack.policies]}
    from ..jsonfmt import dumps_records
    return dumps_records(json.loads(json.dumps(body, default=str)), 2) + "\n", []  # one policy per line


def _load_files(policy_dir: str, files: list[str], validate: bool) -> Pack:
    import yaml

    from ..yamlio import safe_load
    pack = Pack()
    seen: dict[str, str] = {}
    if validate:
        from .schema import validate_policy
    for path in files:
        relp = os.path.relpath(path, os.path.dirname(policy_dir)).replace(os.sep, "/")
        try:
            if os.path.getsize(path) > MAX_POLICY_BYTES:
                pack.errors.append(f"{relp}: policy file larger than {MAX_POLICY_BYTES} bytes")
                continue
            with open(path, encoding="utf-8") as fh:
                doc = safe_load(fh)
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
            pack.errors.append(f"{relp}: cannot read policy: {e}")
            continue
        if validate:
            pf, errs = validate_policy(doc, relp)
            if errs:
                pack.errors.extend(errs)
                continue
        meta = doc["metadata"]
        pid = meta["id"]
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem != pid:
            pack.errors.append(f"{relp}: metadata.id {pid!r} does not match the file name {stem!r}")
            continue
        if pid in seen:
            pack.errors.append(f"{relp}: metadata.id {pid!r} is already used by {seen[pid]}")
            continue
        seen[pid] = relp
        cloud = os.path.basename(os.path.dirname(path))
        pack.policies.append(Policy(pid, cloud, relp, meta, doc["definition"]))
    return pack


def select(pack: Pack, include: list[str] | None, exclude: list[str] | None, opt_in: list[str] | None = None) -> list[Policy]:
    out = []
    for p in pack.policies:
        if include and not any(fnmatch.fnmatchcase(p.id, g) for g in include):
            continue
        if exclude and any(fnmatch.fnmatchcase(p.id, g) for g in exclude):
            continue
        if p.meta.get("opt_in") and not (opt_in and any(fnmatch.fnmatchcase(p.id, g) for g in opt_in)) \
                and not (include and p.id in include):
            continue
        out.append(p)
    return out
