"""Regular expressions (functions/regex: RE2 syntax) translated to Python's re, refusing what RE2 rejects
and what could backtrack catastrophically."""
from __future__ import annotations

import re
import warnings
from typing import Any

from ...model import Unknown
from .core import LIMIT, MAX_REGEX_INPUT, Refuse, fail, produce, unknown
from .values import as_str

# ---- regular expressions (functions/regex: RE2 syntax) ----------------------------------------------

_RE_CACHE: dict[str, Any] = {}
_POSIX = {"alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
          "space": r"\t\n\v\f\r ", "xdigit": "0-9A-Fa-f", "word": r"\w", "punct": r"!-/:-@\[-`{-~",
          "blank": r" \t", "cntrl": r"\x00-\x1f\x7f", "print": r" -~", "graph": r"!-~", "ascii": r"\x00-\x7f"}


def compile_re2(pattern: str) -> re.Pattern:
    """Python's re for an RE2 pattern, or raise: TFError for syntax RE2 rejects (lookarounds, back
    references), Unknown for syntax whose meaning differs or could backtrack catastrophically."""
    hit = _RE_CACHE.get(pattern)
    if hit is not None:
        if isinstance(hit, Unknown):
            raise Refuse(hit)
        return hit
    try:
        rx = _translate_re2(pattern)
    except Refuse as e:
        if len(_RE_CACHE) < 512:
            _RE_CACHE[pattern] = e.unknown
        raise
    if len(_RE_CACHE) < 512:
        _RE_CACHE[pattern] = rx
    return rx


# size: one left-to-right pass over the pattern; every construct reads and updates the same group stack
def _translate_re2(p: str) -> re.Pattern:
    if len(p) > 10_000:
        unknown(f"a regular expression of {len(p)} characters {LIMIT}")
    out: list[str] = []
    i = 0
    n = len(p)
    multiline = False
    named = unnamed = 0
    # per open group: [has an unbounded quantifier, has alternation, literal atoms not under a quantifier]
    stack: list[list] = [[False, False, 0]]
    lit_at = -1  # len(out) just after the last literal atom was appended (a quantifier right after undoes it)
    last_group: list[bool] | None = None  # the group that just closed (a quantifier may follow)
    at_start = True
    while i < n:
        c = p[i]
        closed = None
        if c == "\\":
            if i + 1 >= n:
                fail("regex: trailing backslash")
            d = p[i + 1]
            if d == "Q":
                end = p.find("\\E", i + 2)
                lit = p[i + 2:] if end < 0 else p[i + 2:end]
                out.append(re.escape(lit))
                if lit:
                    stack[-1][2] += 1
                    lit_at = len(out)
                i = n if end < 0 else end + 2
                continue
            if d.isdigit() and d != "0":
                fail("regex: back references are not supported by RE2")
            if d in "pP":
                unknown("regex: unicode character classes (\\p) are not evaluated statically")
            if d in "CKGXRZ":
                fail(f"regex: \\{d} is not supported by RE2")
            if d == "z":
                out.append(r"\Z")
                i += 2
                continue
            if d == "x" and i + 2 < n and p[i + 2] == "{":
                end = p.find("}", i + 3)
                if end < 0:
                    fail("regex: bad \\x{...}")
                try:
                    out.append("\\U%08x" % int(p[i + 3:end], 16))
                except ValueError:
                    fail("regex: bad \\x{...}")
                i = end + 1
                continue
            out.append(p[i:i + 2])
            if d not in "dDwWsSbBA":
                stack[-1][2] += 1
                lit_at = len(out)
            i += 2
        elif c == "[":
            j = i + 1
            cls = ["["]
            if j < n and p[j] == "^":
                cls.append("^")
                j += 1
            if j < n and p[j] == "]":
                cls.append(r"\]")
                j += 1
            while j < n and p[j] != "]":
                if p[j] == "\\" and j + 1 < n:
                    if p[j + 1] in "pP":
                        unknown("regex: unicode character classes (\\p) are not evaluated statically")
                    if p[j + 1] == "z":
                        fail("regex: bad escape in a character class")
                    cls.append(p[j:j + 2])
                    j += 2
                    continue
                if p.startswith("[:", j):
                    end = p.find(":]", j + 2)
                    name = p[j + 2:end] if end > 0 else ""
                    neg = name.startswith("^")
                    if neg or name not in _POSIX:
                        unknown("regex: this POSIX class is not evaluated statically")
                    cls.append(_POSIX[name])
                    j = end + 2
                    continue
                if p[j] == "[":
                    cls.append(r"\[")
                elif p[j] in "&~|-" and j + 1 < n and p[j + 1] == p[j]:
                    cls.append("\\" + p[j])  # Python reserves doubled set operators
                else:
                    cls.append(p[j])
                j += 1
            if j >= n:
                fail("regex: missing closing ]")
            cls.append("]")
            out.append("".join(cls))
            stack[-1][2] += 1
            lit_at = len(out)
            i = j + 1
        elif c == "(":
            if p.startswith("(?", i):
                if p.startswith("(?P<", i) or (p.startswith("(?<", i) and not p.startswith(("(?<=", "(?<!"), i)):
                    start = i + (4 if p[i + 2] == "P" else 3)
                    end = p.find(">", start)
                    if end < 0 or not re.fullmatch(r"[A-Za-z_]\w*", p[start:end]):
                        fail("regex: bad capture group name")
                    out.append("(?P<" + p[start:end] + ">")
                    named += 1
                    i = end + 1
                    stack.append([False, False, 0])
                    continue
                m = re.match(r"\(\?([imsU]*)(?:-([imsU]*))?([:)])", p[i:])
                if m is None:
                    fail("regex: unsupported group syntax (RE2 has no lookaround, atomic groups or conditionals)")
                on, off, kind = m.group(1), m.group(2) or "", m.group(3)
                if "U" in on + off:
                    unknown("regex: the U (ungreedy) flag is not evaluated statically")
                if kind == ")":
                    if not at_start or off:
                        unknown("regex: flags set inside a pattern are not evaluated statically")
                    multiline = multiline or "m" in on
                    out.append(f"(?{on})" if on else "")
                    i += m.end()
                    continue
                out.append(m.group(0))
                i += m.end()
                stack.append([False, False, 0])
                continue
            out.append("(")
            unnamed += 1
            stack.append([False, False, 0])
            i += 1
        elif c == ")":
            if len(stack) == 1:
                fail("regex: unmatched )")
            closed = stack.pop()
            # what the group contains counts for its parent too
            stack[-1][0] = stack[-1][0] or closed[0]
            out.append(")")
            if closed[2] > 0 and not closed[1]:
                stack[-1][2] += 1
                lit_at = len(out)
            i += 1
        elif c in "*+?{":
            q = c
            if c == "{":
                m = re.match(r"\{(\d+)(,(\d*))?\}", p[i:])
                if m is None:
                    out.append(r"\{")  # RE2 reads a brace that is no repetition as a literal
                    stack[-1][2] += 1
                    lit_at = len(out)
                    i += 1
                    at_start = False
                    last_group = None
                    continue
                lo, hi = int(m.group(1)), m.group(3)
                if lo > 1000 or (hi and int(hi) > 1000):
                    fail("regex: repetition count over 1000")
                q = m.group(0)
                unbounded = m.group(2) is not None and not hi
            else:
                unbounded = c in "*+"
            i += len(q)
            if i < n and p[i] == "?":
                q += "?"
                i += 1
            if i < n and p[i] == "+":
                fail("regex: possessive quantifiers are not supported by RE2")
            if lit_at == len(out):  # the repeated atom is no fixed literal any more
                stack[-1][2] -= 1
            if last_group is not None and (unbounded or c == "{") and (
                    last_group[1] or (last_group[0] and last_group[2] <= 0)):
                unknown("regex: a repeated group that repeats inside is not evaluated statically "
                        "(backtracking risk)")
            if unbounded:
                stack[-1][0] = True
            out.append(q)
            last_group = None
            at_start = False
            continue
        elif c == "|":
            stack[-1][1] = True
            out.append("|")
            i += 1
        elif c == "$":
            out.append("$" if multiline else r"\Z")
            i += 1
        else:
            out.append(re.escape(c) if c in "#&~- \t\n\r\v\f" else c)
            if c not in ".^":
                stack[-1][2] += 1
                lit_at = len(out)
            i += 1
        last_group = closed
        at_start = False
    if len(stack) != 1:
        fail("regex: missing )")
    if named and unnamed:
        fail("regex: named and unnamed capture groups cannot be mixed")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile("".join(out), re.ASCII)
    except (re.error, OverflowError, RecursionError) as e:
        fail(f"regex: {e}")
    raise AssertionError


def check_regex_input(s: str) -> None:
    if len(s) > MAX_REGEX_INPUT:
        unknown(f"a string of {len(s)} characters matched against a pattern {LIMIT}")


def _match_value(rx: re.Pattern, m: re.Match) -> Any:
    if rx.groupindex:
        return {k: m.group(k) for k in rx.groupindex}
    if rx.groups:
        return list(m.groups())
    return m.group(0)


def _regex(pattern, s):
    pattern, s = as_str(pattern, "pattern"), as_str(s)
    rx = compile_re2(pattern)
    check_regex_input(s)
    m = rx.search(s)
    if m is None:
        fail("regex(): the pattern did not match")
    return _match_value(rx, m)


def _regexall(pattern, s):
    pattern, s = as_str(pattern, "pattern"), as_str(s)
    rx = compile_re2(pattern)
    check_regex_input(s)
    out = []
    for m in rx.finditer(s):
        produce(1, "regexall()")
        out.append(_match_value(rx, m))
    return out
