"""Markdown reporter for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

``render(report, policies)`` leads with the verdict against the gate (the severity threshold of the run)
and with what the change introduces: the failed results that are new (with ``--baseline``, the findings
not in the baseline; otherwise every failed result), the most severe first, as a short list that fits a
PR comment's width. Everything else is in collapsed ``<details>`` sections: all findings with their
messages and fixes, unknown results with their reasons, suppressed results with their waivers, the passed
checks (counted per policy, phrased as what is in place, never as a list of failure-sounding titles),
counts by HIPAA safeguard, warnings. Input errors are shown open.

Length is bounded for GitHub: at most ``max_chars`` characters and as many UTF-8 bytes (default 60,000;
a comment takes 65,536 characters, a job summary 1 MiB): sections are filled in display order and cut
with "… and N more", and a shortened summary says where the full report is (the run's artifacts when
``GITHUB_RUN_ID`` is known). Every cell is escaped (``|``, markdown and HTML), since resource names and
messages come from the scanned code. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from hipaa_iac.report.sarif import repo_path, resolve_prefix

from hipaa_iac.vocab import HIPAA_CATEGORIES as CATEGORIES
from hipaa_iac.vocab import SEVERITIES
from hipaa_iac.vocab import STATUSES_WORST_FIRST as STATUSES  # the order of the sections
TITLE = "## hipaa-iac: HIPAA Security Rule scan"
MAX_CELL = 300
TRUNCATED_NOTE = ("_Shortened to stay within GitHub's comment size limit: every result is in the full "
                  "report{where}._\n")
TOP = 10  # new findings listed in the lead
SEV_ICON = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "⬜"}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~&$@])")
_AUTOLINK = re.compile(r"(?i)(?<=\w):(?=//)|\bwww\.")  # GFM autolinks: "http://", "www."
_BACKTICKS = re.compile(r"`+")
_SPACES = re.compile(r"\s+")


def run_url_from_env(environ: Mapping[str, str]) -> str | None:
    """``{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}`` (where the artifacts are)."""
    server = (environ.get("GITHUB_SERVER_URL") or "").rstrip("/")
    repository = (environ.get("GITHUB_REPOSITORY") or "").strip("/")
    run_id = environ.get("GITHUB_RUN_ID") or ""
    if server and repository and run_id.isdigit():
        return f"{server}/{repository}/actions/runs/{run_id}"
    return None


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


def _count(results: list[dict], key: str) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for r in results:
        value = str(r.get(key) or "").lower() if key == "severity" else str(r.get(key) or "")
        row = counts.setdefault(value, dict.fromkeys(STATUSES, 0))
        if r.get("status") in row:
            row[r["status"]] += 1
    return counts



def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _rank(r: dict) -> int:
    return SEVERITIES.index(str(r.get("severity")).lower()) if str(r.get("severity")).lower() in SEVERITIES else 9


def _gate(report: dict) -> dict:
    return (report.get("scan") or {}).get("gate") or {}


def _verdict(report: dict) -> str:
    """The lead line: the verdict of the gate, and the counts."""
    s = report.get("summary") or {}
    gate = _gate(report)
    failed, unknown, errors = s.get("failed", 0), s.get("unknown", 0), s.get("errors", 0)
    verdict = gate.get("verdict") or ("incomplete" if errors else "failed" if failed else "passed")
    threshold = gate.get("severity_threshold")
    below = f"; {_plural(failed, 'finding')} below the threshold" if verdict == "passed" and failed else ""
    against = (f" against the threshold ({threshold} and above"
               + (", unknown results too" if gate.get("unknown") == "fail" else "") + below + ")") if threshold else ""
    label = {"failed": "❌ **Failed**", "incomplete": "⚠️ **Incomplete**"}.get(verdict, "✅ **Passed**")
    if verdict == "passed" and unknown and not failed:
        label = "❔ **Passed, unknowns to review**"
    counts = (f"{failed} failed · {unknown} unknown · {s.get('suppressed', 0)} suppressed · "
              f"{s.get('passed', 0)} passed · {_plural(errors, 'error')}")
    scope = (report.get("scan") or {}).get("scope")
    return (f"{label}{against}: {counts}. {_plural(s.get('resources', 0), 'resource')} in "
            f"{_plural(s.get('files', 0), 'file')} checked against "
            f"{_plural(s.get('policies', 0), 'policy', 'policies')}" + (f" ({escape(scope)} scope)." if scope else "."))


def _item(r: dict, loc: str, detail: bool) -> str:
    sev = str(r.get("severity") or "").lower()
    line = f"- {SEV_ICON.get(sev, '')} **{escape(sev)}** {_policy(r)} — {code(r.get('resource'))}"
    line += f" at {loc}" if loc else ""
    if detail:
        line += f"  \n  {escape(r.get('message'))}"
        if r.get("status") == "failed" and r.get("remediation"):
            line += f"  \n  Fix: {escape(r.get('remediation'))}"
    return line + "\n"


class _Section:
    """A heading (open) or a collapsed ``<details>`` around lines that can be cut to fit a budget."""

    def __init__(self, heading: str, lines: list[str], details: bool, intro: str = ""):
        self.heading, self.rows, self.details, self.intro = heading, lines, details, intro

    def render(self, limit: int) -> str:
        shown = self.rows[:limit]
        text = self.intro + "".join(shown)
        if len(self.rows) > len(shown):
            text += f"\n… and {len(self.rows) - len(shown)} more in the full report\n"
        if self.details:
            return f"<details><summary>{self.heading}</summary>\n\n{text}\n</details>\n\n"
        return f"### {self.heading}\n\n{text}\n"


def _footer(report: dict) -> str:
    tool, scan = report.get("tool") or {}, report.get("scan") or {}
    parts = [f"{tool.get('name') or 'hipaa-iac'} {tool.get('version') or ''}".strip()]
    if scan.get("policy_pack"):
        parts.append(f"policy pack {scan['policy_pack']}")
    repo = scan.get("repository") or {}
    if repo.get("commit"):
        parts.append(f"commit {str(repo['commit'])[:12]}")
    if scan.get("generated_at"):
        parts.append(str(scan["generated_at"]))
    return "<sub>" + escape(" · ".join(parts)) + "</sub>\n"


def _sections(report: dict, results: list[dict], prefix: str, link_base: str | None) -> list[_Section]:
    by_status = {s: [r for r in results if r.get("status") == s] for s in STATUSES}
    failed = sorted(by_status["failed"], key=_rank)

    def loc(item: dict) -> str:
        return _location(item, prefix, link_base)

    sections = []
    errors = report.get("errors") or []
    if errors:
        sections.append(_Section(f"Errors ({len(errors)}): the analysis is incomplete",
                                 [f"- {loc(e) or 'input'}: {escape(e.get('message'))}\n" for e in errors],
                                 details=False))
    gate = _gate(report)
    if failed:
        baselined = sum(1 for r in by_status["suppressed"] if (r.get("suppression") or {}).get("kind") == "baseline")
        if gate.get("baseline"):
            heading = f"New in this change: {_plural(len(failed), 'finding')}"
            intro = f"Not in the baseline ({_plural(baselined, 'known finding')} in the baseline are suppressed).\n\n"
        else:
            heading = f"This change has {_plural(len(failed), 'finding')}"
            intro = "Most severe first; messages and fixes are in *All findings* below.\n\n"
        sections.append(_Section(heading, [_item(r, loc(r), False) for r in failed[:TOP]], details=False, intro=intro))
        sections.append(_Section(f"All findings ({len(failed)}), with the reason and the fix",
                                 [_item(r, loc(r), True) for r in failed], details=True))
    elif gate.get("baseline"):
        sections.append(_Section("New in this change: no finding", [], details=False,
                                 intro="Every failed result is in the baseline.\n"))
    if by_status["unknown"]:
        rows = [_item(r, loc(r), True) for r in sorted(by_status["unknown"], key=_rank)]
        sections.append(_Section(f"Unknown ({len(rows)}): could not be decided statically, with the reason",
                                 rows, details=True))
    if by_status["suppressed"]:
        rows = []
        for r in by_status["suppressed"]:
            sup = r.get("suppression") or {}
            extra = "; ".join(x for x in (escape(sup.get("kind") or ""), escape(sup.get("reason") or ""),
                                          f"approved by {escape(sup['approved_by'])}" if sup.get("approved_by") else "",
                                          f"expires {escape(sup['expires'])}" if sup.get("expires") else "") if x)
            rows.append(f"- {_policy(r)} — {code(r.get('resource'))}" + (f" at {loc(r)}" if loc(r) else "")
                        + (f"  \n  {extra}" if extra else "") + "\n")
        sections.append(_Section(f"Suppressed ({len(rows)}): accepted by a waiver, an exception or the baseline",
                                 rows, details=True))
    if by_status["passed"]:
        per_policy: dict[str, int] = {}
        for r in by_status["passed"]:
            per_policy[str(r.get("policy_id"))] = per_policy.get(str(r.get("policy_id")), 0) + 1
        resources = len({r.get("resource") for r in by_status["passed"]})
        rows = [f"- {code(pid)} in place on {_plural(n, 'resource')}\n" for pid, n in sorted(per_policy.items())]
        sections.append(_Section(f"✅ {_plural(len(by_status['passed']), 'check')} passed on "
                                 f"{_plural(resources, 'resource')}",
                                 rows, details=True,
                                 intro="The safeguard each of these policies checks is configured as it requires:\n\n"))
    warnings = report.get("warnings") or []
    if warnings:
        sections.append(_Section(f"Warnings ({len(warnings)})",
                                 [f"- {loc(w) or 'input'}: {escape(w.get('message'))}\n" for w in warnings],
                                 details=True))
    return sections


def _by_category(results: list[dict]) -> _Section:
    counts = _count(results, "hipaa_category")
    order = [c for c in CATEGORIES if c in counts] + sorted(c for c in counts if c not in CATEGORIES)
    header = ("Safeguard", "Failed", "Unknown", "Suppressed", "Passed")
    rows = ["| " + " | ".join([escape(k)] + [str(counts[k][s]) for s in STATUSES]) + " |\n" for k in order]
    intro = "| " + " | ".join(header) + " |\n|" + "|".join(" --- " for _ in header) + "|\n"
    return _Section("Results by HIPAA safeguard", rows, details=True, intro=intro)


def _size(text: str) -> int:
    """What GitHub limits: characters for a comment, bytes for a job summary; the larger counts."""
    return max(len(text), len(text.encode("utf-8")))


def _fit(section: _Section, max_rows: int, budget: int) -> tuple[str, bool]:
    """The section with the most rows (at most ``max_rows``) that fits ``budget``; (text, shortened)."""
    limit = min(max_rows, len(section.rows))
    text = section.render(limit)
    if _size(text) <= budget:
        return text, limit < len(section.rows)
    lo, hi = 0, limit - 1
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = section.render(mid)
        if _size(candidate) <= budget:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return (best or ""), True


def render(report: dict, policies: dict[str, dict], *, link_base: str | None = None,
           max_rows: int = 200, max_chars: int = 60_000, uri_prefix: str | None = None,
           run_url: str | None = None) -> str:
    """Render ``report`` as GitHub-flavoured Markdown.

    ``link_base``: e.g. ``https://github.com/org/repo/blob/<sha>`` (see :func:`link_base_from_env`);
    when set, locations link to the file and line. ``uri_prefix``: the scan root's path inside the
    repository for those links (default: derived from the report, as in the SARIF reporter).
    ``run_url``: the workflow run whose artifacts hold the full report (see :func:`run_url_from_env`).
    ``policies`` is accepted for the common reporter signature; titles come from the results.
    """
    del policies
    prefix = resolve_prefix(report, uri_prefix)
    results = list(report.get("results") or [])
    where = f" ([artifacts of this run]({run_url}))" if run_url else " (`hipaa-iac scan -f html` or `-f json`)"
    note = TRUNCATED_NOTE.format(where=where)
    head = f"{TITLE}\n\n{_verdict(report)}\n\n"
    footer = _footer(report)
    reserve = _size(footer) + _size(note) + 2
    out, shortened = head, False
    sections = _sections(report, results, prefix, link_base)
    if results:
        sections.append(_by_category(results))
    # every section keeps at least its heading: later sections' minimal size is reserved
    minimal = [_size(sec.render(0)) for sec in sections]
    for i, section in enumerate(sections):
        text, cut = _fit(section, max(max_rows, 0), max_chars - reserve - _size(out) - sum(minimal[i + 1:]))
        out += text
        shortened = shortened or cut
    if shortened:
        out += note + "\n"
    return out + footer
