"""Plan front end: `terraform show -json PLANFILE` documents -> Resources.

A plan already holds resolved values, so each resource instance becomes a `Resource` directly:
`planned_values` gives the values, `resource_changes` the action, `after_unknown` the values known only
after apply (they become `Unknown`), `sensitive_values`/`after_sensitive` the paths never to print, and
`configuration` the references between resources (graph edges, and what an unknown value points at).
Format versions 0.1 to 1.2 are read; fields that appear or disappear across versions are optional.
Stdlib only: this module is on the start-up path.
"""
from __future__ import annotations

from typing import Any

from .. import address as _address
from ..model import Resource, ScanError, Unknown

__all__ = ["decode_json_bytes", "load_json", "classify", "not_a_plan_message", "read_plan",
           "read_plan_file", "attach_sources", "split_address", "strip_instance_keys"]

UNKNOWN_REASON = "known after apply"
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


from .plan_document import RUN_SHOW, classify, decode_json_bytes, load_json, not_a_plan_message  # noqa: E402,F401


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


from .plan_config import (  # noqa: E402,F401  (the configuration section, re-exported for tests)
    _ConfigResource, _configured_top, _follow_vars, _get, _is_expression, _keyless_module, _maximal,
    _nested_configured, _parent_prefix, _pop_path, _read_configuration, _ref_target, _targets, _unknown_refs,
    _walk_expressions)


from .plan_values import _copy, _dotted, _set_unknown, _true_paths  # noqa: E402


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
    changes = _changes(doc, file, errors)
    resources = []
    for entry in _entries(doc, file, errors, changes, config):
        res = _resource(entry, changes, config, module_inputs, file, errors)
        if res is not None:
            resources.append(res)
    return resources, errors


def _changes(doc: dict, file: str, errors: list) -> dict[str, tuple]:
    """resource_changes: the change of each current (not deposed) instance, address -> (identity, action,
    change object)."""
    changes: dict[str, tuple] = {}
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
    return changes


def _entries(doc: dict, file: str, errors: list, changes: dict, config: dict) -> list[tuple[tuple, Any, Any]]:
    """(identity, values, sensitive_values) of planned_values, then of instances present only in
    resource_changes, then of data sources read at plan time (prior_state)."""
    entries: list[tuple[tuple, Any, Any]] = []
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
    return entries


def _resource(entry: tuple, changes: dict, config: dict, module_inputs: dict, file: str,
              errors: list) -> Resource | None:
    """The Resource of one entry: its values, references (followed through module inputs), the values known
    only after apply, and the sensitive paths; None when its instance goes away or its values are not an object."""
    ident, values, sensitive_values = entry
    address, module, mode, rtype, name = ident
    ch = changes.get(address)
    action = ch[1] if ch else None
    if action in _GONE:
        return None
    if values is None:
        values = {}
    if not isinstance(values, dict):
        errors.append(ScanError(file, None, f"{address}: values are not an object"))
        return None
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
        _apply_after_unknown(res, ch[2].get("after_unknown"), cres, prefix, module_inputs, file, errors)
    for marks in (sensitive_values, ch[2].get("after_sensitive") if ch else None):
        if marks is True:
            res.sensitive.update(str(k) for k in attrs)
            continue
        for path in _true_paths(marks):
            if path:
                res.sensitive.add(_dotted(path))
    return res


def _apply_after_unknown(res: Resource, after_unknown: Any, cres, prefix: str, module_inputs: dict, file: str,
                         errors: list) -> None:
    """Values known only after apply become Unknown (with what they reference); an attribute the provider
    computes that the configuration does not set is judged as not set, as in HCL."""
    attrs = res.attributes
    for path in _true_paths(after_unknown):
        if not path:
            errors.append(ScanError(file, None, f"{res.address}: the whole object is unknown"))
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
            errors.append(ScanError(file, None, f"{res.address}: after_unknown path "
                                                f"{_dotted(path)} does not match the values"))


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
