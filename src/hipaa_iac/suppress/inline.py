"""Inline waivers: `# hipaa-iac:ignore=ID reason=... expires=...` and checkov's `#checkov:skip=ID:reason`
comments inside a resource block."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..model import ScanError
from .match import _parse_date, glob_match

_POLICY_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_IGNORE = re.compile(r"hipaa-iac:ignore\b(?P<eq>=?)(?P<ids>\S*)(?P<rest>.*)$")
# checkov's own form (checkov/common/comment/enum.py, checkov 3.3.30): checkov:skip=ID[,ID][:reason]
_CHECKOV_SKIP = re.compile(r"checkov:skip= *(?P<ids>[A-Za-z_\d-]+(?:,[A-Za-z_\d-]+)*)?(?::(?P<reason>[^\n]*))?")
_KEY_VALUE = re.compile(r'([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|\'[^\']*\'|[^\s"\']+)')
INLINE_KEYS = ("reason", "expires", "approved_by", "ticket")


@dataclass
class Waiver:
    ids: list[str]
    file: str
    line: int
    origin: str  # "hipaa-iac" | "checkov"
    reason: str | None = None
    expires: dt.date | None = None
    approved_by: str | None = None
    ticket: str | None = None
    error: str | None = None

    @property
    def source(self) -> str:
        return "checkov:skip" if self.origin == "checkov" else f"{self.file}:{self.line}"

    def suppression(self) -> dict:
        return {"kind": "inline", "reason": self.reason, "approved_by": self.approved_by, "ticket": self.ticket,
                "expires": self.expires.isoformat() if self.expires else None, "source": self.source}


def _strip_comment_end(text: str) -> str:
    text = text.rstrip()
    return text[:-2].rstrip() if text.endswith("*/") else text


def _unquote(v: str) -> str:
    if len(v) >= 2 and v[0] == v[-1] == '"':
        return re.sub(r"\\(.)", r"\1", v[1:-1])
    if len(v) >= 2 and v[0] == v[-1] == "'":
        return v[1:-1]
    return v


def parse_ignore(text: str, file: str, line: int) -> Waiver | None:
    """`hipaa-iac:ignore=ID[,ID] reason="..." expires=YYYY-MM-DD [approved_by=...] [ticket=...]` in one
    comment line, or None when the line holds no such waiver."""
    m = _IGNORE.search(text)
    if m is None:
        return None
    w = Waiver([], file, line, "hipaa-iac")
    if not m.group("eq") or not m.group("ids"):
        w.error = "no policy id (write hipaa-iac:ignore=ID[,ID])"
        return w
    ids = m.group("ids").split(",")
    bad = [i for i in ids if not _POLICY_ID.match(i)]
    if bad:
        w.error = (f"{bad[0]!r} is not a policy id (exact ids only, separated by commas without spaces; "
                   "globs belong in the exceptions file)")
        return w
    w.ids = ids
    rest = _strip_comment_end(m.group("rest"))
    fields: dict[str, str] = {}
    pos = 0
    while True:
        while pos < len(rest) and rest[pos].isspace():
            pos += 1
        if pos >= len(rest):
            break
        kv = _KEY_VALUE.match(rest, pos)
        if kv is None:
            w.error = f"unexpected text {rest[pos:pos + 30]!r} (values with spaces need quotes)"
            return w
        key, value = kv.group(1), _unquote(kv.group(2))
        if key not in INLINE_KEYS:
            w.error = f"unknown key {key!r} (allowed: {', '.join(INLINE_KEYS)})"
            return w
        if key in fields:
            w.error = f"{key} given twice"
            return w
        fields[key] = value
        pos = kv.end()
    reason = fields.get("reason", "").strip()
    if not reason:
        w.error = 'missing reason="..."'
        return w
    if "expires" not in fields:
        w.error = "missing expires=YYYY-MM-DD"
        return w
    expires = _parse_date(fields["expires"])
    if expires is None:
        w.error = f"expires must be an ISO date (YYYY-MM-DD), got {fields['expires']!r}"
        return w
    w.reason, w.expires = reason, expires
    w.approved_by = fields.get("approved_by") or None
    w.ticket = fields.get("ticket") or None
    return w


def parse_checkov_skip(text: str, file: str, line: int) -> Waiver | None:
    """checkov's `checkov:skip=ID[,ID]:reason`: an inline waiver without expiry (the reason is required)."""
    m = _CHECKOV_SKIP.search(text)
    if m is None:
        return None
    w = Waiver([], file, line, "checkov")
    if not m.group("ids"):
        w.error = "checkov:skip without a check id"
        return w
    w.ids = m.group("ids").split(",")
    reason = _strip_comment_end(m.group("reason") or "").strip()
    if not reason:
        w.error = "checkov:skip without a reason (write checkov:skip=ID:reason)"
        return w
    w.reason = reason
    return w


def waivers_of(resource, honour_checkov: bool = True) -> list[Waiver]:
    """Every waiver written in the comments inside a resource block (nested blocks included)."""
    out = []
    file = resource.file or ""
    for start, text in resource.comments:
        for offset, physical in enumerate(text.splitlines() or [text]):
            line = start + offset
            w = parse_ignore(physical, file, line)
            if w is not None:
                out.append(w)
            if honour_checkov:
                w = parse_checkov_skip(physical, file, line)
                if w is not None:
                    out.append(w)
    return out


def _forbidding(policy_id: str, patterns: list[str]) -> str | None:
    return next((p for p in patterns if glob_match(p, policy_id)), None)


def inline_waivers(graph, config, today: dt.date, max_days: int) -> tuple[dict, list[ScanError]]:
    """{(address, policy_id): Waiver} of the waivers in force, and warnings for the others."""
    active: dict[tuple[str, str], Waiver] = {}
    warnings: list[ScanError] = []
    forbid = list(getattr(config, "forbid_inline_waivers", None) or [])
    honour_checkov = bool(getattr(config, "checkov_skip", True))
    limit = today + dt.timedelta(days=max_days)
    for r in graph.resources:
        if not r.comments:
            continue
        for w in waivers_of(r, honour_checkov):
            what = "checkov:skip" if w.origin == "checkov" else "inline waiver"
            if w.error:
                warnings.append(ScanError(w.file, w.line, f"invalid {what} on {r.address}: {w.error}; "
                                                            "it does not suppress"))
                continue
            for pid in w.ids:
                pattern = _forbidding(pid, forbid)
                if pattern is not None:
                    warnings.append(ScanError(w.file, w.line, (
                        f"{what} for {pid} on {r.address} does not suppress: forbid_inline_waivers matches "
                        f"{pattern!r}; record an exception in the exceptions file instead")))
                    continue
                if w.expires is not None and w.expires < today:
                    warnings.append(ScanError(w.file, w.line,
                                              f"waiver for {pid} on {r.address} expired on {w.expires.isoformat()}"))
                    continue
                if w.expires is not None and w.expires > limit:
                    warnings.append(ScanError(w.file, w.line, (
                        f"waiver for {pid} on {r.address} expires on {w.expires.isoformat()}, more than "
                        f"max_exception_days ({max_days}) after {today.isoformat()}; it does not suppress")))
                    continue
                active.setdefault((r.address, pid), w)
    return active, warnings
