"""Terraform addresses, parsed and formatted in one place.

An address is dot-separated parts outside brackets and quotes; a part may end in one instance key:
`module.a["x.y"].aws_s3_bucket.b[0]` -> parts `module`, `a["x.y"]`, `aws_s3_bucket`, `b[0]`. String keys are
written as Terraform writes them (double quotes, `\\` and `"` escaped), so a key may hold dots, brackets and
quotes: `aws_s3_bucket.b["[x"]` is the resource `aws_s3_bucket.b` with the key `[x`.
"""
from __future__ import annotations

from typing import Any


def format_key(k: Any) -> str:
    """The instance-key suffix of `k`: `[0]`, `["a\\"b"]`; a boolean key is the string true/false."""
    if isinstance(k, bool):
        k = "true" if k else "false"
    if isinstance(k, int):
        return f"[{k}]"
    return '["' + str(k).replace("\\", "\\\\").replace('"', '\\"') + '"]'


def split(address: str) -> list[str] | None:
    """The parts of `address` (dots outside `[...]` and quotes). None when brackets or quotes do not
    balance or a part is empty."""
    if "[" not in address and '"' not in address and "]" not in address:
        parts = address.split(".")
        return parts if all(parts) else None
    parts = []
    cur: list[str] = []
    depth = 0
    in_str = False
    esc = False
    for ch in address:
        if in_str:
            cur.append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "." and depth == 0:
            if not cur:
                return None
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if in_str or depth != 0 or not cur:
        return None
    parts.append("".join(cur))
    return parts


def name_of(part: str) -> str:
    """A part without its instance key: `b[0]` -> `b` (a name holds no bracket)."""
    i = part.find("[")
    return part if i < 0 else part[:i]


def key_of(part: str) -> str:
    """A part's instance-key suffix: `b["x"]` -> `["x"]`, `b` -> ``."""
    return part[len(name_of(part)):]


def base(address: str) -> str:
    """The address without the instance key of its last part: `module.a["x"].aws_s3_bucket.b[0]` ->
    `module.a["x"].aws_s3_bucket.b`; `aws_s3_bucket.b["[x"]` -> `aws_s3_bucket.b`. An address that does not
    parse is returned as it is."""
    if not address.endswith("]"):
        return address
    parts = split(address)
    if not parts:
        return address
    return address[: len(address) - len(key_of(parts[-1]))]


def strip_keys(address: str) -> str:
    """Every instance key removed: `module.a[0].aws_s3_bucket.b["x"]` -> `module.a.aws_s3_bucket.b`."""
    parts = split(address)
    if parts is None:
        return address
    return ".".join(name_of(p) for p in parts)


def parse_resource(address: str) -> tuple[str, str, str, str] | None:
    """(module instance path, mode, type, name-with-key) of a resource instance address, else None:
    `module.a["x"].data.t.n[0]` -> ('module.a["x"]', "data", "t", "n[0]")."""
    parts = split(address)
    if parts is None:
        return None
    mods: list[str] = []
    i = 0
    while i + 1 < len(parts) and parts[i] == "module":
        mods.append("module." + parts[i + 1])
        i += 2
    rest = parts[i:]
    mode = "managed"
    if rest and rest[0] in ("data", "ephemeral") and len(rest) == 3:
        mode = rest[0]
        rest = rest[1:]
    if len(rest) != 2 or "[" in rest[0]:
        return None
    return ".".join(mods), mode, rest[0], rest[1]
