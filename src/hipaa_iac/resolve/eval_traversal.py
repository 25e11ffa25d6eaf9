"""References and traversals: `var.x`, `aws_x.y[*].arn`, `a.b[0].c`; the static prefix goes to the resolver
(`Scope.lookup`), the rest is applied step by step (`scope.get_step`). A mixin of `evaluate.Evaluator`."""
from __future__ import annotations

from typing import Any

from ..expr import Traversal, Var, traversal_text
from ..model import Unknown
from .scope import SPLAT, Idx, Instances, Scope, _Partial, get_step


_NOT_RESOURCES = {"var", "local", "module", "path", "terraform", "count", "each", "self"}


def _resource_prefix(root: str, static: list) -> bool:
    """`static` names one resource (`aws_x.name`) or data source (`data.t.name`) and nothing more."""
    if root in _NOT_RESOURCES or not all(isinstance(x, str) for x in static):
        return False
    return len(static) == (2 if root == "data" else 1)


def _plain_attribute_reference(n: Any, scope: Scope) -> bool:
    """`type.name.attr` or `type.name[key].attr` of a managed resource: one attribute of one instance, no
    further index (an element of an attribute may be absent at apply, so it could still fail)."""
    if not (isinstance(n, Traversal) and isinstance(n.base, Var)) or n.base.name in scope.bindings:
        return False
    if n.base.name in _NOT_RESOURCES:
        return False
    kinds = [s[0] for s in n.steps]
    return kinds in (["attr", "attr"], ["attr", "index", "attr"])



class TraversalMixin:
    def _Var(self, n: Var, scope: Scope) -> Any:
        if n.name in scope.bindings:
            return scope.bindings[n.name]
        return scope.lookup(n.name, [], scope)

    def _Traversal(self, n: Traversal, scope: Scope) -> Any:
        steps = n.steps
        if isinstance(n.base, Var) and n.base.name not in scope.bindings:
            # hand the static prefix (attrs and literal indexes) to the resolver
            static: list = []
            i = 0
            while i < len(steps):
                s = steps[i]
                if s[0] == "attr":
                    static.append(s[1])
                elif s[0] == "index":
                    k = self.eval(s[1], scope)
                    static.append(Idx(int(k) if isinstance(k, float) and k.is_integer() else k))
                else:
                    break
                i += 1
            if i < len(steps) and steps[i][0] in ("splat", "legacy_splat") and _resource_prefix(n.base.name, static):
                got = scope.lookup(n.base.name, static + [SPLAT], scope)
                got = got.value if isinstance(got, _Partial) else got
                if isinstance(got, Instances):
                    return self._splat_instances(n, static, got.keys, steps[i][0], steps[i + 1:], scope)
                if isinstance(got, Unknown) and got.refs:
                    return got
            value = scope.lookup(n.base.name, static, scope)
            consumed = len(static)
            if isinstance(value, _Partial):
                value, consumed = value.value, value.consumed
            rest = steps[consumed:]
            return self._apply_steps(value, rest, scope, traversal_text(n) or n.base.name)
        base = self.eval(n.base, scope)
        return self._apply_steps(base, steps, scope, traversal_text(n) or "expression")

    def _splat_instances(self, n: Traversal, static: list, keys: list, kind: str, rest: list, scope: Scope) -> Any:
        """`aws_x.y[*].attr` over a counted resource: the traversal once per instance (`aws_x.y[k].attr`),
        as Terraform evaluates it; a full splat applies every later step to each instance, a legacy `.*`
        only the attribute steps that follow it."""
        j = 0
        while j < len(rest) and rest[j][0] == "attr":
            j += 1
        inner, after = (rest[:j], rest[j:]) if kind == "legacy_splat" else (rest, [])
        attrs = [s[1] for s in inner[:j]] if kind == "legacy_splat" else \
            [s[1] for s in inner[:next((x for x, s in enumerate(inner) if s[0] != "attr"), len(inner))]]
        what = traversal_text(n) or n.base.name
        items = []
        for k in keys:
            pre = static + ([] if k is None else [Idx(k)])
            value = scope.lookup(n.base.name, pre + attrs, scope)
            consumed = len(pre) + len(attrs)
            if isinstance(value, _Partial):
                value, consumed = value.value, value.consumed
            left = (inner)[max(0, consumed - len(pre)):]
            items.append(self._apply_steps(value, left, scope, what))
        return self._apply_steps(items, after, scope, what) if after else items

    def _apply_steps(self, value: Any, steps: list, scope: Scope, what: str) -> Any:
        i = 0
        while i < len(steps):
            s = steps[i]
            if s[0] == "attr":
                value = get_step(value, s[1], what)
            elif s[0] == "index":
                value = get_step(value, self.eval(s[1], scope), what)
            else:  # splat: apply the remaining attribute steps to each element
                if isinstance(value, Unknown):
                    return value
                rest = steps[i + 1:]
                if s[0] == "legacy_splat":
                    # .* applies only the following attribute steps
                    j = 0
                    while j < len(rest) and rest[j][0] == "attr":
                        j += 1
                    inner, after = rest[:j], rest[j:]
                else:
                    inner, after = rest, []
                if value is None:
                    items = []
                elif isinstance(value, list):
                    items = value
                else:
                    items = [value]
                value = [self._apply_steps(x, inner, scope, what) for x in items]
                return self._apply_steps(value, after, scope, what) if after else value
            i += 1
        return value
