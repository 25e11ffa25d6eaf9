"""Policy packs are data, but a regular expression is a program: Python's `re` backtracks, so a pattern
such as `(a+)+$` or `(a|aa)*$` takes exponential time on a short value, and a policy pack that comes with
the scanned repository (`policy_dir` in its configuration) could hang the scan. `catastrophic` flags the
constructs that backtrack exponentially (a group that can repeat, holding a repetition or an alternation
whose branches may match the same text, repeated again), so such a pack is refused at load, with the file.
Conservative by design: a pattern it flags may be harmless (`(a|b)*` does not backtrack), so the check is
applied to packs the scanned repository supplies, not to the bundled pack or one named on the command line."""
from __future__ import annotations

from typing import Any


def catastrophic(pattern: str) -> bool:
    """True when `pattern` holds a repeated group that itself repeats or alternates (nested quantifiers)."""
    stack: list[list[bool]] = [[False, False]]  # per open group: [holds an unbounded repeat, holds "|"]
    i, n = 0, len(pattern)
    closed: list[bool] | None = None  # the group that just closed, until we see what follows it
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            closed = None
            continue
        if c == "[":  # a character class: one atom
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            closed = None
            continue
        if c == "(":
            stack.append([False, False])
            i += 1
            if pattern.startswith("?", i) and not pattern.startswith("?P<", i) and not pattern.startswith("?<", i):
                i += 1  # (?: (?= (?! (?i) ...
            closed = None
            continue
        if c == ")":
            inner = stack.pop() if len(stack) > 1 else [False, False]
            closed = inner
            i += 1
            continue
        if c == "|":
            stack[-1][1] = True
            closed = None
            i += 1
            continue
        if c in "*+?" or (c == "{" and _is_repeat(pattern, i)):
            if c == "?" and (i == 0 or pattern[i - 1] in "*+?}"):  # a lazy marker, not a quantifier
                i += 1
                continue
            unbounded = c in "*+" or (c == "{" and _open_ended(pattern, i))
            variable = c != "{" or _variable(pattern, i)
            if closed is not None and unbounded and (closed[0] or closed[1]):
                return True
            if variable:
                stack[-1][0] = True
            if closed is not None and (closed[0] or closed[1]):
                stack[-1][0] = True
            closed = None
            i = pattern.index("}", i) + 1 if c == "{" else i + 1
            continue
        if closed is not None and closed[0]:
            stack[-1][0] = True
        closed = None
        i += 1
    return False


def _is_repeat(p: str, i: int) -> bool:
    j = p.find("}", i)
    return j > i and all(ch.isdigit() or ch == "," for ch in p[i + 1:j]) and p[i + 1:j] != ""


def _variable(p: str, i: int) -> bool:
    body = p[i + 1:p.index("}", i)]
    if "," not in body:
        return False
    lo, hi = body.split(",", 1)
    return hi == "" or hi != lo


def _open_ended(p: str, i: int) -> bool:
    body = p[i + 1:p.index("}", i)]
    return body.endswith(",") or (body.count(",") == 1 and int(body.split(",")[1] or 0) > 100)


def risky_patterns(definition: Any) -> list[str]:
    """The regular expressions of a definition (regex_match / not_regex_match values) that `catastrophic` flags."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("operator") in ("regex_match", "not_regex_match") and isinstance(node.get("value"), str):
                if catastrophic(node["value"]):
                    out.append(node["value"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(definition)
    return out
