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
    from .cache import directory
    return directory(no_cache, enabled)


def execute(req: ScanRequest) -> ScanResult:
    """The whole scan. Total: an internal error that escapes every stage's own guard still ends in a
    report (its one error names the first input path) and exit code 2, never a traceback."""
    try:
        return _execute(req)
    except Exception as e:
        from .graph import Graph
        from .model import ScanError, internal_error
        from .report.contract import build_report
        first = req.paths[0] if req.paths else "."
        err = ScanError(first, None, internal_error(e, "scan"))
        report = build_report([], Graph([], root=os.path.abspath(first), errors=[err]), [], [err], [],
                              list(req.paths), "all")
        return ScanResult(report, {}, 2)


class _Fatal(Exception):
    """A stage found that the scan cannot run (exit 2 with this message)."""


def _config_message(e) -> str:
    return f"{e.file}{':' + str(e.line) if e.line else ''}: {e.message}"


def _execute(req: ScanRequest) -> ScanResult:
    """The stages in order: configuration, policies, inputs, graph and results (or the scan cache's),
    suppressions, report and gate."""
    from .build import graph_inputs
    from .config import ConfigError, load_config
    try:
        cfg = load_config(req.config_file, req.paths[0] if req.paths else ".")
        cdir = cache_dir(req.no_cache, cfg.cache)
        policies, governance = _policies(req, cfg, cdir)
    except ConfigError as e:
        return ScanResult({}, {}, 2, fatal=_config_message(e))
    except _Fatal as e:
        return ScanResult({}, {}, 2, fatal=str(e))
    if req.scope:
        cfg.scope = req.scope
    inputs = graph_inputs(req, cfg)
    if inputs.fatal:
        return ScanResult({}, {}, 2, fatal=inputs.fatal, skipped=inputs.skipped)
    graph, results = _graph_and_results(req, cfg, inputs, policies, cdir)
    errors, warnings = _suppress(req, cfg, graph, results, governance)
    report, code = _report(req, cfg, graph, results, policies, errors, warnings)
    return ScanResult(report, {p.id: p.as_metadata() for p in policies}, code, graph, skipped=inputs.skipped)


def _policies(req: ScanRequest, cfg, cdir: str | None) -> tuple[list, list]:
    """The selected policies, and the governance warning when the selection leaves none to run.
    Raises _Fatal (invalid pack, a --policy that matches nothing) or ConfigError (bad parameters)."""
    from .config import check_parameters
    from .model import ScanError
    from .policy.loader import load_pack, select
    pack = load_pack(req.policy_dir or cfg.policy_dir, cache_dir=cdir)
    if pack.errors:
        raise _Fatal("invalid policy pack:\n  " + "\n  ".join(pack.errors))
    governance: list = []  # ScanError: warnings, errors under --strict / `strict: true`
    if cfg.policy_dir and not req.policy_dir and not getattr(cfg, "trusted", True):
        _check_repository_pack(pack, cfg, governance)
    include = req.policies or cfg.policies
    exclude = req.skip_policies or cfg.skip_policies
    policies = select(pack, include, exclude, cfg.opt_in)
    if include and not policies:
        raise _Fatal(f"no policy matches {', '.join(include)}")
    check_parameters(cfg, pack.policies)
    if not policies:
        from_cfg = bool(exclude) and not req.skip_policies
        what = ("--skip-policy" if req.skip_policies else "skip_policies") if exclude else "the selection"
        governance.append(ScanError(cfg.source if from_cfg and cfg.source else ".",
                                    cfg.lines.get("skip_policies") if from_cfg else None,
                                    f"governance: {what} leaves no policy to run: nothing is judged"))
    return policies, governance


def _check_repository_pack(pack, cfg, governance: list) -> None:
    """A policy pack named by the scanned repository's own configuration is part of the change it judges:
    a warning says so (an error under --strict), and a pack whose regular expressions could backtrack
    catastrophically (policy.regex_guard) is refused, so a hostile pack cannot hang the scan."""
    from .model import ScanError
    from .policy.regex_guard import risky_patterns
    line = cfg.lines.get("policy_dir") if getattr(cfg, "lines", None) else None
    risky = [(p.file, r) for p in pack.policies for r in risky_patterns(p.definition)]
    if risky:
        where = "\n  ".join(f"{f}: pattern with a repetition of a repeated or alternating group" for f, _ in risky[:20])
        raise _Fatal(f"{cfg.source}:{line or 1}: policy_dir: the repository's policy pack is refused: its regular "
                     f"expressions could take exponential time (nested repetition); rewrite them or name the pack "
                     f"with --policy-dir:\n  {where}")
    governance.append(ScanError(cfg.source or ".", line,
                                "governance: policy_dir in the repository's own configuration: the pack that judges "
                                "this change is part of it; in CI, name the pack with --policy-dir"))


def _graph_and_results(req: ScanRequest, cfg, inputs, policies: list, cdir: str | None):
    """The graph and the results of the policies on it: from the scan cache when it holds this scan,
    else built (build.build_graph) and judged (policy/run.py), and stored."""
    from .cache import scan as scancache
    from .build import build_graph
    from .policy.run import evaluate_policies
    token = None
    if cdir:
        entry, token = scancache.lookup(cdir, inputs.disc, policies, cfg, inputs.var_files, cfg.allow_outside_modules)
        if entry is not None:
            try:
                return scancache.graph_from(entry), [dict(r) for r in entry["results"]]
            except Exception:  # a damaged entry is a miss (and is replaced below)
                pass
    # The per-file parse cache pays off from the second scan on: a scan with an empty cache (every CI run
    # that restores none) writes only its one scan entry, so it costs what --no-cache costs (issue 15).
    from .cache import in_use
    parse_cache = cdir if cdir and in_use(cdir) else None
    scancache.begin()
    try:
        graph, _ = build_graph(req, cfg, inputs, parse_cache)
    finally:
        ledger = scancache.end()
    _phi_scope_warning(cfg, graph)
    results = evaluate_policies(graph, policies, cfg, graph.errors)
    if token is not None:
        scancache.store(cdir, token, ledger, graph, results)
    return graph, results


def _phi_scope_warning(cfg, graph) -> None:
    from .model import ScanError
    from .policy.run import phi_resources
    if cfg.scope == "phi-path" and not phi_resources(graph, cfg.phi_tags):
        graph.warnings.append(ScanError(cfg.source or ".", cfg.lines.get("phi_tags") or cfg.lines.get("scope"),
                                        "governance: scope phi-path, but no resource carries the PHI tags "
                                        "(phi_tags): nothing is judged"))


def _exceptions_file(req: ScanRequest, cfg, root: str, errors: list) -> str | None:
    """--exceptions, the configured file, or .hipaa-iac-exceptions.yaml at the scan root (refused when it is
    a symbolic link out of the repository); a named file that does not exist is an error."""
    from .model import ScanError
    from .paths import inside, repo_root
    exc_path = req.exceptions or cfg.exceptions
    if exc_path is None:
        cand = os.path.join(root, ".hipaa-iac-exceptions.yaml")
        if not (os.path.isfile(cand) or os.path.islink(cand)):
            return None
        if not inside(cand, repo_root(root)):
            errors.append(ScanError(".hipaa-iac-exceptions.yaml", None, "symbolic link to a file outside the "
                                    "repository: refused, not read"))
            return None
        return cand  # (a dangling link inside the repository is reported by suppress/)
    if not os.path.isfile(exc_path):
        errors.append(ScanError(exc_path, None, "exceptions file not found"))
        return None
    return exc_path


def _suppress(req: ScanRequest, cfg, graph, results: list, governance: list) -> tuple[list, list]:
    """Inline waivers, the exceptions file and the baseline applied to `results`; the scan's errors and
    warnings (governance warnings are errors under --strict)."""
    from .model import ScanError
    from .suppress import apply_suppressions
    errors = list(graph.errors)
    warnings = [ScanError(f, line, m) for f, line, m in cfg.notes] + list(graph.warnings) + governance
    exc_path = _exceptions_file(req, cfg, graph.root, errors)
    s_err, s_warn = apply_suppressions(results, graph, cfg, graph.root, exc_path, req.baseline or cfg.baseline,
                                       req.today or datetime.date.today())
    errors += s_err
    warnings += s_warn
    if req.strict or cfg.strict:  # governance warnings become errors (exit 2)
        errors += [w for w in warnings if w.message.startswith("governance:")]
        warnings = [w for w in warnings if not w.message.startswith("governance:")]
    return errors, warnings


def _report(req: ScanRequest, cfg, graph, results, policies, errors, warnings) -> tuple[dict, int]:
    """The report dict (report/contract.py) with its provenance, and the exit code with the verdict it gives."""
    from .report.contract import build_report, exit_code
    from .report.provenance import generated_at, repository
    roots = [os.path.relpath(os.path.abspath(p)).replace(os.sep, "/") if not os.path.isabs(p) else p
             for p in req.paths]
    report = build_report(results, graph, policies, errors, warnings, roots, cfg.scope)
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
    return report, code
