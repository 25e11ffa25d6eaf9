"""Terraform's built-in functions, evaluated statically with the behaviour Terraform documents
(https://developer.hashicorp.com/terraform/language/functions). Pure functions only: a function whose
result depends on the clock, randomness, the machine (abspath, pathexpand) or a provider is Unknown with
the reason.

Every function is total: an Unknown argument gives an Unknown result (or the known answer where the
unknown part cannot change it: `length([x, unknown])` is 2), an argument Terraform rejects gives a
`TFError` (an Unknown that `try()`/`can()` treat as a failed alternative), and every result is bounded
(`MAX_STRING` characters, `Budget` elements per evaluation) before it is allocated.

Value model: strings, int/float (never bool, never inf/NaN), bool, None, list (lists, tuples and sets;
a set is a list in Terraform's set order: strings lexicographically, numbers ascending), dict (maps and
objects; iterated in lexicographic key order like Terraform).
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import os
import re
import urllib.parse
import warnings
from decimal import Decimal
from typing import Any, Callable

from ..model import SENSITIVE_MARK, Unknown, contains_unknown

MAX_STRING = 1_000_000  # characters in one string result
MAX_ELEMENTS = 1_000_000  # collection elements produced by one top-level evaluation
MAX_CHARS = 20_000_000  # string characters produced by one top-level evaluation
MAX_INT_BITS = 1100  # integers beyond about 1e330 are outside the analysis range
MAX_NUMBER_TEXT = 400  # characters of a number written as a string
MAX_RANGE = 1024  # Terraform: "an artificial limit of 1024 numbers" (functions/range)
MAX_REGEX_INPUT = 100_000
MAX_FILE = 2_000_000
EXTRA_READS: dict[str, str | None] = {}  # files read by file()/templatefile()/... during a load -> sha256 of the bytes read (None: absent); scan cache key
LIMIT = "exceeds the analysis limit"


class TFError(Unknown):
    """Terraform rejects the expression with an error (known arguments of the wrong kind or value).

    The value is unknown for a policy, but `try()` moves on to its next alternative and `can()` is false.
    """
    __slots__ = ()

    def __init__(self, message: str, refs: tuple = ()):
        super().__init__(f"Terraform reports an error: {message}", refs)


class PartialJSON(Unknown):
    """jsonencode() of a structure with unknown leaves: the JSON text is known except at those leaves.

    `parts` alternates known text (str) and the Unknown leaves; `value` is the encoded structure itself
    (jsondecode() gives it back). `decide_partial_json` decides a policy operator on the text when every
    plausible value of the leaves gives the same answer.
    """
    __slots__ = ("parts", "value")

    def __init__(self, reason: str, refs: tuple, parts: list, value: Any):
        super().__init__(reason, refs)
        self.parts = parts
        self.value = value

    def text(self, placeholder: str = '"(known after apply)"') -> str:
        return "".join(p if isinstance(p, str) else placeholder for p in self.parts)


class Refuse(Exception):
    """Raised inside a function: its result is this Unknown (or TFError)."""

    def __init__(self, unknown: Unknown):
        super().__init__(unknown.reason)
        self.unknown = unknown


def refs_of(*values) -> tuple:
    out: list = []
    for v in values:
        u = v if isinstance(v, Unknown) else contains_unknown(v)
        if u is not None:
            out.extend(u.refs)
    return tuple(dict.fromkeys(out))


def derive(u: Unknown, reason: str, *values) -> Unknown:
    """The Unknown a computation on `u` gives: an error stays the same error, anything else gets `reason`."""
    if isinstance(u, TFError):
        return u
    return Unknown(reason, refs_of(u, *values) if values else u.refs)


def fail(message: str) -> None:
    raise Refuse(TFError(message))


def unknown(reason: str, *values) -> None:
    raise Refuse(Unknown(reason, refs_of(*values)))


# ---- budget ---------------------------------------------------------------------------------------

class Budget:
    """Work of one top-level evaluation: expression nodes evaluated, collection elements and string
    characters produced (what is allocated, so memory stays bounded too)."""
    __slots__ = ("nodes", "elements", "chars", "max_nodes", "max_elements", "max_chars")

    def __init__(self, max_nodes: int = 1_000_000, max_elements: int = MAX_ELEMENTS, max_chars: int = MAX_CHARS):
        self.nodes = 0
        self.elements = 0
        self.chars = 0
        self.max_nodes = max_nodes
        self.max_elements = max_elements
        self.max_chars = max_chars

    def exhausted(self) -> bool:
        return self.nodes > self.max_nodes or self.elements > self.max_elements or self.chars > self.max_chars

    def why(self) -> str:
        if self.nodes > self.max_nodes:
            return f"the work of this expression {LIMIT} ({self.max_nodes} steps)"
        if self.chars > self.max_chars:
            return f"the text this expression builds {LIMIT} ({self.max_chars} characters)"
        return f"the work of this expression {LIMIT} ({self.max_elements} elements)"


BUDGET = Budget()  # the current evaluation's budget (the Evaluator swaps it in)


def produce(n: int, what: str = "the result") -> None:
    BUDGET.elements += n
    if BUDGET.elements > BUDGET.max_elements:
        unknown(f"{what}: the work of this expression {LIMIT} ({BUDGET.max_elements} elements)")


def check_len(n: int, what: str) -> None:
    if n > MAX_STRING:
        unknown(f"{what} of {n} characters {LIMIT} ({MAX_STRING})")


# ---- numbers and primitive conversions --------------------------------------------------------------

def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def num_ok(x: Any) -> int | float:
    """A number result inside the analysis range (finite, bounded), integral floats as int."""
    if isinstance(x, float):
        if not math.isfinite(x):
            unknown("a number beyond the analysis range (infinite or not a number)")
        if x.is_integer():
            return int(x)
        return x
    if isinstance(x, int) and x.bit_length() > MAX_INT_BITS:
        unknown(f"a number of more than {MAX_INT_BITS} bits {LIMIT}")
    return x


_NUM_RE = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\Z")


def parse_number(s: str) -> int | float:
    """A number written as a string (Terraform converts "42" to 42 where a number is expected)."""
    if len(s) > MAX_NUMBER_TEXT:
        unknown(f"a number written with more than {MAX_NUMBER_TEXT} characters {LIMIT}")
    if not _NUM_RE.match(s):
        fail(f"cannot convert {s[:40]!r} to a number")
    if re.fullmatch(r"-?\d+", s):
        return num_ok(int(s))
    return num_ok(float(s))


def to_num(v: Any, what: str = "a number") -> int | float:
    if is_num(v):
        return num_ok(v)
    if isinstance(v, str):
        return parse_number(v)
    if v is None:
        fail(f"{what} is required, got null")
    fail(f"{what} is required, got {type_name(v)}")
    raise AssertionError


def type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if is_num(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "object"
    return "null" if v is None else type(v).__name__


def num_str(v: int | float) -> str:
    """A number as Terraform prints it: 1.0 -> "1", 1.5 -> "1.5", 1e-05 -> "0.00001", no exponent."""
    if isinstance(v, int):
        return str(v)
    if v.is_integer():
        return str(int(v))
    r = repr(v)
    if "e" in r or "E" in r:
        r = format(Decimal(r), "f")
    return r


def to_str(v: Any) -> Any:
    """Terraform's conversion of a primitive to a string; Unknown (with the reason) otherwise."""
    if isinstance(v, Unknown):
        return v
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_num(v):
        if isinstance(v, float) and not math.isfinite(v):
            return Unknown("a number beyond the analysis range (infinite or not a number)")
        if isinstance(v, int) and v.bit_length() > MAX_INT_BITS:
            return Unknown(f"a number of more than {MAX_INT_BITS} bits {LIMIT}")
        return num_str(v)
    if v is None:
        return Unknown("null value used in a string")
    if isinstance(v, (dict, list)):
        return Unknown("a collection cannot be converted to a string")
    return Unknown(f"a {type(v).__name__} cannot be converted to a string")


def as_str(v: Any, what: str = "argument") -> str:
    """A known string argument, or raise (Unknown propagates; collections/null are Terraform errors)."""
    if isinstance(v, Unknown):
        raise Refuse(v)
    if isinstance(v, str):
        return v
    if v is None:
        fail(f"{what} must not be null")
    if isinstance(v, (list, dict)):
        fail(f"{what} must be a string, got {type_name(v)}")
    s = to_str(v)
    if isinstance(s, Unknown):
        raise Refuse(s)
    return s


def as_bool(v: Any, what: str = "condition") -> bool:
    """A bool as Terraform converts it ("true"/"false" strings too); Unknown/errors otherwise."""
    if isinstance(v, bool):
        return v
    if isinstance(v, Unknown):
        raise Refuse(v)
    if v == "true":
        return True
    if v == "false":
        return False
    if v is None:
        fail(f"{what} is null")
    fail(f"{what} must be a bool, got {type_name(v)}")
    raise AssertionError


def bool_or_unknown(v: Any, what: str = "condition") -> bool | Unknown:
    try:
        return as_bool(v, what)
    except Refuse as e:
        return e.unknown


def as_int(v: Any, what: str = "argument") -> int:
    n = to_num(v, what)
    if isinstance(n, float):
        fail(f"{what} must be a whole number, got {num_str(n)}")
    return n


def as_list(v: Any, what: str = "argument") -> list:
    if isinstance(v, Unknown):
        raise Refuse(v)
    if isinstance(v, list):
        return v
    if v is None:
        fail(f"{what} must not be null")
    fail(f"{what} must be a list, got {type_name(v)}")
    raise AssertionError


def as_map(v: Any, what: str = "argument") -> dict:
    if isinstance(v, Unknown):
        raise Refuse(v)
    if isinstance(v, dict):
        return v
    if v is None:
        fail(f"{what} must not be null")
    fail(f"{what} must be a map or object, got {type_name(v)}")
    raise AssertionError


def known(v: Any, name: str, *all_args) -> Any:
    """v itself, or refuse when it holds an Unknown anywhere."""
    u = contains_unknown(v)
    if u is not None:
        raise Refuse(derive(u, f"{name}() depends on a value not known statically ({u.reason})",
                            *(all_args or (v,))))
    return v


# ---- equality and sets --------------------------------------------------------------------------------

def equal(a: Any, b: Any) -> bool | None:
    """Terraform's == on two values; None when an Unknown part decides it. `1 == "1"` is false."""
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    if is_num(a) and is_num(b):
        return a == b
    if type_name(a) != type_name(b):
        return False
    if isinstance(a, list):
        if len(a) != len(b):
            return False
        pending = False
        for x, y in zip(a, b):
            r = equal(x, y)
            if r is False:
                return False
            pending = pending or r is None
        return None if pending else True
    if isinstance(a, dict):
        if set(a) != set(b):
            return False
        pending = False
        for k in a:
            r = equal(a[k], b[k])
            if r is False:
                return False
            pending = pending or r is None
        return None if pending else True
    return a == b


def _canon(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str) if isinstance(v, (dict, list)) else repr((type_name(v), v))


def make_set(values: list, name: str) -> list:
    """Terraform's set of the values: unified element type, no duplicates, Terraform's order."""
    values = known(values, name)
    prims = [v for v in values if not isinstance(v, (list, dict))]
    if prims and len(prims) == len(values):
        kinds = {type_name(v) for v in values if v is not None}
        if None in values:
            fail(f"{name}(): a set cannot contain null")
        if len(kinds) > 1:
            if "string" not in kinds and kinds != {"number", "bool"}:
                pass
            if "string" in kinds:  # mixed primitives convert to the most general type, string
                values = [as_str(v) for v in values]
                kinds = {"string"}
            else:
                fail(f"{name}(): elements of different types (bool and number)")
        uniq = list({_canon(v): v for v in values}.values())
        return sorted(uniq)  # strings lexicographically, numbers ascending, false before true
    seen: dict = {}
    for v in values:
        seen.setdefault(_canon(v), v)
    return list(seen.values())


# ---- call protocol --------------------------------------------------------------------------------------

def strict(fn: Callable) -> Callable:
    """Any Unknown among the arguments (deeply) makes the result Unknown."""
    name = fn.__name__.strip("_")

    def wrapped(*args):
        for a in args:
            u = contains_unknown(a)
            if u is not None:
                raise Refuse(derive(u, f"{name}() depends on a value not known statically ({u.reason})", *args))
        return fn(*args)
    wrapped.__name__ = fn.__name__
    return wrapped


def shallow(fn: Callable) -> Callable:
    """Unknown top-level arguments make the result Unknown; the function handles unknown elements."""
    name = fn.__name__.strip("_")

    def wrapped(*args):
        for a in args:
            if isinstance(a, Unknown):
                raise Refuse(derive(a, f"{name}() depends on a value not known statically ({a.reason})", *args))
        return fn(*args)
    wrapped.__name__ = fn.__name__
    return wrapped


def arity(name: str, args: tuple, lo: int, hi: int | None = None) -> None:
    hi = lo if hi is None else hi
    if not (lo <= len(args) <= (hi if hi >= 0 else len(args))):
        fail(f"{name}() takes {lo}{'' if hi == lo else '..' + (str(hi) if hi >= 0 else '')} arguments, "
             f"got {len(args)}")


def result_str(s: str, what: str) -> str:
    check_len(len(s), what)
    return s


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


# ---- collections ---------------------------------------------------------------------------------------

def _length(v):
    if isinstance(v, str):
        return _glen(v)
    if isinstance(v, (list, dict)):
        return len(v)  # unknown elements do not change the length
    if v is None:
        fail("length() of null")
    fail(f"length() of a {type_name(v)}")


def _one(v):
    # functions/one: null for an empty collection, the element for one, an error for more
    lst = as_list(v) if not isinstance(v, dict) else fail("one() needs a list or set")
    if len(lst) == 0:
        return None
    if len(lst) > 1:
        fail("one(): the collection has more than one element")
    return lst[0]


def _contains(lst, value):
    lst = as_list(lst) if not isinstance(lst, dict) else fail("contains() needs a list or set")
    if isinstance(value, Unknown):
        raise Refuse(derive(value, f"contains() depends on a value not known statically ({value.reason})"))
    pending = None
    for x in lst:
        r = equal(x, value)
        if r is True:
            return True
        if r is None and pending is None:
            pending = x if isinstance(x, Unknown) else contains_unknown(x)
    if pending is not None:
        raise Refuse(derive(pending, f"contains() depends on a value not known statically ({pending.reason})"))
    return False


def _index(lst, value):
    lst = as_list(lst)
    value = known(value, "index")
    for i, x in enumerate(lst):
        r = equal(x, value)
        if r is True:
            return i
        if r is None:
            u = x if isinstance(x, Unknown) else contains_unknown(x)
            raise Refuse(derive(u, f"index() depends on a value not known statically ({u.reason})"))
    fail("index(): the value is not in the list")


def _element(lst, i):
    # functions/element: wraps around; a negative index is an error
    lst, i = as_list(lst), as_int(i, "index")
    if not lst:
        fail("element() of an empty list")
    if i < 0:
        fail("element() index must not be negative")
    return lst[i % len(lst)]


def _keys(m):
    m = as_map(m)
    return sorted(m.keys())


def _values(m):
    m = as_map(m)
    return [m[k] for k in sorted(m.keys())]


def _lookup(m, key, *default):
    if len(default) > 1:
        fail("lookup() takes 2 or 3 arguments")
    m = as_map(m)
    if isinstance(key, Unknown):
        raise Refuse(derive(key, f"lookup() key not known statically ({key.reason})"))
    key = as_str(key, "key")
    if key in m:
        return m[key]
    if default:
        return default[0]
    fail(f"lookup(): no key {key!r} and no default")


def _merge(*maps):
    # functions/merge: later arguments win; null arguments are skipped
    out: dict = {}
    for m in maps:
        if m is None:
            continue
        if isinstance(m, Unknown):
            raise Refuse(derive(m, f"merge() depends on a value not known statically ({m.reason})"))
        if not isinstance(m, dict):
            fail(f"merge() arguments must be maps or objects, got {type_name(m)}")
        out.update(m)
    produce(len(out), "merge()")
    return out


def _coalesce(*args):
    for a in args:
        if isinstance(a, Unknown):
            raise Refuse(derive(a, f"coalesce() depends on a value not known statically ({a.reason})"))
        if a is not None and a != "":
            return a
    fail("coalesce(): no non-null, non-empty argument")


def _coalescelist(*lists):
    for a in lists:
        if isinstance(a, Unknown):
            raise Refuse(derive(a, f"coalescelist() depends on a value not known statically ({a.reason})"))
        if not isinstance(a, list):
            fail("coalescelist() arguments must be lists")
        if a:
            return a
    fail("coalescelist(): no non-empty list")


def _concat(*lists):
    out: list = []
    for x in lists:
        out.extend(as_list(x))
        produce(len(x), "concat()")
    return out


def _compact(v):
    lst = as_list(v)
    out = []
    for x in lst:
        if isinstance(x, Unknown):
            raise Refuse(derive(x, f"compact() depends on a value not known statically ({x.reason})"))
        if x is None or x == "":
            continue
        out.append(as_str(x, "element"))
    return out


def _distinct(v):
    lst = known(as_list(v), "distinct")
    seen: dict = {}
    for x in lst:
        seen.setdefault(_canon(x), x)
    return list(seen.values())


def _is_text(u: Unknown) -> bool:
    """An Unknown known to be a string (a JSON document with unknown leaves, a template with a known start
    or end): flatten() keeps it as one element, as Terraform keeps an unknown string in a list."""
    return isinstance(u, PartialJSON) or bool(u.prefix or u.suffix)


def _flatten(v):
    out: list = []

    def walk(x: list, depth: int) -> None:
        if depth > 100:
            unknown(f"flatten() nesting {LIMIT}")
        for e in x:
            if isinstance(e, Unknown) and not _is_text(e):
                raise Refuse(derive(e, f"flatten() depends on a value not known statically ({e.reason})"))
            if isinstance(e, list):
                walk(e, depth + 1)
            else:
                out.append(e)
                produce(1, "flatten()")
    walk(as_list(v), 0)
    return out


def _reverse(v):
    return list(reversed(as_list(v)))


def _slice(v, start, end):
    lst, a, b = as_list(v), as_int(start, "start index"), as_int(end, "end index")
    if a < 0 or b > len(lst) or a > b:
        fail("slice(): index out of range")
    return lst[a:b]


def _chunklist(v, size):
    lst, n = as_list(v), as_int(size, "size")
    if n < 0:
        fail("chunklist() size must not be negative")
    if n == 0:
        return [lst]
    return [lst[i:i + n] for i in range(0, len(lst), n)]


def _zipmap(ks, vs):
    ks, vs = as_list(ks), as_list(vs)
    if len(ks) != len(vs):
        fail("zipmap(): lists of different lengths")
    keys = [as_str(known(k, "zipmap"), "key") for k in ks]
    return dict(zip(keys, vs))


def _matchkeys(values, keys, search):
    values, keys, search = as_list(values), as_list(keys), known(as_list(search), "matchkeys")
    if len(values) != len(keys):
        fail("matchkeys(): values and keys have different lengths")
    out = []
    for v, k in zip(values, keys):
        k = known(k, "matchkeys")
        if any(equal(k, s) for s in search):
            out.append(v)
    return out


def _transpose(m):
    m = known(as_map(m), "transpose")
    out: dict[str, list] = {}
    for k in sorted(m):
        for v in as_list(m[k]):
            out.setdefault(as_str(v, "element"), []).append(k)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _toset(v):
    return make_set(as_list(v) if not isinstance(v, dict) else fail("toset() needs a list"), "toset")


def _tolist(v):
    if isinstance(v, dict):
        fail("tolist() of a map")
    lst = as_list(v)
    prims = [x for x in lst if not isinstance(x, (list, dict, Unknown)) and x is not None]
    if {type_name(x) for x in prims} >= {"string"} and len({type_name(x) for x in prims}) > 1:
        return [as_str(x) if x is not None and not isinstance(x, (list, dict, Unknown)) else x for x in lst]
    return list(lst)


def _tomap(v):
    m = as_map(v)
    prims = [x for x in m.values() if not isinstance(x, (list, dict, Unknown)) and x is not None]
    kinds = {type_name(x) for x in prims}
    if "string" in kinds and len(kinds) > 1:
        return {k: as_str(x) if x is not None and not isinstance(x, (list, dict, Unknown)) else x
                for k, x in m.items()}
    return dict(m)


def _setunion(*sets):
    if not sets:
        fail("setunion() needs at least one set")
    return make_set([x for s in sets for x in as_list(s)], "setunion")


def _setintersection(first, *rest):
    base = make_set(as_list(first), "setintersection")
    others = [{_canon(x) for x in make_set(as_list(s), "setintersection")} for s in rest]
    return [x for x in base if all(_canon(x) in o for o in others)]


def _setsubtract(a, b):
    base = make_set(as_list(a), "setsubtract")
    drop = {_canon(x) for x in make_set(as_list(b), "setsubtract")}
    return [x for x in base if _canon(x) not in drop]


def _setproduct(*sets):
    if len(sets) < 2:
        fail("setproduct() needs at least two sets")
    lists = [as_list(s) for s in sets]
    total = 1
    for lst in lists:
        total *= len(lst)
        if total > BUDGET.max_elements:
            unknown(f"setproduct() of {total}+ combinations {LIMIT}")
    produce(total * len(lists), "setproduct()")
    out: list = [[]]
    for lst in lists:
        out = [prev + [x] for prev in out for x in lst]
    return out


def _sort(v):
    # functions/sort: lexicographic on strings; numbers are converted to strings first
    lst = known(as_list(v), "sort")
    strs = []
    for x in lst:
        if isinstance(x, (list, dict)) or x is None:
            fail("sort() needs a list of strings")
        strs.append(as_str(x))
    return sorted(strs)


def _sum(v):
    lst = known(as_list(v), "sum")
    if not lst:
        fail("sum() of an empty list")
    total: int | float = 0
    for x in lst:
        total = num_ok(total + to_num(x, "sum() element"))
    return total


def _all_or_any(v, decisive: bool, name: str) -> bool:
    """alltrue (decisive False) / anytrue (decisive True): a decisive known element decides even beside
    unknown ones; otherwise an unknown element makes the result unknown."""
    pending = None
    for x in as_list(v):
        b = bool_or_unknown(x, f"{name}() element")
        if b is decisive:
            return decisive
        if isinstance(b, Unknown) and pending is None:
            pending = b
    if pending is not None:
        raise Refuse(derive(pending, f"{name}() depends on a value not known statically ({pending.reason})"))
    return not decisive


def _alltrue(v):
    return _all_or_any(v, False, "alltrue")


def _anytrue(v):
    return _all_or_any(v, True, "anytrue")


def _range(*a):
    # functions/range: start defaults to 0, step to 1 or -1; Terraform stops with an error past 1024 numbers
    arity("range", a, 1, 3)
    nums = [to_num(x, "range() argument") for x in a]
    if len(nums) == 1:
        start, limit, step = 0, nums[0], None
    else:
        start, limit = nums[0], nums[1]
        step = nums[2] if len(nums) == 3 else None
    if step is None:
        step = 1 if limit >= start else -1
    if step == 0:
        fail("range() step must not be zero")
    if (step > 0 and limit < start) or (step < 0 and limit > start):
        fail("range() step goes the wrong way")
    count = math.ceil((limit - start) / step)
    if count > MAX_RANGE:
        fail(f"range() of more than {MAX_RANGE} numbers (Terraform's limit)")
    out = []
    x = start
    while (x < limit) if step > 0 else (x > limit):
        out.append(num_ok(x))
        x += step
        if len(out) > MAX_RANGE:
            fail(f"range() of more than {MAX_RANGE} numbers (Terraform's limit)")
    produce(len(out), "range()")
    return out


# ---- numbers -----------------------------------------------------------------------------------------------

def _numbers(name: str, args: tuple) -> list:
    if not args:
        fail(f"{name}() needs at least one number")
    return [to_num(x, f"{name}() argument") for x in args]


def _min(*a):
    return min(_numbers("min", a))


def _max(*a):
    return max(_numbers("max", a))


def _abs(x):
    return abs(to_num(x))


def _floor(x):
    return num_ok(math.floor(to_num(x)))


def _ceil(x):
    return num_ok(math.ceil(to_num(x)))


def _signum(x):
    n = to_num(x)
    return (n > 0) - (n < 0)


def _log(x, base):
    x, b = to_num(x), to_num(base)
    if x <= 0 or b <= 0 or b == 1:
        unknown("log() of these numbers is not a finite number")
    return num_ok(math.log(x) / math.log(b))


def _pow(x, y):
    x, y = to_num(x), to_num(y)
    if isinstance(x, int) and isinstance(y, int) and y >= 0:
        if x not in (0, 1, -1) and y * max(1, abs(x).bit_length()) > MAX_INT_BITS:
            unknown(f"pow() result {LIMIT}")
        return x ** y
    try:
        return num_ok(math.pow(x, y))
    except (OverflowError, ValueError):
        unknown("pow() result is not a finite number")


def _parseint(s, base):
    s, b = as_str(s), as_int(base, "base")
    if not 2 <= b <= 62:
        fail("parseint() base must be between 2 and 62")
    if len(s) > MAX_NUMBER_TEXT:
        unknown(f"parseint() of a string of more than {MAX_NUMBER_TEXT} characters {LIMIT}")
    digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if b > 36:
        neg = s.startswith("-")
        body = s[1:] if s[:1] in "+-" else s
        if not body:
            fail("parseint(): not a number")
        n = 0
        for ch in body:
            d = digits.find(ch)
            if d < 0 or d >= b:
                fail(f"parseint(): {s!r} is not a base-{b} number")
            n = n * b + d
        return num_ok(-n if neg else n)
    body = s[1:] if s[:1] in "+-" else s
    if not body or any(digits.find(ch.lower()) < 0 or digits.find(ch.lower()) >= b for ch in body):
        fail(f"parseint(): {s!r} is not a base-{b} number")
    return num_ok(int(s, b))


# ---- type conversions ---------------------------------------------------------------------------------------

def _tostring(v):
    if v is None:
        return None
    if isinstance(v, (list, dict)):
        fail("tostring() of a collection")
    return as_str(v)


def _tonumber(v):
    if v is None:
        return None
    if isinstance(v, bool) or isinstance(v, (list, dict)):
        fail(f"tonumber() of a {type_name(v)}")
    return to_num(v)


def _tobool(v):
    if v is None:
        return None
    return as_bool(v, "tobool() argument")


# ---- JSON and YAML -------------------------------------------------------------------------------------------

_JSON_ESC = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_str(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESC[m.group(0)], out)


def _encode_parts(v: Any, parts: list, size: list, depth: int = 0) -> None:
    if depth > 200:
        unknown(f"jsonencode() nesting {LIMIT}")
    if isinstance(v, Unknown):
        parts.append(v)
        return
    if isinstance(v, dict):
        parts.append("{")
        for i, k in enumerate(sorted(v)):
            if i:
                parts.append(",")
            parts.append(_json_str(k) + ":")
            _encode_parts(v[k], parts, size, depth + 1)
        parts.append("}")
    elif isinstance(v, list):
        parts.append("[")
        for i, x in enumerate(v):
            if i:
                parts.append(",")
            _encode_parts(x, parts, size, depth + 1)
        parts.append("]")
    elif v is None:
        parts.append("null")
    elif isinstance(v, bool):
        parts.append("true" if v else "false")
    elif is_num(v):
        parts.append(num_str(num_ok(v)))
    elif isinstance(v, str):
        parts.append(_json_str(v))
    else:
        unknown(f"jsonencode() of a {type(v).__name__}")
    size[0] += len(parts[-1]) if isinstance(parts[-1], str) else 0
    check_len(size[0], "jsonencode() result")


def _encode_json(v: Any) -> str:
    parts: list = []
    _encode_parts(v, parts, [0])
    u = next((p for p in parts if isinstance(p, Unknown)), None)
    if u is not None:
        raise Refuse(derive(u, f"the value depends on a value not known statically ({u.reason})"))
    return "".join(parts)


def merge_text(parts: list) -> list:
    """Encoded JSON pieces with adjacent known strings joined: the `parts` of a PartialJSON."""
    merged: list = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


def _jsonencode(v):
    # functions/jsonencode: keys sorted, <>& escaped as \u003c \u003e \u0026; numbers without exponent
    parts: list = []
    _encode_parts(v, parts, [0])
    merged = merge_text(parts)
    leaves = [p for p in merged if isinstance(p, Unknown)]
    if not leaves:
        return "".join(merged)
    first = leaves[0]
    if isinstance(first, TFError):
        raise Refuse(first)
    return PartialJSON(f"jsonencode() depends on a value not known statically ({first.reason})",
                       refs_of(*leaves), merged, v)


def _json_int(s: str):
    if len(s) > MAX_NUMBER_TEXT:
        unknown(f"a JSON number of more than {MAX_NUMBER_TEXT} digits {LIMIT}")
    return num_ok(int(s))


def _json_float(s: str):
    if len(s) > MAX_NUMBER_TEXT:
        unknown(f"a JSON number of more than {MAX_NUMBER_TEXT} digits {LIMIT}")
    return num_ok(float(s))


def _json_const(s: str):
    fail(f"jsondecode(): {s} is not JSON")


def _jsondecode(s):
    if isinstance(s, PartialJSON):
        return s.value
    s = as_str(s)
    try:
        v = json.loads(s, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_const)
    except RecursionError:
        unknown(f"jsondecode() nesting {LIMIT}")
    except ValueError as e:
        fail(f"jsondecode(): invalid JSON ({str(e)[:60]})")
    produce(_count(v), "jsondecode()")
    return v


def _count(v: Any) -> int:
    n = 0
    stack = [v]
    while stack:
        x = stack.pop()
        n += 1
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return n


def _yamldecode(s):
    # functions/yamldecode: one document; timestamps stay strings; anchors are bounded by expanded size
    import yaml
    s = as_str(s)

    class Loader(yaml.SafeLoader):
        pass
    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda ld, node: ld.construct_scalar(node))
    Loader.add_constructor("tag:yaml.org,2002:binary", lambda ld, node: ld.construct_scalar(node))
    try:
        node = yaml.compose(s, Loader=Loader)
    except RecursionError:
        unknown(f"yamldecode() nesting {LIMIT}")
    except yaml.YAMLError as e:
        fail(f"yamldecode(): invalid YAML ({str(e)[:60]})")
    if node is None:
        return None
    sizes: dict[int, int] = {}

    def size(nd, depth=0) -> int:
        if id(nd) in sizes:
            return sizes[id(nd)]
        if depth > 200:
            unknown(f"yamldecode() nesting {LIMIT}")
        sizes[id(nd)] = 1  # cycles count once; construction refuses them below
        if isinstance(nd, yaml.SequenceNode):
            t = 1 + sum(size(c, depth + 1) for c in nd.value)
        elif isinstance(nd, yaml.MappingNode):
            t = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in nd.value)
        else:
            t = 1
        sizes[id(nd)] = t
        return t
    total = size(node)
    if total > BUDGET.max_elements - BUDGET.elements:
        unknown(f"yamldecode() of {total} values {LIMIT}")
    try:
        data = Loader(s).get_single_data()
    except RecursionError:
        unknown(f"yamldecode() nesting {LIMIT}")
    except (yaml.YAMLError, ValueError, TypeError) as e:
        fail(f"yamldecode(): invalid YAML ({str(e)[:60]})")
    produce(total, "yamldecode()")
    return _yaml_value(data, 0, set())


def _yaml_value(v: Any, depth: int, active: set) -> Any:
    if depth > 200:
        unknown(f"yamldecode() nesting {LIMIT}")
    if isinstance(v, (dict, list)):
        if id(v) in active:
            fail("yamldecode(): a recursive alias")
        active = active | {id(v)}
    if isinstance(v, dict):
        return {as_str(k, "key") if k is not None else "null": _yaml_value(x, depth + 1, active)
                for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_yaml_value(x, depth + 1, active) for x in v]
    if isinstance(v, set):
        return [_yaml_value(x, depth + 1, active) for x in sorted(v, key=str)]
    if isinstance(v, float):
        return num_ok(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return num_ok(v)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v


# ---- encoding and hashing -----------------------------------------------------------------------------------

def _b64decode(s):
    s = as_str(s)
    try:
        raw = base64.b64decode(s, validate=True)
        return raw.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        fail("base64decode(): not base64-encoded UTF-8")


def _urlencode(s):
    # functions/urlencode: Go's url.QueryEscape (space becomes +)
    return urllib.parse.quote_plus(as_str(s), safe="-_.~")


def _hash(algo: str, b64: bool = False) -> Callable:
    def fn(s):
        d = hashlib.new(algo, as_str(s).encode("utf-8"))
        return base64.b64encode(d.digest()).decode() if b64 else d.hexdigest()
    fn.__name__ = ("base64" if b64 else "") + algo
    return fn


# ---- IP networks (functions/cidrsubnet etc.) ---------------------------------------------------------------

def _net(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    s = as_str(prefix, "prefix")
    try:
        return ipaddress.ip_network(s, strict=False)
    except ValueError:
        fail(f"invalid CIDR address {s[:50]!r}")
    raise AssertionError


def _cidrsubnet(prefix, newbits, netnum):
    net = _net(prefix)
    nb, num = as_int(newbits, "newbits"), as_int(netnum, "netnum")
    new_len = net.prefixlen + nb
    if nb < 0 or new_len > net.max_prefixlen:
        fail("cidrsubnet(): not enough remaining address space for the new bits")
    if num < 0 or num >= (1 << nb):
        fail(f"cidrsubnet(): netnum {num} does not fit in {nb} bits")
    base = int(net.network_address) + (num << (net.max_prefixlen - new_len))
    return f"{ipaddress.ip_address(base) if net.version == 6 else ipaddress.IPv4Address(base)}/{new_len}"


def _cidrhost(prefix, hostnum):
    net = _net(prefix)
    n = as_int(hostnum, "hostnum")
    size = net.num_addresses
    if n < 0:
        n += size  # functions/cidrhost: negative numbers count back from the end
    if not 0 <= n < size:
        fail("cidrhost(): host number out of range")
    addr = int(net.network_address) + n
    return str(ipaddress.IPv4Address(addr) if net.version == 4 else ipaddress.IPv6Address(addr))


def _cidrnetmask(prefix):
    net = _net(prefix)
    if net.version != 4:
        fail("cidrnetmask() only supports IPv4")
    return str(net.netmask)


def _cidrsubnets(prefix, *newbits):
    net = _net(prefix)
    out = []
    cur = int(net.network_address)
    end = int(net.network_address) + net.num_addresses
    produce(len(newbits), "cidrsubnets()")
    for nb in newbits:
        nb = as_int(nb, "newbits")
        new_len = net.prefixlen + nb
        if nb < 1 or new_len > net.max_prefixlen:
            fail("cidrsubnets(): invalid new bits")
        block = 1 << (net.max_prefixlen - new_len)
        cur = (cur + block - 1) // block * block  # align to the block size
        if cur + block > end:
            fail("cidrsubnets(): not enough address space")
        addr = ipaddress.IPv4Address(cur) if net.version == 4 else ipaddress.IPv6Address(cur)
        out.append(f"{addr}/{new_len}")
        cur += block
    return out


# ---- paths ------------------------------------------------------------------------------------------------

def _basename(p):
    p = as_str(p, "path")
    if p == "":
        return "."
    s = p.rstrip("/")
    return "/" if s == "" else s.rsplit("/", 1)[-1]


def _dirname(p):
    p = as_str(p, "path")
    return os.path.dirname(p) or "." if "/" in p else "."


def _not_static(name: str, why: str) -> Callable:
    def fn(*args):
        raise Refuse(Unknown(f"{name}() is not evaluated statically ({why})", refs_of(*args)))
    fn.__name__ = name
    return fn


# ---- the table ------------------------------------------------------------------------------------------------

FUNCTIONS: dict[str, Callable] = {
    # strings
    "upper": strict(_upper), "lower": strict(_lower), "title": strict(_title), "strrev": strict(_strrev),
    "chomp": strict(_chomp), "trimspace": strict(_trimspace), "trim": strict(_trim),
    "trimprefix": strict(_trimprefix), "trimsuffix": strict(_trimsuffix),
    "startswith": strict(_startswith), "endswith": strict(_endswith), "strcontains": strict(_strcontains),
    "substr": strict(_substr), "indent": strict(_indent), "split": strict(_split), "join": shallow(_join),
    "replace": strict(_replace), "format": strict(_format), "formatlist": strict(_formatlist),
    "regex": strict(_regex), "regexall": strict(_regexall),
    # collections
    "length": shallow(_length), "one": shallow(_one), "contains": shallow(_contains), "index": shallow(_index),
    "element": shallow(_element), "keys": shallow(_keys), "values": shallow(_values), "lookup": shallow(_lookup),
    "merge": _merge, "coalesce": _coalesce, "coalescelist": _coalescelist, "concat": shallow(_concat),
    "compact": shallow(_compact), "distinct": shallow(_distinct), "flatten": shallow(_flatten),
    "reverse": shallow(_reverse), "slice": shallow(_slice), "chunklist": shallow(_chunklist),
    "zipmap": shallow(_zipmap), "matchkeys": shallow(_matchkeys), "transpose": strict(_transpose),
    "toset": shallow(_toset), "tolist": shallow(_tolist), "tomap": shallow(_tomap),
    "setunion": shallow(_setunion), "setintersection": shallow(_setintersection),
    "setsubtract": shallow(_setsubtract), "setproduct": shallow(_setproduct), "sort": shallow(_sort),
    "sum": shallow(_sum), "alltrue": shallow(_alltrue), "anytrue": shallow(_anytrue), "range": strict(_range),
    # numbers
    "min": strict(_min), "max": strict(_max), "abs": strict(_abs), "floor": strict(_floor),
    "ceil": strict(_ceil), "signum": strict(_signum), "log": strict(_log), "pow": strict(_pow),
    "parseint": strict(_parseint),
    # conversions
    "tostring": strict(_tostring), "tonumber": strict(_tonumber), "tobool": strict(_tobool),
    "nonsensitive": lambda v: v,
    # encoding
    "jsonencode": _jsonencode, "jsondecode": _jsondecode, "yamldecode": strict(_yamldecode),
    "base64encode": strict(lambda s: base64.b64encode(as_str(s).encode()).decode()),
    "base64decode": strict(_b64decode), "urlencode": strict(_urlencode),
    "md5": strict(_hash("md5")), "sha1": strict(_hash("sha1")), "sha256": strict(_hash("sha256")),
    "sha512": strict(_hash("sha512")), "base64sha256": strict(_hash("sha256", True)),
    "base64sha512": strict(_hash("sha512", True)),
    # networks
    "cidrsubnet": strict(_cidrsubnet), "cidrhost": strict(_cidrhost), "cidrnetmask": strict(_cidrnetmask),
    "cidrsubnets": strict(_cidrsubnets),
    # paths
    "basename": strict(_basename), "dirname": strict(_dirname),
    "abspath": _not_static("abspath", "it depends on the machine's directories"),
    "pathexpand": _not_static("pathexpand", "it depends on the machine's home directory"),
    # not static
    "uuid": _not_static("uuid", "a new random value on every run"),
    "uuidv5": strict(lambda ns, name: _uuidv5(ns, name)),
    "timestamp": _not_static("timestamp", "the time of the run"),
    "plantimestamp": _not_static("plantimestamp", "the time of the plan"),
    "bcrypt": _not_static("bcrypt", "a random salt on every run"),
    "timeadd": _not_static("timeadd", "time arithmetic is not evaluated"),
    "formatdate": _not_static("formatdate", "date formatting is not evaluated"),
}


def _uuidv5(ns, name):
    import uuid
    spaces = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL, "oid": uuid.NAMESPACE_OID,
              "x500": uuid.NAMESPACE_X500}
    ns, name = as_str(ns), as_str(name)
    try:
        space = spaces.get(ns) or uuid.UUID(ns)
    except ValueError:
        fail("uuidv5(): invalid namespace")
    return str(uuid.uuid5(space, name))


# ---- a policy operator on the known text of a partial JSON document -----------------------------------------

_PROBE_TOKEN = re.compile(r"[A-Za-z0-9:_*.\-/]+")


def decide_partial_json(op: str, value: Any, doc: PartialJSON, apply: Callable[[str, Any, Any], bool],
                        max_texts: int = 400) -> bool | None:
    """The operator's answer on `doc`'s JSON text when every probe substituted for the unknown leaves
    gives the same answer, else None.

    Probes are JSON values an unknown leaf plausibly has: null, numbers, bools, "", "*", ["*"], {} and each
    word of the policy's own value (a pattern's literals, e.g. "Deny", "aws:SecureTransport"), as a
    string and as a one-element list; a leaf with a known start only gets strings with that start. All
    leaves get the same probe, then (for up to 8 leaves) each leaf alone gets each probe while the others
    are null. This is a heuristic, not a proof: a verdict that only a value outside the probes would flip
    is decided; callers should use it only for text operators (regex_match, contains, ...).
    """
    words: list[str] = []
    for v in (value if isinstance(value, list) else [value]):
        if isinstance(v, str):
            words.extend(_PROBE_TOKEN.findall(v.replace("\\", "")))
    words = list(dict.fromkeys(w for w in words if len(w) <= 64))[:40]
    generic = ["null", "0", "1", "true", "false", '""', '"*"', '["*"]', "{}", "[]", '"x"', '"true"', '"false"']
    for w in words:
        generic += [_json_str(w), "[" + _json_str(w) + "]"]
    leaves = [p for p in doc.parts if isinstance(p, Unknown)]

    def probes(u: Unknown) -> list[str]:
        if u.prefix:
            return [_json_str(u.prefix + t) for t in ("", "*", "x", "/*")] + \
                   [_json_str(u.prefix + w) for w in words]
        return generic

    def render(choice: dict[int, str], default: str | None) -> str:
        out = []
        k = 0
        for p in doc.parts:
            if isinstance(p, str):
                out.append(p)
            else:
                out.append(choice.get(k, default if default is not None else probes(p)[0]))
                k += 1
        return "".join(out)

    texts: list[str] = []
    common = set.intersection(*[set(probes(u)) for u in leaves]) if leaves else set()
    for pr in generic:
        if pr in common:
            texts.append(render({i: pr for i in range(len(leaves))}, None))
    if len(leaves) <= 8:
        for i, u in enumerate(leaves):
            for pr in probes(u):
                texts.append(render({i: pr}, None))
    answer = None
    for t in texts[:max_texts]:
        try:
            r = apply(op, t, value)
        except Exception:  # noqa: BLE001 - an operator that cannot judge the text decides nothing
            return None
        if answer is None:
            answer = r
        elif r != answer:
            return None
    return answer


_STRUCTURAL_KEYS = {"Statement"}


def structural_leaves(doc: PartialJSON) -> bool:
    """True when an unknown leaf of `doc` stands where whole policy statements go: the document itself, a
    top-level member, the `Statement` value or one of its elements. Such a leaf may hold any statement, so
    no probe can stand for it; a leaf elsewhere (an ARN in `Resource`, a condition value) only changes the
    value of a key the surrounding text names. Scans the known text with a small JSON tokenizer."""
    stack: list[list] = []  # [container "{" or "[", key of this container in its parent, current key]
    for part in doc.parts:
        if not isinstance(part, str):
            keys = [frame[1] for frame in stack] + [stack[-1][2] if stack and stack[-1][0] == "{" else None]
            keys = [k for k in keys if k is not None]
            if len(stack) <= 1 or (keys and keys[-1] in _STRUCTURAL_KEYS):
                return True
            if stack and stack[-1][0] == "[" and stack[-1][1] in _STRUCTURAL_KEYS:
                return True
            continue
        i, n = 0, len(part)
        while i < n:
            c = part[i]
            if c == '"':
                j = i + 1
                while j < n and part[j] != '"':
                    j += 2 if part[j] == "\\" else 1
                s = part[i + 1:j]
                i = j + 1
                k = i
                while k < n and part[k] in " \t\r\n":
                    k += 1
                if k < n and part[k] == ":" and stack and stack[-1][0] == "{":
                    stack[-1][2] = s
                    i = k + 1
                continue
            if c in "{[":
                parent_key = (stack[-1][2] if stack[-1][0] == "{" else stack[-1][1]) if stack else None
                stack.append([c, parent_key, None])
            elif c in "}]":
                if stack:
                    stack.pop()
            i += 1
    return False
