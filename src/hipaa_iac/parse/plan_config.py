"""The plan's `configuration` section: which attributes were written in the configuration (the rest the provider
computes), the references between resources (graph edges, what an unknown value points at), and module-call
inputs followed through `var.x` to the caller. Used by parse/plan.py; stdlib only (start-up path)."""
from __future__ import annotations

from typing import Any, Iterable

from .. import address as _address
from ..model import ScanError

# references that never point at a graph node
_NOT_NODES = frozenset({"var", "local", "each", "count", "path", "terraform", "self"})
split_address = _address.split
strip_instance_keys = _address.strip_keys
_base = _address.name_of


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
