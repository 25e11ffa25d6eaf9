"""Terraform's JSON configuration syntax (`.tf.json`, as CDK for Terraform writes it) -> Blocks.

JSON syntax cannot tell a nested block from an object attribute without the provider schema; both are
kept as object values, which the evaluator's paths read the same way (`versioning.enabled`).
Strings are templates: `"${aws_kms_key.k.arn}"` is a reference. Lines come from the key positions.
"""
from __future__ import annotations

import json
import re

from .. import safejson
from ..expr import Lit, Node, ObjectExpr, TupleExpr
from ..model import Attribute, Block
from .hcl import HCLSyntaxError, parse_expression

_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1, "locals": 0,
           "terraform": 0, "moved": 0, "import": 0, "check": 1}


class _LineFinder:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def find(self, key: str) -> int:
        m = re.compile(r'"' + re.escape(key) + r'"\s*:').search(self.text, self.pos)
        if m is None:
            return self.text.count("\n", 0, self.pos) + 1
        self.pos = m.end()
        return self.text.count("\n", 0, m.start()) + 1


def _expr(value, lf: _LineFinder | None = None) -> Node:
    if isinstance(value, str):
        if "${" in value or "%{" in value:
            return parse_expression(json.dumps(value).replace("\\u0024", "$"))
        return Lit(value)
    if isinstance(value, list):
        return TupleExpr([_expr(v) for v in value])
    if isinstance(value, dict):
        return ObjectExpr([(Lit(k), _expr(v)) for k, v in value.items()])
    return Lit(value)


def _body(obj: dict, btype: str, labels: list[str], file: str, lf: _LineFinder, line: int) -> Block:
    attrs: dict[str, Attribute] = {}
    blocks: list[Block] = []
    for k, v in obj.items():
        if k == "//":
            continue
        kline = lf.find(k)
        if btype in ("resource", "data") and k in ("lifecycle", "provisioner", "connection") and isinstance(v, dict):
            continue
        if k == "dynamic" and isinstance(v, dict):
            for label, spec in v.items():
                if isinstance(spec, dict):
                    blocks.append(_body(spec, "dynamic", [label], file, lf, kline))
            continue
        if k == "content" and btype == "dynamic" and isinstance(v, dict):
            blocks.append(_body(v, "content", [], file, lf, kline))
            continue
        attrs[k] = Attribute(k, _expr(v), kline, kline, json.dumps(v, default=str)[:200])
    return Block(btype, labels, attrs, blocks, file, line, line)


def parse_tf_json(text: str, file: str) -> list[Block]:
    try:
        return _parse_tf_json(text, file)
    except RecursionError:
        raise HCLSyntaxError(1, "JSON nested too deeply to analyze") from None


def _parse_tf_json(text: str, file: str) -> list[Block]:
    try:
        doc = safejson.loads(text)
    except (json.JSONDecodeError, safejson.NotJSON) as e:
        raise HCLSyntaxError(e.lineno or 1, f"invalid JSON: {e.msg}") from None
    if not isinstance(doc, dict):
        raise HCLSyntaxError(1, "a .tf.json file must hold a JSON object")
    lf = _LineFinder(text)
    out: list[Block] = []
    for btype, content in doc.items():
        if btype == "//":
            continue
        line = lf.find(btype)
        depth = _LABELS.get(btype, 0)
        items = content if isinstance(content, list) else [content]
        for item in items:
            if not isinstance(item, dict):
                raise HCLSyntaxError(line, f"{btype}: expected an object")
            _collect(item, btype, [], depth, file, lf, out, line)
    return out


def _collect(obj, btype, labels, depth, file, lf, out, line) -> None:
    if depth == 0:
        if isinstance(obj, list):
            for o in obj:
                _collect(o, btype, labels, 0, file, lf, out, line)
        elif isinstance(obj, dict):
            out.append(_body(obj, btype, labels, file, lf, line))
        return
    if not isinstance(obj, dict):
        raise HCLSyntaxError(line, f"{btype}: expected an object")
    for label, inner in obj.items():
        lline = lf.find(label)
        _collect(inner, btype, labels + [label], depth - 1, file, lf, out, lline)


def parse_tfvars_json(text: str, file: str) -> dict[str, Attribute]:
    try:
        doc = safejson.loads(text)
    except (json.JSONDecodeError, safejson.NotJSON) as e:
        raise HCLSyntaxError(e.lineno or 1, f"invalid JSON: {e.msg}") from None
    except RecursionError:
        raise HCLSyntaxError(1, "JSON nested too deeply to analyze") from None
    if not isinstance(doc, dict):
        raise HCLSyntaxError(1, "a .tfvars.json file must hold a JSON object")
    lf = _LineFinder(text)
    return {k: Attribute(k, Lit(v) if not isinstance(v, (list, dict)) else _expr(v), lf.find(k), lf.find(k))
            for k, v in doc.items()}
