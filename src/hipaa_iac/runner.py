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
    exclude: list[str] = field(default_factory=list)  # path globs relative to the scan root (--exclude)
    allow_empty: bool = False  # no Terraform input found is not an error (--allow-empty)
    strict: bool = False  # governance warnings are errors (--strict; also the `strict` config key)


@dataclass
class ScanResult:
    report: dict
    policies: dict
    exit_code: int
    graph: object = None
    fatal: str | None = None
    skipped: list = field(default_factory=list)  # (path relative to the scan root, why) found, not scanned


def cache_dir(no_cache: bool, enabled: bool) -> str | None:
    if no_cache or not enabled:
        return None
    d = os.environ.get("HIPAA_IAC_CACHE_DIR")
    if d:
        return d
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hipaa-iac")


def _cache_in_use(cdir: str) -> bool:
    """Whether an earlier scan wrote a scan entry into this cache directory."""
    try:
        with os.scandir(os.path.join(cdir, "scans")) as it:
            return any(e.name.endswith(".pickle") for e in it)
    except OSError:
        return False


def execute(req: ScanRequest) -> ScanResult:
    """The whole scan. Total: an internal error that escapes every stage's own guard still ends in a
    report (its one error names the first input path) and exit code 2, never a traceback."""
    try:
        return _execute(req)
    except Exception as e:
        from .graph import Graph
        from .model import ScanError, internal_error
        from .scan import build_report
        first = req.paths[0] if req.paths else "."
        err = ScanError(first, None, internal_error(e, "scan"))
        report = build_report([], Graph([], root=os.path.abspath(first), errors=[err]), [], [err], [],
                              list(req.paths), "all")
        return ScanResult(report, {}, 2)


def _execute(req: ScanRequest) -> ScanResult:
    from .config import ConfigError, load_config
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
    from .config import check_parameters
    try:
        check_parameters(cfg, pack.policies)
    except ConfigError as e:
        return ScanResult({}, {}, 2, fatal=f"{e.file}{':' + str(e.line) if e.line else ''}: {e.message}")
    governance: list = []  # ScanError: warnings, errors under --strict / `strict: true`
    if not policies:
        what = ("--skip-policy" if req.skip_policies else "skip_policies") if exclude else "the selection"
        governance.append(ScanError(cfg.source if exclude and not req.skip_policies and cfg.source else ".",
                                    cfg.lines.get("skip_policies") if exclude and not req.skip_policies else None,
                                    f"governance: {what} leaves no policy to run: nothing is judged"))
    if req.scope:
        cfg.scope = req.scope
    from .build import build_graph, graph_inputs
    inputs = graph_inputs(req, cfg)
    if inputs.fatal:
        return ScanResult({}, {}, 2, fatal=inputs.fatal, skipped=inputs.skipped)
    disc, var_files, skipped = inputs.disc, inputs.var_files, inputs.skipped
    graph = None
    token = None
    from . import scancache
    if cdir:
        entry, token = scancache.lookup(cdir, disc, policies, cfg, var_files, cfg.allow_outside_modules)
        if entry is not None:
            try:
                graph = scancache.graph_from(entry)
                results = [dict(r) for r in entry["results"]]
            except Exception:  # a damaged entry is a miss (and is replaced below)
                graph = None
    if graph is None:
        # The per-file parse cache pays off from the second scan on: a scan with an empty cache (every CI run
        # that restores none) writes only its one scan entry, so it costs what --no-cache costs (issue 15).
        parse_cache = cdir if cdir and _cache_in_use(cdir) else None
        scancache.begin()
        try:
            graph, _ = build_graph(req, cfg, inputs, parse_cache)
        finally:
            ledger = scancache.end()
        if cfg.scope == "phi-path":
            from .scan import phi_resources
            if not phi_resources(graph, cfg.phi_tags):
                graph.warnings.append(ScanError(cfg.source or ".", cfg.lines.get("phi_tags") or cfg.lines.get("scope"),
                                                "governance: scope phi-path, but no resource carries the PHI tags "
                                                "(phi_tags): nothing is judged"))
        results = evaluate_policies(graph, policies, cfg, graph.errors)
        if token is not None:
            scancache.store(cdir, token, ledger, graph, results)
    errors = list(graph.errors)
    warnings = [ScanError(f, line, m) for f, line, m in cfg.notes] + list(graph.warnings) + governance
    from .suppress import apply_suppressions
    exc_path = req.exceptions or cfg.exceptions
    explicit_exc = exc_path is not None
    if exc_path is None:
        cand = os.path.join(graph.root, ".hipaa-iac-exceptions.yaml")
        exc_path = cand if os.path.isfile(cand) or os.path.islink(cand) else None
        from .paths import inside, repo_root
        if exc_path and not inside(cand, repo_root(graph.root)):
            errors.append(ScanError(".hipaa-iac-exceptions.yaml", None, "symbolic link to a file outside the "
                                    "repository: refused, not read"))
            exc_path = None
    if explicit_exc and not os.path.isfile(exc_path):
        errors.append(ScanError(exc_path, None, "exceptions file not found"))
        exc_path = None
    s_err, s_warn = apply_suppressions(results, graph, cfg, graph.root, exc_path, req.baseline or cfg.baseline,
                                       req.today or datetime.date.today())
    errors += s_err
    warnings += s_warn
    if req.strict or cfg.strict:  # governance warnings become errors (exit 2)
        errors += [w for w in warnings if w.message.startswith("governance:")]
        warnings = [w for w in warnings if not w.message.startswith("governance:")]
    roots = [os.path.relpath(os.path.abspath(p)).replace(os.sep, "/") if not os.path.isabs(p) else p
             for p in req.paths]
    report = build_report(results, graph, policies, errors, warnings, roots, cfg.scope)
    from .report.provenance import generated_at, repository
    report["scan"]["generated_at"] = generated_at()
    repo = repository(graph.root)
    if repo is not None:
        report["scan"]["repository"] = repo
    allow = req.allow_parse_errors or cfg.allow_parse_errors
    threshold, unknown_mode = req.severity_threshold or cfg.severity_threshold, req.unknown or cfg.unknown
    code = exit_code(report, threshold, unknown_mode, allow)
    # the verdict the exit code gives, for the reports that state it (HTML, Markdown, OSCAL)
    report["scan"]["gate"] = {"severity_threshold": threshold, "unknown": unknown_mode,
                              "baseline": bool(req.baseline or cfg.baseline),
                              "verdict": {0: "passed", 1: "failed"}.get(code, "incomplete")}
    return ScanResult(report, {p.id: p.as_metadata() for p in policies}, code, graph, skipped=skipped)
