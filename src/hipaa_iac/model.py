"""Plain data shared by every stage: source blocks, resolved resources, unknown values, errors.

Stages: discover -> parse (HCL/plan -> Module of Blocks) -> resolve (Blocks -> Resources with values)
-> graph -> evaluate -> suppress -> report. Each stage takes and returns these types.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Unknown:
    """A value that cannot be known statically, with the reason why.

    `refs` holds the addresses of graph nodes the value depends on (a reference to another resource is
    unknown until apply, but it is still an edge). `ref_type` is the resource type when the value is a
    direct reference to one resource's attribute (used by `compliant_references`).
    """

    __slots__ = ("reason", "refs", "ref_type", "ref_address", "prefix", "suffix", "instance_certain")

    def __init__(self, reason: str, refs: tuple[str, ...] = (), ref_type: str | None = None,
                 ref_address: str | None = None, prefix: str | None = None, suffix: str | None = None):
        self.reason = reason
        self.refs = tuple(refs)
        self.ref_type = ref_type
        self.ref_address = ref_address
        self.prefix = prefix  # a string whose start is known: "serviceAccount:${...}" -> "serviceAccount:"
        self.suffix = suffix  # and its end: "arn:${local.partition}:iam::aws:policy/X" -> ":iam::aws:policy/X"
        # a reference to an attribute of a resource instance that is known to exist (its count / for_each
        # keys are known): reading it cannot fail at apply (what `try()` needs to know)
        self.instance_certain = False

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.reason == self.reason

    def __hash__(self) -> int:
        return hash(("Unknown", self.reason))

    def __bool__(self) -> bool:  # never let an Unknown be silently truthy
        raise TypeError("truth value of Unknown is undefined: " + self.reason)


def internal_error(exc: BaseException, stage: str) -> str:
    """The reason given when the tool itself fails on one input: what it touches becomes unknown, the scan
    goes on, and the error is reported (exit 2). Never includes the exception's text (it may quote values).
    HIPAA_IAC_DEBUG=1 prints the traceback to stderr (for developers; it may show values)."""
    import os
    if os.environ.get("HIPAA_IAC_DEBUG"):
        import traceback
        traceback.print_exception(exc)
    if isinstance(exc, RecursionError):  # a cap, not a bug: real configuration never nests this deep
        return f"nested too deeply to analyze ({stage})"
    if isinstance(exc, MemoryError):
        return f"too large to analyze ({stage})"
    return f"internal error: {type(exc).__name__} in {stage}"


class UnknownBlock(dict):
    """A nested block produced by a `dynamic` block whose `for_each` is not known statically: its content
    as written, but whether it exists at all (and how often) is `unknown`."""

    def __init__(self, content: dict, unknown: Unknown):
        super().__init__(content)
        self.unknown = unknown

    def __reduce__(self):
        return (UnknownBlock, (dict(self), self.unknown))


# ---- taint ---------------------------------------------------------------------------------------------
# A value derived from anything sensitive (a `sensitive = true` variable, `sensitive()`, a plan's sensitive
# path, a tfvars value of a sensitive variable) is sensitive. The resolver records the taint as this mark in
# the set of references an evaluation collects; wherever a tainted value is stored or turned into text
# (attributes, unknown reasons, warnings, addresses, instance keys) it is replaced by SENSITIVE_TEXT.
SENSITIVE_MARK = "!sensitive"
SENSITIVE_TEXT = "(sensitive)"
SENSITIVE_REASON = "(sensitive) value derived from a sensitive value, not shown"


def redact_unknowns(value: Any) -> Any:
    """A tainted value: every Unknown inside it loses its reason and known prefix (they may quote the
    sensitive value); references and referenced types are kept (they are addresses, not values). Containers
    are changed in place (they are built for this evaluation) and returned."""
    if isinstance(value, Unknown):
        return Unknown(SENSITIVE_REASON, value.refs, value.ref_type, value.ref_address)
    if isinstance(value, dict):
        for k, v in value.items():
            value[k] = redact_unknowns(v)
        if isinstance(getattr(value, "unknown", None), Unknown):
            value.unknown = redact_unknowns(value.unknown)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            value[i] = redact_unknowns(v)
    return value


def contains_unknown(value: Any) -> Unknown | None:
    """First Unknown inside a value (depth-first), or None."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        for v in value.values():
            u = contains_unknown(v)
            if u is not None:
                return u
    elif isinstance(value, list):
        for v in value:
            u = contains_unknown(v)
            if u is not None:
                return u
    return None


@dataclass(slots=True)
class Attribute:
    """`name = expr` in a block. `expr` is an expression AST node (hipaa_iac.expr)."""

    name: str
    expr: Any
    line: int
    end_line: int
    text: str = ""  # the expression's source text


@dataclass(slots=True)
class Block:
    """A block as written: `resource "aws_s3_bucket" "b" { ... }`, with its source span."""

    type: str
    labels: list[str]
    attributes: dict[str, Attribute]
    blocks: list["Block"]
    file: str
    line: int
    end_line: int
    comments: list[tuple[int, str]] = field(default_factory=list)  # (line, text) of comments inside


@dataclass(slots=True)
class SourceFile:
    """One parsed configuration file."""

    path: str  # relative to the scan root, POSIX
    blocks: list[Block]
    parser: str  # "tree-sitter" | "python-hcl2" | "json"


@dataclass(slots=True)
class ScanError:
    file: str
    line: int | None
    message: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "message": self.message}


@dataclass(slots=True)
class Resource:
    """A resolved graph node: a resource, data source, module call or provider, one per instance.

    `attributes` holds plain values (str, int, float, bool, None, list, dict) or Unknown; nested blocks are
    lists of dicts (as in Terraform's JSON plan). `lines` maps a dotted attribute path with explicit block
    indexes ("rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id") to its 1-based line.
    `sensitive` holds dotted paths whose values must never be printed.
    """

    address: str
    mode: str  # "managed" | "data" | "module" | "provider"
    type: str
    name: str
    module: str  # "" for the root module, else "module.a.module.b"
    file: str | None
    line: int | None
    end_line: int | None
    attributes: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    sensitive: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)  # addresses this node references (graph edges out)
    comments: list[tuple[int, str]] = field(default_factory=list)
    source: str = "hcl"  # "hcl" | "plan"
    parser: str = "tree-sitter"
    action: str | None = None  # plan action (create, update, delete, ...)
    tainted: str | None = None  # reason its file could not be fully read (its results become unknown)
    module_root: str = "."  # directory of the root module it belongs to, relative to the scan root

    def line_of(self, path: str) -> int | None:
        """Line of an attribute path (dotted, with or without block indexes), else None."""
        if path in self.lines:
            return self.lines[path]
        if path + ".0" in self.lines:  # a nested block: its first instance
            return self.lines[path + ".0"]
        # tolerate paths without explicit single-block indexes: "a.b" -> "a.0.b"
        want = path.split(".")
        for key, line in self.lines.items():
            parts = [p for p in key.split(".") if not p.isdigit() or p in want]
            if parts == want:
                return line
        # fall back to the closest enclosing attribute
        while len(want) > 1:
            want = want[:-1]
            line = self.line_of(".".join(want))
            if line is not None:
                return line
        return None
