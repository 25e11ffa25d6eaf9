"""The policy file contract, validated with precise errors (file, key, what is wrong)."""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..vocab import ATTRIBUTE_OPERATORS as _OPERATORS
from ..vocab import CONNECTION_OPERATORS as _CONNECTION
from ..vocab import HIPAA_CATEGORIES, POLICY_SEVERITIES  # noqa: F401  (HIPAA_CATEGORIES: imported from here too)

CHECKOV_CATEGORIES = ("GENERAL_SECURITY", "LOGGING", "ENCRYPTION", "NETWORKING", "IAM", "BACKUP_AND_RECOVERY",
                      "CONVENTION", "SECRETS", "KUBERNETES", "APPLICATION_SECURITY", "SUPPLY_CHAIN", "API_SECURITY")
ATTRIBUTE_OPERATORS = set(_OPERATORS)
CONNECTION_OPERATORS = set(_CONNECTION)
ENGINES = {"eligible_service", "literal_secret"}
# Frameworks a policy's `crosswalk` may name items of (facts and their sources: data/frameworks/).
CROSSWALK_KEYS = ("checkov", "aws_config", "prowler", "kics", "trivy")
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
BUILTIN_RE = re.compile(r"^(CKV2?|BC)_")


class Metadata(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str = Field(min_length=10)
    category: str
    severity: Literal[POLICY_SEVERITIES]  # type: ignore[valid-type]
    guideline: str = Field(min_length=1)
    hipaa_category: str
    hipaa: list[str] = Field(min_length=1)
    nist_800_171: list[str] = Field(min_length=1)
    description: str = Field(min_length=20)
    remediation: str = Field(min_length=10)
    remediation_example: str | None = None
    source: str = Field(min_length=5)
    compliant_references: dict[str, list[str]] | None = None
    opt_in: bool = False
    parameters: dict[str, Any] | None = None
    engine: str | None = None
    engine_args: dict[str, Any] | None = None
    citation_override_reason: str | None = None  # why hipaa/nist_800_171 differ from data/controls.yaml's table
    crosswalk: dict[str, list[str]] | None = None
    context: list[dict] | None = None  # where the policy does not apply or applies differently (policy/context.py)
    # attributes whose provider default changed between provider versions: unset, they are unknown (run.py)
    provider_defaults: list[dict] | None = None

    @field_validator("provider_defaults")
    @classmethod
    def _provider_defaults(cls, v: Any) -> Any:
        if v is None:
            return v
        if not v:
            raise ValueError("expected a non-empty list of {attribute, reason, source}")
        for i, d in enumerate(v):
            keys = set(d) if isinstance(d, dict) else set()
            if keys not in ({"attribute", "reason", "source"}, {"attribute", "reason", "source", "provider", "values"}):
                raise ValueError(f"[{i}]: expected the keys attribute, reason, source (and, to decide by the locked "
                                 "provider version, provider and values)")
            if "values" in d:
                if not re.fullmatch(r"[a-z0-9_-]+/[a-z0-9_-]+", str(d["provider"])):
                    raise ValueError(f"[{i}].provider: a provider source such as hashicorp/aws")
                cases = d["values"]
                if not isinstance(cases, list) or not cases or not all(
                        isinstance(c, dict) and len(c) == 2 and "value" in c and (set(c) - {"value"}) <= {"below", "from"}
                        and re.fullmatch(r"\d+\.\d+\.\d+", str(c.get("below", c.get("from")))) for c in cases):
                    raise ValueError(f"[{i}].values: a list of {{below: X.Y.Z, value: V}} / {{from: X.Y.Z, value: V}}")
            if not isinstance(d["attribute"], str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", d["attribute"]):
                raise ValueError(f"[{i}].attribute: a top-level argument name")
            for k in ("reason", "source"):
                if not isinstance(d[k], str) or len(d[k].strip()) < 20:
                    raise ValueError(f"[{i}].{k}: at least 20 characters")
        return v

    @field_validator("crosswalk", mode="before")
    @classmethod
    def _crosswalk(cls, v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, dict):
            raise ValueError(f"a mapping of {', '.join(CROSSWALK_KEYS)} to lists of item ids")
        for key, items in v.items():
            if key not in CROSSWALK_KEYS:
                raise ValueError(f"{key!r} is not a crosswalk framework; one of {', '.join(CROSSWALK_KEYS)}")
            if not isinstance(items, list) or not items:
                raise ValueError(f"{key}: expected a non-empty list of item ids")
            for item in items:
                if not isinstance(item, str) or not item.strip():
                    raise ValueError(f"{key}: {item!r} is not an item id (a non-empty string)")
            if len(set(items)) != len(items):
                raise ValueError(f"{key}: an item id is listed twice")
        return v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("letters, digits, '_' and '-' only, starting with a letter")
        if BUILTIN_RE.match(v):
            raise ValueError("a checkov built-in id prefix (CKV_/CKV2_/BC_) would replace checkov's own check")
        return v

    @field_validator("category")
    @classmethod
    def _cat(cls, v: str) -> str:
        if v not in CHECKOV_CATEGORIES:
            raise ValueError(f"not a checkov category; one of {', '.join(CHECKOV_CATEGORIES)}")
        return v

    @field_validator("hipaa_category")
    @classmethod
    def _hcat(cls, v: str) -> str:
        if v not in HIPAA_CATEGORIES:
            raise ValueError(f"one of {', '.join(HIPAA_CATEGORIES)}")
        return v

    @field_validator("hipaa")
    @classmethod
    def _hipaa(cls, v: list[str]) -> list[str]:
        for c in v:
            if not re.match(r"^164\.(3\d\d|5\d\d)(\([A-Za-z0-9]+\))*$", c):
                raise ValueError(f"{c!r} is not a 45 CFR citation like '164.312(a)(2)(iv)'")
        return v

    @field_validator("nist_800_171")
    @classmethod
    def _nist(cls, v: list[str]) -> list[str]:
        for c in v:
            if not re.match(r"^3\.\d{1,2}\.\d{1,2}$", c):
                raise ValueError(f"{c!r} is not a NIST SP 800-171 rev2 id like '3.13.16'")
        return v

    @field_validator("engine")
    @classmethod
    def _engine(cls, v: str | None) -> str | None:
        if v is not None and v not in ENGINES:
            raise ValueError(f"unknown engine check; one of {', '.join(sorted(ENGINES))}")
        return v


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metadata: Metadata
    definition: dict | list
    scope: dict | None = None  # checkov accepts `scope: {provider: ...}`


# size: one branch per kind of definition node (and/or/not, attribute, connection, filter), each with its message
def check_definition(node: Any, path: str = "definition") -> list[str]:
    """Structural errors in a definition, each naming the key."""
    errs: list[str] = []
    if isinstance(node, list):
        for i, n in enumerate(node):
            errs += check_definition(n, f"{path}[{i}]")
        return errs
    if not isinstance(node, dict):
        return [f"{path}: expected a mapping"]
    combos = [k for k in ("and", "or", "not") if k in node]
    if combos:
        k = combos[0]
        sub = node[k]
        if k == "not":
            if isinstance(sub, list):
                if len(sub) != 1:
                    errs.append(f"{path}.not: takes exactly one block")
                sub = sub[0] if sub else {}
            return errs + check_definition(sub, f"{path}.not")
        if not isinstance(sub, list) or not sub:
            return [f"{path}.{k}: expected a non-empty list"]
        for i, n in enumerate(sub):
            errs += check_definition(n, f"{path}.{k}[{i}]")
        return errs
    ct = node.get("cond_type", "attribute")
    op = node.get("operator")
    if ct == "attribute":
        if op not in ATTRIBUTE_OPERATORS:
            errs.append(f"{path}.operator: {op!r} is not a supported attribute operator")
        if not node.get("attribute"):
            errs.append(f"{path}.attribute: missing")
        rt = node.get("resource_types")
        if not rt:
            errs.append(f"{path}.resource_types: missing")
        if op not in ("exists", "not_exists", "any", "is_true", "is_false", "is_empty", "is_not_empty") \
                and "value" not in node:
            errs.append(f"{path}.value: missing for operator {op}")
        if op in ("regex_match", "not_regex_match") and isinstance(node.get("value"), str):
            try:
                re.compile(node["value"])
            except re.error as e:
                errs.append(f"{path}.value: invalid regular expression: {e}")
    elif ct == "connection":
        if op not in CONNECTION_OPERATORS:
            errs.append(f"{path}.operator: {op!r} is not a connection operator (exists, not_exists)")
        if not node.get("resource_types") or not node.get("connected_resource_types"):
            errs.append(f"{path}: connection needs resource_types and connected_resource_types")
    elif ct == "filter":
        if node.get("attribute") != "resource_type" or op != "within" or not isinstance(node.get("value"), list):
            errs.append(f"{path}: filter supports only attribute resource_type, operator within, a list value")
    else:
        errs.append(f"{path}.cond_type: {ct!r} is not supported (attribute, connection, filter)")
    return errs


def validate_policy(doc: Any, file: str) -> tuple[PolicyFile | None, list[str]]:
    if not isinstance(doc, dict):
        return None, [f"{file}: a policy file holds a mapping with metadata and definition"]
    try:
        pf = PolicyFile.model_validate(doc)
    except ValidationError as e:
        errs = []
        for err in e.errors():
            loc = ".".join(str(x) for x in err["loc"])
            errs.append(f"{file}: {loc}: {err['msg']}")
        return None, errs
    errs = [f"{file}: {m}" for m in check_definition(pf.definition)]
    if pf.metadata.context is not None:
        from .context import check_context
        errs += [f"{file}: {m}" for m in check_context(pf.metadata.context, pf.definition)]
    return (pf if not errs else None), errs
