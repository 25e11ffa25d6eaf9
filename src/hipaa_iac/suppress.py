"""Suppress: inline waivers, the exceptions file and the baseline turn failed or unknown results into
`suppressed` ones, each with the entry that accepted it in `suppression`.

Stage contract: `apply_suppressions(results, graph, config, root, exceptions_path, baseline_path, today)`
marks the result dicts in place and returns `(errors, warnings)` as lists of `model.ScanError`. Only
failed and unknown results are ever suppressed; a passed result stays passed. When several sources
accept one result, the first of exceptions file, inline waiver, baseline is recorded.

Formats and rules for users: docs/suppressions.md.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass

from .model import ScanError

SUPPRESSIBLE = ("failed", "unknown")
MAX_EXCEPTIONS_BYTES = 1024 * 1024
MAX_YAML_ALIASES = 0  # aliases expand without bound (billion laughs); an exceptions file needs none
MAX_BASELINE_BYTES = 64 * 1024 * 1024
BASELINE_VERSION = 1

ENTRY_REQUIRED = ("policy", "resource", "reason", "approved_by", "expires")
ENTRY_OPTIONAL = ("ticket", "file")

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_POLICY_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_IGNORE = re.compile(r"hipaa-iac:ignore\b(?P<eq>=?)(?P<ids>\S*)(?P<rest>.*)$")
# checkov's own form (checkov/common/comment/enum.py, checkov 3.3.30): checkov:skip=ID[,ID][:reason]
_CHECKOV_SKIP = re.compile(r"checkov:skip= *(?P<ids>[A-Za-z_\d-]+(?:,[A-Za-z_\d-]+)*)?(?::(?P<reason>[^\n]*))?")
_KEY_VALUE = re.compile(r'([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|\'[^\']*\'|[^\s"\']+)')
INLINE_KEYS = ("reason", "expires", "approved_by", "ticket")


# ---- matching --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)
def glob_match(pattern: str, value: str) -> bool:
    """`*` matches any run of characters (dots and slashes included), `?` one character; everything else,
    `[` and `]` of instance keys included, is literal. Linear time (no regular-expression backtracking, so a
    hostile glob such as `*a*a*a*a*a!` cannot stall a scan)."""
    if pattern == value:
        return True
    if "*" not in pattern and "?" not in pattern:
        return False
    p = v = 0
    star = -1
    mark = 0
    while v < len(value):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == value[v]):
            p += 1
            v += 1
        elif p < len(pattern) and pattern[p] == "*":
            star = p
            mark = v
            p += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            v = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def resource_match(pattern: str, address: str) -> bool:
    """An address or glob; an address without an instance key also covers each of its instances."""
    if glob_match(pattern, address):
        return True
    if address.endswith("]") and "*" not in pattern and "?" not in pattern:
        from .graph import base_address
        return base_address(address) == pattern
    return False


def qualified_address(resource: str, module_root: str | None) -> str:
    """The address told apart by its root module: `examples/complete:module.x.aws_s3_bucket.b`; a resource
    of the scan root's own module (or a plan) keeps its plain address, so earlier fingerprints still hold."""
    if not module_root or module_root == ".":
        return resource
    return f"{module_root}:{resource}"


def fingerprint(policy_id: str, resource: str, file: str, module_root: str | None = None) -> str:
    """sha256 of `policy|resource|file`, the resource qualified by its root module when that is not the scan
    root: no line, so moving a block does not reopen a finding (the same key as the SARIF reporter's partial
    fingerprint); two examples calling one module keep two findings."""
    return hashlib.sha256(f"{policy_id}|{qualified_address(resource, module_root)}|{file}".encode()).hexdigest()


def _posix(path: str) -> str:
    return path.replace(os.sep, "/")


def _display(path: str, root: str) -> str:
    """A path as reports show it: relative to the scan root when inside it, else as given."""
    a = os.path.abspath(path)
    r = os.path.abspath(root)
    try:
        if os.path.commonpath([a, r]) == r:
            return _posix(os.path.relpath(a, r))
    except ValueError:  # other drive
        pass
    return _posix(path)


def _relative_to(root: str, file: str | None, base: str) -> str | None:
    """A result's file (relative to the scan root) relative to another directory, POSIX."""
    if not file:
        return None
    return _posix(os.path.relpath(os.path.normpath(os.path.join(root, file)), base))


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


# ---- inline waivers --------------------------------------------------------------------------------------
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


# ---- exceptions file -------------------------------------------------------------------------------------
@dataclass
class ExceptionEntry:
    number: int  # 1-based position in the file
    line: int
    policy: str
    resource: str
    reason: str
    approved_by: str
    expires: dt.date
    ticket: str | None
    file_glob: str | None
    source: str
    matched: bool = False

    def matches(self, result: dict, root: str, base: str) -> bool:
        if not glob_match(self.policy, result["policy_id"]) or not resource_match(self.resource, result["resource"]):
            return False
        if self.file_glob is None:
            return True
        rel = _relative_to(root, result.get("file"), base)
        return rel is not None and glob_match(self.file_glob, rel)

    def suppression(self) -> dict:
        return {"kind": "exception", "reason": self.reason, "approved_by": self.approved_by, "ticket": self.ticket,
                "expires": self.expires.isoformat(), "source": self.source}


class _Refused(Exception):
    def __init__(self, error: ScanError):
        super().__init__(error.message)
        self.error = error


@functools.lru_cache(maxsize=1)
def _loader_class():
    """SafeLoader that leaves dates as strings (checked per entry, with the entry's line, by _parse_date)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return Loader


def _read_yaml(path: str, shown: str) -> tuple[object, object]:
    """(node, data) of a YAML file, with a size and an alias limit; raises _Refused."""
    import yaml
    try:
        size = os.path.getsize(path)
        if size > MAX_EXCEPTIONS_BYTES:
            raise _Refused(ScanError(shown, None, f"exceptions file larger than {MAX_EXCEPTIONS_BYTES} bytes"))
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as e:
        raise _Refused(ScanError(shown, None, f"cannot read exceptions file: {e.strerror}")) from None
    except UnicodeDecodeError:
        raise _Refused(ScanError(shown, None, "exceptions file is not UTF-8 text")) from None
    try:
        aliases = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise _Refused(ScanError(shown, event.start_mark.line + 1,
                                             "YAML aliases are not allowed in an exceptions file (they can expand without bound)"))
        loader = _loader_class()(text)
        try:
            node = loader.get_single_node()
            from .config import duplicate_key
            dup = duplicate_key(node) if node is not None else None
            if dup:
                raise _Refused(ScanError(shown, dup[0], f"duplicate key {dup[1]!r} (YAML would keep only the last one)"))
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise _Refused(ScanError(shown, mark.line + 1 if mark else None,
                                 f"invalid YAML: {getattr(e, 'problem', None) or e}")) from None
    return node, data


def _entry_nodes(node) -> list:
    """The YAML nodes of the entries of the `exceptions` list (for their line numbers)."""
    for key, value in getattr(node, "value", None) or []:
        if getattr(key, "value", None) == "exceptions" and isinstance(value.value, list):
            return value.value
    return []


def _text_field(entry: dict, key: str, required: bool) -> str | None:
    v = entry.get(key)
    if v is None:
        if required:
            raise ValueError(f"missing required field {key!r}")
        return None
    if key == "ticket" and isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if not isinstance(v, str) or not v.strip():
        raise ValueError(f"{key} must be a non-empty string")
    return v.strip()


def load_exceptions(path: str, root: str, today: dt.date, max_days: int
                    ) -> tuple[list[ExceptionEntry], list[ScanError], list[ScanError]]:
    """Entries in force, errors (malformed file or entry, window too long) and warnings (expired)."""
    shown = _display(path, root)
    try:
        node, data = _read_yaml(path, shown)
    except _Refused as e:
        return [], [e.error], []
    if data is None:
        return [], [], []
    if not isinstance(data, dict):
        return [], [ScanError(shown, 1, "expected a mapping with an `exceptions` list")], []
    unknown = sorted(str(k) for k in data if k != "exceptions")
    if unknown:
        return [], [ScanError(shown, 1, f"unknown key {unknown[0]!r} (expected `exceptions`)")], []
    items = data.get("exceptions")
    if items is None:
        return [], [], []
    if not isinstance(items, list):
        return [], [ScanError(shown, 1, "`exceptions` must be a list of entries")], []
    nodes = _entry_nodes(node)
    entries: list[ExceptionEntry] = []
    errors: list[ScanError] = []
    warnings: list[ScanError] = []
    limit = today + dt.timedelta(days=max_days)
    for i, item in enumerate(items):
        n = i + 1
        line = nodes[i].start_mark.line + 1 if i < len(nodes) else None
        try:
            if not isinstance(item, dict):
                raise ValueError("expected a mapping with policy, resource, reason, approved_by, expires")
            extra = sorted(str(k) for k in item if k not in ENTRY_REQUIRED + ENTRY_OPTIONAL)
            if extra:
                raise ValueError(f"unknown key {extra[0]!r} (allowed: {', '.join(ENTRY_REQUIRED + ENTRY_OPTIONAL)})")
            policy = _text_field(item, "policy", True)
            resource = _text_field(item, "resource", True)
            reason = _text_field(item, "reason", True)
            approved_by = _text_field(item, "approved_by", True)
            ticket = _text_field(item, "ticket", False)
            file_glob = _text_field(item, "file", False)
            if item.get("expires") is None:
                raise ValueError("missing required field 'expires'")
            expires = _parse_date(item["expires"])
            if expires is None:
                raise ValueError(f"expires must be an ISO date (YYYY-MM-DD), got {str(item['expires'])!r}")
        except ValueError as e:
            errors.append(ScanError(shown, line, f"exception {n}: {e}"))
            continue
        if expires > limit:
            errors.append(ScanError(shown, line, (
                f"exception {n} expires on {expires.isoformat()}, more than max_exception_days ({max_days}) "
                f"after {today.isoformat()}: shorten the window")))
            continue
        if expires < today:
            warnings.append(ScanError(shown, line, (
                f"exception {n} expired on {expires.isoformat()}: {policy} on {resource} is no longer suppressed")))
            continue
        if _blanket(policy) and _blanket(resource) and (file_glob is None or _blanket(file_glob)):
            warnings.append(ScanError(shown, line, (
                f"governance: exception {n} suppresses every policy on every resource (blanket exception)")))
        entries.append(ExceptionEntry(n, line, policy, resource, reason, approved_by, expires, ticket, file_glob,
                                  f"{shown}:{line}"))
    return entries, errors, warnings


def _blanket(pattern: str) -> bool:
    """A glob that matches anything: only `*` (and `/`, `**`)."""
    return bool(pattern) and set(pattern) <= {"*", "/"}


# ---- baseline --------------------------------------------------------------------------------------------
def _scan_root(report: dict) -> str:
    roots = (report.get("scan") or {}).get("roots") or ["."]
    bases = []
    for p in roots:
        a = os.path.abspath(p)
        bases.append(a if os.path.isdir(a) else os.path.dirname(a))
    return os.path.commonpath(bases)


def write_baseline(path: str, report: dict) -> int:
    """Record the failed and unknown results; returns how many. `root` is the scan root relative to the
    baseline file, so a later scan of a sub-directory (a pre-commit hook) still recognises the findings."""
    from .fsutil import write_output as atomic_write  # never replaces a device or FIFO
    items: dict[str, dict] = {}
    for r in report["results"]:
        if r["status"] not in SUPPRESSIBLE:
            continue
        file = r.get("file") or ""
        mroot = r.get("module_root") or "."
        fp = fingerprint(r["policy_id"], r["resource"], file, mroot)
        items[fp] = {"policy_id": r["policy_id"], "resource": r["resource"], "file": file, "fingerprint": fp}
        if mroot != ".":
            items[fp]["module_root"] = mroot
    findings = sorted(items.values(), key=lambda x: (x["file"], x["policy_id"], x["resource"]))
    root = _posix(os.path.relpath(_scan_root(report), os.path.dirname(os.path.abspath(path))))
    atomic_write(path, json.dumps({"version": BASELINE_VERSION, "root": root, "findings": findings},
                                  indent=2, ensure_ascii=False) + "\n")
    return len(findings)


def load_baseline(path: str, root: str) -> tuple[set[str], str, list[ScanError]]:
    """(fingerprints, directory the recorded files are relative to, errors)."""
    shown = _display(path, root)
    if not os.path.isfile(path):
        return set(), root, [ScanError(shown, None, "baseline file not found")]
    try:
        if os.path.getsize(path) > MAX_BASELINE_BYTES:
            return set(), root, [ScanError(shown, None, f"baseline larger than {MAX_BASELINE_BYTES} bytes")]
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as e:
        return set(), root, [ScanError(shown, None, f"cannot read baseline: {e.strerror}")]
    except UnicodeDecodeError:
        return set(), root, [ScanError(shown, None, "baseline is not UTF-8 text")]
    except json.JSONDecodeError as e:
        return set(), root, [ScanError(shown, e.lineno, f"invalid JSON: {e.msg}")]
    except RecursionError:
        return set(), root, [ScanError(shown, None, "malformed baseline: nested too deeply")]

    def bad(message: str):
        return set(), root, [ScanError(shown, None, f"malformed baseline: {message}")]
    if not isinstance(data, dict):
        return bad("expected an object with `version` and `findings`")
    extra = sorted(k for k in data if k not in ("version", "root", "findings"))
    if extra:
        return bad(f"unknown key {extra[0]!r}")
    if data.get("version") != BASELINE_VERSION:
        return bad(f"unsupported version {data.get('version')!r} (expected {BASELINE_VERSION})")
    recorded_root = data.get("root", ".")
    if not isinstance(recorded_root, str):
        return bad("`root` must be a string")
    findings = data.get("findings")
    if not isinstance(findings, list):
        return bad("`findings` must be a list")
    fps: set[str] = set()
    for i, f in enumerate(findings, 1):
        if not isinstance(f, dict):
            return bad(f"finding {i} is not an object")
        extra = sorted(k for k in f if k not in ("policy_id", "resource", "file", "fingerprint", "module_root"))
        if extra:
            return bad(f"finding {i}: unknown key {extra[0]!r}")
        if not all(isinstance(f.get(k), str) for k in ("policy_id", "resource", "file")):
            return bad(f"finding {i}: policy_id, resource and file must be strings")
        if not isinstance(f.get("module_root", "."), str):
            return bad(f"finding {i}: module_root must be a string")
        fp = fingerprint(f["policy_id"], f["resource"], f["file"], f.get("module_root"))
        if "fingerprint" in f and f["fingerprint"] != fp:
            return bad(f"finding {i}: fingerprint does not match policy_id|resource|file")
        fps.add(fp)
    base = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), recorded_root))
    return fps, base, []


# ---- the stage -------------------------------------------------------------------------------------------
def apply_suppressions(results, graph, config, root, exceptions_path, baseline_path, today):
    """Mark suppressed results in place; return (errors, warnings)."""
    root = os.path.abspath(root or ".")
    max_days = int(getattr(config, "max_exception_days", 365) if config is not None else 365)
    errors: list[ScanError] = []
    warnings: list[ScanError] = []

    entries: list[ExceptionEntry] = []
    exc_base = root
    if exceptions_path:
        entries, e_err, e_warn = load_exceptions(exceptions_path, root, today, max_days)
        errors += e_err
        warnings += e_warn
        exc_base = os.path.dirname(os.path.abspath(exceptions_path))

    active, i_warn = inline_waivers(graph, config, today, max_days) if graph is not None else ({}, [])
    warnings += i_warn

    fps: set[str] = set()
    bl_base = root
    bl_shown = None
    if baseline_path:
        fps, bl_base, b_err = load_baseline(baseline_path, root)
        errors += b_err
        bl_shown = _display(baseline_path, root)

    for r in results:
        if r["status"] not in SUPPRESSIBLE:
            continue
        sup = None
        for e in entries:
            if e.matches(r, root, exc_base):
                e.matched = True
                if sup is None:
                    sup = e.suppression()
        if sup is None:
            w = active.get((r["resource"], r["policy_id"]))
            if w is not None:
                sup = w.suppression()
        if sup is None and fps:
            rel = _relative_to(root, r.get("file"), bl_base) or ""
            mroot = _relative_to(root, r.get("module_root") or ".", bl_base)
            if fingerprint(r["policy_id"], r["resource"], rel, mroot) in fps:
                sup = {"kind": "baseline", "reason": f"in baseline {bl_shown}", "approved_by": None,
                       "ticket": None, "expires": None, "source": bl_shown}
        if sup is not None:
            r["status"] = "suppressed"
            r["suppression"] = sup

    for e in entries:
        if not e.matched:
            warnings.append(ScanError(_display(exceptions_path, root), e.line,
                                      f"exception {e.number} matches nothing ({e.policy} on {e.resource})"))
    return errors, _unique(warnings)


def _unique(items: list[ScanError]) -> list[ScanError]:
    seen = set()
    out = []
    for w in items:
        key = (w.file, w.line, w.message)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out
