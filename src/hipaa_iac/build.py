"""From a request and its configuration to the resource graph: the one way every command reads Terraform.

`scan`, `graph`, `pre-commit`, `baseline create` and the corpus harness (which runs `scan` in-process) all
call `build_graph`, so they read the same inputs the same way: the configuration's `var_files` before the
command line's, `allow_outside_modules`, `--exclude`, the empty-input check.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass
class Inputs:
    """What a scan reads, before anything is parsed (the scan cache is keyed on it)."""
    disc: object = None  # discover.Discovery
    var_files: list[str] = field(default_factory=list)  # configuration's, then the command line's (absolute)
    skipped: list = field(default_factory=list)  # (path relative to the scan root, why) found, not scanned
    fatal: str | None = None  # why nothing can be read (exit 2)


def graph_inputs(req, cfg) -> Inputs:
    """Variables files (each must exist), discovery, `--exclude`, and the empty-input check."""
    from .discover import discover
    from .selection import apply_excludes, empty_input
    var_files = list(cfg.var_files) + [os.path.abspath(v) for v in req.var_files]
    for v in var_files:
        if not os.path.isfile(v):
            return Inputs(var_files=var_files, fatal=f"{v}: variables file not found")
    disc = discover(req.paths)
    skipped = apply_excludes(disc, req.exclude)
    empty = None if req.allow_empty else empty_input(disc, req.paths, skipped)
    return Inputs(disc, var_files, skipped, empty)


def build_graph(req, cfg, inputs: Inputs | None = None, parse_cache: str | None = None):
    """The graph of `req.paths` under `cfg` (None when `inputs.fatal`), and the inputs it was read from.
    `parse_cache`: the per-file parse cache directory, None for none."""
    from .load import LoadOptions, load
    inputs = inputs or graph_inputs(req, cfg)
    if inputs.fatal:
        return None, inputs
    options = LoadOptions(var_files=inputs.var_files, allow_outside_modules=cfg.allow_outside_modules,
                          cache_dir=parse_cache)
    return load(req.paths, options, inputs.disc), inputs
