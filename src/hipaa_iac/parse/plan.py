"""Plan front end: `terraform show -json PLANFILE` documents -> Resources.

A plan already holds resolved values, so each resource instance becomes a `Resource` directly:
`planned_values` gives the values, `resource_changes` the action, `after_unknown` the values known only
after apply (they become `Unknown`), `sensitive_values`/`after_sensitive` the paths never to print, and
`configuration` the references between resources (graph edges, and what an unknown value points at).
Format versions 0.1 to 1.2 are read; fields that appear or disappear across versions are optional.
Stdlib only: this module is on the start-up path.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from .. import address as _address
from .. import safejson
from ..model import Resource, ScanError, Unknown

__all__ = ["decode_json_bytes", "load_json", "classify", "not_a_plan_message", "read_plan",
           "read_plan_file", "attach_sources", "split_address", "strip_instance_keys"]

UNKNOWN_REASON = "known after apply"
RUN_SHOW = "run `terraform show -json PLANFILE`"
SUPPORTED_MAJOR = 1

# references that never point at a graph node
_NOT_NODES = frozenset({"var", "local", "each", "count", "path", "terraform", "self"})
# action lists -> one action word
_ACTIONS = {
    ("no-op",): "no-op", ("create",): "create", ("read",): "read", ("update",): "update",
    ("delete",): "delete", ("delete", "create"): "replace", ("create", "delete"): "replace",
    ("forget",): "forget",
}
# actions whose resource will not exist (as managed by this configuration) after apply: not judged
_GONE = frozenset({"delete", "forget"})


# --------------------------------------------------------------------------- bytes and documents
def decode_json_bytes(data: bytes) -> str:
    """Text of a JSON document: UTF-8 (with or without BOM) or UTF-16 LE/BE (with BOM, as PowerShell's
    `>` writes it, or without BOM, detected from the zero bytes of the first ASCII character).
    Raises UnicodeDecodeError when the bytes are none of these."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be")
    if len(data) >= 2 and data[0] == 0 and data[1] != 0:
        return data.decode("utf-16-be")
    if len(data) >= 2 and data[0] != 0 and data[1] == 0:
        return data.decode("utf-16-le")
    return data.decode("utf-8")


def load_json(data: bytes, file: str) -> tuple[Any, ScanError | None]:
    """Decode and parse a JSON document; on failure (None, ScanError) with the line where known."""
    try:
        text = decode_json_bytes(data)
    except UnicodeDecodeError as e:
        return None, ScanError(file, None, f"not UTF-8 or UTF-16 text ({e.reason} at byte {e.start})")
    try:
        return safejson.loads(text), None
    except safejson.NotJSON as e:
        return None, ScanError(file, e.lineno, f"invalid JSON: {e.msg}")
    except json.JSONDecodeError as e:
        return None, ScanError(file, e.lineno, f"invalid JSON: {e.msg} (line {e.lineno} column {e.colno})")
    except RecursionError:
        return None, ScanError(file, None, "invalid JSON: nested too deeply")


def classify(doc: Any) -> str:
    """"plan" (`format_version` with `planned_values` or `resource_changes`), "state" (`values` without
    `planned_values`, or an empty state), else "other"."""
    if not isinstance(doc, dict):
        return "other"
    if "format_version" in doc and ("planned_values" in doc or "resource_changes" in doc):
        return "plan"
    if "planned_values" in doc or "resource_changes" in doc:
        return "other"
    if "values" in doc and ("terraform_version" in doc or "format_version" in doc):
        return "state"
    if "format_version" in doc and set(doc) <= {"format_version", "terraform_version"}:
        return "state"  # `terraform show -json` of an empty state
    return "other"


_TF_JSON_KEYS = frozenset({"resource", "data", "module", "provider", "terraform", "variable", "output",
                           "locals", "moved", "import", "check", "removed"})


def not_a_plan_message(doc: Any) -> str:
    """Why a JSON document is not read as a plan, naming what it looks like and what to run instead."""
    kind = classify(doc)
    if kind == "plan":
        return "a Terraform plan"
    if kind == "state":
        if isinstance(doc, dict) and "values" not in doc:
            return f"an empty Terraform state file, not a plan: {RUN_SHOW}"
        return f"a Terraform state file, not a plan: {RUN_SHOW}"
    if isinstance(doc, list):
        return f"a JSON array (such as `terraform apply -json` log messages), not a plan: {RUN_SHOW}"
    if not isinstance(doc, dict):
        return f"a JSON {type(doc).__name__}, not a Terraform plan: {RUN_SHOW}"
    if "provider_schemas" in doc:
        return f"a provider schema document (`terraform providers schema -json`), not a plan: {RUN_SHOW}"
    if "planned_values" in doc or "resource_changes" in doc:
        return f"a plan-like document without `format_version`, not read as a plan: {RUN_SHOW}"
    if doc and set(doc) <= _TF_JSON_KEYS:
        return "a Terraform JSON configuration (.tf.json), not a plan: scan it as configuration"
    return f"not a Terraform plan (no `format_version` with `planned_values`): {RUN_SHOW}"


def max_plan_bytes() -> int:
    """Plans above this are reported, not read: json + values cost ~40x the file in memory (a 47 MB plan
    peaked at 2.1 GB), more than a CI runner may have. HIPAA_IAC_MAX_PLAN_MB raises it."""
    import os
    try:
        return int(float(os.environ.get("HIPAA_IAC_MAX_PLAN_MB", "40")) * 1_000_000)
    except ValueError:
        return 40_000_000


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def read_plan_file(path: str, file: str | None = None, read=None, counted: list | None = None
                   ) -> tuple[list[Resource], list[ScanError]]:
    """Read a plan from disk (`file` is the name reported, default `path`; `read(path) -> bytes`, default
    a plain read: the scan passes the reader that records the bytes for its cache; `counted`: the path is
    appended when the file was read as a plan, for the report's count of files read). A file above
    `max_plan_bytes()`, that cannot be read, is not JSON, or is not a plan gives one ScanError and no
    resources; so does the tool's own failure on it (an internal error, reported)."""
    import os
    file = path if file is None else file
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    limit = max_plan_bytes()
    if size > limit:
        return [], [ScanError(file, None, f"plan is {size / 1e6:.0f} MB, above the {limit // 1_000_000} MB limit "
                              "(about 40 bytes of memory per byte of plan): not analyzed; set HIPAA_IAC_MAX_PLAN_MB "
                              "to raise it")]
    try:
        data = (read or _read_bytes)(path)
    except OSError as e:
        return [], [ScanError(file, None, f"cannot read: {e.strerror or e}")]
    doc, err = load_json(data, file)
    if err is not None:
        return [], [err]
    if classify(doc) != "plan":
        return [], [ScanError(file, None, not_a_plan_message(doc))]
    try:
        got = read_plan(doc, file)
    except RecursionError:
        return [], [ScanError(file, None, "plan values are nested too deeply to read")]
    except Exception as e:  # the tool's own failure on this plan: reported, the rest of the scan goes on
        from ..model import internal_error
        return [], [ScanError(file, 1, internal_error(e, "plan reading"))]
    if counted is not None:
        counted.append(path)
    return got


# --------------------------------------------------------------------------- addresses (address.py)
split_address = _address.split
strip_instance_keys = _address.strip_keys
_base = _address.name_of
_parse_resource_address = _address.parse_resource


def _ref_target(ref: str) -> tuple[str | None, bool]:
    """The graph node a configuration reference points at, relative to its module, and whether the
    reference goes into an attribute of it: `aws_kms_key.k.arn` -> ("aws_kms_key.k", True),
    `module.x.out` -> ("module.x", True), `var.a` -> (None, False)."""
    parts = split_address(ref)
    if not parts:
        return None, False
    head = _base(parts[0])
    if head in _NOT_NODES:
        return None, False
    if head == "module":
        if len(parts) < 2:
            return None, False
        return "module." + parts[1], len(parts) > 2
    if head in ("data", "ephemeral"):
        if len(parts) < 3 or "[" in parts[0] or "[" in parts[1]:
            return None, False
        return ".".join(parts[:3]), len(parts) > 3
    if len(parts) < 2 or "[" in parts[0]:
        return None, False
    return ".".join(parts[:2]), len(parts) > 2


def _maximal(refs: Iterable[str]) -> list[str]:
    """Drop the containing references Terraform adds (`aws_kms_key.k` beside `aws_kms_key.k.arn`)."""
    refs = list(dict.fromkeys(refs))
    return [r for r in refs
            if not any(o != r and (o.startswith(r + ".") or o.startswith(r + "[")) for o in refs)]


# --------------------------------------------------------------------------- configuration
def _get(obj: dict, key: str, default: Any) -> Any:
    """obj[key], with `default` for a missing or null field (not for a present field of another type)."""
    value = obj.get(key)
    return default if value is None else value


class _ConfigResource:
    """References of one resource block of the configuration: (attribute path, references) pairs."""

    __slots__ = ("exprs", "node_refs", "_at", "configured", "tree")

    def __init__(self, exprs: list[tuple[tuple, list[str]]], configured: set[str] | None = None, tree: Any = None):
        self.exprs = exprs
        self.configured = configured
        self.tree = tree  # the resource's `expressions`, to tell configured nested attributes from computed ones
        targets: list[str] = []
        for _, refs in exprs:
            targets.extend(_targets(refs))
        self.node_refs = list(dict.fromkeys(targets))
        self._at: dict[tuple, tuple] = {}

    def refs_at(self, path: tuple) -> list[str]:
        """References of the expressions that produce the value at `path` (or a part of it)."""
        n = len(path)
        found = [refs for cp, refs in self.exprs if cp[:n] == path or path[:len(cp)] == cp]
        if not found:  # block order or count may differ between configuration and values
            bare = tuple(p for p in path if not isinstance(p, int))
            n = len(bare)
            for cp, refs in self.exprs:
                cb = tuple(p for p in cp if not isinstance(p, int))
                if cb[:n] == bare or bare[:len(cb)] == cb:
                    found.append(refs)
        out: list[str] = []
        for refs in found:
            out.extend(refs)
        return list(dict.fromkeys(out))

    def unknown_at(self, path: tuple) -> tuple:
        """(graph nodes, referenced resource type, referenced resource) of the value at `path`,
        relative to the module; computed once per configuration resource and path."""
        got = self._at.get(path)
        if got is None:
            got = self._at[path] = _unknown_refs(self.refs_at(path)) if self.exprs else ((), None, None)
        return got


def _targets(refs: Iterable[str]) -> list[str]:
    """Graph nodes (relative to the module) of a list of references, most specific only."""
    nodes = []
    for r in refs:
        t, _ = _ref_target(r)
        if t is not None:
            nodes.append(t)
    return _maximal(dict.fromkeys(nodes))


def _is_expression(node: dict) -> bool:
    """An expression object (`{"constant_value": ...}` / `{"references": [...]}`), not a nested block."""
    if not node.keys() <= {"constant_value", "references"}:
        return False
    refs = node.get("references")
    return refs is None or isinstance(refs, list)


def _walk_expressions(node: Any, path: tuple, out: list) -> None:
    if isinstance(node, dict):
        if _is_expression(node):
            refs = node.get("references")
            if refs:
                out.append((path, [r for r in refs if isinstance(r, str)]))
            return
        for k, v in node.items():
            _walk_expressions(v, path + (k,), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk_expressions(v, path + (i,), out)


def _configured_top(expressions: Any) -> set[str] | None:
    """Top-level attribute and block names the configuration sets (None when it cannot tell)."""
    if not isinstance(expressions, dict):
        return None
    return {str(k) for k in expressions}


def _nested_configured(tree: Any, path: tuple) -> bool:
    """False only when the configuration writes the block that holds `path` and that block does not set
    it: the provider computes the value (after_unknown), it is not configured. True when it cannot tell."""
    cur = tree
    for step in path:
        if isinstance(cur, dict):
            if _is_expression(cur) or "dynamic" in cur or not isinstance(step, str):
                return True
            if step not in cur:
                return False
            cur = cur[step]
        elif isinstance(cur, list):
            if not isinstance(step, int) or len(cur) != 1 and step >= len(cur):
                return True
            cur = cur[step] if step < len(cur) else cur[0]
        else:
            return True
    return True


def _pop_path(attrs: dict, path: tuple) -> None:
    cur: Any = attrs
    for step in path[:-1]:
        if isinstance(cur, dict) and isinstance(step, str):
            cur = cur.get(step)
        elif isinstance(cur, list) and isinstance(step, int) and step < len(cur):
            cur = cur[step]
        else:
            return
    if isinstance(cur, dict):
        cur.pop(path[-1], None)


def _read_configuration(doc: dict, file: str, errors: list[ScanError],
                        module_inputs: dict[str, dict[str, list[str]]]) -> dict[str, _ConfigResource]:
    """Configuration resources by key-less address (`module.a.aws_s3_bucket.b`)."""
    out: dict[str, _ConfigResource] = {}
    config = doc.get("configuration")
    if config is None:
        return out
    if not isinstance(config, dict):
        errors.append(ScanError(file, None, "plan `configuration` is not an object"))
        return out
    stack: list[tuple[str, Any]] = [("", config.get("root_module"))]
    while stack:
        prefix, module = stack.pop()
        where = prefix.rstrip(".") or "root"
        if module is None:
            continue
        if not isinstance(module, dict):
            errors.append(ScanError(file, None, f"configuration module {where} is not an object"))
            continue
        resources = _get(module, "resources", [])
        if not isinstance(resources, list):
            errors.append(ScanError(file, None, f"configuration resources of {where} is not a list"))
            resources = []
        for r in resources:
            if not isinstance(r, dict) or not isinstance(r.get("address"), str):
                errors.append(ScanError(file, None, "configuration resource without an address"))
                continue
            exprs: list = []
            expressions = r.get("expressions")
            if isinstance(expressions, dict):
                _walk_expressions(expressions, (), exprs)
            out[prefix + r["address"]] = _ConfigResource(exprs, _configured_top(expressions), expressions)
        calls = _get(module, "module_calls", {})
        if not isinstance(calls, dict):
            errors.append(ScanError(file, None, f"module_calls of {where} is not an object"))
            continue
        for name, call in calls.items():
            if isinstance(call, dict):
                stack.append((f"{prefix}module.{name}.", call.get("module")))
                inputs: dict[str, list[str]] = {}
                exprs = call.get("expressions")
                if isinstance(exprs, dict):
                    for var, e in exprs.items():
                        found: list = []
                        _walk_expressions(e, (), found)
                        inputs[str(var)] = [r for _, refs in found for r in refs]
                module_inputs[f"{prefix}module.{name}"] = inputs
    return out


def _keyless_module(prefix: str) -> str:
    """'module.a["x"].module.b.' -> 'module.a.module.b'."""
    return strip_instance_keys(prefix.rstrip(".")) if prefix else ""


def _parent_prefix(prefix: str) -> str:
    """'module.a["x"].module.b.' -> 'module.a["x"].'."""
    parts = split_address(prefix.rstrip(".")) or []
    return ".".join(parts[:-2]) + "." if len(parts) > 2 else ""


def _follow_vars(raw: list[str], prefix: str, module_inputs: dict, depth: int = 0) -> list[tuple[str, list[str]]]:
    """Group references by the module they belong to, following `var.x` into the calling module's
    input expressions (so a module resource using `var.kms_key` links to the key its caller passed)."""
    own = [r for r in raw if not r.startswith("var.")]
    groups = [(prefix, own)] if own else []
    if depth > 20 or not prefix:
        return groups
    inputs = module_inputs.get(_keyless_module(prefix), {})
    for r in raw:
        if r.startswith("var."):
            name = r.split(".")[1].split("[")[0]
            if name in inputs:
                groups += _follow_vars(inputs[name], _parent_prefix(prefix), module_inputs, depth + 1)
    return groups


# --------------------------------------------------------------------------- values
def _copy(value: Any) -> Any:
    """Copy of a JSON value (so marking unknowns never changes the caller's document)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _true_paths(marks: Any, path: tuple = ()) -> Iterable[tuple]:
    """Paths of every `true` in a marks tree (after_unknown, sensitive_values, after_sensitive)."""
    if marks is True:
        yield path
    elif isinstance(marks, dict):
        for k, v in marks.items():
            yield from _true_paths(v, path + (k,))
    elif isinstance(marks, list):
        for i, v in enumerate(marks):
            yield from _true_paths(v, path + (i,))


def _set_unknown(attrs: dict, path: tuple, value: Unknown) -> bool:
    """Put `value` at `path` in attrs, creating missing containers. False when the path crosses a
    scalar (the marks do not match the values)."""
    cur: Any = attrs
    for i, step in enumerate(path[:-1]):
        nxt_is_index = isinstance(path[i + 1], int)
        if isinstance(step, int):
            if not isinstance(cur, list):
                return False
            while len(cur) <= step:
                cur.append(None)
            if cur[step] is None:
                cur[step] = [] if nxt_is_index else {}
            cur = cur[step]
        else:
            if not isinstance(cur, dict):
                return False
            if cur.get(step) is None:
                cur[step] = [] if nxt_is_index else {}
            cur = cur[step]
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(cur, list):
            return False
        while len(cur) <= last:
            cur.append(None)
        cur[last] = value
    else:
        if not isinstance(cur, dict):
            return False
        cur[last] = value
    return True


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


# --------------------------------------------------------------------------- the plan
def _action(actions: Any) -> str | None:
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions) or not actions:
        return None
    return _ACTIONS.get(tuple(actions), "-".join(actions))


def _walk_values_modules(root: Any, where: str, file: str,
                         errors: list[ScanError]) -> list[tuple[Any, str]]:
    """(resource object, module address) of a values tree (`planned_values`, `prior_state.values`),
    depth first."""
    out: list[tuple[Any, str]] = []
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        module, address = stack.pop()
        if module is None:
            continue
        if not isinstance(module, dict):
            errors.append(ScanError(file, None, f"{where}: a module is not an object"))
            continue
        if isinstance(module.get("address"), str):
            address = module["address"]
        resources = _get(module, "resources", [])
        if isinstance(resources, list):
            out.extend((r, address) for r in resources)
        else:
            errors.append(ScanError(file, None, f"{where}: `resources` is not a list"))
        children = _get(module, "child_modules", [])
        if isinstance(children, list):
            stack.extend((c, address) for c in reversed(children))
        else:
            errors.append(ScanError(file, None, f"{where}: `child_modules` is not a list"))
    return out


def _identity(obj: Any, where: str, file: str, errors: list[ScanError],
              module_address: str = "") -> tuple | None:
    """(address, module, mode, type, name) of a resource object, or None with a ScanError.
    Terraform 0.12 wrote child-module resources of prior_state with relative addresses: a resource
    of module `module_address` whose address lacks that prefix gets it."""
    if not isinstance(obj, dict):
        errors.append(ScanError(file, None, f"{where}: a resource is not an object"))
        return None
    address = obj.get("address")
    if not isinstance(address, str) or not address:
        errors.append(ScanError(file, None, f"{where}: a resource has no address"))
        return None
    if module_address and not address.startswith(module_address + "."):
        address = f"{module_address}.{address}"
    parsed = _parse_resource_address(address)
    if parsed is None:
        errors.append(ScanError(file, None, f"{where}: {address}: not a resource address"))
        return None
    module, amode, atype, aname = parsed
    rtype = obj.get("type")
    if not isinstance(rtype, str) or not rtype:
        errors.append(ScanError(file, None, f"{where}: {address}: resource has no type"))
        return None
    mode = obj.get("mode", amode)
    if not isinstance(mode, str):
        errors.append(ScanError(file, None, f"{where}: {address}: `mode` is not a string"))
        return None
    name = obj.get("name", _base(aname))
    if not isinstance(name, str):
        errors.append(ScanError(file, None, f"{where}: {address}: `name` is not a string"))
        return None
    return address, module, mode, rtype, name


def _version_error(doc: dict, file: str) -> ScanError | None:
    fv = doc.get("format_version")
    if fv is None:
        return None
    try:
        major = int(str(fv).split(".")[0])
    except ValueError:
        return ScanError(file, None, f"plan format_version {fv!r} is not a version")
    if major > SUPPORTED_MAJOR:
        return ScanError(file, None, f"plan format_version {fv} is newer than supported "
                                     f"({SUPPORTED_MAJOR}.x); read as {SUPPORTED_MAJOR}.x")
    return None


def read_plan(doc: dict, file: str) -> tuple[list[Resource], list[ScanError]]:
    """One Resource per resource instance the plan leaves in place (see the module docstring)."""
    errors: list[ScanError] = []
    if not isinstance(doc, dict):
        return [], [ScanError(file, None, "plan is not a JSON object")]
    err = _version_error(doc, file)
    if err is not None:
        errors.append(err)
    module_inputs: dict[str, dict[str, list[str]]] = {}  # key-less module path -> {variable: references}
    config = _read_configuration(doc, file, errors, module_inputs)

    # resource_changes: the change of each current (not deposed) instance
    changes: dict[str, tuple] = {}  # address -> (identity, action, change object)
    rc = _get(doc, "resource_changes", [])
    if not isinstance(rc, list):
        errors.append(ScanError(file, None, "plan `resource_changes` is not a list"))
        rc = []
    for obj in rc:
        ident = _identity(obj, "resource_changes", file, errors)
        if ident is None:
            continue
        if obj.get("deposed"):
            continue  # a deposed object being destroyed; the current instance has its own entry
        change = obj.get("change")
        if not isinstance(change, dict):
            errors.append(ScanError(file, None, f"resource_changes: {ident[0]}: `change` is not an object"))
            continue
        action = _action(change.get("actions"))
        if action is None:
            errors.append(ScanError(file, None,
                                    f"resource_changes: {ident[0]}: `actions` is not a list of strings"))
            continue
        if ident[0] in changes:
            errors.append(ScanError(file, None, f"resource_changes: {ident[0]} appears twice"))
            continue
        changes[ident[0]] = (ident, action, change)

    # planned_values, then instances present only in resource_changes, then data read at plan time
    entries: list[tuple[tuple, Any, Any]] = []  # (identity, values, sensitive_values)
    seen: set[str] = set()
    pv = doc.get("planned_values")
    if pv is not None and not isinstance(pv, dict):
        errors.append(ScanError(file, None, "plan `planned_values` is not an object"))
        pv = None
    for obj, maddr in _walk_values_modules((pv or {}).get("root_module"), "planned_values", file, errors):
        ident = _identity(obj, "planned_values", file, errors, maddr)
        if ident is None:
            continue
        if ident[0] in seen:
            errors.append(ScanError(file, None, f"planned_values: {ident[0]} appears twice"))
            continue
        seen.add(ident[0])
        entries.append((ident, obj.get("values"), obj.get("sensitive_values")))
    for address, (ident, action, change) in changes.items():
        if address not in seen and action not in _GONE:
            seen.add(address)
            entries.append((ident, change.get("after"), None))
    prior = doc.get("prior_state")
    if isinstance(prior, dict) and isinstance(prior.get("values"), dict):
        for obj, maddr in _walk_values_modules(prior["values"].get("root_module"), "prior_state", file, []):
            if not isinstance(obj, dict) or obj.get("mode") != "data":
                continue
            ident = _identity(obj, "prior_state", file, errors, maddr)
            if ident is None or ident[0] in seen or ident[0] in changes:
                continue
            if config and strip_instance_keys(ident[0]) not in config:
                continue  # no longer in the configuration
            seen.add(ident[0])
            entries.append((ident, obj.get("values"), obj.get("sensitive_values")))

    resources: list[Resource] = []
    for ident, values, sensitive_values in entries:
        address, module, mode, rtype, name = ident
        ch = changes.get(address)
        action = ch[1] if ch else None
        if action in _GONE:
            continue
        if values is None:
            values = {}
        if not isinstance(values, dict):
            errors.append(ScanError(file, None, f"{address}: values are not an object"))
            continue
        attrs = _copy(values)
        cres = config.get(strip_instance_keys(address))
        prefix = module + "." if module else ""
        res = Resource(address=address, mode=mode, type=rtype, name=name, module=module, file=file,
                       line=None, end_line=None, attributes=attrs, source="plan", parser="plan",
                       action=action)
        if cres is not None:
            res.refs = {prefix + t for t in cres.node_refs}
            if prefix:
                raw_all = [r for _, refs in cres.exprs for r in refs if r.startswith("var.")]
                for p, group in _follow_vars(raw_all, prefix, module_inputs):
                    if p != prefix:
                        res.refs.update(p + t for t in _targets(group))
        if ch is not None:
            after_unknown = ch[2].get("after_unknown")
            for path in _true_paths(after_unknown):
                if not path:
                    errors.append(ScanError(file, None, f"{address}: the whole object is unknown"))
                    continue
                if (len(path) == 1 and cres is not None and cres.configured is not None
                        and str(path[0]) not in cres.configured):
                    # not set in the configuration: the provider computes it, as when the attribute is
                    # absent from the .tf file (judged as not set, as HCL and checkov judge it)
                    attrs.pop(path[0], None)
                    continue
                if len(path) > 1 and cres is not None and isinstance(cres.tree, dict) \
                        and isinstance(path[-1], str) and not _nested_configured(cres.tree, path):
                    _pop_path(attrs, path)  # a nested attribute the provider computes: not configured
                    continue
                unknown = _unknown(cres, path, prefix, module_inputs)
                if not _set_unknown(attrs, path, unknown):
                    errors.append(ScanError(file, None, f"{address}: after_unknown path "
                                                        f"{_dotted(path)} does not match the values"))
        for marks in (sensitive_values, ch[2].get("after_sensitive") if ch else None):
            if marks is True:
                res.sensitive.update(str(k) for k in attrs)
                continue
            for path in _true_paths(marks):
                if path:
                    res.sensitive.add(_dotted(path))
        resources.append(res)
    return resources, errors


def _unknown(cres: _ConfigResource | None, path: tuple, prefix: str, module_inputs: dict) -> Unknown:
    """`Unknown("known after apply")` with the references of the expression that produces it."""
    if cres is None:
        return Unknown(UNKNOWN_REASON)
    raw = cres.refs_at(path) if cres.exprs else []
    if prefix and any(r.startswith("var.") for r in raw):
        refs: list[str] = []
        typed: list[tuple[str, str]] = []
        for p, group in _follow_vars(raw, prefix, module_inputs):
            targets, ref_type, target = _unknown_refs(group)
            refs += [p + t for t in targets]
            if ref_type is not None and target is not None:
                typed.append((ref_type, p + target))
        rt, ra = typed[0] if len(typed) == 1 and len(refs) == 1 else (None, None)
        return Unknown(UNKNOWN_REASON, refs=tuple(dict.fromkeys(refs)), ref_type=rt, ref_address=ra)
    targets, ref_type, target = cres.unknown_at(path)
    return Unknown(UNKNOWN_REASON, refs=tuple(prefix + t for t in targets), ref_type=ref_type,
                   ref_address=None if target is None else prefix + target)


def _unknown_refs(raw: list[str]) -> tuple:
    """(graph nodes, resource type, resource address) of one value's references. The type is set only
    when the value is a direct reference to one resource's attribute: `aws_kms_key.k.arn`, or
    `aws_kms_key.k[each.key].arn`, which Terraform reports as `aws_kms_key.k` and `each.key`."""
    targets = tuple(_targets(raw))
    maximal = _maximal(raw)
    direct = [r for r in maximal if _base(r.split(".", 1)[0]) not in ("each", "count")]
    if len(direct) == 1:
        target, into = _ref_target(direct[0])
        if target is not None and not target.startswith("module.") and (
                into or (target == direct[0] and len(direct) < len(maximal))):
            parts = split_address(target) or [""]
            ref_type = ".".join(parts[:2]) if parts[0] in ("data", "ephemeral") else parts[0]
            return targets, ref_type, target
    return targets, None, None


# --------------------------------------------------------------------------- sources
def attach_sources(plan_resources: list[Resource], hcl_resources: list[Resource]) -> None:
    """Give plan resources the source position of the same resource read from the configuration
    (`file`, `line`, `end_line`, `lines`, `comments`). Tries the exact address, then the address
    without the resource's instance key, then without any instance key."""
    by_address = {r.address: r for r in hcl_resources}
    for res in plan_resources:
        src = by_address.get(res.address)
        if src is None:
            parts = split_address(res.address)
            if parts:
                src = by_address.get(".".join(parts[:-1] + [_base(parts[-1])]))
        if src is None:
            src = by_address.get(strip_instance_keys(res.address))
        if src is None:
            continue
        res.file = src.file
        res.line = src.line
        res.end_line = src.end_line
        res.lines = dict(src.lines)
        res.comments = list(src.comments)
