"""Second HCL front end on python-hcl2: source text -> the same Blocks as parse/hcl.py.

Used for the files tree-sitter-hcl rejects but Terraform accepts (e.g. the number `1e+09`), and by the
test suite as an independent oracle for the tree-sitter front end. It reads python-hcl2's raw Lark parse
tree (`hcl2.parses_to_tree`), whose nodes carry line numbers and whose tokens still hold the comments,
and builds the expression AST of hipaa_iac.expr straight from that tree, so no expression passes through
tree-sitter. Heredoc bodies are one opaque token in python-hcl2's grammar: their interpolations are cut out
here and read with python-hcl2 again.

python-hcl2 is slow to import (~0.4 s, ~0.9 s with the first parse, measured here) and writes a grammar
cache into site-packages on first use: it is imported only when a file is actually read this way.

Layout: this module is the entry point; parse/hcl2_tree.py reads the raw tree, parse/hcl2_convert.py builds
the Blocks.
"""
from __future__ import annotations

import re
import sys

from ..model import Block
from .hcl import HCLSyntaxError
from .hcl2_convert import _Converter
from .hcl2_tree import _HEREDOC_RE, _comments, _match_brace, _name, _trees

__all__ = ["parse_hcl_fallback", "_match_brace"]  # _match_brace: resolve/eval_templates.py reads template text with it


def parse_hcl_fallback(src: bytes, file: str) -> list[Block]:
    """Parse HCL source with python-hcl2 into top-level Blocks (same model as parse_hcl).

    Raises HCLSyntaxError with the line python-hcl2 reports when it cannot read the file.
    """
    import hcl2  # slow import: only on fallback
    from lark.exceptions import LarkError, UnexpectedInput

    try:
        text = src.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HCLSyntaxError(src[:e.start].count(b"\n") + 1, "invalid UTF-8: " + e.reason) from None
    if text.startswith("\ufeff"):  # HCL's scanner drops a byte order mark (scanTokens: stripUTF8BOM)
        text = text[1:]
    last_line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    text = _trim_heredoc_markers(text)
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as e:
        line = e.line if isinstance(getattr(e, "line", None), int) and e.line > 0 else last_line
        raise HCLSyntaxError(min(line, last_line), "python-hcl2: " + _error_message(e)) from None
    except (LarkError, RecursionError) as e:
        raise HCLSyntaxError(last_line, f"cannot read file: {type(e).__name__}") from None

    conv = _Converter(file, _comments(tree, text), text)
    body = tree.children[0]
    blocks: list[Block] = []
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))  # as parse_hcl: the tree nests once per operator
    try:
        for c in _trees(body):
            if c.data == "attribute":
                raise HCLSyntaxError(c.meta.line, "attribute outside of any block: " + _name(c.children[0]))
            if c.data == "block":
                try:
                    blocks.append(conv.block(c))
                except RecursionError:
                    raise HCLSyntaxError(c.meta.line, "expression nested too deeply to analyze") from None
    finally:
        sys.setrecursionlimit(limit)
    return blocks


def _error_message(e) -> str:
    token = getattr(e, "token", None)
    if token is not None:
        if token.type == "$END":
            return "unexpected end of file"
        return f"unexpected {token.type} {str(token).strip()[:40]!r}"
    char = getattr(e, "char", None)
    if char is not None:
        return f"unexpected character {char!r}"
    return "unexpected end of file"


def _trim_heredoc_markers(text: str) -> str:
    """Drop spaces after a heredoc's closing marker: Terraform accepts them, python-hcl2 8.1.4 does not.

    Only lines holding nothing but one of the file's heredoc markers change, so line numbers and every
    value stay the same (such a line closes its heredoc in Terraform anyway).
    """
    markers = set(_HEREDOC_RE.findall(text))
    if not markers:
        return text
    names = "|".join(sorted({re.escape(m[1]) for m in markers}))
    return re.sub(r"^([ \t]*(?:" + names + r"))[ \t]+(\r?)$", r"\1\2", text, flags=re.M)

