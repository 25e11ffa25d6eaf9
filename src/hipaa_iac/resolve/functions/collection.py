"""Collection functions (functions/<name>): lists, maps, sets, sort, sum, range."""
from __future__ import annotations

import math

from ...model import Unknown, contains_unknown
from . import core
from .core import LIMIT, MAX_RANGE, PartialJSON, Refuse, arity, derive, fail, produce, unknown
from .strings import _glen
from .values import (_canon, as_int, as_list, as_map, as_str, bool_or_unknown, equal, known, make_set, num_ok, to_num,
                     type_name)

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
        if total > core.BUDGET.max_elements:
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
