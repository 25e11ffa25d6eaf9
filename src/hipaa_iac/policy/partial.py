"""Deciding an operator on a value known only in part: a string whose start or end is known (a template
`"arn:${var.p}:..."`), a list with some unknown elements, a JSON document with unknown leaves (jsonencode of a
structure, resolve.functions.PartialJSON). Each decider answers True/False when every completion of the
unknown part gives the same answer, else None (the verdict stays unknown). Used by policy/evaluate.py.
"""
from __future__ import annotations

import re
from typing import Any

from ..model import Unknown
from .attributes import unknown_in
from .operators import _s, apply_operator


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
