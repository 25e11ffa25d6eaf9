"""Checks that checkov's YAML cannot express, selected by `metadata.engine` in a policy file.

- eligible_service: the resource's service is on the cloud's HIPAA-eligible list (sourced, dated data in
  src/hipaa_iac/data/eligible/<cloud>.yaml), extended or restricted by configuration.
- literal_secret: a credential attribute holds a value written in the configuration (literal, variable
  default, tfvars) instead of one supplied at run time or generated; the finding never shows the value.
"""
from __future__ import annotations

import functools
import os
import re
from typing import Any

from ..model import Resource, Unknown
from .evaluate import FALSE, NA, TRUE, UNK, Verdict

PROVIDER_PREFIXES = {"aws": ("aws_", "awscc_"), "azure": ("azurerm_", "azapi_"), "gcp": ("google_",)}
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def eligible_paths(cloud: str) -> tuple[str, str]:
    """The sourced YAML table and its compiled JSON twin (written by `hipaa-iac docs generate`)."""
    base = os.path.join(DATA_DIR, "eligible", cloud)
    return base + ".yaml", base + ".json"


def compiled_eligible_text(cloud: str) -> str | None:
    import hashlib
    import json

    from ..yamlio import safe_load
    src, _ = eligible_paths(cloud)
    try:
        with open(src, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    data = safe_load(raw.decode("utf-8")) or {}
    from ..jsonfmt import dumps_records
    body = json.loads(json.dumps({"source_sha256": hashlib.sha256(raw).hexdigest(), "data": data}, default=str))
    return dumps_records(body, 3) + "\n"  # one row per line


@functools.lru_cache(maxsize=None)
def load_eligible(cloud: str) -> dict:
    """The eligible-service table: its compiled JSON twin when it matches the YAML, else the YAML itself."""
    import hashlib
    import json
    src, compiled = eligible_paths(cloud)
    try:
        with open(src, "rb") as fh:
            raw = fh.read()
    except OSError:
        return {}
    try:
        with open(compiled, encoding="utf-8") as fh:
            twin = json.load(fh)
        if twin.get("source_sha256") == hashlib.sha256(raw).hexdigest():
            return twin["data"] or {}
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    from ..yamlio import safe_load
    return safe_load(raw.decode("utf-8")) or {}


CLOUD_LABEL = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}
# resource types that name their Azure resource type in an argument (`type = "Microsoft.X/y@version"`)
AZAPI_TYPED = ("azapi_resource", "azapi_update_resource", "azapi_resource_action", "azapi_data_plane_resource")


def _date(v) -> str:
    return str(v) if v not in (None, "") else "an unknown date"


class EligibleIndex:
    """Resource type (and, where the data says so, one argument) -> service -> eligibility status.

    Statuses: eligible, not_eligible, control_plane (holds no ePHI), unverified (service known, not in the
    tables), unlisted (no row matches: unknown, never failed), nonexistent (the type does not exist in the
    provider). Every message names the date of the list a row comes from and its confidence."""

    def __init__(self, cloud: str, extra: dict | None = None):
        data = load_eligible(cloud)
        self.cloud = cloud
        self.label = CLOUD_LABEL.get(cloud, cloud.upper())
        lst = data.get("list") or {}
        self.list_name = str(lst.get("name") or f"{self.label} HIPAA-eligible list")
        self.list_date = _date(lst.get("date") or data.get("retrieved"))
        self.prefixes: list[tuple[str, dict]] = []
        self.types: dict[str, dict] = {}
        self.namespaces: dict[str, dict] = {}
        self.patterns: list[tuple[re.Pattern, dict]] = []
        for svc in data.get("services", []) or []:
            for pat in svc.get("patterns", []) or []:
                self.patterns.append((re.compile(pat), svc))
            for p in svc.get("prefixes", []) or []:
                self.prefixes.append((p, svc))
            for t in svc.get("types", []) or []:
                self.types[t] = svc
            for ns in svc.get("namespaces", []) or []:
                self.namespaces[ns.lower()] = svc
        self.attribute_rules: dict[str, dict] = {a["type"]: a for a in data.get("attribute_rules", []) or []}
        self.nonexistent = [(n.get("prefix", ""), n.get("message", "")) for n in data.get("nonexistent_types", []) or []]
        # configuration (your BAA) takes precedence over the published list
        self.config_rules: list[tuple[str, dict]] = []
        extra = extra or {}
        for key, status, label in (("add", "eligible", "added"), ("remove", "not_eligible", "removed")):
            for t in extra.get(key, []) or []:
                self.config_rules.append((t, {"service": f"{t} ({label} in configuration)", "status": status,
                                              "confidence": "config"}))
        self.config_rules.sort(key=lambda x: -len(x[0]))
        self.prefixes.sort(key=lambda x: -len(x[0]))
        self._by_type: dict[str, tuple] = {}

    # ---------------------------------------------------------------------------------------- lookups
    def _config(self, key: str) -> tuple[dict, str] | None:
        for pat, rule in self.config_rules:
            if key == pat or (pat.endswith("_") and key.startswith(pat)):
                return rule, pat
        return None

    def _row(self, rtype: str) -> tuple[dict | None, str]:
        got = self._config(rtype)
        if got:
            return got
        if rtype in self.types:
            return self.types[rtype], rtype
        for rx, s in self.patterns:  # e.g. every *_iam_member is IAM, whatever service it sits in
            if rx.search(rtype):
                return s, rx.pattern
        for p, s in self.prefixes:
            if rtype.startswith(p):
                return s, p
        return None, rtype

    def classify(self, rtype: str) -> tuple[str, str, str | None]:
        """(status, message, matched) for a resource type alone (computed once per type)."""
        got = self._by_type.get(rtype)
        if got is None:
            got = self._by_type[rtype] = self._classify(rtype)
        return got

    def _classify(self, rtype: str) -> tuple[str, str, str | None]:
        for p, msg in self.nonexistent:
            if p and rtype.startswith(p):
                return "nonexistent", msg, p
        svc, matched = self._row(rtype)
        if svc is None:
            return "unlisted", self._unlisted(rtype), None
        return self._judge(svc, matched, rtype)

    def _unlisted(self, what: str) -> str:
        return (f"{what} is not in the {self.label} eligible-service tables ({self.list_name}, list of "
                f"{self.list_date}); review whether it stores or processes ePHI; if it does and your BAA covers "
                "it, add it under eligible_services in the configuration")

    def _when(self, svc: dict) -> str:
        if svc.get("added"):
            return f"added {_date(svc.get('added'))} to the list of {self.list_date}"
        return f"list of {_date(svc.get('as_of') or self.list_date)}"

    def _judge(self, svc: dict, matched: str, what: str) -> tuple[str, str, str | None]:
        status = svc.get("status", "eligible")
        name = svc.get("service", matched)
        conf = svc.get("confidence", "")
        if conf == "config":
            if status == "eligible":
                return "eligible", f"{name}: covered by your BAA per the configuration (eligible_services)", matched
            return "not_eligible", (f"{name}: not covered by your BAA per the configuration (eligible_services); "
                                    "keep ePHI out of it"), matched
        where = f"{self.list_name} ({self._when(svc)}; confidence {conf})"
        if status == "eligible":
            return "eligible", f"{name} is on the {where}", matched
        if status == "control_plane":
            return "control_plane", f"{name} holds no ePHI (control plane)", matched
        if status == "unverified":
            why = svc.get("reason") or "not on the list as retrieved"
            return "unlisted", (f"{what} is not in the {self.label} eligible-service tables ({self.list_name}, list "
                                f"of {self.list_date}; {why}); review whether it stores or processes ePHI; if it does "
                                "and your BAA covers it, add it under eligible_services in the configuration"), matched
        if conf == "low":
            return "doubtful", (f"{name} was not on the {where} but may have been added since: confirm it against "
                                "the current list or your BAA (eligible_services in the configuration)"), matched
        return "not_eligible", (f"{name} is not on the {where}; keep ePHI out of it or confirm it is covered by "
                                "your BAA"), matched

    # ------------------------------------------------------------------- resources (type + argument)
    def classify_resource(self, r: Resource) -> tuple[str, str, str | None]:
        if self.cloud == "azure" and r.type in AZAPI_TYPED:
            return self._azapi(r)
        rule = self.attribute_rules.get(r.type)
        if rule is not None and self._config(r.type) is None:
            got = self._by_attribute(r, rule)
            if got is not None:
                return got
        return self.classify(r.type)

    def _azapi(self, r: Resource) -> tuple[str, str, str | None]:
        got = self._config(r.type)
        if got:
            return self._judge(got[0], got[1], r.type)
        t = r.attributes.get("type")
        if isinstance(t, Unknown) or "type" not in r.attributes:
            why = t.reason if isinstance(t, Unknown) else "it is not set"
            return "unknown", (f"the Azure resource type of {r.type} decides its service, and `type` is not known "
                               f"statically ({why})"), None
        if not isinstance(t, str) or "/" not in t:
            return "unknown", f"the Azure resource type of {r.type} could not be read from `type` ({t!r})", None
        full = t.split("@", 1)[0]
        ns = full.split("/", 1)[0]
        got = self._config(full) or self._config(ns)
        if got:
            return self._judge(got[0], got[1], full)
        svc = None
        parts = full.lower().split("/")
        for n in range(len(parts), 0, -1):  # longest resource-type path first: Microsoft.DBforMySQL/servers
            svc = self.namespaces.get("/".join(parts[:n]))
            if svc is not None:
                break
        if svc is None:
            return "unlisted", self._unlisted(f"{r.type} of type {full} (resource provider {ns})"), None
        status, msg, matched = self._judge(svc, ns, f"{r.type} of type {full}")
        return status, f"{r.type} of type {full}: {msg}", matched

    def _by_attribute(self, r: Resource, rule: dict) -> tuple[str, str, str | None] | None:
        name = rule["attribute"]
        v = r.attributes.get(name)
        if isinstance(v, Unknown):
            return "unknown", (f"the service of {r.type} depends on `{name}`, which is not known statically "
                               f"({v.reason})"), None
        if not isinstance(v, str):
            return None
        for case in rule.get("cases", []) or []:
            vals = case.get("values") or []
            pref = case.get("prefix")
            if v in vals or (pref and v.startswith(pref)):
                status, msg, matched = self._judge(case, name, r.type)
                return status, f"{name} = \"{v}\": {msg}", matched
        return None


def eligible_candidates(graph, cloud: str) -> list[Resource]:
    prefixes = PROVIDER_PREFIXES.get(cloud, ())
    out = []
    for t, rs in graph.by_type.items():
        if t.startswith(prefixes):
            out.extend(r for r in rs if r.mode == "managed")
    return out


def eligible_verdict(index: EligibleIndex, r: Resource) -> Verdict:
    if r.tainted:
        return Verdict(UNK, f"its file could not be read ({r.tainted})")
    status, msg, _ = index.classify_resource(r)
    if status == "eligible":
        return Verdict(TRUE, msg)
    if status == "control_plane":
        return Verdict(NA, msg)
    if status in ("doubtful", "unlisted", "unknown"):  # doubtful data or no data never raises an alarm
        return Verdict(UNK, msg)
    return Verdict(FALSE, msg)


def _credential_values(r: Resource, name: str) -> list[tuple[str, Any]]:
    """(path, value) of a credential argument: a top-level name, or a dotted path into nested blocks
    (`os_profile.admin_password`, `user_accounts.*.password`: every block is looked at)."""
    if "." not in name:
        return [(name, r.attributes[name])] if name in r.attributes else []
    from .attributes import _MISSING, resolve_path
    return [(p, v) for p, v in resolve_path(r.attributes, name) if v is not _MISSING and v is not None]


def literal_secret_verdict(attributes: list[str], r: Resource) -> Verdict:
    if r.tainted:
        return Verdict(UNK, f"its file could not be read ({r.tainted})")
    found_any = False
    for name, v in (pv for attr in attributes for pv in _credential_values(r, attr)):
        found_any = True
        if r.source == "plan":
            return Verdict(UNK, f"{name}: a plan does not show whether the value was written in the configuration",
                           name)
        if isinstance(v, Unknown):
            continue
        if isinstance(v, str) and v != "":
            return Verdict(FALSE, f"{name} is written in the configuration (value not shown); supply it at run "
                                  "time from a secret store or let the service manage it", name)
    if not found_any:
        return Verdict(TRUE, "no credential attribute is set in the configuration")
    return Verdict(TRUE, "credentials are supplied at run time or generated")


def run_engine(meta: dict, graph, candidates_from_definition: list[Resource], config) -> list[tuple[Resource, Verdict]]:
    engine = meta.get("engine")
    args = meta.get("engine_args") or {}
    if engine == "eligible_service":
        cloud = args.get("cloud", "aws")
        extra = (getattr(config, "eligible_services", None) or {}).get(cloud) if config is not None else None
        index = EligibleIndex(cloud, extra)
        out = []
        for r in eligible_candidates(graph, cloud):
            v = eligible_verdict(index, r)
            if v.state != NA:
                out.append((r, v))
        return out
    if engine == "literal_secret":
        attrs = list(args.get("attributes") or [])
        return [(r, literal_secret_verdict(attrs, r)) for r in candidates_from_definition]
    return []
