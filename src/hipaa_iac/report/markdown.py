"""Markdown reporter for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

``render(report, policies)`` gives: a title, a one-line verdict, counts by severity and by HIPAA
safeguard category, input errors and warnings, the failures as a table (most severe first), and
unknown, suppressed and passed results in collapsed ``<details>`` sections.

Length is bounded: at most ``max_rows`` rows per table (then "… and N more"), and the whole text
stays under ``max_chars`` (default 60,000; GitHub's comment limit is 65,536): sections are filled
in display order, so passed results are cut before failures. Every cell is escaped (``|``, markdown
and HTML), since resource names and messages come from the scanned code. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from hipaa_iac.report.sarif import repo_path, resolve_prefix

SEVERITIES = ("critical", "high", "medium", "low")
STATUSES = ("failed", "unknown", "suppressed", "passed")
CATEGORIES = (
    "encryption_at_rest", "encryption_in_transit", "key_management", "network_isolation",
    "access_control", "audit_logging", "integrity", "backup_recovery", "eligible_service",
    "ai_data_use", "healthcare_data",
)
TITLE = "## hipaa-iac: HIPAA Security Rule scan"
MAX_CELL = 300
TRUNCATED_NOTE = ("_Output shortened to stay within GitHub's comment size limit; "
                  "run `hipaa-iac scan -f json` or `-f sarif` for every result._\n")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~&$@])")
_AUTOLINK = re.compile(r"(?i)(?<=\w):(?=//)|\bwww\.")  # GFM autolinks: "http://", "www."
_BACKTICKS = re.compile(r"`+")
_SPACES = re.compile(r"\s+")


def link_base_from_env(environ: Mapping[str, str]) -> str | None:
    """``{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/blob/{GITHUB_SHA}`` when all three are set, else None."""
    server = (environ.get("GITHUB_SERVER_URL") or "").rstrip("/")
    repository = (environ.get("GITHUB_REPOSITORY") or "").strip("/")
    sha = environ.get("GITHUB_SHA") or ""
    if server and repository and sha:
        return f"{server}/{repository}/blob/{sha}"
    return None


def _oneline(text: object) -> str:
    text = _SPACES.sub(" ", str(text if text is not None else "")).strip()
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def escape(text: object) -> str:
    """Cell text: one line, at most MAX_CELL characters, markdown/HTML punctuation backslash-escaped,
    bare URLs broken (``http\\://``, ``www\\.``) so GitHub does not autolink them."""
    text = _MD_SPECIAL.sub(r"\\\1", _oneline(text))
    return _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


def code(text: object) -> str:
    """A code span safe inside a table cell (``|`` escaped, fence longer than any backtick run)."""
    text = _oneline(text).replace("|", "\\|")
    if not text:
        return ""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _location(item: dict, prefix: str, link_base: str | None) -> str:
    file = item.get("file")
    if not file:
        return ""
    line = item.get("line")
    has_line = isinstance(line, int) and not isinstance(line, bool) and line >= 1
    label = code(f"{file}:{line}" if has_line else file)
    path = repo_path(file, prefix)
    if not link_base or path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return label
    url = f"{link_base.rstrip('/')}/{quote(path, safe='/')}" + (f"#L{line}" if has_line else "")
    return f"[{label}]({url})"


def _policy(result: dict) -> str:
    return f"{code(result.get('policy_id'))} {escape(result.get('title') or '')}".rstrip()


def _table(header: tuple[str, ...], rows: list[list[str]], limit: int) -> str:
    shown = rows[:limit]
    text = ""
    if shown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in shown]
        text = "\n".join(lines) + "\n"
    if len(rows) > len(shown):
        text += ("\n" if text else "") + f"… and {len(rows) - len(shown)} more\n"
    return text


class _Section:
    """A titled table whose row count can shrink to fit the remaining length budget."""

    def __init__(self, heading: str, header: tuple[str, ...], rows: list[list[str]], details: bool):
        self.heading, self.header, self.rows, self.details = heading, header, rows, details

    def render(self, limit: int) -> str:
        table = _table(self.header, self.rows, limit)
        if self.details:
            return f"<details><summary>{self.heading}</summary>\n\n{table}\n</details>\n\n"
        return f"### {self.heading}\n\n{table}\n"


def _count(results: list[dict], key: str) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for r in results:
        value = str(r.get(key) or "").lower() if key == "severity" else str(r.get(key) or "")
        row = counts.setdefault(value, dict.fromkeys(STATUSES, 0))
        if r.get("status") in row:
            row[r["status"]] += 1
    return counts


def _counts_table(first: str, counts: dict[str, dict[str, int]], order: list[str]) -> str:
    header = (first, "Failed", "Unknown", "Suppressed", "Passed")
    rows = [[escape(k)] + [str(counts.get(k, {}).get(s, 0)) for s in STATUSES] for k in order]
    return _table(header, rows, len(rows))


def _verdict(report: dict, results: list[dict]) -> str:
    s = report.get("summary") or {}
    failed, unknown, errors = s.get("failed", 0), s.get("unknown", 0), s.get("errors", 0)
    if failed:
        label = "❌ **Failed**"
    elif errors:
        label = "⚠️ **Incomplete**"
    elif unknown:
        label = "❔ **No failures, unknowns to review**"
    else:
        label = "✅ **Passed**"
    by_sev = _count([r for r in results if r.get("status") == "failed"], "severity")
    breakdown = ", ".join(f"{by_sev[k]['failed']} {k}" for k in SEVERITIES if k in by_sev)
    failed_text = f"{failed} failed" + (f" ({breakdown})" if failed and breakdown else "")
    scope = (report.get("scan") or {}).get("scope")
    return (f"{label}: {failed_text} · {unknown} unknown · {s.get('suppressed', 0)} suppressed · "
            f"{s.get('passed', 0)} passed · {_plural(errors, 'error')}. "
            f"{_plural(s.get('resources', 0), 'resource')} in {_plural(s.get('files', 0), 'file')} "
            f"checked against {_plural(s.get('policies', 0), 'policy', 'policies')}"
            + (f" ({escape(scope)} scope)." if scope else "."))


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _footer(report: dict) -> str:
    tool, scan = report.get("tool") or {}, report.get("scan") or {}
    parts = [f"{tool.get('name') or 'hipaa-iac'} {tool.get('version') or ''}".strip()]
    if scan.get("policy_pack"):
        parts.append(f"policy pack {scan['policy_pack']}")
    if scan.get("generated_at"):
        parts.append(str(scan["generated_at"]))
    return "<sub>" + escape(" · ".join(parts)) + "</sub>\n"


def _sections(report: dict, results: list[dict], prefix: str, link_base: str | None) -> list[_Section]:
    by_status = {s: [r for r in results if r.get("status") == s] for s in STATUSES}
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    failed = sorted(by_status["failed"], key=lambda r: rank.get(str(r.get("severity")).lower(), len(rank)))

    def loc(item: dict) -> str:
        return _location(item, prefix, link_base)

    sections = []
    errors = report.get("errors") or []
    if errors:
        rows = [[loc(e), escape(e.get("message"))] for e in errors]
        sections.append(_Section(f"Errors ({len(errors)}): the analysis is incomplete",
                                 ("Location", "Error"), rows, details=False))
    if failed:
        rows = [[escape(str(r.get("severity") or "").lower()), _policy(r), code(r.get("resource")), loc(r),
                 escape(r.get("message"))] for r in failed]
        sections.append(_Section(f"Failed ({len(failed)})",
                                 ("Severity", "Policy", "Resource", "Location", "Finding"), rows, details=False))
    warnings = report.get("warnings") or []
    if warnings:
        rows = [[loc(w), escape(w.get("message"))] for w in warnings]
        sections.append(_Section(f"Warnings ({len(warnings)})", ("Location", "Warning"), rows, details=False))
    if by_status["unknown"]:
        rows = [[escape(str(r.get("severity") or "").lower()), _policy(r), code(r.get("resource")), loc(r),
                 escape(r.get("message"))] for r in by_status["unknown"]]
        sections.append(_Section(f"Unknown ({len(rows)}): could not be decided statically",
                                 ("Severity", "Policy", "Resource", "Location", "Reason"), rows, details=True))
    if by_status["suppressed"]:
        rows = []
        for r in by_status["suppressed"]:
            sup = r.get("suppression") or {}
            rows.append([_policy(r), code(r.get("resource")), loc(r), escape(sup.get("kind") or ""),
                         escape(sup.get("reason") or ""), escape(sup.get("approved_by") or ""),
                         escape(sup.get("expires") or "")])
        sections.append(_Section(f"Suppressed ({len(rows)})",
                                 ("Policy", "Resource", "Location", "Kind", "Reason", "Approved by", "Expires"),
                                 rows, details=True))
    if by_status["passed"]:
        rows = [[_policy(r), code(r.get("resource")), loc(r)] for r in by_status["passed"]]
        sections.append(_Section(f"Passed ({len(rows)})", ("Policy", "Resource", "Location"), rows, details=True))
    return sections


def _fit(section: _Section, max_rows: int, budget: int) -> tuple[str, bool]:
    """The section with the most rows (at most ``max_rows``) that fits ``budget``; (text, shortened)."""
    limit = min(max_rows, len(section.rows))
    text = section.render(limit)
    if len(text) <= budget:
        return text, False
    lo, hi = 0, limit - 1  # largest fitting row count is in [lo, hi] if any fits
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = section.render(mid)
        if len(candidate) <= budget:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return (best or ""), True


def render(report: dict, policies: dict[str, dict], *, link_base: str | None = None,
           max_rows: int = 50, max_chars: int = 60_000, uri_prefix: str | None = None) -> str:
    """Render ``report`` as GitHub-flavoured Markdown.

    ``link_base``: e.g. ``https://github.com/org/repo/blob/<sha>`` (see :func:`link_base_from_env`);
    when set, locations link to the file and line. ``uri_prefix``: the scan root's path inside the
    repository for those links (default: derived from the report, as in the SARIF reporter).
    ``policies`` is accepted for the common reporter signature; titles come from the results.
    """
    del policies
    prefix = resolve_prefix(report, uri_prefix)
    results = list(report.get("results") or [])

    severity_counts = _count(results, "severity")
    category_counts = _count(results, "hipaa_category")
    categories = [c for c in CATEGORIES if c in category_counts]
    categories += sorted(c for c in category_counts if c not in CATEGORIES)

    head = f"{TITLE}\n\n{_verdict(report, results)}\n\n"
    if results:
        head += "### By severity\n\n" + _counts_table("Severity", severity_counts, list(SEVERITIES)) + "\n"
        head += ("### By HIPAA safeguard\n\n"
                 + _counts_table("Safeguard", category_counts, categories) + "\n")
    footer = _footer(report)

    reserve = len(footer) + len(TRUNCATED_NOTE) + 2
    out, shortened = head, False
    if len(out) + reserve > max_chars:  # only with an absurdly small max_chars
        out, shortened = f"{TITLE}\n\n", True
    for section in _sections(report, results, prefix, link_base):
        text, cut = _fit(section, max(max_rows, 0), max_chars - reserve - len(out))
        out += text
        shortened = shortened or cut
    if shortened:
        out += TRUNCATED_NOTE + "\n"
    return out + footer
