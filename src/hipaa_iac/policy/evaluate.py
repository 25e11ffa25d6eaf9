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
from ..model import Resource, Unknown, contains_unknown

TRUE, FALSE, UNK, NA = "T", "F", "U", "NA"
MAX_REGEX_INPUT = 100_000


@dataclass
class Verdict:
    state: str  # T, F, U, NA
    what: str = ""  # what was found: "member = 'allUsers'"
    path: str | None = None
    expect: Any = None  # the condition tested: "one of [...]", or (operator, value) formatted when needed
    negated: bool = False  # under an odd number of `not`
    lazy: tuple | None = None  # (resource, path, value): `what` is described only when a message is needed

    def negate(self) -> "Verdict":
        flip = {TRUE: FALSE, FALSE: TRUE}.get(self.state)
        if flip is None:
            return self
        return Verdict(flip, self.what, self.path, self.expect, not self.negated, self.lazy)

    @property
    def reason(self) -> str:
        what = _describe(*self.lazy) if self.lazy is not None else self.what
        expect = self.expect
        if isinstance(expect, tuple):
            op, value = expect
            expect = _EXPECT.get(op, op).format(v=value)
        if not expect:
            return what
        return f"{what} (expected {'not ' if self.negated else ''}{expect})"


_MISSING = object()


_PARTS: dict[str, list[str]] = {}


def resolve_path(attrs: Any, path: str) -> list[tuple[str, Any]]:
    """All (concrete path, value) matches of a dotted path with `*` wildcards; value _MISSING when absent."""
    parts = _PARTS.get(path)
    if parts is None:
        parts = _PARTS[path] = path.split(".")
    out: list[tuple[str, Any]] = []

    def walk(value: Any, i: int, concrete: list[str]) -> None:
        if i == len(parts):
            out.append((".".join(concrete), value))
            return
        if isinstance(value, Unknown):
            out.append((".".join(concrete), value))
            return
        part = parts[i]
        if isinstance(value, dict):
            if part == "*":
                walk(value, i + 1, concrete)  # the index-less form of a single block
            elif part in value:
                walk(value[part], i + 1, concrete + [part])
            else:
                out.append((".".join(concrete + [part]), _MISSING))
        elif isinstance(value, list):
            if part == "*":
                if not value:
                    out.append((".".join(concrete + ["*"]), _MISSING))
                for j, v in enumerate(value):
                    walk(v, i + 1, concrete + [str(j)])
            elif part.isdigit():
                j = int(part)
                if j < len(value):
                    walk(value[j], i + 1, concrete + [part])
                else:
                    out.append((".".join(concrete + [part]), _MISSING))
            elif len(value) == 1 and isinstance(value[0], dict):
                walk(value[0], i, concrete + ["0"])
            elif any(isinstance(v, Unknown) for v in value):
                out.append((".".join(concrete), next(v for v in value if isinstance(v, Unknown))))
            else:
                out.append((".".join(concrete + [part]), _MISSING))
        else:
            out.append((".".join(concrete + [part]), _MISSING))

    walk(attrs, 0, [])
    return out


def _s(v: Any) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


_REGEX_CACHE: dict[str, re.Pattern] = {}


def _regex(p: str) -> re.Pattern:
    r = _REGEX_CACHE.get(p)
    if r is None:
        r = _REGEX_CACHE[p] = re.compile(p)
    return r


def apply_operator(op: str, attr: Any, value: Any) -> bool:
    """checkov's operator on a known attribute value (None when missing)."""
    if op == "equals":
        if isinstance(attr, bool) or isinstance(value, bool):
            return _s(attr).lower() == _s(value).lower()
        return _s(attr) == _s(value)
    if op == "not_equals":
        return not apply_operator("equals", attr, value)
    if op == "equals_ignore_case":
        return _s(attr).lower() == _s(value).lower()
    if op == "not_equals_ignore_case":
        return _s(attr).lower() != _s(value).lower()
    if op == "within":
        if attr is None:
            return False
        vals = value if isinstance(value, list) else [value]
        if isinstance(attr, bool):
            return any(_s(attr).lower() == _s(v).lower() for v in vals)
        return attr in vals or _s(attr) in [_s(v) for v in vals]
    if op == "not_within":
        return not apply_operator("within", attr, value)
    if op in ("regex_match", "not_regex_match"):
        text = _s(attr)
        m = _regex(str(value)).match(text) is not None
        return m if op == "regex_match" else not m
    if op in ("starting_with", "not_starting_with"):
        r = isinstance(attr, str) and attr.startswith(str(value))
        return r if op == "starting_with" else not r
    if op in ("ending_with", "not_ending_with"):
        r = isinstance(attr, str) and attr.endswith(str(value))
        return r if op == "ending_with" else not r
    if op in ("contains", "not_contains"):
        if isinstance(attr, dict):
            r = value in attr or value in attr.values()
        elif isinstance(attr, list):
            r = value in attr or _s(value) in [_s(x) for x in attr]
        elif isinstance(attr, str):
            r = str(value) in attr
        else:
            r = False
        return r if op == "contains" else not r
    if op in ("greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"):
        a, b = _num(attr), _num(value)
        if a is None or b is None:
            return False
        return {"greater_than": a > b, "greater_than_or_equal": a >= b, "less_than": a < b,
                "less_than_or_equal": a <= b}[op]
    if op == "is_true":
        return attr is True or (isinstance(attr, str) and attr.lower() == "true")
    if op == "is_false":
        return attr is False or (isinstance(attr, str) and attr.lower() == "false")
    if op == "is_empty":
        return attr is None or (hasattr(attr, "__len__") and len(attr) == 0)
    if op == "is_not_empty":
        return attr is not None and not (hasattr(attr, "__len__") and len(attr) == 0)
    if op in ("intersects", "not_intersects", "subset", "not_subset"):
        a = attr if isinstance(attr, list) else ([] if attr is None else [attr])
        v = value if isinstance(value, list) else [value]
        sa = {_s(x) for x in a}
        sv = {_s(x) for x in v}
        if op == "intersects":
            return bool(sa & sv)
        if op == "not_intersects":
            return not (sa & sv)
        if op == "subset":
            return bool(a) and sa <= sv
        return not (bool(a) and sa <= sv)
    if op.startswith("length_"):
        if attr is None or not hasattr(attr, "__len__"):
            return False
        n, v = len(attr), _num(value)
        if v is None:
            return False
        return {"length_equals": n == v, "length_not_equals": n != v, "length_greater_than": n > v,
                "length_greater_than_or_equal": n >= v, "length_less_than": n < v,
                "length_less_than_or_equal": n <= v}.get(op, False)
    raise ValueError(f"unsupported operator {op}")


def decide_on_prefix(op: str, prefix: str, value: Any) -> bool | None:
    """Operators that a string's known start decides, whatever the rest is; None when it does not."""
    def can_equal(x: Any) -> bool:
        return isinstance(x, str) and x.startswith(prefix)
    if op == "equals":
        return False if not can_equal(value) else None
    if op == "not_equals":
        return True if not can_equal(value) else None
    if op in ("within", "not_within"):
        vals = value if isinstance(value, list) else [value]
        if any(can_equal(x) for x in vals):
            return None
        return op == "not_within"
    if op in ("starting_with", "not_starting_with") and isinstance(value, str):
        if prefix.startswith(value):
            return op == "starting_with"
        if not value.startswith(prefix):
            return op == "not_starting_with"
        return None
    if op in ("contains", "not_contains") and isinstance(value, str) and value in prefix:
        return op == "contains"
    return None


def _describe(r: Resource, path: str, v: Any) -> str:
    if v is _MISSING or v is None:
        return f"{path} is not set"
    if _is_sensitive(r, path):
        return f"{path} is set (sensitive value not shown)"
    text = repr(v) if isinstance(v, str) else _s(v)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{path} = {text}"


def _is_sensitive(r: Resource, path: str) -> bool:
    if not r.sensitive:
        return False
    for s in r.sensitive:
        if path == s or path.startswith(s + ".") or s.startswith(path + "."):
            return True
        # compare without explicit indexes
        if ".".join(p for p in path.split(".") if not p.isdigit()) == ".".join(p for p in s.split(".") if not p.isdigit()):
            return True
    return False


_EXPECT = {
    "equals": "equal to {v!r}", "not_equals": "not {v!r}", "within": "one of {v!r}", "not_within": "none of {v!r}",
    "regex_match": "matching {v!r}", "not_regex_match": "not matching {v!r}", "exists": "set",
    "not_exists": "not set", "contains": "containing {v!r}", "not_contains": "not containing {v!r}",
    "starting_with": "starting with {v!r}", "not_starting_with": "not starting with {v!r}",
    "greater_than": "> {v}", "greater_than_or_equal": ">= {v}", "less_than": "< {v}",
    "less_than_or_equal": "<= {v}", "is_true": "true", "is_false": "false", "is_empty": "empty",
    "is_not_empty": "not empty", "intersects": "including one of {v!r}", "subset": "only values from {v!r}",
}


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
        results = [self._eval(c, r, attrs) for c in children]
        unknown = None
        any_applicable = False
        for v in results:
            if v.state == NA:
                continue
            any_applicable = True
            if v.state == FALSE:
                return v
            if v.state == UNK and unknown is None:
                unknown = v
        if not any_applicable:
            return Verdict(NA)
        return unknown or next(v for v in results if v.state == TRUE)

    def _or(self, children: list, r: Resource) -> Verdict:
        results = [self._eval(c, r, None) for c in children]
        unknown = None
        first_false = None
        for v in results:
            if v.state == TRUE:
                return v
            if v.state == UNK and unknown is None:
                unknown = v
            if v.state == FALSE and first_false is None:
                first_false = v
        if unknown:
            return unknown
        return first_false or Verdict(NA)

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
        need_all = op == "not_contains"
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
        return u or states[0]

    def _leaf(self, r: Resource, path: str, cpath: str, op: str, value: Any, v: Any, allowed_refs) -> Verdict:
        shown = cpath or path
        if op in ("exists", "not_exists", "any"):
            present = v is not _MISSING and v is not None
            if op == "any":
                return Verdict(TRUE, "", shown)
            ok = present if op == "exists" else not present
            return Verdict(TRUE if ok else FALSE, f"{shown} is {'set' if present else 'not set'}", shown,
                           "set" if op == "exists" else "not set")
        if isinstance(v, Unknown) or contains_unknown(v) is not None:
            u = v if isinstance(v, Unknown) else contains_unknown(v)
            if allowed_refs and u.ref_type in allowed_refs and isinstance(v, Unknown):
                return Verdict(TRUE, f"{shown} references {u.ref_address} ({u.ref_type})", shown)
            if isinstance(v, Unknown) and v.prefix:
                decided = decide_on_prefix(op, v.prefix, value)
                if decided is not None:
                    return Verdict(TRUE if decided else FALSE, f"{shown} starts with {v.prefix!r}", shown,
                                   _EXPECT.get(op, op).format(v=value))
            return Verdict(UNK, f"{shown}: {u.reason}", shown)
        attr = None if v is _MISSING else v
        if op in ("regex_match", "not_regex_match") and len(_s(attr)) > MAX_REGEX_INPUT:
            return Verdict(UNK, f"{shown} is longer than {MAX_REGEX_INPUT} characters: not matched against a "
                                "pattern (analysis limit)", shown)
        try:
            ok = apply_operator(op, attr, value)
        except re.error as e:
            return Verdict(UNK, f"invalid regular expression in policy: {e}", shown)
        return Verdict(TRUE if ok else FALSE, "", shown, (op, value), False, (r, shown, v))

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
            state = TRUE if want_exists else FALSE
            return Verdict(state, f"connected to {ok_found.address}", None)
        if unknown is not None:
            return Verdict(UNK, f"the connected resource's settings are not known statically: {unknown.reason}", None)
        state = FALSE if want_exists else TRUE
        return Verdict(state, f"no connected {names}" + (" that meets the policy" if linked else ""), None)
