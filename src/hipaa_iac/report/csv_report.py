"""CSV reporter for GRC tools and spreadsheets.

``render(report, policies)`` gives a header row, then one row per result (every status, in report
order) with the columns in :data:`COLUMNS` (``nist_revision`` names the NIST revision of the ids).
Lists (``hipaa``, ``nist_800_171``) are joined with ``;``; a missing value is an empty cell. Cells that
a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) get a leading ``'``. Rows end with ``\\n`` (write the text as it is, e.g.
``open(path, "w", newline="")``). Standard library only.
"""

from __future__ import annotations

import csv
import io

COLUMNS = (
    "policy_id", "title", "severity", "status", "hipaa_category", "hipaa", "nist_800_171",
    "resource", "resource_type", "file", "line", "attribute", "message", "remediation",
    "suppression_kind", "suppression_reason", "approved_by", "ticket", "expires", "nist_revision",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> str:
    """The cell text, with a leading ``'`` when a spreadsheet would evaluate it as a formula."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(result: dict) -> list[str]:
    sup = result.get("suppression") or {}
    values = {key: result.get(key) for key in COLUMNS}
    values.update({
        "nist_revision": "SP 800-171 Rev. 2" if result.get("nist_800_171") else None,  # of the nist_800_171 ids
        "suppression_kind": sup.get("kind"),
        "suppression_reason": sup.get("reason"),
        "approved_by": sup.get("approved_by"),
        "ticket": sup.get("ticket"),
        "expires": sup.get("expires"),
    })
    return [neutralize(values[key]) for key in COLUMNS]


def render(report: dict, policies: dict[str, dict]) -> str:
    """Render ``report`` as CSV text (``policies`` is accepted for the common reporter signature)."""
    del policies
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for result in report.get("results") or []:
        writer.writerow(_row(result))
    return out.getvalue()
