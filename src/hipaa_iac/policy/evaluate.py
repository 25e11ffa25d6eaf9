"""Evaluate checkov-format YAML definitions on the resource graph, with three outcomes.

Where a value is known the semantics follow checkov 3.3.30 (../shared/reference/checkov-yaml.md).
Where a verdict depends on a value that is not known statically the outcome is UNKNOWN with the reason:
never dropped, never passed. Kleene logic: and = a False child wins, else unknown; or = a True child wins.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..graph import Graph
from ..model import Resource, Unknown
from ..vocab import AWS_MANAGED_KEY_REGEX

TRUE, FALSE, UNK, NA = "T", "F", "U", "NA"
_AWS_MANAGED_KEY = re.compile(AWS_MANAGED_KEY_REGEX)
MAX_REGEX_INPUT = 100_000


@dataclass
class Verdict:
    """One outcome with what decided it. Messages are built only when asked for (`reason`).

    Leaf verdicts (kind "leaf") carry the attribute path, operator and expected value, and `lazy` =
    (resource, concrete path, value found); composite ones (kind "and", "or", "not") carry the children that
    decided (`children`) and, for `or`, every applicable alternative (`alts`). Engine and connection verdicts
    carry free text in `what`.
    """
    state: str  # T, F, U, NA
    what: str = ""  # free text: what was found ("connected to aws_kms_key.k")
    path: str | None = None
    expect: Any = None  # legacy: (operator, value) of a leaf
    negated: bool = False  # under an odd number of `not`
    lazy: tuple | None = None  # (resource, path, value): the value is described only when a message is needed
    kind: str = ""  # "leaf" | "and" | "or" | "not" | "" (free text)
    op: str | None = None
    value: Any = None
    children: tuple = ()
    alts: tuple = ()
    unknown: Any = None  # the Unknown that made a leaf undecidable

    def negate(self) -> "Verdict":
        flip = {TRUE: FALSE, FALSE: TRUE}.get(self.state, self.state)
        if flip == NA:
            return self
        if self.kind == "leaf":
            return Verdict(flip, self.what, self.path, self.expect, not self.negated, self.lazy, "leaf", self.op,
                           self.value, (), (), self.unknown)
        if self.kind == "not":  # not not X = X
            return self.children[0]
        return Verdict(flip, self.what, self.path, None, not self.negated, None, "not", None, None, (self,))

    @property
    def reason(self) -> str:
        from .messages import describe
        return describe(self)


from .attributes import _MISSING, _is_reference, is_set, resolve_path, unknown_in  # noqa: F401  (re-exported)


def _composite(state: str, kind: str, decided: tuple, alts: tuple = ()) -> Verdict:
    if len(decided) == 1 and len(alts) <= 1:
        return decided[0]
    path = next((d.path for d in decided if d.path), None)
    return Verdict(state, "", path, None, False, None, kind, None, None, decided, alts)


from .operators import _REGEX_CACHE, _num, _regex, _s, apply_operator  # noqa: E402,F401  (one function per operator)
from .partial import (_TEXT_FOUND, _decide_list_contains, _decide_partial,  # noqa: E402,F401  (re-exported)
                      decide_on_prefix)


class DefinitionEvaluator:
    def __init__(self, graph: Graph, meta: dict, definition: Any):
        self.graph = graph
        self.meta = meta
        self.definition = definition
        self.compliant_refs: dict[str, set[str]] = {k: set(v) for k, v in (meta.get("compliant_references") or {}).items()}
        self._siblings: dict[int, list] = {}
        self.types = self._types(definition)
        self.filter_types = self._filter(definition)

    # ---- which resources are judged --------------------------------------------------------------
    def _types(self, node: Any) -> set[str]:
        out: set[str] = set()
        if isinstance(node, list):
            for n in node:
                out |= self._types(n)
        elif isinstance(node, dict):
            for k in ("and", "or"):
                if k in node:
                    out |= self._types(node[k])
            if "not" in node:
                out |= self._types(node["not"])
            ct = node.get("cond_type", "attribute")
            if ct in ("attribute", "connection"):
                rt = node.get("resource_types") or []
                out |= set(rt if isinstance(rt, list) else [rt])
            if ct == "connection":
                rt = node.get("connected_resource_types") or []
                out |= set(rt if isinstance(rt, list) else [rt])
        return out

    def _filter(self, node: Any) -> set[str] | None:
        if isinstance(node, list):
            for n in node:
                f = self._filter(n)
                if f is not None:
                    return f
        elif isinstance(node, dict):
            if node.get("cond_type") == "filter":
                return set(node.get("value") or [])
            for k in ("and", "or"):
                if k in node:
                    f = self._filter(node[k])
                    if f is not None:
                        return f
        return None

    def judged_types(self) -> set[str]:
        t = self.types
        if self.filter_types is not None:
            t = t & self.filter_types
        return t

    def candidates(self) -> list[Resource]:
        out: list[Resource] = []
        for t in sorted(self.judged_types()):
            out.extend(r for r in self.graph.by_type.get(t, ()) if r.mode == "managed")
        return out

    # ---- evaluation ------------------------------------------------------------------------------
    def evaluate(self, r: Resource) -> Verdict:
        if self.meta.get("context"):  # where the policy does not apply, or applies differently (context.py)
            from .context import evaluate_in_context
            return evaluate_in_context(self, r)
        return self._eval(self.definition, r, None)

    def _eval(self, node: Any, r: Resource, siblings: list | None) -> Verdict:
        if isinstance(node, list):
            node = {"and": node}
        if "and" in node:
            return self._and(node["and"], r)
        if "or" in node:
            return self._or(node["or"], r)
        if "not" in node:
            sub = node["not"]
            if isinstance(sub, list):
                sub = sub[0]
            return self._eval(sub, r, None).negate()
        ct = node.get("cond_type", "attribute")
        if ct == "filter":
            return Verdict(NA)
        if ct == "connection":
            return self._connection(node, r, siblings or [])
        return self._attribute(node, r)

    def _and(self, children: list, r: Resource) -> Verdict:
        attrs = self._siblings.get(id(children))
        if attrs is None:
            attrs = self._siblings[id(children)] = [
                c for c in children if isinstance(c, dict) and c.get("cond_type", "attribute") == "attribute"
                and not any(k in c for k in ("and", "or", "not"))]
        results = [v for v in (self._eval(c, r, attrs) for c in children) if v.state != NA]
        if not results:
            return Verdict(NA)
        false = tuple(v for v in results if v.state == FALSE)
        if false:
            return _composite(FALSE, "and", false)
        unknown = tuple(v for v in results if v.state == UNK)
        if unknown:
            return _composite(UNK, "and", unknown)
        return _composite(TRUE, "and", tuple(results))

    def _or(self, children: list, r: Resource) -> Verdict:
        results = tuple(v for v in (self._eval(c, r, None) for c in children) if v.state != NA)
        if not results:
            return Verdict(NA)
        for state in (TRUE, UNK):
            decided = tuple(v for v in results if v.state == state)
            if decided:
                return _composite(state, "or", decided, results)
        return _composite(FALSE, "or", results, results)

    def _applies(self, node: dict, r: Resource) -> bool:
        rt = node.get("resource_types") or []
        rt = rt if isinstance(rt, list) else [rt]
        return "all" in rt or r.type in rt

    def _attribute(self, node: dict, r: Resource) -> Verdict:
        if not self._applies(node, r):
            return Verdict(NA)
        if r.tainted:
            return Verdict(UNK, f"its file could not be read ({r.tainted})")
        path = str(node.get("attribute", ""))
        op = node.get("operator")
        value = node.get("value")
        matches = resolve_path(r.attributes, path)
        allowed_refs = self.compliant_refs.get(path)
        need_all = op in ("not_contains", "not_exists")  # checkov: every match must hold for these
        states: list[Verdict] = []
        for cpath, v in matches:
            states.append(self._leaf(r, path, cpath, op, value, v, allowed_refs))
        if not states:
            states = [self._leaf(r, path, path, op, value, _MISSING, allowed_refs)]
        if need_all:
            for s in states:
                if s.state == FALSE:
                    return s
            u = next((s for s in states if s.state == UNK), None)
            return u or states[0]
        for s in states:
            if s.state == TRUE:
                return s
        u = next((s for s in states if s.state == UNK), None)
        if u is None and len(states) > 1:  # `a.*.b`: no element holds (messages: "one of them must ...")
            return Verdict(FALSE, "", states[0].path, None, False, None, "any", None, None, tuple(states), tuple(states))
        return u or states[0]

    def _leaf(self, r: Resource, path: str, cpath: str, op: str, value: Any, v: Any, allowed_refs) -> Verdict:
        shown = cpath or path
        if op == "any":
            return Verdict(TRUE, "", shown, (op, value), False, (r, shown, v), "leaf", op, value)
        if op in ("exists", "not_exists"):
            present = is_set(v, allowed_refs)
            if isinstance(present, Unknown):
                return Verdict(UNK, "", shown, (op, value), False, (r, shown, v), "leaf", op, value, unknown=present)
            ok = present if op == "exists" else not present
            return Verdict(TRUE if ok else FALSE, "", shown, (op, value), False, (r, shown, v), "leaf", op, value)
        u = unknown_in(v)
        if u is not None:
            if allowed_refs and u.ref_type in allowed_refs and isinstance(v, Unknown):
                read = self._data_key(u, r, shown, op, value, v)
                if read is not None:
                    return read
                return Verdict(TRUE, f"{shown} references {u.ref_address} (the policy accepts a reference to "
                                     f"{u.ref_type})", shown, (op, value), False,
                               (r, shown, v), "leaf", op, value)
            if isinstance(v, Unknown) and (v.prefix or v.suffix):
                decided = decide_on_prefix(op, v.prefix or "", value, v.suffix or "")
                if decided is not None:
                    return Verdict(TRUE if decided else FALSE, "", shown, (op, value), False, (r, shown, v), "leaf",
                                   op, value)
            if op in ("contains", "not_contains") and isinstance(v, list):
                decided = _decide_list_contains(v, value)
                if decided is not None:
                    return Verdict(TRUE if decided == (op == "contains") else FALSE, "", shown, (op, value), False,
                                   (r, shown, v), "leaf", op, value)
            if op in _TEXT_FOUND and isinstance(v, Unknown) and hasattr(v, "parts"):
                decided = _decide_partial(op, value, v)
                if decided is not None:
                    return Verdict(TRUE if decided else FALSE, "", shown, (op, value), False, (r, shown, v), "leaf",
                                   op, value)
            return Verdict(UNK, "", shown, (op, value), False, (r, shown, v), "leaf", op, value, unknown=u)
        attr = None if v is _MISSING else v
        if op in ("regex_match", "not_regex_match") and len(_s(attr)) > MAX_REGEX_INPUT:
            return Verdict(UNK, f"{shown} is longer than {MAX_REGEX_INPUT} characters: not matched against a "
                                "pattern (analysis limit)", shown)
        try:
            ok = apply_operator(op, attr, value)
        except re.error as e:
            return Verdict(UNK, f"invalid regular expression in policy: {e}", shown)
        return Verdict(TRUE if ok else FALSE, "", shown, (op, value), False, (r, shown, v), "leaf", op, value)

    def _data_key(self, u: Unknown, r: Resource, shown: str, op: str, value: Any, v: Any) -> Verdict | None:
        """A reference to a `data "aws_kms_key"` counts as customer-managed only when the key it reads is not an
        AWS-managed one (`key_id = "alias/aws/..."`); None when the reference is not to such a data source."""
        d = self.graph.by_address.get(u.ref_address or "")
        if d is None or d.mode != "data" or d.type != "aws_kms_key":
            return None
        key = d.attributes.get("key_id")
        args = (shown, (op, value), False, (r, shown, v), "leaf", op, value)
        if isinstance(key, Unknown) or not isinstance(key, str):
            why = key if isinstance(key, Unknown) else Unknown(f"{d.address}.key_id is not set")
            return Verdict(UNK, f"{shown} references {d.address}, whose key_id is not known statically: {why.reason}; "
                                "an alias/aws/... key is AWS-managed", *args, unknown=why)
        if _AWS_MANAGED_KEY.match(key):
            return Verdict(FALSE, f"{shown} references {d.address}, which reads the AWS-managed key \"{key}\", but "
                                  "a customer-managed key is required", *args)
        return Verdict(TRUE, f"{shown} references {d.address} (key_id \"{key}\", not an AWS-managed alias/aws/... "
                             "key)", *args)

    def _connection(self, node: dict, r: Resource, siblings: list) -> Verdict:
        a = node.get("resource_types") or []
        b = node.get("connected_resource_types") or []
        a = set(a if isinstance(a, list) else [a])
        b = set(b if isinstance(b, list) else [b])
        if r.type in a:
            other = b
        elif r.type in b:
            other = a
        else:
            return Verdict(NA)
        if r.tainted:
            return Verdict(UNK, f"its file could not be read ({r.tainted})")
        linked = self.graph.connected(r, other)
        want_exists = node.get("operator", "exists") == "exists"
        ok_found = None
        unknown = None
        for c in linked:
            if c.tainted:
                unknown = unknown or Verdict(UNK, f"{c.address}: its file could not be read ({c.tainted})")
                continue
            # a counterpart must itself satisfy the attribute conditions that apply to it
            if siblings:
                vs = [self._attribute(s, c) for s in siblings]
                vs = [v for v in vs if v.state != NA]
                if any(v.state == FALSE for v in vs):
                    continue
                if any(v.state == UNK for v in vs):
                    unknown = unknown or next(v for v in vs if v.state == UNK)
                    continue
            ok_found = c
            break
        names = ", ".join(sorted(other))
        if ok_found is not None:
            if want_exists:
                return Verdict(TRUE, f"connected to {ok_found.address} (a connected {names} is required)", None)
            return Verdict(FALSE, f"connected to {ok_found.address}, but no connected {names} is allowed", None)
        if unknown is not None:
            return Verdict(UNK, f"the connected resource's settings are not known statically: {unknown.reason}", None)
        if want_exists:
            if linked:
                return Verdict(FALSE, f"no connected {names} satisfies the other conditions, but one is required",
                               None)
            return Verdict(FALSE, f"no connected {names}, but one is required", None)
        return Verdict(TRUE, f"no connected {names} (none is allowed)", None)
