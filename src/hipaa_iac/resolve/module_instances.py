"""count and for_each: the instances of one resource, data or module block as Terraform addresses them
(capped at `MAX_INSTANCES`, reported), and `dynamic` blocks. A mixin of `module.ModuleInstance`."""
from __future__ import annotations

from typing import Any

from ..model import SENSITIVE_MARK, Attribute, Block, ScanError, Unknown
from .evaluate import to_str


MAX_INSTANCES = 10_000  # instances of one resource or module block
UNKNOWN_KEY = "[*]"  # an instance whose key is not known statically (Terraform's notation for it)
MAX_BLOCK_DEPTH = 64  # nested blocks; real provider schemas nest fewer than 10
META_ATTRS = {"count", "for_each", "provider", "depends_on"}
META_BLOCKS = {"lifecycle", "provisioner", "connection"}


def _addr_key(k: Any) -> str:
    """The instance key as Terraform writes it in an address; an unknown key is `[*]` (never its reason,
    which may quote values)."""
    if isinstance(k, Unknown):
        return UNKNOWN_KEY
    from ..address import format_key
    return format_key(k)



class InstancesMixin:
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
