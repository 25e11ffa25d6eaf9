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
from ..model import Resource, Unknown, UnknownBlock
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


_MISSING = object()


_PARTS: dict[str, list[str]] = {}


def resolve_path(attrs: Any, path: str) -> list[tuple[str, Any]]:
    """All (concrete path, value) matches of a dotted path with `*` wildcards; value _MISSING when absent."""
    parts = _PARTS.get(path)
    if parts is None:
        parts = _PARTS[path] = path.split(".")
    out: list[tuple[str, Any]] = []

    def missing(concrete: list[str], rest: int) -> str:
        """The path of an absent value, down to the attribute asked for (`blob_properties.versioning_enabled`)."""
        return ".".join(concrete + [p for p in parts[rest:] if p != "*"])

    def walk(value: Any, i: int, concrete: list[str]) -> None:
        if isinstance(value, UnknownBlock):  # a dynamic block that may not exist at all
            out.append((".".join(concrete), value.unknown))
            return
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
                out.append((missing(concrete + [part], i + 1), _MISSING))
        elif isinstance(value, list):
            if part == "*":
                if not value:
                    out.append((missing(concrete, i + 1), _MISSING))
                for j, v in enumerate(value):
                    walk(v, i + 1, concrete + [str(j)])
            elif part.isdigit():
                j = int(part)
                if j < len(value):
                    walk(value[j], i + 1, concrete + [part])
                else:
                    out.append((missing(concrete + [part], i + 1), _MISSING))
            elif len(value) == 1 and isinstance(value[0], dict):
                walk(value[0], i, concrete + ["0"])
            elif any(isinstance(v, Unknown) for v in value):
                out.append((".".join(concrete), next(v for v in value if isinstance(v, Unknown))))
            else:
                out.append((missing(concrete + [part], i + 1), _MISSING))
        else:
            out.append((missing(concrete + [part], i + 1), _MISSING))

    walk(attrs, 0, [])
    return out


def unknown_in(value: Any) -> Unknown | None:
    """The first Unknown inside a value (a dynamic block over an unknown collection counts), or None."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, UnknownBlock):
        return value.unknown
    if isinstance(value, dict):
        for v in value.values():
            u = unknown_in(v)
            if u is not None:
                return u
    elif isinstance(value, list):
        for v in value:
            u = unknown_in(v)
            if u is not None:
                return u
    return None


def _is_reference(u: Unknown) -> bool:
    """A reference to another resource's attribute (or a plan value computed from one): it is configured,
    only its value waits for apply."""
    return (u.ref_address is not None or u.reason == "known after apply"
            or u.reason.endswith(" is known only after apply"))


def is_set(v: Any, allowed_refs=None) -> "bool | Unknown":
    """Whether an attribute counts as set, as Terraform treats it: null, "" and empty collections are not set
    (providers read them as unset); an Unknown is set when it is a reference or a string with a known start,
    and otherwise stays unknown (a variable with no value, an absent optional() key, ...)."""
    if v is _MISSING or v is None:
        return False
    if isinstance(v, Unknown):
        if v.prefix or _is_reference(v):
            return True
        return v
    if isinstance(v, UnknownBlock):
        return v.unknown
    if isinstance(v, (str, list, dict)) and len(v) == 0:
        return False
    if isinstance(v, list) and all(isinstance(x, UnknownBlock) for x in v):
        return v[0].unknown
    return True


def _composite(state: str, kind: str, decided: tuple, alts: tuple = ()) -> Verdict:
    if len(decided) == 1 and len(alts) <= 1:
        return decided[0]
    path = next((d.path for d in decided if d.path), None)
    return Verdict(state, "", path, None, False, None, kind, None, None, decided, alts)


from .operators import _REGEX_CACHE, _num, _regex, _s, apply_operator  # noqa: E402,F401  (one function per operator)


def decide_on_prefix(op: str, prefix: str, value: Any, suffix: str = "") -> bool | None:
    """Operators that a string's known start (and end) decide, whatever the middle is; None when they do not."""
    def can_equal(x: Any) -> bool:
        return (isinstance(x, str) and x.startswith(prefix) and x.endswith(suffix)
                and len(x) >= len(prefix) + len(suffix))
    if op in ("regex_match", "not_regex_match") and isinstance(value, str) and (prefix or suffix):
        return _decide_middle(op, prefix, suffix, value)
    if op in ("ending_with", "not_ending_with") and isinstance(value, str) and suffix:
        if suffix.endswith(value):
            return op == "ending_with"
        if not value.endswith(suffix) and len(value) <= len(suffix):
            return op == "not_ending_with"
        return None
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


def _decide_list_contains(items: list, value: Any) -> bool | None:
    """Whether a list holding values not yet known contains `value`: yes when a known element is it; no when
    no known element is and every unknown element's known start or end rules it out
    ("serviceAccount:${...email}" is never "allUsers"); else None."""
    if isinstance(value, (dict, list)):
        return None
    want = _s(value)
    open_ = False
    for x in items:
        if isinstance(x, Unknown):
            if not isinstance(value, str) or decide_on_prefix("equals", x.prefix or "", value, x.suffix or "") is not False:
                open_ = True
        elif unknown_in(x) is not None:
            open_ = True
        elif x == value or _s(x) == want:
            return True
    return None if open_ else False


_LITERAL = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:_-=@,%&~'\"<> !#;")
_QUANT = set("?*+{")


def _literal_head(pattern: str) -> str:
    """The fixed text every match starts with (`match` anchors at the start): literal characters from the
    start up to the first construct that is not one, less a last character a quantifier applies to."""
    i = 1 if pattern.startswith("^") else 0
    out: list[str] = []
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            ch, step = pattern[i + 1], 2
        elif c in _LITERAL:
            ch, step = c, 1
        else:
            break
        if i + step < len(pattern) and pattern[i + step] in _QUANT:
            break
        out.append(ch)
        i += step
    return "".join(out)


def _literal_tail(pattern: str) -> str:
    """The fixed text every match ends with, for a pattern ending in an unescaped `$`; else ""."""
    if not pattern.endswith("$") or pattern.endswith("\\$"):
        return ""
    out: list[str] = []
    i = len(pattern) - 2
    while i >= 0:
        c = pattern[i]
        escaped = i >= 1 and pattern[i - 1] == "\\" and not c.isalnum()
        if not escaped and c not in _LITERAL:
            break
        if i + 1 < len(pattern) - 1 and pattern[i + 1] in _QUANT:
            break
        out.append(c)
        i -= 2 if escaped else 1
    return "".join(reversed(out))


def _decide_middle(op: str, prefix: str, suffix: str, pattern: str) -> bool | None:
    """A regular expression on `prefix + X + suffix` with X unknown, decided only where the known start
    or end rules a match out: every match starts with the pattern's literal head and, for a pattern ending
    in `$`, ends with its literal tail (`.../AdministratorAccess$` never matches an ARN ending in
    `/ReadOnlyAccess`). A pattern with alternation or flags is never decided this way."""
    if "|" in pattern or pattern.startswith("(?"):
        return None
    head, tail = _literal_head(pattern), _literal_tail(pattern)
    n = min(len(head), len(prefix))
    ruled_out = head[:n] != prefix[:n]
    m = min(len(tail), len(suffix))
    if m and tail[len(tail) - m:] != suffix[len(suffix) - m:]:
        ruled_out = True
    if not ruled_out:
        return None
    return op == "not_regex_match"


# text operators on a JSON document with unknown leaves (resolve.functions.PartialJSON); the value is what the
# operator returns when the pattern is found in the text
_TEXT_FOUND = {"regex_match": True, "contains": True, "not_regex_match": False, "not_contains": False}


def _decide_partial(op: str, value: Any, doc) -> bool | None:
    """The operator's answer on a JSON document whose text is known except at some leaves, or None.

    Found: the pattern is found with the leaves neutral (null, "", "x"), so the match lies in the known text,
    which no leaf value takes away (an admin statement with an unknown Sid is an admin statement). Not found: decided only when no leaf stands
    where whole statements go (functions.structural_leaves): a leaf that is an ARN or a condition value changes
    one key's value, and the probes include the values that key's part of the pattern asks for ("*",
    the pattern's own words); a leaf that may be any statement is never guessed at."""
    from ..resolve.functions import decide_partial_json, structural_leaves
    found = _TEXT_FOUND[op]
    try:  # found with the leaves neutral (null, "", "x"): the match lies in the known text
        if all(apply_operator(op, doc.text(p), value) == found for p in ("null", '""', '"x"')):
            return found
    except (re.error, TypeError, ValueError):
        return None
    if structural_leaves(doc):
        return None
    decided = decide_partial_json(op, value, doc, apply_operator)
    return decided if decided == (not found) else None


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
