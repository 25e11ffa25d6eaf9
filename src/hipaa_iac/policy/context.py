"""Context where a provider or service defines it: when a policy does not apply, or applies differently.

`metadata.context` (read by hipaa-iac, ignored by checkov) is a list of entries, each one of:

- `{alternative: N, reason: TEXT}`: alternative N of the definition's top-level `or` (or of the one `or` beside
  the `filter` of a top-level `and`) says the policy does not apply (an engine that does not support the
  setting, a bucket outside the ePHI/gold scope). Where it holds and the rest of the definition does not,
  there is no result (a resource that meets the requirement itself passes); checkov, which runs the same
  definition, reports a pass. Where it is unknown, the definition is judged as a whole (Kleene `or`: a
  failure becomes unknown).
- `{target_of: {TYPE: [PATH, ...]}, via: ATTR, match: ATTR, reason: TEXT, definition: DEF}`: the judged
  resource (or, with `via`, the resource its `via` attribute names) is named by PATH of a managed resource
  of TYPE, e.g. an S3 bucket that receives server access logs (`aws_s3_bucket_logging.target_bucket`).
  A reference names the resources it points to; a literal names the resources whose `match` attribute has
  that value. Then `definition` is judged instead of the policy's own (no `definition`: the policy does not
  apply, unless the resource meets the policy's own definition: then it passes). checkov's YAML cannot follow
  this relation; the fixtures' checkov.yaml lists the difference.
  A PATH whose value is not known statically (a variable with no value) names no resource of the scan:
  it is taken as a bucket outside the configuration. A type may instead map to `{paths: [...], where: COND}`:
  only its resources for which COND (definition syntax) holds name anything, e.g. an `aws_s3_bucket_acl`
  granting the S3 log delivery group; the path `.` names the resource itself (a bucket whose own canned ACL
  is `log-delivery-write`), the path `*` names every judged resource (a trail recording data events of all
  buckets). With `satisfies: true` the relation meets the requirement itself: the resource passes with the
  reason.
"""
from __future__ import annotations

from typing import Any

from ..model import Resource, Unknown
from .evaluate import FALSE, NA, TRUE, Verdict, resolve_path

CONTEXT_KEYS = {"alternative", "reason", "target_of", "via", "match", "definition", "satisfies"}


def top_or(definition: Any) -> list | None:
    """The alternatives of the definition's top-level `or`, or of the single `or` in a top-level `and` whose
    other members are filters; None when there is none."""
    if isinstance(definition, dict) and isinstance(definition.get("or"), list):
        return definition["or"]
    members = definition.get("and") if isinstance(definition, dict) else definition
    if not isinstance(members, list):
        return None
    ors = [m for m in members if isinstance(m, dict) and isinstance(m.get("or"), list)]
    rest = [m for m in members if not (isinstance(m, dict) and isinstance(m.get("or"), list))]
    if len(ors) == 1 and all(isinstance(m, dict) and m.get("cond_type") == "filter" for m in rest):
        return ors[0]["or"]
    return None


def check_context(entries: Any, definition: Any) -> list[str]:
    """Structural errors of `metadata.context`, each naming the entry."""
    from .schema import check_definition
    errs: list[str] = []
    if not isinstance(entries, list) or not entries:
        return ["metadata.context: expected a non-empty list"]
    for i, c in enumerate(entries):
        where = f"metadata.context[{i}]"
        if not isinstance(c, dict):
            errs.append(f"{where}: expected a mapping")
            continue
        extra = set(c) - CONTEXT_KEYS
        if extra:
            errs.append(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        if not isinstance(c.get("reason"), str) or len(c["reason"].strip()) < 10:
            errs.append(f"{where}.reason: a sentence saying why the policy does not apply (or applies differently)")
        if ("alternative" in c) == ("target_of" in c):
            errs.append(f"{where}: exactly one of alternative, target_of")
        elif "alternative" in c:
            alts = top_or(definition)
            n = c["alternative"]
            if not isinstance(alts, list) or not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < len(alts):
                errs.append(f"{where}.alternative: the index of an alternative of the definition's top-level `or` "
                            "(or of the one `or` beside a filter)")
            for k in ("via", "match", "definition", "satisfies"):
                if k in c:
                    errs.append(f"{where}.{k}: only with target_of")
        else:
            t = c["target_of"]
            if not isinstance(t, dict) or not t or not all(isinstance(k, str) and _paths(v) for k, v in t.items()):
                errs.append(f"{where}.target_of: a mapping of resource type to a list of attribute paths "
                            "(or to {paths: [...], where: condition})")
            else:
                for k, v in t.items():
                    if isinstance(v, dict) and "where" in v:
                        errs += [f"{where}.target_of.{k}.{m}" for m in check_definition(v["where"], "where")]
            for k in ("via", "match"):
                if k in c and (not isinstance(c[k], str) or not c[k]):
                    errs.append(f"{where}.{k}: an attribute name")
            if "definition" in c:
                errs += [f"{where}.{m}" for m in check_definition(c["definition"], "definition")]
            if "satisfies" in c and (c["satisfies"] is not True or "definition" in c):
                errs.append(f"{where}.satisfies: true, and not with a definition")
    return errs


def _paths(v: Any) -> list | None:
    """The attribute paths of a target_of entry (a list, or {paths: [...], where: ...}); None when malformed."""
    if isinstance(v, dict):
        if set(v) - {"paths", "where"} or "paths" not in v:
            return None
        v = v["paths"]
    if isinstance(v, list) and v and all(isinstance(p, str) and p for p in v):
        return v
    return None


def _named(graph, value: Any, addrs: set[str], names: set[str]) -> None:
    """Resources a value names: the ones a reference points to (addresses), the literal strings (names)."""
    if isinstance(value, Unknown):
        for a in ([value.ref_address] if value.ref_address else []) + list(value.refs):
            for t in graph._targets(a):
                addrs.add(t.address)
    elif isinstance(value, str) and value:
        names.add(value)
    elif isinstance(value, list):
        for v in value:
            _named(graph, v, addrs, names)


class _Targets:
    """The resources named by `target_of` paths, computed once per policy evaluation."""

    def __init__(self, ev, entry: dict):
        graph = ev.graph
        self.addrs: set[str] = set()
        self.names: set[str] = set()
        self.every: Resource | None = None  # a source naming every judged resource (path `*`)
        for rtype, spec in entry["target_of"].items():
            cond = spec.get("where") if isinstance(spec, dict) else None
            for src in graph.by_type.get(rtype, ()):
                if src.mode != "managed" or src.action == "delete":
                    continue
                if cond is not None and ev._eval(cond, src, None).state != TRUE:
                    continue
                for p in _paths(spec):
                    if p == ".":
                        self.addrs.add(src.address)
                        continue
                    if p == "*":
                        self.every = self.every or src
                        continue
                    for _, v in resolve_path(src.attributes, p):
                        _named(graph, v, self.addrs, self.names)

    def holds(self, graph, entry: dict, r: Resource) -> Resource | None:
        """The subject (r, or what r's `via` attribute names) that is a target, else None."""
        if self.every is not None:
            return r
        match = entry.get("match")
        via = entry.get("via")
        if via is None:
            subjects = [r]
        else:
            addrs: set[str] = set()
            names: set[str] = set()
            for _, v in resolve_path(r.attributes, via):
                _named(graph, v, addrs, names)
            if names & self.names:
                return r
            subjects = [graph.by_address[a] for a in sorted(addrs) if a in graph.by_address]
        for s in subjects:
            if s.address in self.addrs:
                return s
            name = s.attributes.get(match) if match else None
            if isinstance(name, str) and name in self.names:
                return s
        return None


def _explained(inner: Verdict, reason: str) -> Verdict:
    """The verdict of a context's own definition, its message prefixed with the context."""
    return Verdict(inner.state, f"{reason}: {inner.reason}", inner.path, None, False, None, "", None, None,
                   (inner,))


def _without(definition: Any, drop: set[int]) -> Any:
    """The definition without the context alternatives of its top-level `or` (what the policy requires)."""
    def strip(node: Any) -> Any:
        if isinstance(node, dict) and node.get("or") is alts:
            return {**node, "or": [a for j, a in enumerate(alts) if j not in drop]}
        if isinstance(node, dict) and isinstance(node.get("and"), list):
            return {**node, "and": [strip(m) for m in node["and"]]}
        if isinstance(node, list):
            return [strip(m) for m in node]
        return node
    alts = top_or(definition)
    return strip(definition)


def evaluate_in_context(ev, r: Resource) -> Verdict:
    """The verdict on r where the policy's context says it does not apply (NA) or applies differently.

    A resource that meets the requirement itself passes, whatever its context; one that does not, and whose
    context alternative holds, gets no result."""
    cache = ev.__dict__.setdefault("_context_targets", {})
    definition = ev.definition
    entries = ev.meta.get("context") or ()
    alternatives = [c for c in entries if "alternative" in c]
    if alternatives:
        required = cache.get("required")
        if required is None:
            required = cache["required"] = _without(definition, {c["alternative"] for c in alternatives})
        alts = top_or(definition)
        held = next((c for c in alternatives if ev._eval(alts[c["alternative"]], r, None).state == TRUE), None)
        if held is not None:
            met = ev._eval(required, r, None)
            return met if met.state == TRUE else Verdict(NA, f"does not apply: {held['reason']}")
    for i, c in enumerate(entries):
        if "alternative" in c:
            continue
        targets = cache.get(i)
        if targets is None:
            targets = cache[i] = _Targets(ev, c)
        subject = targets.holds(ev.graph, c, r)
        if subject is None:
            continue
        reason = c["reason"] if subject is r else f"{subject.address}: {c['reason']}"
        if targets.every is not None:
            reason = f"{targets.every.address} {c['reason']}"
        if c.get("satisfies"):
            met = ev._eval(definition, r, None)
            return met if met.state == TRUE else Verdict(TRUE, reason)
        if c.get("definition") is None:
            met = ev._eval(definition, r, None)
            return met if met.state == TRUE else Verdict(NA, f"does not apply: {reason}")
        return _explained(ev._eval(c["definition"], r, None), reason)
    full = ev._eval(definition, r, None)
    if alternatives and full.state == FALSE:
        # every alternative failed, the context ones too: the message says what the requirement lacks, not that
        # the resource is not a replica (or not an NVMe type, ...)
        return ev._eval(cache["required"], r, None)
    return full
