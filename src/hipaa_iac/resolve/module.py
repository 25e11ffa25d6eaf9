"""Resolve a module directory's blocks into Resources: variables (defaults, tfvars, inputs), locals, local
and recorded modules, count/for_each expansion into Terraform addresses, references as graph edges.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..model import Attribute, Block, Resource, ScanError, Unknown, contains_unknown
from .evaluate import Evaluator, Idx, Partial, Scope, to_str

MAX_INSTANCES = 10_000
MAX_MODULE_DEPTH = 25
MAX_BLOCK_DEPTH = 64  # nested blocks; real provider schemas nest fewer than 10
META_ATTRS = {"count", "for_each", "provider", "depends_on"}
META_BLOCKS = {"lifecycle", "provisioner", "connection"}
SENSITIVE_MARK = "!sensitive"


@dataclass
class ModuleSource:
    """The blocks of one module directory."""

    dir: str  # absolute directory
    rel: str  # relative to the scan root (POSIX)
    blocks: list[Block]
    parser: dict[str, str] = field(default_factory=dict)  # file -> parser


@dataclass
class Context:
    root_dir: str
    load_module: Any  # callable(abs_dir) -> ModuleSource | None (parses on demand, reports errors)
    modules_json: dict  # key ("a", "a.b") -> abs dir, from .terraform/modules/modules.json
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    resources: list = field(default_factory=list)
    evaluator: Evaluator = field(default_factory=Evaluator)
    allow_outside: bool = False
    visited: set = field(default_factory=set)  # real paths of module directories evaluated


def _addr_key(k: Any) -> str:
    return f"[{k}]" if isinstance(k, int) else f'["{k}"]'


class ModuleInstance:
    def __init__(self, ctx: Context, src: ModuleSource, prefix: str, inputs: dict[str, tuple[Any, set]],
                 key_path: str, stack: tuple[str, ...], input_lines: dict | None = None):
        self.ctx = ctx
        self.src = src
        self.prefix = prefix  # "" or "module.a" or 'module.a["x"].module.b'
        self.inputs = inputs
        self.key_path = key_path  # modules.json key: "a.b"
        self.stack = stack
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, Attribute] = {}
        self.resources: dict[str, Block] = {}
        self.data: dict[str, Block] = {}
        self.modules: dict[str, Block] = {}
        self.outputs: dict[str, Attribute] = {}
        self._local_cache: dict[str, tuple[Any, set]] = {}
        self._var_cache: dict[str, tuple[Any, set]] = {}
        self._module_cache: dict[str, Any] = {}
        self._in_progress: set[str] = set()
        self.tfvars: dict[str, tuple[Any, str]] = {}
        ctx.visited.add(os.path.realpath(src.dir))
        for b in src.blocks:
            t = b.type
            if t == "variable" and b.labels:
                self.variables[b.labels[0]] = b
            elif t == "locals":
                self.locals.update(b.attributes)
            elif t == "resource" and len(b.labels) == 2:
                self.resources[f"{b.labels[0]}.{b.labels[1]}"] = b
            elif t == "data" and len(b.labels) == 2:
                self.data[f"{b.labels[0]}.{b.labels[1]}"] = b
            elif t == "module" and b.labels:
                self.modules[b.labels[0]] = b
            elif t == "output" and b.labels and "value" in b.attributes:
                self.outputs[b.labels[0]] = b.attributes["value"]

    # ---- scope -------------------------------------------------------------------------------
    def scope(self, bindings: dict | None = None, collect: set | None = None) -> Scope:
        return Scope(self.lookup, bindings or {}, collect if collect is not None else set(), self.src.dir,
                     self.ctx.root_dir)

    def eval(self, node, scope: Scope) -> Any:
        try:
            return self.ctx.evaluator.eval(node, scope)
        except RecursionError:
            return Unknown("expression nested too deeply to evaluate")

    def lookup(self, root: str, steps: list, scope: Scope) -> Any:
        if root == "var":
            if not steps:
                return Unknown("var used as a value")
            if isinstance(steps[0], Idx):
                return Unknown("var indexed like a list")
            value, refs = self.var_value(steps[0])
            scope.collect.update(refs)
            return Partial(value, 1)
        if root == "local":
            if not steps:
                return Unknown("local used as a value")
            if isinstance(steps[0], Idx):
                return Unknown("local indexed like a list")
            value, refs = self.local_value(steps[0])
            scope.collect.update(refs)
            return Partial(value, 1)
        if root == "module":
            return self.module_output(steps, scope)
        if root == "data":
            if len(steps) < 2 or isinstance(steps[0], Idx) or isinstance(steps[1], Idx):
                return Unknown("incomplete data source reference")
            return self.resource_ref("data", f"data.{steps[0]}.{steps[1]}", self.data.get(f"{steps[0]}.{steps[1]}"),
                                     str(steps[0]), steps[2:], scope, 2)
        if root == "path":
            if steps and steps[0] == "module":
                return Partial(self.src.rel or ".", 1)
            if steps and steps[0] in ("root", "cwd"):
                return Partial(".", 1)
            return Unknown("unknown path attribute")
        if root == "terraform":
            return Unknown("terraform.workspace is chosen at run time")
        if root in ("count", "each", "self"):
            return Unknown(f"{root} is not available here")
        if root in scope.bindings:
            return scope.bindings[root]
        if steps and isinstance(steps[0], str):
            key = f"{root}.{steps[0]}"
            if key in self.resources:
                return self.resource_ref("managed", self.prefix_addr(key), self.resources[key], root, steps[1:],
                                         scope, 1)
        return Unknown(f"{root} is not declared in this module")

    def prefix_addr(self, local_addr: str) -> str:
        return f"{self.prefix}.{local_addr}" if self.prefix else local_addr

    # ---- variables and locals ------------------------------------------------------------------
    def var_value(self, name: str) -> tuple[Any, set]:
        if name in self._var_cache:
            return self._var_cache[name]
        block = self.variables.get(name)
        refs: set = set()
        if block is None:
            value: Any = Unknown(f"var.{name} is not declared")
        elif name in self.inputs:
            value, refs = self.inputs[name]
            refs = set(refs)
        elif name in self.tfvars:
            value = self.tfvars[name][0]
        elif "default" in block.attributes:
            collect: set = set()
            value = self.eval(block.attributes["default"].expr, self.scope(collect=collect))
        elif self.prefix:
            value = Unknown(f"var.{name} has no default and {self.prefix} does not set it")
        else:
            value = Unknown(f"var.{name} has no default and no value in the scanned tfvars files")
        sens = block.attributes.get("sensitive") if block is not None else None
        if sens is not None and self.eval(sens.expr, self.scope()) is True:
            refs.add(SENSITIVE_MARK)
        self._var_cache[name] = (value, refs)
        return value, refs

    def local_value(self, name: str) -> tuple[Any, set]:
        if name in self._local_cache:
            return self._local_cache[name]
        attr = self.locals.get(name)
        if attr is None:
            return Unknown(f"local.{name} is not declared"), set()
        key = "local." + name
        if key in self._in_progress:
            return Unknown(f"local.{name} refers to itself"), set()
        self._in_progress.add(key)
        collect: set = set()
        try:
            value = self.eval(attr.expr, self.scope(collect=collect))
        finally:
            self._in_progress.discard(key)
        self._local_cache[name] = (value, collect)
        return value, collect

    # ---- references to resources -----------------------------------------------------------------
    def resource_ref(self, mode: str, base_addr: str, block: Block | None, rtype: str, steps: list, scope: Scope,
                     used: int) -> Any:
        if block is None:
            return Unknown(f"{base_addr} is not declared in this module")
        consumed = used
        addr = base_addr
        has_count = "count" in block.attributes or "for_each" in block.attributes
        bindings: dict = {}
        if steps and isinstance(steps[0], Idx):
            k = steps[0].key
            if has_count and not isinstance(k, Unknown):
                addr = base_addr + _addr_key(k)
                bindings = {"count": {"index": k}} if "count" in block.attributes else {"each": {"key": k}}
            steps = steps[1:]
            consumed += 1
        scope.collect.add(addr if not isinstance(addr, Unknown) else base_addr)
        if not steps:
            return Partial(Unknown(f"{addr} is known only after apply", (addr,), rtype, addr), consumed)
        if isinstance(steps[0], Idx):
            return Partial(Unknown(f"{addr} is known only after apply", (addr,), rtype, addr), consumed)
        attr_name = steps[0]
        attr = block.attributes.get(attr_name)
        key = f"{addr}.{attr_name}"
        if attr is not None and key not in self._in_progress and attr_name not in META_ATTRS:
            self._in_progress.add(key)
            try:
                if "each" in bindings:
                    bindings["each"]["value"] = Unknown("each.value of another resource")
                value = self.eval(attr.expr, self.scope(bindings, scope.collect))
            finally:
                self._in_progress.discard(key)
            if contains_unknown(value) is None:
                return Partial(value, consumed + 1)
        what = f"{addr}.{attr_name}"
        if mode == "data":
            reason = f"{what} is read from the provider at plan time"
        else:
            reason = f"{what} is known only after apply"
        return Partial(Unknown(reason, (addr,), rtype, addr), consumed + 1)

    # ---- modules ---------------------------------------------------------------------------------
    def module_output(self, steps: list, scope: Scope) -> Any:
        if not steps:
            return Unknown("module used as a value")
        name = str(steps[0])
        block = self.modules.get(name)
        if block is None:
            return Unknown(f"module.{name} is not declared")
        instances = self.module_instances(name)
        consumed = 1
        rest = steps[1:]
        if instances is None:
            scope.collect.add(self.prefix_addr(f"module.{name}"))
            return Unknown(f"module.{name} could not be read")
        keyed = "count" in block.attributes or "for_each" in block.attributes
        if keyed:
            if not rest:
                return Unknown(f"module.{name} has count/for_each: index it to read outputs")
            k = rest[0].key if isinstance(rest[0], Idx) else rest[0]
            rest = rest[1:]
            consumed += 1
            if isinstance(k, Unknown):
                return Partial(Unknown(f"module.{name} instance key not known statically ({k.reason})"), consumed)
            inst = instances.get(k)
            if inst is None:
                return Partial(Unknown(f"module.{name}[{k!r}] is not a known instance"), consumed)
        else:
            inst = instances.get(None)
            if inst is None:
                return Unknown(f"module.{name} has no instance")
        if not rest:
            return Unknown(f"module.{name} used as a whole object")
        if isinstance(rest[0], Idx):
            return Partial(Unknown(f"module.{name} indexed like a list"), consumed + 1)
        value, refs = inst.output_value(rest[0])
        scope.collect.update(refs)
        return Partial(value, consumed + 1)

    def output_value(self, name: str) -> tuple[Any, set]:
        attr = self.outputs.get(name)
        if attr is None:
            return Unknown(f"{self.prefix} has no output {name!r}"), set()
        key = "output." + name
        if key in self._in_progress:
            return Unknown(f"output {name} refers to itself"), set()
        self._in_progress.add(key)
        collect: set = set()
        try:
            value = self.eval(attr.expr, self.scope(collect=collect))
        finally:
            self._in_progress.discard(key)
        return value, collect

    def module_instances(self, name: str) -> dict | None:
        if name in self._module_cache:
            return self._module_cache[name]
        self._module_cache[name] = None  # guard against recursion through outputs
        block = self.modules[name]
        result = self._expand_module(name, block)
        self._module_cache[name] = result
        return result

    def _module_dir(self, name: str, block: Block) -> str | None:
        src_attr = block.attributes.get("source")
        key_path = f"{self.key_path}.{name}" if self.key_path else name
        source = self.eval(src_attr.expr, self.scope()) if src_attr else None
        if isinstance(source, str) and (source.startswith("./") or source.startswith("../")):
            d = os.path.normpath(os.path.join(self.src.dir, source))
            return self._allowed(name, block, d, repr(source))
        if key_path in self.ctx.modules_json:
            return self._allowed(name, block, self.ctx.modules_json[key_path],
                                 f"{source!r} (from .terraform/modules/modules.json)")
        self.ctx.warnings.append(ScanError(block.file, block.line,
                                           f"module.{name}: source {source!r} is not downloaded "
                                           "(no .terraform/modules/modules.json entry); run `terraform init` "
                                           "to analyze its resources" if not isinstance(source, Unknown)
                                           else f"module.{name}: source is not known statically"))
        return None

    def _allowed(self, name: str, block: Block, d: str, shown: str) -> str | None:
        """A module directory inside the scanned tree; outside it only when configured, and never a system
        directory or the filesystem root."""
        root = os.path.realpath(self.ctx.root_dir)
        real = os.path.realpath(d)
        inside = real == root or real.startswith(root + os.sep)
        if inside:
            return d
        if self.ctx.allow_outside and not _is_system_path(real):
            return d
        why = ("is a system directory" if _is_system_path(real) else
               "is outside the scanned tree")
        self.ctx.warnings.append(ScanError(block.file, block.line,
                                           f"module.{name}: source {shown} {why}; its resources are not analyzed"))
        return None

    def _expand_module(self, name: str, block: Block) -> dict | None:
        d = self._module_dir(name, block)
        if d is None:
            return None
        real = os.path.realpath(d)
        if real in self.stack or len(self.stack) >= MAX_MODULE_DEPTH:
            self.ctx.errors.append(ScanError(block.file, block.line,
                                             f"module.{name}: module cycle or nesting deeper than "
                                             f"{MAX_MODULE_DEPTH} ({' -> '.join(os.path.basename(s) for s in self.stack)})"))
            return None
        src = self.ctx.load_module(d)
        if src is None:
            self.ctx.errors.append(ScanError(block.file, block.line, f"module.{name}: cannot read module at {d}"))
            return None
        base = self.prefix_addr(f"module.{name}")
        key_path = f"{self.key_path}.{name}" if self.key_path else name
        out: dict = {}
        for key, bindings in self.instances(block, base):
            prefix = base + (_addr_key(key) if key is not None else "")
            inputs: dict = {}
            for aname, attr in block.attributes.items():
                if aname in ("source", "version", "count", "for_each", "providers", "depends_on"):
                    continue
                collect: set = set()
                value = self.eval(attr.expr, self.scope(bindings, collect))
                inputs[aname] = (value, collect)
            child = ModuleInstance(self.ctx, src, prefix, inputs, key_path, self.stack + (real,))
            child.emit()
            out[key] = child
        return out

    # ---- expansion and emission ------------------------------------------------------------------
    def instances(self, block: Block, addr: str) -> list[tuple[Any, dict]]:
        if "count" in block.attributes:
            attr = block.attributes["count"]
            n = self.eval(attr.expr, self.scope())
            if isinstance(n, Unknown) or isinstance(n, bool) or not isinstance(n, (int, float)):
                reason = n.reason if isinstance(n, Unknown) else "count is not a number"
                return [(Unknown(f"count of {addr} is not known statically ({reason})"),
                         {"count": {"index": Unknown(f"count.index of {addr} is not known statically")}})]
            n = int(n)
            if n > MAX_INSTANCES:
                self.ctx.warnings.append(ScanError(block.file, attr.line,
                                                   f"{addr}: count = {n} exceeds the analysis limit; "
                                                   f"the first {MAX_INSTANCES} instances are judged"))
                n = MAX_INSTANCES
            return [(i, {"count": {"index": i}}) for i in range(n)]
        if "for_each" in block.attributes:
            attr = block.attributes["for_each"]
            collect: set = set()
            coll = self.eval(attr.expr, self.scope(collect=collect))
            if SENSITIVE_MARK in collect:
                # Terraform refuses sensitive for_each values; never put them into addresses
                reason = "for_each uses a sensitive value (Terraform rejects this)"
                return [(Unknown(f"for_each of {addr}: {reason}"),
                         {"each": {"key": Unknown(f"each.key: {reason}"), "value": Unknown(f"each.value: {reason}")}})]
            if isinstance(coll, Unknown):
                return [(Unknown(f"for_each of {addr} is not known statically ({coll.reason})"),
                         {"each": {"key": Unknown(f"each.key of {addr} is not known statically ({coll.reason})"),
                                   "value": Unknown(f"each.value of {addr} is not known statically ({coll.reason})")}})]
            if isinstance(coll, list):
                items = [(to_str(v), v) for v in coll]
            elif isinstance(coll, dict):
                items = list(coll.items())
            else:
                return [(Unknown(f"for_each of {addr} is not a map or set"), {})]
            if any(isinstance(k, Unknown) for k, _ in items):
                return [(Unknown(f"for_each keys of {addr} are not known statically"),
                         {"each": {"key": Unknown("each.key is not known statically"),
                                   "value": Unknown("each.value is not known statically")}})]
            if len(items) > MAX_INSTANCES:
                self.ctx.warnings.append(ScanError(block.file, attr.line,
                                                   f"{addr}: for_each with {len(items)} keys exceeds the analysis "
                                                   f"limit; the first {MAX_INSTANCES} instances are judged"))
                items = items[:MAX_INSTANCES]
            return [(k, {"each": {"key": k, "value": v}}) for k, v in sorted(items, key=lambda kv: str(kv[0]))]
        return [(None, {})]

    def emit(self) -> None:
        for local_addr, block in self.resources.items():
            self._emit_block(block, "managed", self.prefix_addr(local_addr), block.labels[0], block.labels[1])
        for local_addr, block in self.data.items():
            self._emit_block(block, "data", self.prefix_addr("data." + local_addr), block.labels[0], block.labels[1])
        for name in self.modules:
            self.module_instances(name)

    def _emit_block(self, block: Block, mode: str, base: str, rtype: str, name: str) -> None:
        for key, bindings in self.instances(block, base):
            if isinstance(key, Unknown):
                address = base
            else:
                address = base + (_addr_key(key) if key is not None else "")
            res = Resource(address=address, mode=mode, type=rtype, name=name, module=self.prefix,
                           file=block.file, line=block.line, end_line=block.end_line,
                           comments=list(block.comments), parser=self.src.parser.get(block.file, "tree-sitter"))
            if isinstance(key, Unknown):
                res.lines["__instances__"] = block.line
                res.attributes["__instances_unknown__"] = key
            scope_b = dict(bindings)
            scope_b["self"] = Unknown(f"self of {address}")
            attrs, lines, sens, refs = self.eval_body(block, scope_b, "")
            res.attributes.update(attrs)
            res.lines.update(lines)
            res.sensitive = sens
            res.refs = {r for r in refs if r != address and r != base}
            self.ctx.resources.append(res)

    def eval_body(self, block: Block, bindings: dict, prefix: str, depth: int = 0) -> tuple[dict, dict, set, set]:
        if depth > MAX_BLOCK_DEPTH:
            u = Unknown(f"blocks nested deeper than {MAX_BLOCK_DEPTH} levels are not analyzed")
            return {"__too_deep__": u}, {}, set(), set()
        attrs: dict = {}
        lines: dict = {}
        sens: set = set()
        refs: set = set()
        for aname, attr in block.attributes.items():
            if not prefix and aname in META_ATTRS:
                if aname == "depends_on":
                    collect: set = set()
                    self.eval(attr.expr, self.scope(bindings, collect))
                    refs.update(collect)
                continue
            collect = set()
            value = self.eval(attr.expr, self.scope(bindings, collect))
            path = prefix + aname
            if SENSITIVE_MARK in collect:
                collect.discard(SENSITIVE_MARK)
                sens.add(path)
            attrs[aname] = value
            lines[path] = attr.line
            refs.update(collect)
        counters: dict[str, int] = {}
        for sub in block.blocks:
            if sub.type in META_BLOCKS and not prefix:
                continue
            hidden = False
            if sub.type == "dynamic" and sub.labels:
                produced, hidden = self._dynamic(sub, bindings)
            else:
                produced = [(sub.type, sub, bindings)]
            for btype, body, b in produced:
                i = counters.get(btype, 0)
                counters[btype] = i + 1
                a2, l2, s2, r2 = self.eval_body(body, b, f"{prefix}{btype}.{i}.", depth + 1)
                attrs.setdefault(btype, []).append(a2)
                lines.setdefault(f"{prefix}{btype}.{i}", body.line)
                lines.update(l2)
                sens |= s2
                if hidden:  # its content comes from a sensitive collection
                    sens.add(f"{prefix}{btype}.{i}")
                refs |= r2
        return attrs, lines, sens, refs

    def _dynamic(self, block: Block, bindings: dict) -> list:
        label = block.labels[0]
        it_attr = block.attributes.get("iterator")
        it_name = label
        if it_attr is not None:
            from ..expr import Var
            if isinstance(it_attr.expr, Var):
                it_name = it_attr.expr.name
        content = next((b for b in block.blocks if b.type == "content"), None)
        if content is None:
            return [], False
        fe = block.attributes.get("for_each")
        collect: set = set()
        coll = self.eval(fe.expr, self.scope(bindings, collect)) if fe else Unknown("dynamic block without for_each")
        hidden = SENSITIVE_MARK in collect
        if isinstance(coll, Unknown):
            u = Unknown(f"dynamic \"{label}\" for_each is not known statically ({coll.reason})", coll.refs)
            b = dict(bindings)
            b[it_name] = {"key": u, "value": u}
            return [(label, content, b)], hidden
        items = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll)) if isinstance(coll, list) else []
        out = []
        for k, v in items[:MAX_INSTANCES]:
            b = dict(bindings)
            b[it_name] = {"key": k, "value": v}
            out.append((label, content, b))
        return out, hidden


_SYSTEM_DIRS = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root", "/run",
                "/sbin", "/sys", "/usr", "/var")


def _is_system_path(real: str) -> bool:
    if real in ("/", os.path.realpath(os.path.expanduser("~"))):
        return True
    return any(real == d or real.startswith(d + os.sep) for d in _SYSTEM_DIRS)


def load_modules_json(root_dir: str) -> dict:
    """`.terraform/modules/modules.json` (written by terraform init): module key -> absolute dir."""
    path = os.path.join(root_dir, ".terraform", "modules", "modules.json")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    out = {}
    for m in data.get("Modules", []) if isinstance(data, dict) else []:
        if isinstance(m, dict) and m.get("Key") and isinstance(m.get("Dir"), str):
            out[m["Key"]] = os.path.normpath(os.path.join(root_dir, m["Dir"]))
    return out


def read_tfvars_values(attrs: dict[str, Attribute], ev: Evaluator) -> dict[str, tuple[Any, str]]:
    """Evaluate a tfvars file's attributes (literals; no references allowed by Terraform)."""
    def nolookup(root, steps, scope):
        return Unknown(f"{root} cannot be referenced in a variables file")
    out = {}
    for name, attr in attrs.items():
        out[name] = (ev.eval(attr.expr, Scope(nolookup)), f"{attr.line}")
    return out
