"""The function library's protocol: limits, the errors and Unknowns a function raises (`TFError`,
`PartialJSON`, `Refuse`), the per-evaluation `Budget` and the strict/shallow call wrappers.

`BUDGET` is swapped in by the Evaluator for each top-level evaluation: read it as `core.BUDGET`, never
import the name.
"""
from __future__ import annotations

from typing import Any, Callable

from ...model import Unknown, contains_unknown

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
