"""Module calls: the child module's directory (local, or recorded by `terraform init`; contained), its
instances and inputs. A mixin of `module.ModuleInstance`."""
from __future__ import annotations

import json
import os

from ..model import SENSITIVE_MARK, Block, ScanError, Unknown
from .module_instances import _addr_key


MAX_MODULE_DEPTH = 25


class ModuleCallsMixin:
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
            from .module import ModuleInstance  # the class this mixin is part of
            child = ModuleInstance(self.ctx, src, prefix, inputs, key_path, self.stack + (real,))
            child.emit()
            out[key] = child
        return out

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
