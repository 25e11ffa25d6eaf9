"""The exceptions file (.hipaa-iac-exceptions.yaml): reviewed, expiring entries, read with a hardened YAML loader."""
from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass

from ..model import ScanError
from .match import _display, _parse_date, _relative_to, glob_match, resource_match

MAX_EXCEPTIONS_BYTES = 1024 * 1024
MAX_YAML_ALIASES = 0  # aliases expand without bound (billion laughs); an exceptions file needs none
ENTRY_REQUIRED = ("policy", "resource", "reason", "approved_by", "expires")
ENTRY_OPTIONAL = ("ticket", "file")


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
            from ..config import duplicate_key
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


# size: the checks of one entry in the order docs/suppressions.md lists them, each with its message
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
