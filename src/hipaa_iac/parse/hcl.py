"""HCL front end on tree-sitter-hcl: source text -> Blocks with expression ASTs and line spans.

tree-sitter keeps a position for every node and keeps comments. Where it reports an ERROR node the
caller falls back to python-hcl2 (parse/hcl2_fallback.py): Terraform is the judge of valid HCL, and
tree-sitter-hcl 1.2 rejects a few things Terraform accepts (e.g. the number `1e+09`).

This module holds the entry points and their errors; the CST walk is parse/hcl_convert.py.
"""
from __future__ import annotations

import sys

from ..expr import Invalid, Node
from ..model import Attribute, Block

_PARSER = None


def _parser():
    global _PARSER
    if _PARSER is None:
        import tree_sitter
        import tree_sitter_hcl
        _PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    return _PARSER


class HCLSyntaxError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


MAX_BLOCK_DEPTH = 64  # nested blocks; real provider schemas nest fewer than 10


def _first_error(node) -> tuple[int, str] | None:
    """Line and message of the first ERROR or MISSING node, walking only where errors are."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR":
            return n.start_point[0] + 1, "syntax error near " + repr(n.text[:40].decode("utf-8", "replace"))
        if n.is_missing:
            return n.start_point[0] + 1, f"missing {n.type!r}"
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


def __getattr__(name: str):
    # the converter's names, importable from here as before (hcl_convert.py is loaded on first parse)
    if name in ("unescape", "_code_point", "_Converter", "_all_comments"):
        from . import hcl_convert
        return getattr(hcl_convert, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _last_line(src: bytes) -> int:
    """The last line that has content (an error at end of file points there, not past it)."""
    return max(1, src.rstrip(b"\r\n").count(b"\n") + 1)


def parse_hcl(src: bytes, file: str) -> list[Block]:
    """Parse HCL source into top-level Blocks. Raises HCLSyntaxError at the first syntax error."""
    from .hcl_convert import _Converter
    limit = sys.getrecursionlimit()
    tree = _parser().parse(src)
    root = tree.root_node
    if root.has_error:
        err = _first_error(root)
        line, msg = err if err else (1, "syntax error")
        raise HCLSyntaxError(min(line, _last_line(src)), msg)
    conv = _Converter(src, file, root)
    body = next((c for c in root.children if c.type == "body"), None)
    if body is None:
        return []
    sys.setrecursionlimit(max(limit, 20000))
    try:
        attrs, blocks = conv.body(body, [])
    except RecursionError:
        raise HCLSyntaxError(1, "expression nested too deeply to analyze") from None
    finally:
        sys.setrecursionlimit(limit)
    if attrs:
        first = min(a.line for a in attrs.values())
        raise HCLSyntaxError(first, "attribute outside of any block: " + next(iter(attrs)))
    return blocks


def _first_error_point(node) -> tuple[int, int]:
    """1-based (line, column) of the first ERROR or MISSING node."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n.start_point[0] + 1, n.start_point[1] + 1
        if n.has_error:
            stack.extend(reversed(n.children))
    return 1, 1


def parse_tfvars(src: bytes, file: str) -> dict[str, Attribute]:
    """A .tfvars file: top-level attributes only."""
    from .hcl_convert import _Converter
    tree = _parser().parse(src)
    root = tree.root_node
    if root.has_error:
        # a variables file holds values (often secrets): point at line and column, never quote the text
        line, col = _first_error_point(root)
        raise HCLSyntaxError(min(line, _last_line(src)), f"syntax error at line {line}, column {col} "
                             "(the text is not shown: a variables file may hold secrets)")
    body = next((c for c in root.children if c.type == "body"), None)
    if body is None:
        return {}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        attrs, blocks = _Converter(src, file).body(body, [])
    except RecursionError:
        raise HCLSyntaxError(1, "expression nested too deeply to analyze") from None
    finally:
        sys.setrecursionlimit(limit)
    if blocks:
        raise HCLSyntaxError(blocks[0].line, "blocks are not allowed in a variables file")
    return attrs


def parse_expression(text: str) -> Node:
    """Parse one expression's text (used by the python-hcl2 fallback)."""
    from .hcl_convert import _Converter
    src = ("x = " + text + "\n").encode()
    tree = _parser().parse(src)
    if tree.root_node.has_error:
        return Invalid("cannot read expression: " + text[:60])
    body = tree.root_node.children[0]
    attrs, _ = _Converter(src, "<expr>").body(body, [])
    return attrs["x"].expr if "x" in attrs else Invalid("cannot read expression: " + text[:60])
