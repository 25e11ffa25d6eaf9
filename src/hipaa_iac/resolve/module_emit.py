"""Emission: each resource instance of a module becomes a `Resource` with its evaluated attributes, nested
blocks, lines, sensitive paths and references. A mixin of `module.ModuleInstance`."""
from __future__ import annotations


from ..model import (SENSITIVE_MARK, Block, Resource, ScanError, Unknown, UnknownBlock, internal_error,
                     redact_unknowns)
from .module_instances import MAX_BLOCK_DEPTH, META_ATTRS, META_BLOCKS, _addr_key


class EmissionMixin:
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
