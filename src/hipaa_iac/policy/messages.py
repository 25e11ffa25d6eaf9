"""The words of a result: what was found (values in HCL syntax), what is required, and why it was decided.

A failed result names the condition(s) that decided it (for `or` every alternative, for `and` every failed
part, for `not` the combination that holds), the value found, and what is required; a passed result says
which condition holds; an unknown one says what is missing. `unknown_hint` says how to supply it.
Values marked sensitive are never printed: they read `(sensitive)`.
"""
from __future__ import annotations

import re
from typing import Any

from ..model import Unknown, UnknownBlock

from .phrases import (MAX_LIST, MAX_VALUE, _SELF_EVIDENT, _alternatives, _join, hcl,  # noqa: F401
                      hide_secrets, is_secret_name, phrase)  # (re-exported: hcl, phrase)


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
    segments = [p for p in path.split(".") if p and not p.isdigit() and p != "*"]
    if segments and is_secret_name(segments[-1]) and not isinstance(value, Unknown) and value not in ("", [], {}):
        return f"{path} is set (a credential: value not shown)"
    value = hide_secrets(value)
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


def why_unknown(v, note: bool = True, neg: bool = False) -> str:
    """What is missing, and what the value must be. Under `not` (neg) the requirement is the negation of the
    condition's own (`not: {x within [a, b]}` unknown: "it must not be one of a, b"; De Morgan for and/or)."""
    if v.kind == "leaf":
        if v.what:
            return v.what
        u = v.unknown
        reason = u.reason if u is not None else "not known statically"
        return f"{v.path}: {reason} (it must {phrase(v.op, v.value, v.negated != neg)})"
    if v.kind == "not":
        return why_unknown(v.children[0], note, not neg)
    if v.kind in ("and", "or"):
        joiner = v.kind if not neg else ("and" if v.kind == "or" else "or")
        parts: dict[tuple, list] = {}
        for c in v.children:
            if c.kind == "leaf" and not c.what:
                key = (c.path, c.unknown.reason if c.unknown is not None else "")
                parts.setdefault(key, []).append(c)
            else:
                parts.setdefault(("", why_unknown(c, False, neg)), [])
        out = []
        for (path, reason), items in parts.items():
            if not items:
                out.append(reason)
                continue
            req = _alternatives([phrase(x.op, x.value, x.negated != neg) for x in items], joiner)
            out.append(f"{path}: {reason or 'not known statically'} (it must {req})")
        text = _summarize(out, "; ", "and")
        others = [c for c in v.alts if c.state == "F"] if v.kind == "or" and note and not neg else []
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
