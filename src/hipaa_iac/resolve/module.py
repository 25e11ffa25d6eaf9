"""Resolve a module directory's blocks into Resources: variables (defaults, tfvars, inputs), locals, local
and recorded modules, count/for_each expansion into Terraform addresses, references as graph edges.

Layout: this module holds the scan's context and budget and `ModuleInstance` (scope, variables, locals); the
instance's other jobs are mixins: `module_refs.py` (references to resources and module outputs),
`module_calls.py` (child modules), `module_instances.py` (count/for_each, dynamic blocks), `module_emit.py`
(Resources from blocks).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..model import SENSITIVE_MARK, Attribute, Block, ScanError, Unknown
from .evaluate import Evaluator, Idx, Partial, Scope
from .module_calls import MAX_MODULE_DEPTH, ModuleCallsMixin, load_modules_json
from .module_emit import EmissionMixin
from .module_instances import (MAX_BLOCK_DEPTH, MAX_INSTANCES, META_ATTRS, META_BLOCKS, UNKNOWN_KEY, InstancesMixin,
                               _invalid_count)
from .module_refs import ReferencesMixin
from .types import convert, parse_type

__all__ = ["MAX_BLOCK_DEPTH", "MAX_CUT_WARNINGS", "MAX_INSTANCES", "MAX_MODULE_DEPTH", "MAX_SCAN_MODULES",
           "MAX_SCAN_RESOURCES", "META_ATTRS", "META_BLOCKS", "UNKNOWN_KEY", "Budget", "Context", "ModuleInstance",
           "ModuleSource", "_invalid_count", "load_modules_json", "read_tfvars_values"]

MAX_SCAN_RESOURCES = 20_000  # resource instances in one scan (all roots, all modules)
MAX_SCAN_MODULES = 2_000  # module instances in one scan: `count = 100` three deep is a million
MAX_CUT_WARNINGS = 20  # per scan; then one summary of what else was cut


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


class ModuleInstance(ReferencesMixin, ModuleCallsMixin, InstancesMixin, EmissionMixin):
    """One instance of one module: its blocks, the inputs it was called with, and what it resolves."""

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
        got = self._evaluate_once("local." + name, attr)
        if got is None:
            return Unknown(f"local.{name} refers to itself"), set()
        self._local_cache[name] = got
        return got

    def _evaluate_once(self, key: str, attr) -> tuple[Any, set] | None:
        """The value of a local's or an output's expression and the references it followed; None while `key`
        is being evaluated (it refers to itself, which Terraform rejects)."""
        if key in self._in_progress:
            return None
        self._in_progress.add(key)
        collect: set = set()
        try:
            value = self.eval(attr.expr, self.scope(collect=collect))
        finally:
            self._in_progress.discard(key)
        return value, collect

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


def read_tfvars_values(attrs: dict[str, Attribute], ev: Evaluator) -> dict[str, tuple[Any, str]]:
    """Evaluate a tfvars file's attributes (literals; no references allowed by Terraform)."""
    def nolookup(root, steps, scope):
        return Unknown(f"{root} cannot be referenced in a variables file")
    out = {}
    for name, attr in attrs.items():
        out[name] = (ev.eval(attr.expr, Scope(nolookup)), f"{attr.line}")
    return out
