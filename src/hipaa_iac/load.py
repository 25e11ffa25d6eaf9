"""Graph assembly: from a discovery to one resource graph. Each file is read by parse/ (parse/read.py one
file, parse/pool.py many in parallel, parse/plan.py plans), module directories by resolve/loader.py (with
override merging, resolve/overrides.py), variables files by resolve/tfvars.py, root modules by
resolve/roots.py; here the plan resources replace the configuration's view of what they describe.
Commands reach this through build.build_graph, which applies the configuration.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .discover import Discovery, discover
from .graph import Graph
from .model import ScanError
from .parse.read import MAX_PARSE_BYTES, rel  # noqa: F401  (MAX_PARSE_BYTES: the documented per-file limit)


@dataclass
class LoadOptions:
    var_files: list[str] = field(default_factory=list)
    allow_outside_modules: bool = False
    cache_dir: str | None = None  # parse cache directory, None = no cache


def load(paths: list[str], options: LoadOptions | None = None, disc: Discovery | None = None) -> Graph:
    from .resolve import evaluate as _ev
    from .resolve.loader import Loader
    from .resolve.roots import resolve_roots
    from .resolve.tfvars import load_tfvars
    options = options or LoadOptions()
    disc = disc or discover(paths)
    _ev.EXTRA_READS.clear()
    root = disc.root
    errors: list[ScanError] = [ScanError(rel(f, root) if os.path.isabs(f) else f, line, msg)
                               for f, line, msg in disc.errors]
    warnings: list[ScanError] = [ScanError(rel(f, root), line, msg) for f, line, msg in disc.warnings]
    loader = Loader(root, errors, options.cache_dir)
    from .paths import project_root
    loader.repo_for = lambda d: project_root(disc.repo_for(d))  # module files: the project, not only the scan
    loader.prefetch([f for files in disc.module_dirs.values() for f in files])
    src_by_dir = {d: loader.module(d, files) for d, files in sorted(disc.module_dirs.items())}
    extra_vars = load_tfvars(options.var_files, root, errors) if options.var_files else {}
    resources = resolve_roots(disc, loader, src_by_dir, extra_vars, options.allow_outside_modules, errors, warnings)
    plans_read: list[str] = []
    plan_resources = _read_plans(disc.plans + disc.explicit_json, root, errors, plans_read)
    loader.files_read += len(plans_read)
    if plan_resources:
        resources = _with_plan(resources, plan_resources)
    for r in resources:
        if r.file in loader.tainted:
            r.tainted = loader.tainted[r.file]
    loader.cache.clear()  # the parsed blocks are no longer needed: let them go before evaluation
    loader.prefetched.clear()
    warnings.extend(loader.warnings)
    g = Graph(resources, root=root, errors=errors, warnings=warnings, files_read=loader.files_read,
              parsers=loader.parsers, tainted=loader.tainted)
    g.provider_versions = _provider_versions(resources, root, disc)
    from .cache import scan as scancache
    reads = _ev.EXTRA_READS  # file() targets -> digest of the bytes read (None: absent)
    for f, digest in (reads.items() if isinstance(reads, dict) else ((f, scancache._disk_digest(f)) for f in reads)):
        if scancache._LEDGER is not None:
            scancache._LEDGER.files.setdefault(f, digest)
    g.extra_files = sorted(set(loader.paths_read) - set(disc_files(disc)) | set(_ev.EXTRA_READS))
    return g


def _provider_versions(resources: list, root: str, disc: Discovery) -> dict[str, dict[str, str]]:
    """Root module (relative to the scan root) -> {provider: locked version} from its .terraform.lock.hcl,
    for the root modules configuration resources belong to (a plan already holds the provider's values)."""
    from .provider_versions import locked_versions
    out: dict[str, dict[str, str]] = {}
    for mr in sorted({r.module_root for r in resources if r.source != "plan"}):
        d = os.path.normpath(os.path.join(root, mr))
        out[mr] = locked_versions(d, disc.repo_for(d))
    return out


def _read_plans(plan_files: list[str], root: str, errors: list, counted: list) -> list:
    """The resources of every plan (parse/plan.read_plan_file), each told apart by its plan's directory."""
    from .cache import read_input
    from .parse.plan import read_plan_file
    out = []
    for p in plan_files:
        relpath = rel(p, root)
        res, errs = read_plan_file(p, relpath, read=read_input, counted=counted)
        errors.extend(errs)
        for r in res:  # a plan is one root module's: told apart by the plan's directory
            r.module_root = os.path.dirname(relpath).replace(os.sep, "/") or "."
        out.extend(res)
    return out


def _with_plan(resources: list, plan_resources: list) -> list:
    """The plan is the more precise description of what will exist: it replaces the HCL view of the
    resources it describes, and they lend it their file and line."""
    from .parse import plan as planmod
    if resources:
        planmod.attach_sources(plan_resources, resources)
        planned = {r.address for r in plan_resources}
        resources = [r for r in resources if r.address not in planned and not _base_in(r.address, planned)]
    return resources + plan_resources


def disc_files(disc: Discovery) -> list[str]:
    """Every input file discovery found (configuration, variables files, plans)."""
    out = [f for files in disc.module_dirs.values() for f in files]
    out += [f for files in disc.tfvars.values() for f in files]
    out += disc.plans + disc.explicit_json
    return sorted(out)


def _base_in(address: str, planned: set[str]) -> bool:
    """Whether the plan describes this resource under another instance key (or without one)."""
    from .address import base
    if address.endswith("]"):
        return base(address) in planned
    return any(p.startswith(address + "[") for p in planned)
