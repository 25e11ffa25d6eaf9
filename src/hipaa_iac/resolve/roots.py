"""Root modules: which scanned directories are roots (not called by another as a local module), and the
resolution of each root with its variables files into resource instances (one shared budget)."""
from __future__ import annotations

import os

from ..model import ScanError, internal_error
from ..parse.read import rel
from .tfvars import load_tfvars, tfvars_order


def called_module_dirs(src_by_dir: dict) -> set[str]:
    """Directories that another scanned directory calls as a local module (judged as children)."""
    from ..expr import Lit
    called = set()
    for d, src in src_by_dir.items():
        if src is None:
            continue
        for b in src.blocks:
            if b.type == "module" and "source" in b.attributes:
                e = b.attributes["source"].expr
                if isinstance(e, Lit) and isinstance(e.value, str) and e.value.startswith(("./", "../")):
                    called.add(os.path.normpath(os.path.join(d, e.value)))
    return called


def resolve_roots(disc, loader, src_by_dir: dict, extra_vars: dict, allow_outside: bool,
                  errors: list, warnings: list) -> list:
    """Every root module resolved (its terraform.tfvars and *.auto.tfvars, then `extra_vars`); a directory
    only ever called from a module cycle is judged as a root too, never skipped. Returns the resources."""
    from ..paths import project_root
    from .module import Budget, Context, ModuleInstance, load_modules_json
    root = disc.root
    children = called_module_dirs(src_by_dir)
    resources: list = []
    visited: set[str] = set()
    budget = Budget()  # total resource and module instances of the scan, shared by every root

    def run_root(d: str, src) -> None:
        ctx = Context(root_dir=root, load_module=loader.module, modules_json=load_modules_json(d, disc.repo_for(d)),
                      allow_outside=allow_outside, visited=visited, repo_dir=project_root(disc.repo_for(d)),
                      budget=budget, module_root=rel(d, root) if os.path.normpath(d) != os.path.normpath(root) else ".")
        inst = ModuleInstance(ctx, src, "", {}, "", (os.path.realpath(d),))
        tfv = load_tfvars(tfvars_order(disc.tfvars.get(d, [])), root, errors)
        tfv.update(extra_vars)
        inst.tfvars = tfv
        try:
            inst.emit()
        except Exception as e:  # backstop: the resources of this root not yet emitted stay unknown
            _emit_stubs(ctx, src, e)
        errors.extend(ctx.errors)
        warnings.extend(ctx.warnings)
        resources.extend(ctx.resources)

    for d, src in src_by_dir.items():
        if src is not None and d not in children:
            run_root(d, src)
    for d, src in src_by_dir.items():
        if src is not None and d in children and os.path.realpath(d) not in visited:
            run_root(d, src)
    if budget.summary() is not None:
        warnings.append(budget.summary())
    return resources


def _emit_stubs(ctx, src, exc: BaseException) -> None:
    """After an internal error while resolving a root module: every resource block of the root that was
    not emitted becomes a resource whose results are unknown, and the error is reported."""
    from ..model import Resource
    msg = internal_error(exc, "resolve")
    first = next((b for b in src.blocks if b.type == "resource"), None)
    ctx.errors.append(ScanError(first.file if first else (src.rel or "."), first.line if first else None, msg))
    from ..address import strip_keys
    done = {strip_keys(r.address) for r in ctx.resources}
    for b in src.blocks:
        if b.type == "resource" and len(b.labels) == 2 and f"{b.labels[0]}.{b.labels[1]}" not in done:
            ctx.resources.append(Resource(address=f"{b.labels[0]}.{b.labels[1]}", mode="managed", type=b.labels[0],
                                          name=b.labels[1], module="", file=b.file, line=b.line,
                                          end_line=b.end_line, tainted=msg))
