"""What an expression is evaluated in (`Scope`), the steps a resolver lookup is handed (`SPLAT`, `Idx`) and
its answers (`Instances`, `Partial`), and one index/attribute step with Terraform's rules (`get_step`)."""
from __future__ import annotations

from typing import Any, Callable

from ..model import Unknown
from . import functions as F
from .functions import Budget, Refuse, TFError, derive, to_num, to_str


class Scope:
    """What names mean where an expression is evaluated.

    `lookup(root, steps)` is supplied by the module resolver for var/local/module/data/resource roots;
    `locals_` holds iteration variables (count, each, for-expression variables, dynamic iterators).
    """

    def __init__(self, lookup: Callable[[str, list, "Scope"], Any], bindings: dict | None = None,
                 collect: set | None = None, module_dir: str | None = None, root_dir: str | None = None):
        self.lookup = lookup
        self.bindings = bindings or {}
        self.collect = collect if collect is not None else set()
        self.module_dir = module_dir
        self.root_dir = root_dir

    def child(self, extra: dict) -> "Scope":
        b = dict(self.bindings)
        b.update(extra)
        return Scope(self.lookup, b, self.collect, self.module_dir, self.root_dir)


def _index_key(key: Any, what: str) -> int | Unknown:
    """A list index as Terraform converts it: a whole number, or a string holding one."""
    if isinstance(key, bool) or key is None:
        return TFError(f"{what}: a list index must be a number")
    try:
        n = to_num(key, "a list index")
    except Refuse as e:
        return e.unknown
    if isinstance(n, float):
        return TFError(f"{what}: a list index must be a whole number")
    return n


def get_step(value: Any, key: Any, what: str) -> Any:
    """value[key] / value.key with Terraform's rules; Unknown propagates."""
    if isinstance(value, Unknown):
        return value
    if isinstance(key, Unknown):
        return derive(key, f"index of {what} is not known statically ({key.reason})")
    if isinstance(value, dict):
        k = to_str(key)
        if isinstance(k, str) and k in value:
            return value[k]
        return Unknown(f"{what} has no key with that name")
    if isinstance(value, list):
        if isinstance(key, str) and not F._NUM_RE.match(key):
            if len(value) == 1 and isinstance(value[0], dict):  # a single nested block
                return get_step(value[0], key, what)
            return Unknown(f"{what} is a list, not indexable by a name")
        i = _index_key(key, what)
        if isinstance(i, Unknown):
            return i
        if 0 <= i < len(value):
            return value[i]
        return Unknown(f"{what} has no element {i}")
    if value is None:
        return Unknown(f"{what} is null")
    return Unknown(f"{what} is not a collection")


class _Splat:
    """The `[*]` step handed to a resolver lookup right after a resource's name (`aws_x.y[*].arn`)."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "SPLAT"


SPLAT = _Splat()


class Instances:
    """A resolver's answer to a SPLAT lookup: the instance keys of a counted resource (ints for count,
    strings for for_each), or [None] for a resource without count/for_each."""
    __slots__ = ("keys",)

    def __init__(self, keys: list):
        self.keys = keys


class Idx:
    """An index step `[k]` handed to a resolver lookup (attribute steps are plain strings)."""
    __slots__ = ("key",)

    def __init__(self, key: Any):
        self.key = key

    def __repr__(self) -> str:
        return f"Idx({self.key!r})"


class _Partial:
    """Returned by a resolver lookup that consumed only the first `consumed` static steps."""
    __slots__ = ("value", "consumed")

    def __init__(self, value: Any, consumed: int):
        self.value = value
        self.consumed = consumed


Partial = _Partial


def _limit_unknown(budget: Budget) -> Unknown:
    return Unknown(budget.why())
