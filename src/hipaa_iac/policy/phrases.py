"""Values and requirements in words: a value in HCL syntax (`hcl`), and what an operator asks for (`phrase`:
"be one of ...", "not start with ..."). The vocabulary of every message (policy/messages.py).
"""
from __future__ import annotations

import json
import re
from typing import Any

from ..model import Unknown
from ..vocab import SECRET_NAME_REGEX

MAX_VALUE = 80
MAX_LIST = 6

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def hcl(v: Any, limit: int = MAX_VALUE) -> str:
    """A value as Terraform prints it: true, null, 30, 1.5, "AES256", ["a", "b"], {key = "v"}."""
    text = _hcl(v)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


_SECRET_NAME = re.compile(SECRET_NAME_REGEX)


def is_secret_name(name: str) -> bool:
    """Whether an argument name (one path segment) holds a credential (vocab.SECRET_NAME_REGEX)."""
    return isinstance(name, str) and _SECRET_NAME.match(name) is not None


class _Hidden:
    """A credential's value in a printed structure: written `(not shown)`."""


HIDDEN = _Hidden()


def hide_secrets(v: Any) -> Any:
    """The value with every entry under a credential-named key replaced by HIDDEN (nested blocks included)."""
    if isinstance(v, dict):
        return {k: (HIDDEN if is_secret_name(k) and v[k] not in (None, "") else hide_secrets(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [hide_secrets(x) for x in v]
    return v


def _hcl(v: Any) -> str:
    if v is HIDDEN:
        return "(not shown)"
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


def _join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]
