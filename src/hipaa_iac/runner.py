"""The scan pipeline as one call: configuration -> load graph -> evaluate -> suppress -> report dict."""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field


@dataclass
class ScanRequest:
    paths: list[str]
    config_file: str | None = None
    policies: list[str] = field(default_factory=list)
    skip_policies: list[str] = field(default_factory=list)
    var_files: list[str] = field(default_factory=list)
    exceptions: str | None = None
    baseline: str | None = None
    severity_threshold: str | None = None
    unknown: str | None = None
    scope: str | None = None
    allow_parse_errors: bool = False
    no_cache: bool = False
    policy_dir: str | None = None
    today: datetime.date | None = None


@dataclass
class ScanResult:
    report: dict
    policies: dict
    exit_code: int
    graph: object = None
    fatal: str | None = None


def cache_dir(no_cache: bool, enabled: bool) -> str | None:
    if no_cache or not enabled:
        return None
    d = os.environ.get("HIPAA_IAC_CACHE_DIR")
    if d:
        return d
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hipaa-iac")


def execute(req: ScanRequest) -> ScanResult:
    from .config import ConfigError, load_config
    from .load import LoadOptions, load
    from .model import ScanError
    from .policy.loader import load_pack, select
    from .scan import build_report, evaluate_policies, exit_code
    start = req.paths[0] if req.paths else "."
    try:
        cfg = load_config(req.config_file, start)
    except ConfigError as e:
        return ScanResult({}, {}, 2, fatal=f"{e.file}{':' + str(e.line) if e.line else ''}: {e.message}")
    cdir = cache_dir(req.no_cache, cfg.cache)
    pack = load_pack(req.policy_dir or cfg.policy_dir, cache_dir=cdir)
    if pack.errors:
        return ScanResult({}, {}, 2, fatal="invalid policy pack:\n  " + "\n  ".join(pack.errors))
    include = req.policies or cfg.policies
    exclude = req.skip_policies or cfg.skip_policies
    policies = select(pack, include, exclude, cfg.opt_in)
    if include and not policies:
        return ScanResult({}, {}, 2, fatal=f"no policy matches {', '.join(include)}")
    var_files = list(cfg.var_files) + [os.path.abspath(v) for v in req.var_files]
    for v in var_files:
        if not os.path.isfile(v):
            return ScanResult({}, {}, 2, fatal=f"{v}: variables file not found")
    if req.scope:
        cfg.scope = req.scope
    from .discover import discover
    disc = discover(req.paths)
    graph = None
    key = None
    if cdir:
        from . import scancache
        from .load import disc_files
        key = scancache.scan_key(disc_files(disc), disc.root, policies, cfg, var_files, cfg.allow_outside_modules)
        entry = scancache.get(cdir, key)
        if entry is not None:
            graph = scancache.graph_from(entry)
            results = [dict(r) for r in entry["results"]]
    if graph is None:
        graph = load(req.paths, LoadOptions(var_files=var_files, allow_outside_modules=cfg.allow_outside_modules,
                                            cache_dir=cdir), disc)
        results = evaluate_policies(graph, policies, cfg)
        if key:
            scancache.put(cdir, key, graph, results)
    errors = list(graph.errors)
    warnings = list(graph.warnings)
    from .suppress import apply_suppressions
    exc_path = req.exceptions or cfg.exceptions
    explicit_exc = exc_path is not None
    if exc_path is None:
        cand = os.path.join(graph.root, ".hipaa-iac-exceptions.yaml")
        exc_path = cand if os.path.isfile(cand) else None
    if explicit_exc and not os.path.isfile(exc_path):
        errors.append(ScanError(exc_path, None, "exceptions file not found"))
        exc_path = None
    s_err, s_warn = apply_suppressions(results, graph, cfg, graph.root, exc_path, req.baseline,
                                       req.today or datetime.date.today())
    errors += s_err
    warnings += s_warn
    roots = [os.path.relpath(os.path.abspath(p)).replace(os.sep, "/") if not os.path.isabs(p) else p
             for p in req.paths]
    report = build_report(results, graph, policies, errors, warnings, roots, cfg.scope)
    allow = req.allow_parse_errors or cfg.allow_parse_errors
    code = exit_code(report, req.severity_threshold or cfg.severity_threshold, req.unknown or cfg.unknown, allow)
    return ScanResult(report, {p.id: p.as_metadata() for p in policies}, code, graph)
