"""The words of a result: what was found (values in HCL syntax), what is required, and why it was decided.

A failed result names the condition(s) that decided it (for `or` every alternative, for `and` every failed
part, for `not` the combination that holds), the value found, and what is required; a passed result says
which condition holds; an unknown one says what is missing. `unknown_hint` says how to supply it.
Values marked sensitive are never printed: they read `(sensitive)`.
"""
from __future__ import annotations

import json
import re
from typing import Any

from ..model import Unknown, UnknownBlock

MAX_VALUE = 80
MAX_LIST = 6

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def hcl(v: Any, limit: int = MAX_VALUE) -> str:
    """A value as Terraform prints it: true, null, 30, 1.5, "AES256", ["a", "b"], {key = "v"}."""
    text = _hcl(v)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def _hcl(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Unknown):
        return "(known after apply)"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_hcl(x) for x in v) + "]"
    if isinstance(v, dict):
        items = [f"{k if isinstance(k, str) and _IDENT.match(k) else json.dumps(str(k))} = {_hcl(x)}"
                 for k, x in v.items()]
        return "{" + ", ".join(items) + "}"
    return json.dumps(str(v))


def _values(value: Any) -> str:
    vals = value if isinstance(value, list) else [value]
    if len(vals) > MAX_LIST:
        rest = len(vals) - (MAX_LIST - 1)
        return ", ".join(hcl(x, 60) for x in vals[:MAX_LIST - 1]) + f" (and {rest} more listed in the policy)"
    return ", ".join(hcl(x, 60) for x in vals)


def _pattern(value: Any) -> str:
    text = str(value)
    if len(text) > 60 or "`" in text:
        return "given in the policy"
    return f"`{text}`"


def _alternatives(phrases: list[str], joiner: str) -> str:
    """`be unset or false`: a shared leading "be" is said once."""
    phrases = list(dict.fromkeys(phrases))
    for verb in _VERBS:
        if len(phrases) > 1 and all(p.startswith(verb + " ") for p in phrases):
            return verb + " " + _join([p[len(verb) + 1:] for p in phrases], joiner)
    return _join(phrases, joiner)


# said once when every alternative starts with it: "contain a or b", "start with a or b"
_VERBS = ("start with", "end with", "be", "contain", "match", "include", "have")


# operator -> (infinitive after "must", third person), with {v} the expected value
_PHRASES = {
    "equals": ("be {v}", "is {v}"),
    "not_equals": ("not be {v}", "is not {v}"),
    "equals_ignore_case": ("be {v}, ignoring case", "is {v}, ignoring case"),
    "not_equals_ignore_case": ("not be {v}, ignoring case", "is not {v}, ignoring case"),
    "within": ("be {vs}", "is {vs}"),
    "not_within": ("not be {vs}", "is not {vs}"),
    "exists": ("be set", "is set"),
    "not_exists": ("be unset", "is unset"),
    "any": ("be anything", "is anything"),
    "regex_match": ("match the pattern {p}", "matches the pattern {p}"),
    "not_regex_match": ("not match the pattern {p}", "does not match the pattern {p}"),
    "contains": ("contain {v}", "contains {v}"),
    "not_contains": ("not contain {v}", "does not contain {v}"),
    "starting_with": ("start with {v}", "starts with {v}"),
    "not_starting_with": ("not start with {v}", "does not start with {v}"),
    "ending_with": ("end with {v}", "ends with {v}"),
    "not_ending_with": ("not end with {v}", "does not end with {v}"),
    "greater_than": ("be greater than {v}", "is greater than {v}"),
    "greater_than_or_equal": ("be at least {v}", "is at least {v}"),
    "less_than": ("be less than {v}", "is less than {v}"),
    "less_than_or_equal": ("be at most {v}", "is at most {v}"),
    "is_true": ("be true", "is true"),
    "is_false": ("be false", "is false"),
    "is_empty": ("be empty or unset", "is empty or unset"),
    "is_not_empty": ("not be empty", "is not empty"),
    "intersects": ("include at least one of {vl}", "includes one of {vl}"),
    "not_intersects": ("include none of {vl}", "includes none of {vl}"),
    "subset": ("contain only values from {vl}", "contains only values from {vl}"),
    "not_subset": ("contain a value other than {vl}", "contains a value other than {vl}"),
    "length_equals": ("have exactly {n}", "has exactly {n}"),
    "length_not_equals": ("not have exactly {n}", "does not have exactly {n}"),
    "length_greater_than": ("have more than {n}", "has more than {n}"),
    "length_greater_than_or_equal": ("have at least {n}", "has at least {n}"),
    "length_less_than": ("have fewer than {n}", "has fewer than {n}"),
    "length_less_than_or_equal": ("have at most {n}", "has at most {n}"),
}
# the operator a `not` turns each operator into (checkov's semantics on known values)
_NEGATION = {
    "equals": "not_equals", "equals_ignore_case": "not_equals_ignore_case", "within": "not_within",
    "exists": "not_exists", "regex_match": "not_regex_match", "contains": "not_contains",
    "starting_with": "not_starting_with", "ending_with": "not_ending_with",
    "greater_than": "less_than_or_equal", "greater_than_or_equal": "less_than", "is_empty": "is_not_empty",
    "intersects": "not_intersects", "subset": "not_subset", "length_equals": "length_not_equals",
    "length_greater_than": "length_less_than_or_equal", "length_greater_than_or_equal": "length_less_than",
}
_NEGATION.update({v: k for k, v in list(_NEGATION.items())})
# operators whose fact ("x = 5", "x is not set") already shows that the condition holds
_SELF_EVIDENT = {"equals", "exists", "not_exists", "is_true", "is_false", "any"}
_NUMERIC = {"greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"}


def phrase(op: str | None, value: Any, negated: bool = False, third: bool = False) -> str:
    """What a condition requires, after "must" ("be true"), or as a statement ("is true")."""
    if op is None:
        return ""
    if negated:
        if op in _NEGATION:
            op, negated = _NEGATION[op], False
    inf, thr = _PHRASES.get(op, (f"satisfy {op} {{v}}", f"satisfies {op} {{v}}"))
    text = thr if third else inf
    if op in _NUMERIC or op.startswith("length_"):
        v = hcl(value) if not isinstance(value, str) else value
    else:
        v = hcl(value)
    text = text.format(v=v, vs=("one of " if isinstance(value, list) and len(value) > 1 else "") + _values(value),
                       vl=_values(value), p=_pattern(value),
                       n=f"{v} element" + ("" if str(v) == "1" else "s"))
    if negated:  # no operator expresses the negation: say it
        text = ("not " + text) if not third else ("it is not the case that it " + text)
    return text


def _is_sensitive(r, path: str) -> bool:
    if r is None or not r.sensitive:
        return False
    bare = ".".join(p for p in path.split(".") if not p.isdigit())
    for s in r.sensitive:
        if path == s or path.startswith(s + ".") or s.startswith(path + "."):
            return True
        if bare == ".".join(p for p in s.split(".") if not p.isdigit()):
            return True
    return False


def _missing(v: Any) -> bool:
    from .evaluate import _MISSING
    return v is _MISSING or v is None


def fact(v) -> str:
    """What was found for a leaf verdict: `x = true`, `x is not set`, `x is set (sensitive)`."""
    if v.what:
        return v.what
    r, path, value = v.lazy if v.lazy is not None else (None, v.path or "", None)
    if _missing(value):
        return f"{path} is not set"
    if _is_sensitive(r, path):
        return f"{path} is set (sensitive)"
    if isinstance(value, UnknownBlock):
        return f"{path}: {value.unknown.reason}"
    if isinstance(value, Unknown):
        if value.prefix:
            return f"{path} starts with {hcl(value.prefix)}"
        if value.ref_address:
            return f"{path} references {value.ref_address}"
        if value.reason == "known after apply":
            return f"{path} is set to a value known only after apply"
        if hasattr(value, "parts") and v.state in ("T", "F"):  # a JSON document decided on its known text
            n = sum(1 for p in value.parts if isinstance(p, Unknown))
            return (f"{path} is a JSON document known except for {n} value{'s' if n != 1 else ''} "
                    f"({_first_leaf_reason(value)})")
        return f"{path}: {value.reason}"
    text = f"{path} = {hcl(value)}"
    if isinstance(value, (str, list, dict)) and len(value) == 0 and v.op in ("exists", "not_exists"):
        text += " (empty, which Terraform treats as not set)"
    return text


def _first_leaf_reason(doc) -> str:
    leaf = next((p for p in doc.parts if isinstance(p, Unknown)), None)
    return leaf.reason if leaf is not None else doc.reason


def _value_of(v) -> Any:
    return v.lazy[2] if v.lazy is not None else None


def _leaves(vs) -> bool:
    return all(x.kind == "leaf" for x in vs)


def _subject(group_paths: list[str], path: str) -> str:
    return "it" if len(group_paths) == 1 else path


def _grouped(vs) -> list[tuple[str, list]]:
    """Leaf verdicts grouped by attribute path, in order of first appearance."""
    groups: dict[str, list] = {}
    for x in vs:
        groups.setdefault(x.path or "", []).append(x)
    return list(groups.items())


def _requirement(vs, joiner: str) -> str:
    """`it must be unset or false` / `a must be set and b must be true` for a list of leaf verdicts."""
    groups = _grouped(vs)
    paths = [p for p, _ in groups]
    parts = []
    for path, items in groups:
        phrases = [phrase(x.op, x.value, x.negated) for x in items]
        parts.append(f"{_subject(paths, path)} must {_alternatives(phrases, joiner)}")
    return f" {joiner} ".join(parts)


def _flatten(v, holds: bool, out: list) -> None:
    """The leaf verdicts (and free-text ones) that make v hold (holds=True) or not, with their sense."""
    if v.kind == "not":
        _flatten(v.children[0], not holds, out)
    elif v.kind in ("and", "or", "any"):
        for c in v.children:
            _flatten(c, holds, out)
    else:
        out.append((v, holds))


def _facts(vs, holds: bool, explain: bool = True) -> str:
    """The facts of several verdicts, one per attribute: `a = 1, b is not set and c = "x"`.
    With explain, a fact that holds says which condition it satisfies when the value alone does not show it."""
    flat: list = []
    for x in vs:
        _flatten(x, holds, flat)
    out: list[str] = []
    seen_paths: set = set()
    for x, h in flat:
        if x.kind == "leaf" and not x.what:
            if x.path in seen_paths:
                continue
            seen_paths.add(x.path)
        t = fact(x)
        if explain and h and x.kind == "leaf" and not x.what and x.op not in _SELF_EVIDENT:
            said = phrase(x.op, x.value, x.negated, third=True)
            t += f" ({said[3:] if said.startswith('is ') else said})"
        if t and t not in out:
            out.append(t)
    unset = [t for t in out if t.endswith(" is not set")]
    if unset and len(unset) < len(out) and len(out) > MAX_FACTS:  # the values that are set say more
        out = [t for t in out if t not in unset]
    elif len(unset) > 2 and len(unset) == len(out):  # `none of a, b or c is set`
        names = list(dict.fromkeys(_INDEX.sub(".*", t[:-len(" is not set")]) for t in unset))
        more = len(names) - MAX_FACTS
        names = names[:MAX_FACTS] + ([f"{more} more"] if more > 0 else [])
        return f"none of {_join(names, 'or')} is set" if len(names) > 1 else f"{names[0]} is not set"
    out = list(dict.fromkeys(_INDEX.sub(".*", t) if _INDEX.search(t) and len(out) > MAX_FACTS else t for t in out))
    if len(out) > MAX_FACTS:
        out = out[:MAX_FACTS] + [f"{len(out) - MAX_FACTS} more"]
    return _join(out)


MAX_FACTS = 6


def _join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _facts_of(v, holds: bool) -> str:
    return _facts([v], holds)


MAX_PARTS = 3
_INDEX = re.compile(r"(?<=[A-Za-z_])\.\d+(?=\.|[ ,:;)]|$)")


def _summarize(parts: list[str], sep: str, word: str) -> str:
    """Explanations joined, those that differ only by a block index said once (`flags.*.name is not set`),
    at most MAX_PARTS of them (an enumeration of indexes in a policy would otherwise fill the message)."""
    groups: dict[str, list[str]] = {}
    for p in dict.fromkeys(parts):
        groups.setdefault(_INDEX.sub(".*", p), []).append(p)
    items = [ps[0] if len(ps) == 1 else key for key, ps in groups.items()]
    if len(items) > MAX_PARTS:
        rest = len(items) - MAX_PARTS
        items = items[:MAX_PARTS] + [f"{rest} more" + (" alternatives, none of which holds" if word == "or" else "")]
    return sep.join(items)


def condition(v) -> str:
    """The condition itself, in words: `type is "egress"`, `a is set and b is true`."""
    if v.kind == "leaf":
        return f"{v.path} {phrase(v.op, v.value, v.negated, third=True)}"
    if v.kind == "not":
        return f"not ({condition(v.children[0])})"
    if v.kind in ("and", "or", "any"):
        parts = [condition(c) for c in (v.alts or v.children)]
        return _join(parts, "or" if v.kind == "any" else v.kind)
    return v.what


def why_false(v) -> str:
    if v.kind == "leaf":
        if v.what:
            return v.what
        return f"{fact(v)}, but it must {phrase(v.op, v.value, v.negated)}"
    if v.kind == "any":  # `a.*.b`: every element was judged, none holds
        first = v.children[0]
        return f"{_facts(v.children, False)}, but one of them must {phrase(first.op, first.value, first.negated)}"
    if v.kind == "not":  # the combination it forbids holds
        facts = _facts_of(v.children[0], True)
        return f"{facts}: this {'combination ' if ' and ' in facts else ''}is not allowed"
    if v.kind == "and":
        if _leaves(v.children):
            return "; ".join(f"{fact(items[0])}, but it must "
                             f"{_alternatives([phrase(x.op, x.value, x.negated) for x in items], 'and')}"
                             if not items[0].what else items[0].what for _, items in _grouped(v.children))
        return _summarize([why_false(c) for c in v.children], "; ", "and")
    if v.kind == "or":
        alts = v.alts or v.children
        forbidden = [c for c in alts if c.kind == "not"]
        others = [c for c in alts if c.kind != "not"]
        if forbidden:
            text = _summarize([why_false(c) for c in forbidden], "; ", "and")
            if others:
                text += " unless " + " or ".join(condition(c) for c in others)
                found = [fact(c) for c in others if c.kind == "leaf" and not _missing(_value_of(c))]
                if found:
                    text += f" ({_join(list(dict.fromkeys(found)))})"
            return text
        if _leaves(alts):
            return f"{_facts(alts, False)}, but {_requirement(alts, 'or')}"
        return "none of the accepted alternatives holds: " + _summarize([why_false(c) for c in alts], "; or ", "or")
    return v.what


def why_true(v) -> str:
    if v.kind == "leaf":
        if v.what:
            return v.what
        return f"{fact(v)}, as required (it must {phrase(v.op, v.value, v.negated)})"
    if v.kind == "not":
        return f"{_facts_of(v.children[0], False)}: not the combination the policy forbids"
    if v.kind == "and":
        if _leaves(v.children):
            parts = []
            for path, items in _grouped(v.children):
                named = next((x for x in items if x.what), None)
                if named is not None:
                    parts.append(named.what)
                    continue
                req = _alternatives([phrase(x.op, x.value, x.negated) for x in items], "and")
                parts.append(f"{fact(items[0])}, as required (it must {req})")
            return "; ".join(parts)
        return _summarize([why_true(c) for c in v.children], "; ", "and")
    if v.kind == "or":
        alts = v.alts or v.children
        if _leaves(v.children) and _leaves(alts) and not any(c.what for c in v.children):
            return f"{_facts(v.children, True, explain=False)}, as required ({_requirement(alts, 'or')})"
        return why_true(v.children[0])  # one alternative that holds is the reason
    return v.what


def why_unknown(v, note: bool = True) -> str:
    if v.kind == "leaf":
        if v.what:
            return v.what
        u = v.unknown
        reason = u.reason if u is not None else "not known statically"
        return f"{v.path}: {reason} (it must {phrase(v.op, v.value, v.negated)})"
    if v.kind == "not":
        return why_unknown(v.children[0], note)
    if v.kind in ("and", "or"):
        parts: dict[tuple, list] = {}
        for c in v.children:
            if c.kind == "leaf" and not c.what:
                key = (c.path, c.unknown.reason if c.unknown is not None else "")
                parts.setdefault(key, []).append(c)
            else:
                parts.setdefault(("", why_unknown(c, False)), [])
        out = []
        for (path, reason), items in parts.items():
            if not items:
                out.append(reason)
                continue
            req = _alternatives([phrase(x.op, x.value, x.negated) for x in items], v.kind)
            out.append(f"{path}: {reason or 'not known statically'} (it must {req})")
        text = _summarize(out, "; ", "and")
        others = [c for c in v.alts if c.state == "F"] if v.kind == "or" and note else []
        if others:  # the alternatives that were decided do not hold
            text += f"; the other alternatives do not hold ({_facts(others, False)})"
        return text
    return v.what


def describe(v) -> str:
    """The message of a verdict (without the `cannot be decided statically:` prefix of unknowns)."""
    return _bounded(_describe(v))


MAX_MESSAGE = 1000


def _bounded(text: str) -> str:
    """At most MAX_MESSAGE characters, cut at a clause boundary."""
    if len(text) <= MAX_MESSAGE:
        return text
    cut = text.rfind("; ", 0, MAX_MESSAGE - 20)
    return (text[:cut] if cut > 0 else text[:MAX_MESSAGE - 20]) + "; ... (shortened)"


def _describe(v) -> str:
    if v.state == "F":
        return why_false(v)
    if v.state == "T":
        return why_true(v)
    if v.state == "U":
        return why_unknown(v)
    return v.what


def _first_reason(v) -> str:
    if v.kind == "leaf" and v.unknown is not None:
        return v.unknown.reason
    for c in v.children:
        if c.state == "U":
            return _first_reason(c)
    return v.what or ""


_HINTS = (  # (text in the reason, how to supply what is missing)
    ("file could not be read", "fix the parse error reported for the file"),
    ("no value in the scanned tfvars files",
     "set it in a tfvars file passed with --var-file (or terraform.tfvars), or scan a plan (terraform show -json)"),
    ("does not set it", "scan the configuration that calls this module, or a plan (terraform show -json)"),
    ("could not be read", "run `terraform init` so the module is in .terraform/modules, or scan a plan "
                          "(terraform show -json)"),
    ("has no key with that name", "set that key in the input object, or give the optional() attribute a default"),
    ("has no attribute", "set that key in the input object, or give the optional() attribute a default"),
    ("known only after apply", "scan a plan (terraform show -json), where Terraform resolves it unless the "
                               "provider computes it at apply time"),
    ("known after apply", "the provider computes it at apply time: set it explicitly in the configuration"),
    ("analysis limit", "scan a plan (terraform show -json), or split the configuration"),
)


def unknown_hint(v) -> str:
    """How to supply what an unknown result is missing."""
    reason = _first_reason(v)
    for needle, hint in _HINTS:
        if needle in reason:
            return hint
    if v.kind == "":  # engine and connection verdicts carry their own advice
        return ""
    return "scan a plan (terraform show -json), where Terraform has evaluated it"
