"""`data "aws_iam_policy_document"` rendered statically: its `json` and `minified_json`, as the AWS provider
writes them (hashicorp/terraform-provider-aws internal/service/iam/policy_document_data_source.go and
policy_model.go, website/docs/d/iam_policy_document.html.markdown; read 2026-12-04). Facts used:

- document: `Version` (argument `version`, default "2012-10-17"), `Id` (`policy_id`), `Statement` (omitted
  when there is none); statements in the order written;
- statement fields in this order: Sid (omitted when empty), Effect (default "Allow"), Action, NotAction,
  Resource, NotResource, Principal, NotPrincipal, Condition; a set of strings (`actions`, `resources`,
  principal `identifiers`, ...) is written as its single element when it has one, else sorted in reverse
  order; `&{` becomes `${` (policy variables) in resources, identifiers and condition values;
- principals: a map of type -> identifiers (keys sorted); one principal `{type = "*", identifiers = ["*"]}`
  is written as `"*"`; two blocks of one type append their identifiers;
- conditions: test -> variable -> values (values keep their order; a single value is a string);
- merging: `source_policy_documents` first, in order (a Sid used twice among them is an error), then this
  document's statements, then `override_policy_documents`, in order; a statement of a later document
  replaces the earlier statement with the same Sid, a statement without Sid is appended; the later
  document's Id wins and the higher Version wins; a source statement's Action/Resource keep the form written,
  its Principal lists are sorted in reverse, condition booleans become strings;
- `json` is Go's `json.MarshalIndent(doc, "", "  ")`, `minified_json` is `json.Marshal(doc)`: keys of maps
  sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped as Go escapes them, other characters as UTF-8 (iam_json.py).

A value not known statically in a leaf of the document (Effect, an action, a resource, a principal
identifier, a condition value, the Id) leaves the text known around it: the result is a `PartialJSON`
(resolve/functions/core.py) whose unknown leaves are kept in place, so policies decide on the known parts; its
reason names the first such place. An unknown element of a set goes after the known ones (its place in
the provider's order is not known). Where the structure itself is not known (the statement blocks, a Sid,
a principal type, a condition's test or variable, a source document) the text is Unknown with the place and
the reason. The provider's errors (a duplicate Sid, an invalid JSON source) are Unknown with its reason.
"""
from __future__ import annotations

import json
from typing import Any

from ..model import Unknown, contains_unknown
from .iam_json import encode

__all__ = ["build", "encode", "render"]


class _Refused(Exception):
    """The provider would fail, or a value is not known: the document is Unknown with this reason."""

    def __init__(self, reason: str, refs: tuple = ()):
        super().__init__(reason)
        self.reason = reason
        self.refs = refs


def render(attrs: dict, minified: bool = False) -> Any:
    """The `json` (or `minified_json`) of an aws_iam_policy_document whose resolved arguments are `attrs`
    (nested blocks as lists of dicts): a str, a PartialJSON when leaves are unknown, or Unknown."""
    leaves: list = []
    try:
        doc = build(attrs, leaves)
    except _Refused as e:
        return Unknown(f"aws_iam_policy_document: {e.reason}", e.refs)
    return encode(doc, minified, leaves)


def _documents(value: Any, where: str) -> list:
    """A list of policy documents: known text, or a PartialJSON (a document known except at some leaves,
    e.g. another aws_iam_policy_document's json) kept for _parse_document; anything else unknown refuses."""
    from .functions import PartialJSON
    if value is None:
        return []
    if isinstance(value, Unknown) or not isinstance(value, list):
        return _known(value, where) if not isinstance(value, list) else value
    for i, d in enumerate(value):
        if not isinstance(d, PartialJSON):
            _known(d, f"{where}[{i}]")
    return value


def _known(value: Any, where: str) -> Any:
    u = contains_unknown(value)
    if u is not None:
        raise _Refused(f"{where} is not known statically ({u.reason})", u.refs)
    return value


def _leaf(value: Any, where: str, leaves: list) -> Any:
    """A value that may stay unknown in the text (a leaf); recorded for the reason."""
    if isinstance(value, Unknown):
        leaves.append((where, value))
    return value


def _block_list(attrs: dict, name: str, where: str) -> list:
    v = attrs.get(name)
    if v is None:
        return []
    if isinstance(v, Unknown):
        raise _Refused(f"{where}{name} is not known statically ({v.reason})", v.refs)
    if not isinstance(v, list):
        raise _Refused(f"{where}{name} is not a block")
    for b in v:
        u = getattr(b, "unknown", None)  # a dynamic block over a collection not known statically
        if isinstance(u, Unknown):
            raise _Refused(f"{where}{name} comes from a dynamic block whose for_each is not known statically "
                           f"({u.reason})", u.refs)
    return v


def _string_set(value: Any, where: str, replace_vars: bool, leaves: list) -> Any:
    """A set of strings as the provider writes it: one element -> the string, else sorted in reverse;
    unknown elements (or an unknown set) are leaves, after the known elements."""
    if isinstance(value, Unknown):
        return _leaf(value, where, leaves)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _Refused(f"{where} is not a list of strings")
    items = []
    unknown = []
    for x in value:
        if isinstance(x, Unknown):
            unknown.append(_leaf(x, where, leaves))
            continue
        x = _text(x, f"{where} holds a value that is not a string")
        if replace_vars:
            x = x.replace("&{", "${")
        if x not in items:
            items.append(x)
    if len(items) + len(unknown) == 1:
        return (items + unknown)[0]
    return sorted(items, reverse=True) + unknown


def _text(x: Any, refusal: str) -> str:
    """A primitive as the provider's string sets take it (Terraform's conversion: true -> "true", 2.0 -> "2")."""
    from .evaluate import to_str
    s = to_str(x) if isinstance(x, (bool, int, float, str)) else None
    if not isinstance(s, str):
        raise _Refused(refusal)
    return s


def _principals(blocks: list, where: str, leaves: list) -> Any:
    entries = []
    for i, b in enumerate(blocks):
        ptype = _known(b.get("type"), f"{where} {i} type")
        if not isinstance(ptype, str):
            raise _Refused(f"{where} {i} type is not set")
        entries.append((ptype, _string_set(b.get("identifiers"), f"{where} {i} identifiers", True, leaves)))
    return _principal_map(entries)


def _principal_map(entries: list) -> Any:
    if len(entries) == 1 and entries[0][0] == "*" and entries[0][1] in ("*", ["*"]):
        return "*"
    raw: dict = {}
    for ptype, ids in entries:
        prior = raw.get(ptype)
        if isinstance(ids, list):
            base = [] if prior is None else prior if isinstance(prior, list) else [prior]
            known = [x for x in ids if not isinstance(x, Unknown)]
            raw[ptype] = base + sorted(known, reverse=True) + [x for x in ids if isinstance(x, Unknown)]
        elif prior is None:
            raw[ptype] = ids
        elif isinstance(prior, list):
            raw[ptype] = prior + [ids]
        else:
            raw[ptype] = [prior, ids]
    return {k: raw[k] for k in sorted(raw)}


def _conditions(blocks: list, where: str, leaves: list) -> dict:
    entries = []
    for i, b in enumerate(blocks):
        test = _known(b.get("test"), f"{where} {i} test")
        var = _known(b.get("variable"), f"{where} {i} variable")
        values = b.get("values")
        if not isinstance(test, str) or not isinstance(var, str):
            raise _Refused(f"{where} {i}: test and variable must be strings")
        if isinstance(values, Unknown):
            entries.append((test, var, [_leaf(values, f"{where} {i} values", leaves)]))
            continue
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list):
            raise _Refused(f"{where} {i} values is not a list")
        vals = []
        for x in values:
            if isinstance(x, Unknown):
                vals.append(_leaf(x, f"{where} {i} values", leaves))
                continue
            x = _text(x, f"{where} {i} values holds a value that is not a string")
            vals.append(x.replace("&{", "${"))
        entries.append((test, var, vals))
    return _condition_map(entries)


def _condition_map(entries: list) -> dict:
    raw: dict = {}
    for test, var, vals in entries:
        raw.setdefault(test, {}).setdefault(var, []).extend(vals)
    return {t: {v: (raw[t][v][0] if len(raw[t][v]) == 1 else raw[t][v]) for v in sorted(raw[t])}
            for t in sorted(raw)}


_FIELDS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
           "Condition")


def _statement(fields: dict) -> dict:
    """Go's struct order, empty fields omitted (`omitempty`)."""
    return {k: fields[k] for k in _FIELDS if fields.get(k) not in (None, "", [], {})}


def build(attrs: dict, leaves: list | None = None) -> dict:
    leaves = [] if leaves is None else leaves
    version = _known(attrs.get("version"), "version")
    version = "2012-10-17" if version is None else version
    policy_id = _leaf(attrs.get("policy_id"), "policy_id", leaves)
    merged: dict = {"Version": "", "Id": "", "Statement": []}
    sources = _documents(attrs.get("source_policy_documents"), "source_policy_documents")
    seen: set = set()
    for i, text in enumerate(sources if isinstance(sources, list) else [sources]):
        if text is None:
            continue
        d = _parse_document(text, f"source_policy_documents[{i}]")
        for st in d["Statement"]:
            if st.get("Sid"):
                if st["Sid"] in seen:
                    raise _Refused(f"duplicate Sid ({st['Sid']}) in source_policy_documents (statement {i}): "
                                   "the provider rejects this")
                seen.add(st["Sid"])
        _merge(merged, d)
    own: dict = {"Version": version, "Id": "" if policy_id is None else policy_id, "Statement": []}
    sids: set = set()
    for i, st in enumerate(_block_list(attrs, "statement", "")):
        where = f"statement {i}"
        sid = _known(st.get("sid"), f"{where} sid") or ""
        if sid and sid in sids:
            raise _Refused(f"duplicate Sid ({sid}): the provider rejects this")
        if sid:
            sids.add(sid)
        effect = _leaf(st.get("effect"), f"{where} effect", leaves)
        fields: dict = {"Sid": sid, "Effect": "Allow" if effect is None else effect}
        for arg, key, repl in (("actions", "Action", False), ("not_actions", "NotAction", False),
                               ("resources", "Resource", True), ("not_resources", "NotResource", True)):
            if st.get(arg) is not None:
                v = _string_set(st[arg], f"{where} {arg}", repl, leaves)
                if v != []:
                    fields[key] = v
        for arg, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            blocks = _block_list(st, arg, f"{where} ")
            if blocks:
                fields[key] = _principals(blocks, f"{where} {arg}", leaves)
        blocks = _block_list(st, "condition", f"{where} ")
        if blocks:
            fields["Condition"] = _conditions(blocks, f"{where} condition", leaves)
        own["Statement"].append(_statement(fields))
    _merge(merged, own)
    overrides = _documents(attrs.get("override_policy_documents"), "override_policy_documents")
    for i, text in enumerate(overrides if isinstance(overrides, list) else [overrides]):
        if text is not None:
            _merge(merged, _parse_document(text, f"override_policy_documents[{i}]"))
    out: dict = {}
    if merged["Version"]:
        out["Version"] = merged["Version"]
    if isinstance(merged["Id"], Unknown) or merged["Id"]:
        out["Id"] = merged["Id"]
    if merged["Statement"]:
        out["Statement"] = merged["Statement"]
    return out


def _merge(into: dict, new: dict) -> None:
    if isinstance(new["Id"], Unknown) or new["Id"]:
        into["Id"] = new["Id"]
    if new["Version"] > into["Version"]:
        into["Version"] = new["Version"]
    for st in new["Statement"]:
        sid = st.get("Sid")
        if sid:
            for i, old in enumerate(into["Statement"]):
                if old.get("Sid") == sid:
                    into["Statement"][i] = st
                    break
            else:
                into["Statement"].append(st)
        else:
            into["Statement"].append(st)


def _field(obj: dict, name: str) -> Any:
    """Go's decoder matches field names without regard to case (an exact match first)."""
    if name in obj:
        return obj[name]
    low = name.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def _parse_document(text: Any, where: str) -> dict:
    """A policy JSON given as a source or override document, read as the provider reads it; a PartialJSON
    (jsonencode() or another document with unknown leaves) is read from its structure."""
    from .functions import PartialJSON
    if isinstance(text, PartialJSON) and isinstance(text.value, dict):
        data = text.value
    else:
        text = _known(text, where)
        if not isinstance(text, str):
            raise _Refused(f"{where} is not a JSON string")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise _Refused(f"{where} is not valid JSON: the provider rejects it") from None
    if not isinstance(data, dict):
        raise _Refused(f"{where} is not a JSON object: the provider rejects it")
    version = _field(data, "Version")
    pid = _field(data, "Id")
    stmts = _field(data, "Statement")
    if stmts is None:
        stmts = []
    _known(version, f"{where} Version")
    if isinstance(stmts, Unknown) or (isinstance(stmts, list) and any(isinstance(x, Unknown) for x in stmts)):
        _known(stmts if isinstance(stmts, Unknown) else next(x for x in stmts if isinstance(x, Unknown)),
               f"{where} Statement")
    if not isinstance(stmts, list) or not isinstance(version or "", str) or \
            not isinstance(pid if pid is not None else "", (str, Unknown)):
        raise _Refused(f"{where}: Statement must be a list (the provider cannot read a single statement object)")
    out = []
    for j, st in enumerate(stmts):
        if not isinstance(st, dict):
            raise _Refused(f"{where} statement {j} is not an object")
        fields = {k: _field(st, k) for k in ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource")}
        _known(fields["Sid"], f"{where} statement {j} Sid")
        for k in ("Sid", "Effect"):
            if fields[k] is not None and not isinstance(fields[k], (str, Unknown)):
                raise _Refused(f"{where} statement {j} {k} is not a string")
        for k in ("Principal", "NotPrincipal"):
            p = _field(st, k)
            if p is not None:
                fields[k] = _source_principals(p, f"{where} statement {j} {k}")
        c = _field(st, "Condition")
        if c is not None:
            fields["Condition"] = _source_conditions(c, f"{where} statement {j} Condition")
        out.append(_statement(fields))
    return {"Version": version or "", "Id": "" if pid is None else pid, "Statement": out}


def _source_principals(p: Any, where: str) -> Any:
    if isinstance(p, Unknown):
        return p
    if isinstance(p, str):
        return _principal_map([("*", ["*"])])
    if not isinstance(p, dict):
        raise _Refused(f"{where} is neither a string nor an object")
    entries = []
    for ptype, ids in p.items():  # Go reads a map in random order; the keys are sorted when written
        if isinstance(ids, (str, Unknown)):
            entries.append((ptype, ids))
        elif isinstance(ids, list) and all(isinstance(x, (str, Unknown)) for x in ids):
            entries.append((ptype, sorted(x for x in ids if isinstance(x, str)) +
                            [x for x in ids if isinstance(x, Unknown)]))
        else:
            raise _Refused(f"{where}.{ptype} must be a string or a list of strings")
    return _principal_map(entries)


def _source_conditions(c: Any, where: str) -> dict:
    if not isinstance(c, dict) or not all(isinstance(v, dict) for v in c.values()):
        raise _Refused(f"{where} must be an object of objects")
    entries = []
    for test, variables in c.items():
        for var, vals in variables.items():
            if isinstance(vals, (str, Unknown)):
                entries.append((test, var, [vals]))
            elif isinstance(vals, bool):
                entries.append((test, var, ["true" if vals else "false"]))
            elif isinstance(vals, list) and all(isinstance(x, (str, Unknown)) for x in vals):
                entries.append((test, var, list(vals)))
            else:  # the provider drops (numbers) or fails on (other lists) these: not guessed here
                raise _Refused(f"{where}.{test}.{var}: a value the provider does not read as strings")
    return _condition_map(entries)
