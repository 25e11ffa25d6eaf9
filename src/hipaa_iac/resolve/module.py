"""Resolve a module directory's blocks into Resources: variables (defaults, tfvars, inputs), locals, local
and recorded modules, count/for_each expansion into Terraform addresses, references as graph edges.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..model import Attribute, Block, Resource, ScanError, Unknown, UnknownBlock, contains_unknown, internal_error
from .evaluate import SPLAT, Evaluator, Idx, Instances, Partial, Scope, to_str
from .functions import TFError
from .types import convert, parse_type

MAX_INSTANCES = 10_000  # instances of one resource or module block
MAX_SCAN_RESOURCES = 20_000  # resource instances in one scan (all roots, all modules)
MAX_SCAN_MODULES = 2_000  # module instances in one scan: `count = 100` three deep is a million
MAX_CUT_WARNINGS = 20  # per scan; then one summary of what else was cut
UNKNOWN_KEY = "[*]"  # an instance whose key is not known statically (Terraform's notation for it)
MAX_MODULE_DEPTH = 25
MAX_BLOCK_DEPTH = 64  # nested blocks; real provider schemas nest fewer than 10
META_ATTRS = {"count", "for_each", "provider", "depends_on"}
META_BLOCKS = {"lifecycle", "provisioner", "connection"}
from ..model import SENSITIVE_MARK, redact_unknowns  # noqa: E402  (taint: see model.py)


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
    repo_dir: str | None = None  # containment root (paths.repo_root): modules and file() stay inside it
    budget: "Budget" = field(default_factory=lambda: Budget())  # shared by every root of one scan
    module_root: str = "."  # the root module's directory, relative to the scan root


@dataclass
class Budget:
    """Total work of one scan: resource and module instances left. What a cap cuts is said in a warning
    (file and line) and judged as one instance with an unknown key, never dropped silently."""

    resources: int = field(default_factory=lambda: MAX_SCAN_RESOURCES)
    modules: int = field(default_factory=lambda: MAX_SCAN_MODULES)
    cut_warnings: int = 0
    cut_more: int = 0  # cuts beyond MAX_CUT_WARNINGS, summarized once
    first_more: Any = None  # (file, line) of the first of those

    def take(self, kind: str, want: int) -> int:
        """Up to `want` instances of `kind` ("resources"/"modules"); returns how many were granted."""
        left = getattr(self, kind)
        got = max(0, min(want, left))
        setattr(self, kind, left - got)
        return got

    def warn(self, ctx: "Context", file: str, line: int | None, message: str) -> None:
        if self.cut_warnings < MAX_CUT_WARNINGS:
            self.cut_warnings += 1
            ctx.warnings.append(ScanError(file, line, message))
        else:
            self.cut_more += 1
            if self.first_more is None:
                self.first_more = (file, line)

    def summary(self) -> ScanError | None:
        if not self.cut_more:
            return None
        f, line = self.first_more
        return ScanError(f, line, f"{self.cut_more} more resource or module blocks were cut by the scan's "
                                  f"analysis limits ({MAX_SCAN_RESOURCES} resource and {MAX_SCAN_MODULES} module "
                                  "instances), the first of them here")


def _addr_key(k: Any) -> str:
    """The instance key as Terraform writes it in an address; an unknown key is `[*]` (never its reason,
    which may quote values)."""
    if isinstance(k, Unknown):
        return UNKNOWN_KEY
    from ..address import format_key
    return format_key(k)


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
        self._sensitive_outputs: set[str] = set()
        self._local_cache: dict[str, tuple[Any, set]] = {}
        self._var_cache: dict[str, tuple[Any, set]] = {}
        self._module_cache: dict[str, Any] = {}
        self._module_shown: dict[str, str] = {}  # module name -> its source as written (for messages)
        self._attr_cache: dict[str, tuple[Any, set]] = {}  # "addr.attr" of a resource -> (value, refs)
        self._output_cache: dict[str, tuple[Any, set]] = {}
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
                sens = b.attributes.get("sensitive")
                if sens is not None and getattr(sens.expr, "value", None) is True:
                    self._sensitive_outputs.add(b.labels[0])  # `sensitive = true` taints what reads it

    # ---- scope -------------------------------------------------------------------------------
    def scope(self, bindings: dict | None = None, collect: set | None = None) -> Scope:
        return Scope(self.lookup, bindings or {}, collect if collect is not None else set(), self.src.dir,
                     self.ctx.repo_dir or self.ctx.root_dir)

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
        if block is not None:
            value = self._typed(block, value)
        sens = block.attributes.get("sensitive") if block is not None else None
        if sens is not None and self.eval(sens.expr, self.scope()) is True:
            refs.add(SENSITIVE_MARK)
        self._var_cache[name] = (value, refs)
        return value, refs

    def _typed(self, block: Block, value: Any) -> Any:
        """The value a variable receives, as Terraform gives it to the module: `nullable = false` makes a null
        input take the default (/language/values/variables#disallowing-null-input-values), then the value is
        converted to the declared type, optional() attributes getting their defaults (resolve/types.py)."""
        attrs = block.attributes
        if value is None and "nullable" in attrs and "default" in attrs and \
                self.eval(attrs["nullable"].expr, self.scope()) is False:
            value = self.eval(attrs["default"].expr, self.scope())
        if "type" not in attrs:
            return value
        t = parse_type(attrs["type"].expr, lambda node: self.eval(node, self.scope()))
        return convert(value, t)

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
        maybe_absent = False
        bindings: dict = {}
        if steps and steps[0] is SPLAT:  # `aws_x.y[*]`: the instance keys, for the evaluator to map over
            scope.collect.add(base_addr)
            if not has_count:
                return Partial(Instances([None]), consumed + 1)
            if "for_each" in block.attributes:  # a map of instances: Terraform's splat does not apply to it
                return Partial(Unknown(f"{base_addr}[*]: a splat over a for_each resource (a map); use "
                                       f"values({base_addr})", (base_addr,)), consumed + 1)
            keys = [k for k, _ in self.instances(block, base_addr)]
            if any(isinstance(k, Unknown) for k in keys):
                u = next(k for k in keys if isinstance(k, Unknown))
                return Partial(Unknown(f"the instances of {base_addr} are not known statically ({u.reason})",
                                       (base_addr,)), consumed + 1)
            return Partial(Instances(keys), consumed + 1)
        if steps and isinstance(steps[0], Idx):
            k = steps[0].key
            if has_count and not isinstance(k, Unknown) and SENSITIVE_MARK not in scope.collect:
                # (a key derived from a sensitive value never goes into an address: the edge is to the whole
                # resource, and its attributes are not known)
                addr = base_addr + _addr_key(k)
                bindings = {"count": {"index": k}} if "count" in block.attributes else {"each": {"key": k}}
                status = self._instance_status(block, base_addr, k)
                if status == "absent":  # Terraform: "Invalid index" (try() takes its next alternative)
                    scope.collect.add(base_addr)
                    return Partial(TFError(f"{addr} does not exist (the key is not among the instances of "
                                           f"{base_addr})", (base_addr,)), used + len(steps))
                if status == "maybe":
                    maybe_absent = True
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
        if mode == "data" and rtype == "aws_iam_policy_document" and attr_name in ("json", "minified_json"):
            value = self._memo(key, lambda collect: self._policy_document(block, bindings, attr_name, collect),
                               scope)
            if value is not None:
                return Partial(value, consumed + 1)
        elif attr is not None and attr_name not in META_ATTRS:
            if "each" in bindings:
                bindings["each"]["value"] = Unknown("each.value of another resource")
            value = self._memo(key, lambda collect: self.eval(attr.expr, self.scope(bindings, collect)), scope)
            if value is not None and contains_unknown(value) is None:
                return Partial(value, consumed + 1)
        what = f"{addr}.{attr_name}"
        if mode == "data":
            reason = f"{what} is read from the provider at plan time"
        else:
            reason = f"{what} is known only after apply"
        u = Unknown(reason, (addr,), rtype, addr)
        u.instance_certain = not maybe_absent
        return Partial(u, consumed + 1)

    def _memo(self, key: str, compute, scope: Scope) -> Any:
        """The value of one resource attribute (or output) evaluated once per instance: a chain of
        resources each reading the previous one twice stays linear. Returns None while `key` is being
        evaluated (a cycle, which Terraform rejects); the references it followed are edges either way."""
        hit = self._attr_cache.get(key)
        if hit is None:
            if key in self._in_progress:
                return None
            self._in_progress.add(key)
            collect: set = set()
            try:
                value = compute(collect)
            finally:
                self._in_progress.discard(key)
            hit = self._attr_cache[key] = (value, collect)
        scope.collect.update(hit[1])
        return hit[0]

    def _policy_document(self, block: Block, bindings: dict, attr_name: str, collect: set) -> Any:
        """`data.aws_iam_policy_document.x.json` rendered as the AWS provider renders it."""
        from .iam_document import render
        attrs, _lines, sens, refs = self.eval_body(block, dict(bindings), "")
        collect.update(refs)
        if sens:
            collect.add(SENSITIVE_MARK)
        return render(attrs, minified=attr_name == "minified_json")

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
        hit = self._output_cache.get(name)
        if hit is not None:
            return hit
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
        if name in self._sensitive_outputs:
            collect.add(SENSITIVE_MARK)
        self._output_cache[name] = (value, collect)
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
        collect: set = set()
        source = self.eval(src_attr.expr, self.scope(collect=collect)) if src_attr else None
        if SENSITIVE_MARK in collect:  # Terraform requires a literal source; never print a tainted one
            self.ctx.warnings.append(ScanError(block.file, block.line, f"module.{name}: source is derived from a "
                                               "sensitive value (Terraform requires a literal): not analyzed"))
            return None
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
        root = os.path.realpath(self.ctx.repo_dir or self.ctx.root_dir)
        real = os.path.realpath(d)
        inside = real == root or real.startswith(root + os.sep)
        self._module_shown[name] = shown
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
            where = os.path.relpath(d, self.ctx.root_dir).replace(os.sep, "/")
            self.ctx.errors.append(ScanError(block.file, block.line,
                                             f"module.{name}: cannot read module {self._module_shown.get(name, '')} "
                                             f"(directory {where} does not exist or is not readable)"))
            return None
        base = self.prefix_addr(f"module.{name}")
        key_path = f"{self.key_path}.{name}" if self.key_path else name
        out: dict = {}
        for key, bindings in self._within_budget("modules", self.instances(block, base), block, base):
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

    def _within_budget(self, kind: str, items: list, block: Block, addr: str) -> list:
        """The instances of one block that the scan's budget allows; the surplus becomes one instance whose
        key is unknown (judged on what does not depend on the key), and the cut is reported."""
        n = len(items)
        got = self.ctx.budget.take(kind, n)
        if got == n:
            return items
        limit, what = ((MAX_SCAN_RESOURCES, "resource") if kind == "resources" else (MAX_SCAN_MODULES, "module"))
        if got == 0:
            self.ctx.budget.warn(self.ctx, block.file, block.line,
                                 f"{addr}: not analyzed: the scan reached its limit of {limit} {what} instances")
            return []
        unknown = Unknown(f"instance key of {addr} not analyzed (the scan's limit of {limit} {what} instances)")
        if "count" in block.attributes:
            b: dict = {"count": {"index": unknown}}
        else:
            b = {"each": {"key": unknown, "value": Unknown(f"each.value of {addr} not analyzed (the scan's limit of "
                                                           f"{limit} {what} instances)")}}
        self.ctx.budget.warn(self.ctx, block.file, block.line,
                             f"{addr}: {n - got + 1} of {n} instances are beyond the scan's limit of {limit} {what} "
                             f"instances; they are judged as one instance with an unknown key")
        return items[:got - 1] + [(unknown, b)]

    # ---- expansion and emission ------------------------------------------------------------------
    def _instance_status(self, block: Block, base_addr: str, key: Any) -> str:
        """Whether `base_addr[key]` is one of the instances: "present", "absent" (the instances are known and
        the key is not among them) or "maybe" (they are not known, or an analysis cap cut them)."""
        busy = self.__dict__.setdefault("_instances_busy", set())
        if base_addr in busy:  # a count that refers to its own resource (Terraform rejects the cycle)
            return "maybe"
        busy.add(base_addr)
        try:
            keys = [k for k, _ in self.instances(block, base_addr)]
        finally:
            busy.discard(base_addr)
        if any(isinstance(k, Unknown) for k in keys) or len(keys) >= MAX_INSTANCES:
            return "maybe"
        if "for_each" in block.attributes and not isinstance(key, str):
            key = to_str(key)
        return "present" if key in keys else "absent"

    def instances(self, block: Block, addr: str) -> list[tuple[Any, dict]]:
        """(key, bindings) per instance of a counted block; evaluated once per address (its warnings too),
        so a splat reference (`aws_x.y[*].arn`) and the block's own expansion agree."""
        memo = self.__dict__.setdefault("_instances_memo", {})
        if addr not in memo:
            memo[addr] = self._instances(block, addr)
        return memo[addr]

    def _instances(self, block: Block, addr: str) -> list[tuple[Any, dict]]:
        if "count" in block.attributes:
            attr = block.attributes["count"]
            collect: set = set()
            n = self.eval(attr.expr, self.scope(collect=collect))
            if SENSITIVE_MARK in collect:  # Terraform rejects sensitive counts; never put them into addresses
                reason = "count uses a sensitive value (Terraform rejects this)"
                return [(Unknown(f"count of {addr}: {reason}"),
                         {"count": {"index": Unknown(f"count.index: {reason}")}})]
            if isinstance(n, str) and not isinstance(n, Unknown):
                from .types import convert
                n = convert(n, ("number",))  # Terraform converts "3" to 3
            invalid = _invalid_count(n)
            if invalid:
                self.ctx.warnings.append(ScanError(block.file, attr.line, f"{addr}: {invalid}; its instances "
                                                   "are judged as one instance with an unknown index"))
            if isinstance(n, Unknown) or invalid:
                reason = n.reason if isinstance(n, Unknown) else invalid
                self._warn_limit(block, attr, addr, "count", n)
                return [(Unknown(f"count of {addr} is not known statically ({reason})"),
                         {"count": {"index": Unknown(f"count.index of {addr} is not known statically")}})]
            n = int(n)
            if n > MAX_INSTANCES:
                shown = str(n) if n < 10 ** 18 else "a number above 10^18"
                self.ctx.warnings.append(ScanError(block.file, attr.line,
                                                   f"{addr}: count = {shown} exceeds the analysis limit; "
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
                self._warn_limit(block, attr, addr, "for_each", coll)
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

    def _warn_limit(self, block: Block, attr: Attribute, addr: str, what: str, value: Any) -> None:
        """A count or for_each that an analysis cap made unknown is a warning at its line: a cap never
        passes silently, even when every instance fails the same way."""
        if isinstance(value, Unknown) and "analysis limit" in value.reason:
            self.ctx.warnings.append(ScanError(block.file, attr.line, f"{addr}: {what} exceeds the analysis limit "
                                               "(too much work to evaluate); its instances are judged as one "
                                               "instance with an unknown key"))

    def emit(self) -> None:
        for local_addr, block in self.resources.items():
            self._emit_guarded(block, "managed", self.prefix_addr(local_addr))
        for local_addr, block in self.data.items():
            self._emit_guarded(block, "data", self.prefix_addr("data." + local_addr))
        for name in self.modules:
            try:
                self.module_instances(name)
            except Exception as e:  # the tool's own failure on one module call: reported, the scan goes on
                b = self.modules[name]
                self.ctx.errors.append(ScanError(b.file, b.line, internal_error(e, f"resolve (module {name})")))

    def _emit_guarded(self, block: Block, mode: str, base: str) -> None:
        """One resource block; an internal error while resolving it makes it a resource whose results are
        all unknown with the reason, reported as an error, instead of ending the scan."""
        n = len(self.ctx.resources)
        try:
            self._emit_block(block, mode, base, block.labels[0], block.labels[1])
        except Exception as e:
            msg = internal_error(e, "resolve")
            del self.ctx.resources[n:]
            self.ctx.errors.append(ScanError(block.file, block.line, f"{base}: {msg}"))
            self.ctx.resources.append(Resource(address=base, mode=mode, type=block.labels[0], name=block.labels[1],
                                               module=self.prefix, file=block.file, line=block.line,
                                               end_line=block.end_line, tainted=msg))

    def _emit_block(self, block: Block, mode: str, base: str, rtype: str, name: str) -> None:
        for key, bindings in self._within_budget("resources", self.instances(block, base), block, base):
            if isinstance(key, Unknown):
                address = base
            else:
                address = base + (_addr_key(key) if key is not None else "")
            res = Resource(address=address, mode=mode, type=rtype, name=name, module=self.prefix,
                           file=block.file, line=block.line, end_line=block.end_line,
                           comments=list(block.comments), parser=self.src.parser.get(block.file, "tree-sitter"))
            res.module_root = self.ctx.module_root
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
                    collect.discard(SENSITIVE_MARK)
                    refs.update(collect)
                continue
            collect = set()
            value = self.eval(attr.expr, self.scope(bindings, collect))
            path = prefix + aname
            if SENSITIVE_MARK in collect:
                collect.discard(SENSITIVE_MARK)
                sens.add(path)
                value = redact_unknowns(value)
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
            for btype, body, b, *unk in produced:
                i = counters.get(btype, 0)
                counters[btype] = i + 1
                a2, l2, s2, r2 = self.eval_body(body, b, f"{prefix}{btype}.{i}.", depth + 1)
                if unk:  # a dynamic block over a collection not known statically: it may not exist at all
                    a2 = UnknownBlock(a2, unk[0])
                if btype in block.attributes and i == 0:  # `x = ...` and `x { }` in one block: Terraform
                    self.ctx.errors.append(ScanError(body.file, body.line, f"{prefix}{btype} is set both as an "
                                                     "argument and as a block; Terraform rejects this"))
                    attrs[btype] = Unknown(f"{prefix}{btype} is set both as an argument and as a block")
                prior = attrs.get(btype)
                if isinstance(prior, Unknown):
                    continue
                attrs.setdefault(btype, []).append(a2)
                lines.setdefault(f"{prefix}{btype}.{i}", body.line)
                lines.update(l2)
                sens |= s2
                if hidden:  # its content comes from a sensitive collection
                    sens.add(f"{prefix}{btype}.{i}")
                    redact_unknowns(a2)
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
            return [(label, content, b, u)], hidden
        items = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll)) if isinstance(coll, list) else []
        out = []
        for k, v in items[:MAX_INSTANCES]:
            b = dict(bindings)
            b[it_name] = {"key": k, "value": v}
            out.append((label, content, b))
        return out, hidden


def _invalid_count(n: Any) -> str | None:
    """Why a known `count` value is one Terraform rejects (it must be a whole number, 0 or more), else None."""
    if isinstance(n, Unknown):
        return None
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        return "count is not a number (Terraform rejects this)"
    if isinstance(n, float):
        if n != n:
            return "count is NaN (Terraform rejects this)"
        if n in (float("inf"), float("-inf")):
            return "count is infinite (Terraform rejects this)"
        if not n.is_integer():
            return "count is not a whole number (Terraform rejects this)"
    if n < 0:
        return "count is negative (Terraform rejects this)"
    return None


_SYSTEM_DIRS = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root", "/run",
                "/sbin", "/sys", "/usr", "/var")


def _is_system_path(real: str) -> bool:
    if real in ("/", os.path.realpath(os.path.expanduser("~"))):
        return True
    return any(real == d or real.startswith(d + os.sep) for d in _SYSTEM_DIRS)


def load_modules_json(root_dir: str, repo: str | None = None) -> dict:
    """`.terraform/modules/modules.json` (written by terraform init): module key -> absolute dir. Read only
    inside the repository `repo` (paths.inside), and recorded in the scan cache ledger."""
    from ..cache import read_input
    from ..paths import inside
    path = os.path.join(root_dir, ".terraform", "modules", "modules.json")
    if repo is not None and os.path.lexists(path) and not inside(path, repo):
        return {}
    try:
        data = json.loads(read_input(path).decode("utf-8"))
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
