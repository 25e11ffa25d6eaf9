"""Variable type constraints, as Terraform applies them to the value a variable receives.

Terraform (https://developer.hashicorp.com/terraform/language/expressions/type-constraints) converts every
value given to a variable (module input, tfvars, default) to the declared type before the module sees it:

- primitives convert between each other where Terraform does: `true`/`false` <-> "true"/"false",
  numbers <-> their decimal string ("15" <-> 15);
- `object({...})`: attributes not in the type are discarded; `optional(T)` attributes that are omitted become
  null, and `optional(T, default)` attributes that are omitted or null take the default (Terraform 1.3+,
  #optional-object-type-attributes); the default itself is converted, so nested optional attributes of an
  object default get their own defaults;
- `list(T)`, `set(T)`, `map(T)`, `tuple([...])` convert their elements, so `list(object({...}))` and
  `map(object({...}))` apply optional defaults to each element.

A value that does not convert (Terraform would stop with an error) is kept as given: the analysis never
invents a value. Unknown values pass through untouched.
"""
from __future__ import annotations

from typing import Any, Callable

from ..expr import Call, Lit, Node, ObjectExpr, Template, TupleExpr, Var
from ..model import Unknown

ANY = ("any",)
_PRIMITIVES = {"string", "number", "bool", "any"}
_COLLECTIONS = {"list", "set", "map"}
MAX_TYPE_DEPTH = 32


def parse_type(node: Node, eval_default: Callable[[Node], Any], depth: int = 0) -> tuple:
    """The type constraint written in a variable's `type` argument, as a small tuple tree:
    ("string",) ("number",) ("bool",) ("any",) ("list", T) ("set", T) ("map", T) ("tuple", [T...])
    ("object", {name: (T, optional, default)}). Anything unreadable is ("any",) (no conversion)."""
    if depth > MAX_TYPE_DEPTH:
        return ANY
    if isinstance(node, Var):
        if node.name in _PRIMITIVES:
            return (node.name,)
        if node.name in _COLLECTIONS:  # `list` alone means list(any)
            return (node.name, ANY)
        return ANY
    if isinstance(node, (Lit, Template)):  # .tf.json writes the type expression as a string
        text = node.value if isinstance(node, Lit) else (node.parts[0] if len(node.parts) == 1 else None)
        return _parse_type_text(text, eval_default, depth) if isinstance(text, str) else ANY
    if not isinstance(node, Call):
        return ANY
    name, args = node.name, node.args
    if name in _COLLECTIONS and len(args) == 1:
        return (name, parse_type(args[0], eval_default, depth + 1))
    if name == "tuple" and len(args) == 1 and isinstance(args[0], TupleExpr):
        return ("tuple", [parse_type(a, eval_default, depth + 1) for a in args[0].items])
    if name == "object" and len(args) == 1 and isinstance(args[0], ObjectExpr):
        attrs: dict = {}
        for k, v in args[0].items:
            key = k.value if isinstance(k, Lit) else k.name if isinstance(k, Var) else None
            if not isinstance(key, str):
                return ANY
            if isinstance(v, Call) and v.name == "optional" and v.args:
                t = parse_type(v.args[0], eval_default, depth + 1)
                default = eval_default(v.args[1]) if len(v.args) > 1 else None
                attrs[key] = (t, True, default)
            else:
                attrs[key] = (parse_type(v, eval_default, depth + 1), False, None)
        return ("object", attrs)
    return ANY


def _parse_type_text(text: str, eval_default, depth: int) -> tuple:
    text = text.strip()
    if text.startswith("${") and text.endswith("}"):  # old-style "${list(string)}"
        text = text[2:-1]
    try:
        from ..parse.hcl import parse_hcl
        blocks = parse_hcl(f"locals {{\n  t = {text}\n}}\n".encode(), "<type>")
        expr = blocks[0].attributes["t"].expr
    except Exception:  # a type the parser rejects: no conversion
        return ANY
    return parse_type(expr, eval_default, depth + 1)


# size: one branch per type constructor (primitives, list/set/tuple, map/object, optional), as Terraform converts
def convert(value: Any, t: tuple, depth: int = 0) -> Any:
    """`value` converted to type `t` as Terraform converts a variable's value (see the module docstring)."""
    if isinstance(value, Unknown) or value is None or t == ANY or depth > MAX_TYPE_DEPTH:
        return value
    kind = t[0]
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        return value
    if kind == "number":
        if isinstance(value, str) and not isinstance(value, bool):
            try:
                f = float(value)
            except ValueError:
                return value
            if f != f or f in (float("inf"), float("-inf")):
                return value
            return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f
        return value
    if kind == "bool":
        if value == "true" and isinstance(value, str):
            return True
        if value == "false" and isinstance(value, str):
            return False
        return value
    if kind in ("list", "set"):
        if isinstance(value, list):
            return [convert(x, t[1], depth + 1) for x in value]
        return value
    if kind == "map":
        if isinstance(value, dict):
            return {k: convert(v, t[1], depth + 1) for k, v in value.items()}
        return value
    if kind == "tuple":
        if isinstance(value, list) and len(value) == len(t[1]):
            return [convert(x, et, depth + 1) for x, et in zip(value, t[1])]
        return value
    if kind == "object":
        if not isinstance(value, dict):
            return value
        out: dict = {}
        for name, (at, optional, default) in t[1].items():
            v = value.get(name)
            if v is None and optional:
                # omitted or null: the default, itself converted (nested optional defaults apply to it)
                out[name] = convert(default, at, depth + 1)
            elif name in value:
                out[name] = convert(v, at, depth + 1)
            # a required attribute that is missing: Terraform rejects the value; it stays missing here
        return out
    return value
