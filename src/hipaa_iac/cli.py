"""Command line. Holds no analysis logic: it parses options, calls the pipeline, writes reports.

Imports stay inside the commands so that `--version`, `--help` and a one-file scan load only what they use.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from . import __version__

HELP = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, context_settings=HELP,
                  help="Support an assessment, before apply, of the HIPAA Security Rule's technical safeguards "
                       "in Terraform for healthcare AI training.")
policies_app = typer.Typer(no_args_is_help=True, context_settings=HELP,
                           help="List and explain the policies in the pack.")
baseline_app = typer.Typer(no_args_is_help=True, context_settings=HELP,
                           help="Record current findings so a scan fails only on new ones.")
docs_app = typer.Typer(no_args_is_help=True, context_settings=HELP,
                       help="Developers: regenerate docs/policies/ and the compiled pack from the policy files.")
app.add_typer(policies_app, name="policies")
app.add_typer(baseline_app, name="baseline")
app.add_typer(docs_app, name="docs", hidden=True)  # for developers of the pack (./dev docs), not for users

from .vocab import COLOR_MODES as COLORS  # noqa: E402
from .vocab import FORMATS, SCOPES, SEVERITIES, UNKNOWN_MODES  # noqa: E402


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hipaa-iac {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_callback(version: bool = typer.Option(False, "-V", "--version", callback=_version, is_eager=True,
                                               help="Print the version and exit.")) -> None:
    pass


def render(fmt: str, report: dict, policies: dict, color: bool = False) -> str:
    if fmt == "text":
        from .report import text
        return text.render(report, policies, color=color)
    if fmt == "json":
        from .report import json_report
        return json_report.render(report, policies)
    if fmt == "sarif":
        from .report import sarif
        return sarif.render(report, policies)
    if fmt == "junit":
        from .report import junit
        return junit.render(report, policies)
    if fmt == "markdown":
        from .report import markdown
        return markdown.render(report, policies, link_base=markdown.link_base_from_env(os.environ),
                               run_url=markdown.run_url_from_env(os.environ))
    if fmt == "html":
        from .report import html
        return html.render(report, policies)
    if fmt == "csv":
        from .report import csv_report
        return csv_report.render(report, policies)
    if fmt == "oscal":
        from .report import oscal
        return oscal.render(report, policies)
    raise typer.BadParameter(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def write_output(path: str, content: str) -> None:
    from .fsutil import OutputError, write_output as _write  # never replaces a device or FIFO (docs/security.md)
    try:
        _write(path, content)
    except OutputError as e:
        _fail_usage(str(e))


def _fail_usage(msg: str) -> None:
    typer.echo(f"hipaa-iac: error: {msg}", err=True)
    raise typer.Exit(2)


def _write_report(path: str, content: str) -> None:
    """Write a report file; a failure is one line on stderr and exit 2, never a traceback."""
    try:
        write_output(path, content)
    except (OSError, ValueError) as e:
        why = getattr(e, "strerror", None) or str(e)
        _fail_usage(f"cannot write the report to {path}: {why}")


def use_color(mode: str, is_tty: bool, environ=None) -> bool:
    """--color always|never wins; then NO_COLOR (any value) turns color off and FORCE_COLOR (any value but
    0/false) turns it on; else color only on a terminal."""
    environ = os.environ if environ is None else environ
    if mode == "always":
        return True
    if mode == "never":
        return False
    if environ.get("NO_COLOR"):
        return False
    force = environ.get("FORCE_COLOR")
    if force is not None and force.strip().lower() not in ("0", "false", "no"):
        return True
    return is_tty


# size: most of its lines are the typer option declarations (the command line's signature)
@app.command()
def scan(
    paths: List[str] = typer.Argument(None, help="Directories, .tf files or plan JSON files (default: .)."),
    format: str = typer.Option("text", "-f", "--format",
                               help="text | json | sarif | junit | markdown | html | csv | oscal"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write the report to FILE instead of stdout."),
    also: List[str] = typer.Option([], "--also", metavar="FORMAT=FILE",
                                   help="Write another report too, e.g. --also sarif=out.sarif (repeatable)."),
    severity_threshold: Optional[str] = typer.Option(None, "--severity-threshold",
                                                     help="Fail only on findings at or above: low|medium|high|critical."),
    unknown: Optional[str] = typer.Option(None, "--unknown", help="warn (default) or fail on unknown results."),
    policy: List[str] = typer.Option([], "--policy", help="Run only policies matching this id glob (repeatable)."),
    skip_policy: List[str] = typer.Option([], "--skip-policy", help="Skip policies matching this id glob (repeatable)."),
    var_file: List[str] = typer.Option([], "--var-file", help="A .tfvars file for the root module (repeatable)."),
    config: Optional[str] = typer.Option(None, "--config", help="Configuration file (.hipaa-iac.yaml or pyproject.toml)."),
    exceptions: Optional[str] = typer.Option(None, "--exceptions",
                                             help="Exceptions file (default .hipaa-iac-exceptions.yaml at the scan root)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Fail only on findings not in this baseline file."),
    scope: Optional[str] = typer.Option(None, "--scope", help="all (default) or phi-path."),
    allow_parse_errors: bool = typer.Option(False, "--allow-parse-errors",
                                            help="Do not exit 2 when a file cannot be parsed (its resources stay unknown)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the parse cache."),
    compact: bool = typer.Option(False, "--compact", help="Text format: one line per finding."),
    policy_dir: Optional[str] = typer.Option(None, "--policy-dir", help="Use another policy pack directory."),
    exclude: List[str] = typer.Option([], "--exclude", metavar="PATH_GLOB",
                                      help="Do not scan paths matching this glob, relative to the scan root "
                                           "(e.g. examples, 'tests/*'; repeatable)."),
    soft_fail: bool = typer.Option(False, "--soft-fail",
                                   help="Report findings but exit 0 (an incomplete analysis still exits 2)."),
    allow_empty: bool = typer.Option(False, "--allow-empty",
                                     help="Exit 0 when there is no Terraform or plan to scan (default: exit 2)."),
    quiet: bool = typer.Option(False, "-q", "--quiet",
                               help="Text format: only failed results, errors and the summary line; nothing on "
                                    "stderr but errors (no skipped-paths note, no summary line for -o)."),
    color: str = typer.Option("auto", "--color", metavar="WHEN",
                              help="auto (default: on a terminal, honouring NO_COLOR and FORCE_COLOR), "
                                   "always or never."),
    strict: bool = typer.Option(False, "--strict", help="Governance warnings (a blanket exception, a selection "
                                "that runs no policy, a PHI scope that matches nothing) are errors (exit 2)."),
) -> None:
    """Scan Terraform and report each policy result with its HIPAA citation, file and line.

    Exit codes: 0 no failed result at or above the threshold (or --soft-fail); 1 at least one; 2 the analysis
    is incomplete (an input could not be read or parsed, nothing to scan, bad configuration, bad usage)."""
    from .runner import ScanRequest, execute
    if format not in FORMATS:
        _fail_usage(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    extra_outputs = []
    for a in also:
        if "=" not in a:
            _fail_usage(f"--also expects FORMAT=FILE, got {a!r}")
        f, p = a.split("=", 1)
        if f not in FORMATS:
            _fail_usage(f"unknown format {f!r} in --also; one of {', '.join(FORMATS)}")
        extra_outputs.append((f, p))
    if severity_threshold and severity_threshold.lower() not in SEVERITIES:
        _fail_usage("--severity-threshold must be low, medium, high or critical")
    if unknown and unknown not in UNKNOWN_MODES:
        _fail_usage("--unknown must be warn or fail")
    if scope and scope not in SCOPES:
        _fail_usage("--scope must be all or phi-path")
    if color not in COLORS:
        _fail_usage("--color must be auto, always or never")
    req = ScanRequest(paths=list(paths or ["."]), config_file=config, policies=list(policy),
                      skip_policies=list(skip_policy), var_files=list(var_file), exceptions=exceptions,
                      baseline=baseline, severity_threshold=severity_threshold.lower() if severity_threshold else None,
                      unknown=unknown, scope=scope, allow_parse_errors=allow_parse_errors, no_cache=no_cache,
                      policy_dir=policy_dir, exclude=list(exclude), allow_empty=allow_empty, strict=strict)
    outcome = execute(req)
    from .selection import skipped_note
    note = skipped_note(outcome.skipped)
    if note and not quiet:
        typer.echo(note, err=True)
    if outcome.fatal:
        _fail_usage(outcome.fatal)
    colored = output is None and format == "text" and use_color(color, sys.stdout.isatty())
    if format == "text":
        from .report import text
        content = text.render(outcome.report, outcome.policies, color=colored, compact=compact, quiet=quiet)
    else:
        content = render(format, outcome.report, outcome.policies)
    if output:
        _write_report(output, content)
    else:
        sys.stdout.write(content)
    for f, p in extra_outputs:
        _write_report(p, render(f, outcome.report, outcome.policies))
    if output and not quiet:
        # keep the one-line summary on the terminal when the report goes to a file
        from .report import text
        typer.echo(f"{text.summary_line(outcome.report)} -> {output}", err=True)
    code = outcome.exit_code
    raise typer.Exit(0 if soft_fail and code == 1 else code)


@app.command()
def graph(paths: List[str] = typer.Argument(None, help="Directories, .tf files or plan JSON files."),
          format: str = typer.Option("json", "-f", "--format", help="json (the only format)."),
          var_file: List[str] = typer.Option([], "--var-file", help="A .tfvars file for the root module."),
          config: Optional[str] = typer.Option(None, "--config", help="Configuration file (.hipaa-iac.yaml or "
                                               "pyproject.toml); its var_files and allow_outside_modules apply."),
          exclude: List[str] = typer.Option([], "--exclude", metavar="PATH_GLOB",
                                            help="Do not read paths matching this glob (as scan --exclude).")) -> None:
    """Print what the analyzer read: resources (address, type, file, line, attributes with unknowns marked)
    and edges, exactly as `scan` reads them. Sensitive values are redacted."""
    import json
    from .build import build_graph
    from .config import ConfigError, load_config
    from .graph_dump import dump
    from .runner import ScanRequest
    req = ScanRequest(paths=list(paths or ["."]), config_file=config, var_files=list(var_file),
                      exclude=list(exclude), allow_empty=True)
    try:
        cfg = load_config(req.config_file, req.paths[0])
    except ConfigError as e:
        _fail_usage(f"{e.file}{':' + str(e.line) if e.line else ''}: {e.message}")
    g, inputs = build_graph(req, cfg)
    if inputs.fatal:
        _fail_usage(inputs.fatal)
    sys.stdout.write(json.dumps(dump(g), indent=2, ensure_ascii=False) + "\n")
    raise typer.Exit(2 if g.errors else 0)


@policies_app.command("list")
def policies_list(cloud: Optional[str] = typer.Option(None, "--cloud", help="aws | azure | gcp"),
                  category: Optional[str] = typer.Option(None, "--category", help="A hipaa_category."),
                  format: str = typer.Option("text", "-f", "--format", help="text | json")) -> None:
    """List the policies: id, severity, HIPAA category, citations, title."""
    from .policy.loader import load_pack
    pack = load_pack()
    for e in pack.errors:
        typer.echo(f"hipaa-iac: policy error: {e}", err=True)
    rows = [p for p in pack.policies if (not cloud or p.cloud == cloud)
            and (not category or p.meta["hipaa_category"] == category)]
    if format == "json":
        import json
        typer.echo(json.dumps([p.as_metadata() for p in rows], indent=2))
    else:
        for p in rows:
            typer.echo(f"{p.id:28} {p.meta['severity']:8} {p.meta['hipaa_category']:22} "
                       f"{','.join(p.meta['hipaa']):28} {p.meta['name']}")
        typer.echo(f"{len(rows)} policies")
    raise typer.Exit(2 if pack.errors else 0)


@policies_app.command("show")
def policies_show(policy_id: str = typer.Argument(..., help="Policy id, e.g. HIPAA_AWS_S3_001.")) -> None:
    """What a policy checks, why (citations), an example and the fix."""
    from .policy.loader import load_pack
    pack = load_pack()
    p = pack.by_id().get(policy_id)
    if p is None:
        _fail_usage(f"no policy {policy_id!r}; see `hipaa-iac policies list`")
    m = p.meta
    out = [f"{p.id}: {m['name']}", "",
           f"Severity: {m['severity']}   Cloud: {p.cloud}   Category: {m['hipaa_category']} ({m['category']})",
           f"HIPAA: {', '.join(m['hipaa'])}", f"NIST SP 800-171 Rev. 2: {', '.join(m['nist_800_171'])}", "",
           "What it checks and why:", "  " + m["description"].strip(), "", "Fix:", "  " + m["remediation"].strip()]
    if m.get("remediation_example"):
        out += ["", "Example:", *("  " + ln for ln in m["remediation_example"].rstrip().splitlines())]
    from .report.links import policy_doc_url
    out += ["", f"Source: {m['source']}", f"Docs: {policy_doc_url(p.id)}"]
    typer.echo("\n".join(out))


@policies_app.command("new")
def policies_new(policy_id: str = typer.Argument(..., help="The new id, e.g. HIPAA_AWS_S3_012."),
                 like: str = typer.Option(..., "--like", help="The policy to start from (its YAML and fixtures)."),
                 ) -> None:
    """Start a policy from an existing one: its YAML and its fixtures copied under the new id (nothing is
    overwritten). Then edit them and run `hipaa-iac docs generate`."""
    from .docs_gen import find_root
    from .scaffold import ScaffoldError, new_policy
    try:
        created = new_policy(str(find_root()), policy_id, like)
    except ScaffoldError as e:
        _fail_usage(str(e))
    for path in created:
        typer.echo(f"created {path}")
    typer.echo("next: edit the policy and its fixtures (expected.yaml), then run `hipaa-iac docs generate`")


@policies_app.command("coverage")
def policies_coverage(format: str = typer.Option("markdown", "-f", "--format", help="markdown | json"),
                      framework: Optional[str] = typer.Option(None, "--framework",
                                                              help="One framework, e.g. prowler_hipaa_aws.")) -> None:
    """Per framework (Prowler HIPAA for AWS, Azure, GCP; the AWS Config HIPAA pack), each Terraform-checkable
    item and the policy that covers it or why none does, with the coverage share."""
    from . import coverage
    if format not in ("markdown", "json"):
        _fail_usage(f"unknown format {format!r}; one of markdown, json")
    frameworks = coverage.load()
    if framework:
        frameworks = [f for f in frameworks if f.name == framework]
        if not frameworks:
            _fail_usage(f"no framework {framework!r}; one of "
                        f"{', '.join(f.name for f in coverage.load())}")
    render = coverage.render_json if format == "json" else coverage.render_markdown
    sys.stdout.write(render(frameworks))
    raise typer.Exit(2 if any(f.problems for f in frameworks) else 0)


@baseline_app.command("create")
def baseline_create(paths: List[str] = typer.Argument(None, help="What to scan."),
                    output: str = typer.Option(".hipaa-iac-baseline.json", "-o", "--output", help="Baseline file."),
                    config: Optional[str] = typer.Option(None, "--config", help="Configuration file.")) -> None:
    """Record the current failed and unknown results; `scan --baseline FILE` then fails only on new ones."""
    from .runner import ScanRequest, execute
    from .suppress import write_baseline
    outcome = execute(ScanRequest(paths=list(paths or ["."]), config_file=config))
    if outcome.fatal:
        _fail_usage(outcome.fatal)
    try:
        n = write_baseline(output, outcome.report)
    except OSError as e:
        _fail_usage(f"cannot write the baseline to {output}: {e.strerror or e}")
    typer.echo(f"hipaa-iac: baseline with {n} findings written to {output}")
    raise typer.Exit(2 if outcome.report["errors"] else 0)


@docs_app.command("generate")
def docs_generate(check: bool = typer.Option(False, "--check", help="Exit 1 when docs/policies or the compiled "
                                                                   "pack is stale."),) -> None:
    """Write docs/policies/<ID>.md and the index, and the compiled pack (src/hipaa_iac/data/pack.json),
    from the policy files."""
    from .docs_gen import main as docs_main
    from .policy import blocks
    from .policy.loader import COMPILED_PACK, compiled_pack_text, default_policy_dir
    # building blocks first (data/blocks.yaml): the pages and the pack are made from the expanded files
    stale = blocks.stale_files(default_policy_dir()) if check else blocks.write_expansions(default_policy_dir())
    for path in stale:
        typer.echo(f"{'stale' if check else 'wrote'}: {path} (building-block expansion)", err=check)
    code = docs_main(check)
    code = code or (1 if check and stale else 0)
    text, errors = compiled_pack_text()
    if errors:
        for e in errors:
            typer.echo(f"hipaa-iac: policy error: {e}", err=True)
        raise typer.Exit(2)
    from .policy.engines import compiled_eligible_text, eligible_paths
    outputs = [(COMPILED_PACK, text)] + [(eligible_paths(c)[1], compiled_eligible_text(c)) for c in ("aws", "azure", "gcp")]
    for path, want in outputs:
        if want is None:
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                current = fh.read()
        except OSError:
            current = None
        if current != want:
            if check:
                typer.echo(f"stale: {path} (run `hipaa-iac docs generate`)", err=True)
                code = code or 1
            else:
                write_output(path, want)
                typer.echo(f"wrote {path}")
    raise typer.Exit(code)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("hipaa-iac: interrupted\n")
        sys.exit(2)


@app.command("pre-commit")
def pre_commit(
    files: List[str] = typer.Argument(None, help="The staged files pre-commit passes."),
    plan: bool = typer.Option(False, "--plan", help="The files are plan JSON documents: scan them, not their directories."),
    severity_threshold: Optional[str] = typer.Option(None, "--severity-threshold",
                                                     help="Fail only on findings at or above: low|medium|high|critical."),
    unknown: Optional[str] = typer.Option(None, "--unknown", help="warn (default) or fail on unknown results."),
    config: Optional[str] = typer.Option(None, "--config", help="Configuration file (default: found upwards)."),
    exceptions: Optional[str] = typer.Option(None, "--exceptions",
                                             help="Exceptions file (default: .hipaa-iac-exceptions.yaml found upwards)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Fail only on findings not in this baseline file."),
    policy: List[str] = typer.Option([], "--policy", help="Run only policies matching this id glob (repeatable)."),
    skip_policy: List[str] = typer.Option([], "--skip-policy", help="Skip policies matching this id glob (repeatable)."),
    var_file: List[str] = typer.Option([], "--var-file", help="A .tfvars file for the root module (repeatable)."),
    verbose: bool = typer.Option(False, "-v", "--verbose",
                                 help="For each result also print the reason, citations and the fix."),
) -> None:
    """For pre-commit hooks: scan the directories that hold the staged Terraform files (or, with --plan, the
    staged plan files) and print the compact report (--verbose: the full one). Exit codes as for `scan`."""
    from .precommit import run
    raise typer.Exit(run(list(files or []), plan=plan, severity_threshold=severity_threshold, unknown=unknown,
                         config=config, exceptions=exceptions, baseline=baseline, policies=list(policy),
                         skip_policies=list(skip_policy), var_files=list(var_file), verbose=verbose))
