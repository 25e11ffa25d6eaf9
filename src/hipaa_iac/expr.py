"""Expression AST for HCL/Terraform expressions.

Both front ends (tree-sitter and python-hcl2) produce these nodes; resolve.evaluate gives them values.
Nodes are small immutable-by-convention objects with __slots__.
"""
from __future__ import annotations

from typing import Any


class Node:
    __slots__ = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{s}={getattr(self, s)!r}" for s in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(
            getattr(self, s) == getattr(other, s) for s in self.__slots__)

    def __hash__(self) -> int:
        return hash(type(self).__name__)


class Lit(Node):
    """A literal: str, int, float, bool or None."""
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class Template(Node):
    """A quoted string or heredoc with interpolations: parts are str or Node.
    `directives` is True when it holds %{ } directives (which we do not evaluate)."""
    __slots__ = ("parts", "directives")

    def __init__(self, parts: list, directives: bool = False):
        self.parts = parts
        self.directives = directives


class Var(Node):
    """A bare identifier at the root of a traversal: var, local, module, aws_s3_bucket, each, ..."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class Traversal(Node):
    """base followed by steps: ("attr", name) | ("index", Node) | ("splat",) | ("legacy_splat",)."""
    __slots__ = ("base", "steps")

    def __init__(self, base: Node, steps: list):
        self.base = base
        self.steps = steps


class Call(Node):
    __slots__ = ("name", "args", "expand")

    def __init__(self, name: str, args: list, expand: bool = False):
        self.name = name
        self.args = args
        self.expand = expand


class Cond(Node):
    __slots__ = ("cond", "then", "other")

    def __init__(self, cond: Node, then: Node, other: Node):
        self.cond = cond
        self.then = then
        self.other = other


class BinOp(Node):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node):
        self.op = op
        self.left = left
        self.right = right


class UnaryOp(Node):
    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Node):
        self.op = op
        self.operand = operand


class TupleExpr(Node):
    __slots__ = ("items",)

    def __init__(self, items: list):
        self.items = items


class ObjectExpr(Node):
    """items: list of (key_node, value_node); a bare identifier key is Lit(name)."""
    __slots__ = ("items",)

    def __init__(self, items: list):
        self.items = items


class ForExpr(Node):
    __slots__ = ("is_object", "key_var", "val_var", "coll", "key", "value", "cond", "group")

    def __init__(self, is_object: bool, key_var: str | None, val_var: str, coll: Node,
                 key: Node | None, value: Node, cond: Node | None, group: bool):
        self.is_object = is_object
        self.key_var = key_var
        self.val_var = val_var
        self.coll = coll
        self.key = key
        self.value = value
        self.cond = cond
        self.group = group


class Invalid(Node):
    """An expression the front end could not read (kept so its value is Unknown, never guessed)."""
    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


def traversal_text(node: Node) -> str | None:
    """`var.a.b[0]` for a static traversal rooted at a Var, else None."""
    if isinstance(node, Var):
        return node.name
    if not isinstance(node, Traversal) or not isinstance(node.base, Var):
        return None
    out = node.base.name
    for step in node.steps:
        if step[0] == "attr":
            out += "." + step[1]
        elif step[0] == "index" and isinstance(step[1], Lit):
            v = step[1].value
            out += f'["{v}"]' if isinstance(v, str) else f"[{v}]"
        elif step[0] in ("splat", "legacy_splat"):
            out += "[*]"
        else:
            out += "[?]"
    return out
