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

Layout: `core` (limits, errors, budget, call protocol), `values` (numbers, conversions, equality, sets), one
module per family (`strings`, `regex`, `collection`, `numeric`, `encoding`, `network`) and `partial_json`
(policy operators on partially known JSON); this module holds the table and the names callers import.
"""
from __future__ import annotations

import base64
from typing import Callable

from ...model import SENSITIVE_MARK
from .core import (Budget, EXTRA_READS, LIMIT, MAX_CHARS, MAX_ELEMENTS, MAX_FILE, MAX_INT_BITS, MAX_NUMBER_TEXT,
                   MAX_RANGE, MAX_REGEX_INPUT, MAX_STRING, PartialJSON, Refuse, TFError, arity, check_len, derive, fail,
                   produce, refs_of, result_str, shallow, strict, unknown)
from .values import _NUM_RE  # noqa: F401  (tests read functions._NUM_RE)
from .values import (as_bool, as_int, as_list, as_map, as_str, bool_or_unknown, equal, is_num, known, make_set, num_ok,
                     num_str, parse_number, to_num, to_str, type_name)
from .regex import _regex, _regexall, check_regex_input, compile_re2
from .encoding import _b64decode, _hash, _jsondecode, _jsonencode, _urlencode, _yamldecode, merge_text
from .strings import (_chomp, _endswith, _format, _formatlist, _indent, _join, _lower, _replace, _split, _startswith,
                      _strcontains, _strrev, _substr, _title, _trim, _trimprefix, _trimspace, _trimsuffix, _upper,
                      graphemes)
from .collection import (_alltrue, _anytrue, _chunklist, _coalesce, _coalescelist, _compact, _concat, _contains,
                         _distinct, _element, _flatten, _index, _keys, _length, _lookup, _matchkeys, _merge, _one,
                         _range, _reverse, _setintersection, _setproduct, _setsubtract, _setunion, _slice, _sort, _sum,
                         _tolist, _tomap, _toset, _transpose, _values, _zipmap)
from .numeric import _abs, _ceil, _floor, _log, _max, _min, _parseint, _pow, _signum, _tobool, _tonumber, _tostring
from .network import _basename, _cidrhost, _cidrnetmask, _cidrsubnet, _cidrsubnets, _dirname, _not_static, _uuidv5
from .partial_json import decide_partial_json, structural_leaves

__all__ = ["Budget", "EXTRA_READS", "FUNCTIONS", "LIMIT", "MAX_CHARS", "MAX_ELEMENTS", "MAX_FILE", "MAX_INT_BITS",
           "MAX_NUMBER_TEXT", "MAX_RANGE", "MAX_REGEX_INPUT", "MAX_STRING", "PartialJSON", "Refuse", "SENSITIVE_MARK",
           "TFError", "arity", "as_bool", "as_int", "as_list", "as_map", "as_str", "bool_or_unknown", "check_len",
           "check_regex_input", "compile_re2", "decide_partial_json", "derive", "equal", "fail", "graphemes", "is_num",
           "known", "make_set", "merge_text", "num_ok", "num_str", "parse_number", "produce", "refs_of", "result_str",
           "shallow", "strict", "structural_leaves", "to_num", "to_str", "type_name", "unknown"]

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

