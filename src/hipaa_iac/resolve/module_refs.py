"""References to resources, data sources and module outputs: a known attribute value where the
configuration sets it, else an Unknown that is still a graph edge. A mixin of `module.ModuleInstance`."""
from __future__ import annotations

from typing import Any

from ..model import SENSITIVE_MARK, Block, Unknown, contains_unknown
from .evaluate import SPLAT, Idx, Instances, Partial, Scope
from .functions import TFError
from .module_instances import META_ATTRS, _addr_key


class ReferencesMixin:
    # ---- references to resources -----------------------------------------------------------------
    # size: one reference's steps in order (splat, instance key, attribute), each needing the ones before
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
        got = self._evaluate_once("output." + name, attr)
        if got is None:
            return Unknown(f"output {name} refers to itself"), set()
        value, collect = got
        if name in self._sensitive_outputs:
            collect.add(SENSITIVE_MARK)
        self._output_cache[name] = (value, collect)
        return value, collect
