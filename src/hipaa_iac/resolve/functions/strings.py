"""String functions (functions/<name>): case, trimming, substrings, split/join, replace, format."""
from __future__ import annotations

import json
import re
from typing import Any

from ...model import Unknown
from .core import LIMIT, MAX_STRING, Refuse, check_len, derive, fail, produce, unknown
from .encoding import _encode_json
from .regex import check_regex_input, compile_re2
from .values import as_bool, as_int, as_list, as_str, num_str, to_num

# ---- string functions (functions/<name>) ---------------------------------------------------------------

def _upper(s):
    return as_str(s).upper()


def _lower(s):
    return as_str(s).lower()


def _title(s):
    # functions/title: the first letter of each word is upper case (words: letters after a non-letter)
    s = as_str(s)
    return re.sub(r"(?<![^\W\d_])([^\W\d_])", lambda m: m.group(1).upper(), s)


def graphemes(s: str) -> list[str]:
    """User-perceived characters, as Terraform counts them (length, substr, strrev): a base character with
    its combining marks, variation selectors, emoji modifiers and zero-width-joined sequences. An
    approximation of Unicode text segmentation (UAX #29) without its tables."""
    import unicodedata
    out: list[str] = []
    join = False
    for ch in s:
        o = ord(ch)
        extend = (unicodedata.category(ch) in ("Mn", "Me", "Mc") or 0xFE00 <= o <= 0xFE0F
                  or 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F or o == 0x200D)
        if out and (extend or join or (ch == "\n" and out[-1] == "\r")
                    or (0x1F1E6 <= o <= 0x1F1FF and len(out[-1]) == 1 and 0x1F1E6 <= ord(out[-1]) <= 0x1F1FF)):
            out[-1] += ch
        else:
            out.append(ch)
        join = o == 0x200D
    return out


def _glen(s: str) -> int:
    return len(s) if s.isascii() else len(graphemes(s))


def _strrev(s):
    s = as_str(s)
    return s[::-1] if s.isascii() else "".join(reversed(graphemes(s)))


def _chomp(s):
    return re.sub(r"(\r\n|\n|\r)+\Z", "", as_str(s))


def _trimspace(s):
    return as_str(s).strip(" \t\n\r\v\f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                           "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _trim(s, chars):
    return as_str(s).strip(as_str(chars))


def _trimprefix(s, p):
    s, p = as_str(s), as_str(p)
    return s[len(p):] if p and s.startswith(p) else s


def _trimsuffix(s, p):
    s, p = as_str(s), as_str(p)
    return s[:-len(p)] if p and s.endswith(p) else s


def _startswith(s, p):
    return as_str(s).startswith(as_str(p))


def _endswith(s, p):
    return as_str(s).endswith(as_str(p))


def _strcontains(s, sub):
    return as_str(sub) in as_str(s)


def _substr(s, offset, length):
    # functions/substr: offset and length in unicode characters; negative offset from the end; length -1
    s, o, n = as_str(s), as_int(offset, "offset"), as_int(length, "length")
    if not s.isascii():
        g = graphemes(s)
        if o < 0:
            o = max(0, len(g) + o) if len(g) + o >= 0 else fail("offset is before the start of the string")
        if o > len(g):
            fail("offset is beyond the end of the string")
        return "".join(g[o:] if n == -1 else g[o:o + n])
    if o < 0:
        o = len(s) + o
        if o < 0:
            fail("offset is before the start of the string")
    if o > len(s):
        fail("offset is beyond the end of the string")
    if n < -1:
        fail("length must be -1 or greater")
    return s[o:] if n == -1 else s[o:o + n]


def _indent(n, s):
    n, s = as_int(n, "spaces"), as_str(s)
    if n < 0:
        fail("indent() spaces must not be negative")
    lines = s.split("\n")
    check_len(len(s) + n * (len(lines) - 1), "indent() result")
    return ("\n" + " " * n).join(lines)


def _split(sep, s):
    sep, s = as_str(sep), as_str(s)
    if s == "":
        return [""]
    out = list(s) if sep == "" else s.split(sep)
    produce(len(out), "split()")
    return out


def _join(sep, *lists):
    sep = as_str(sep, "separator")
    if not lists:
        fail("join() needs at least one list")
    items: list = []
    for lst in lists:
        for x in as_list(lst):
            if isinstance(x, Unknown):
                raise Refuse(derive(x, f"join() depends on a value not known statically ({x.reason})", *lists))
            if x is None:
                fail("join(): null element")
            items.append(as_str(x, "element"))
    check_len(sum(map(len, items)) + len(sep) * max(0, len(items) - 1), "join() result")
    return sep.join(items)


def _replace(s, sub, rep):
    # functions/replace: a substring wrapped in forward slashes is an RE2 pattern; $1/${name} in replacement
    s, sub, rep = as_str(s), as_str(sub), as_str(rep)
    if len(sub) > 1 and sub.startswith("/") and sub.endswith("/"):
        return _regex_replace(s, sub[1:-1], rep)
    if sub == "":
        count = len(s) + 1
    else:
        count = s.count(sub)
    check_len(len(s) + count * (len(rep) - len(sub)), "replace() result")
    return s.replace(sub, rep)


def _regex_replace(s: str, pattern: str, rep: str) -> str:
    rx = compile_re2(pattern)
    check_regex_input(s)
    out: list[str] = []
    size = 0
    pos = 0
    for m in rx.finditer(s):
        piece = s[pos:m.start()] + _expand(m, rep)
        size += len(piece)
        check_len(size, "replace() result")
        out.append(piece)
        pos = m.end()
    out.append(s[pos:])
    check_len(size + len(s) - pos, "replace() result")
    return "".join(out)


_TEMPLATE_VAR = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")


def _expand(m: re.Match, rep: str) -> str:
    """Go's regexp Expand: $1, ${1}, $name, ${name}; $$ is a dollar; unknown names are empty."""
    def sub(x: re.Match) -> str:
        if x.group(0) == "$$":
            return "$"
        name = x.group(1) or x.group(2)
        try:
            g = m.group(int(name)) if name.isdigit() else m.group(name)
        except (IndexError, error_types):
            return ""
        return g or ""
    return _TEMPLATE_VAR.sub(sub, rep)


error_types = (re.error, KeyError)


def _format(fmt, *args):
    # functions/format: Go-like verbs; every argument must be used; width/precision bounded before use
    fmt = as_str(fmt, "format")
    out: list[str] = []
    size = 0
    argi = 0
    used = set()
    i = 0
    spec_re = re.compile(r"%([-+# 0]*)(\[\d+\])?(\d+|\*)?(?:\.(\d+|\*)?)?(\[\d+\])?([a-zA-Z%])")
    while i < len(fmt):
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            size += len(fmt) - i
            break
        out.append(fmt[i:j])
        size += j - i
        m = spec_re.match(fmt, j)
        if m is None:
            fail("format(): invalid format verb")
        flags, idx1, width, prec, idx2, verb = m.groups()
        i = m.end()
        if verb == "%":
            out.append("%")
            size += 1
            continue
        if width == "*" or prec == "*":
            unknown("format(): '*' width is not evaluated statically")
        idx = idx1 or idx2
        if idx:
            argi = int(idx[1:-1]) - 1
        if argi < 0 or argi >= len(args):
            fail("format(): not enough arguments for the format string")
        w = int(width) if width else 0
        p = int(prec) if prec is not None and prec != "" else (0 if prec == "" else None)
        if w > MAX_STRING or (p is not None and p > MAX_STRING):
            unknown(f"format() width {LIMIT}")
        v = args[argi]
        used.add(argi)
        argi += 1
        piece = _format_one(flags, w, p, verb, v)
        size += len(piece)
        check_len(size, "format() result")
        out.append(piece)
    if args and len(used) < len(args):
        fail("format(): too many arguments for the format string")
    return "".join(out)


def _format_one(flags: str, w: int, p: int | None, verb: str, v: Any) -> str:
    if verb in "vsq" or verb == "t":
        if verb == "t":
            text = "true" if as_bool(v, "%t argument") else "false"
        elif verb == "q":
            text = json.dumps(as_str(v, "%q argument"), ensure_ascii=False)
        elif verb == "v" and not isinstance(v, str):
            text = _encode_json(v) if isinstance(v, (list, dict)) or v is None or "#" in flags else as_str(v)
        elif verb == "v" and "#" in flags:
            text = _encode_json(v)
        else:
            text = as_str(v, "%s argument")
        if p is not None and verb in "sv":
            text = text[:p]
        if len(text) < w:
            text = text.ljust(w) if "-" in flags else text.rjust(w, "0" if "0" in flags else " ")
        return text
    n = to_num(v, f"%{verb} argument")
    pyflags = "".join(c for c in flags if c in "-+ 0#")
    if verb in "dboxX":
        if isinstance(n, float):
            fail(f"format(): %{verb} needs a whole number, got {num_str(n)}")
        conv = {"d": "d", "b": "b", "o": "o", "x": "x", "X": "X"}[verb]
        spec = f"{'<' if '-' in flags else ''}{'+' if '+' in flags else (' ' if ' ' in flags else '')}" \
               f"{'0' if '0' in flags and '-' not in flags else ''}{w if w else ''}{conv}"
        return format(n, spec)
    if verb in "eEfFgG":
        spec = "%" + pyflags + (str(w) if w else "") + ("." + str(p) if p is not None else "") + verb
        return spec % n
    fail(f"format(): unsupported verb %{verb}")
    raise AssertionError


def _formatlist(fmt, *args):
    fmt = as_str(fmt, "format")
    n = None
    for a in args:
        if isinstance(a, list):
            if n is not None and len(a) != n:
                fail("formatlist(): list arguments have different lengths")
            n = len(a)
    if n is None:
        n = 1
    produce(n, "formatlist()")
    out = []
    size = 0
    for i in range(n):
        s = _format(fmt, *[a[i] if isinstance(a, list) else a for a in args])
        size += len(s)
        check_len(size, "formatlist() results")
        out.append(s)
    return out
