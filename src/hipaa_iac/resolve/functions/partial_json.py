"""A policy operator on the known text of a partial JSON document (resolve.functions.PartialJSON)."""
from __future__ import annotations

import re
from typing import Any, Callable

from ...model import Unknown
from .core import PartialJSON
from .encoding import _json_str

# ---- a policy operator on the known text of a partial JSON document -----------------------------------------

_PROBE_TOKEN = re.compile(r"[A-Za-z0-9:_*.\-/]+")


def decide_partial_json(op: str, value: Any, doc: PartialJSON, apply: Callable[[str, Any, Any], bool],
                        max_texts: int = 400) -> bool | None:
    """The operator's answer on `doc`'s JSON text when every probe substituted for the unknown leaves
    gives the same answer, else None.

    Probes are JSON values an unknown leaf plausibly has: null, numbers, bools, "", "*", ["*"], {} and each
    word of the policy's own value (a pattern's literals, e.g. "Deny", "aws:SecureTransport"), as a
    string and as a one-element list; a leaf with a known start only gets strings with that start. All
    leaves get the same probe, then (for up to 8 leaves) each leaf alone gets each probe while the others
    are null. This is a heuristic, not a proof: a verdict that only a value outside the probes would flip
    is decided; callers should use it only for text operators (regex_match, contains, ...).
    """
    words: list[str] = []
    for v in (value if isinstance(value, list) else [value]):
        if isinstance(v, str):
            words.extend(_PROBE_TOKEN.findall(v.replace("\\", "")))
    words = list(dict.fromkeys(w for w in words if len(w) <= 64))[:40]
    generic = ["null", "0", "1", "true", "false", '""', '"*"', '["*"]', "{}", "[]", '"x"', '"true"', '"false"']
    for w in words:
        generic += [_json_str(w), "[" + _json_str(w) + "]"]
    leaves = [p for p in doc.parts if isinstance(p, Unknown)]

    def probes(u: Unknown) -> list[str]:
        if u.prefix:
            return [_json_str(u.prefix + t) for t in ("", "*", "x", "/*")] + \
                   [_json_str(u.prefix + w) for w in words]
        return generic

    def render(choice: dict[int, str], default: str | None) -> str:
        out = []
        k = 0
        for p in doc.parts:
            if isinstance(p, str):
                out.append(p)
            else:
                out.append(choice.get(k, default if default is not None else probes(p)[0]))
                k += 1
        return "".join(out)

    texts: list[str] = []
    common = set.intersection(*[set(probes(u)) for u in leaves]) if leaves else set()
    for pr in generic:
        if pr in common:
            texts.append(render({i: pr for i in range(len(leaves))}, None))
    if len(leaves) <= 8:
        for i, u in enumerate(leaves):
            for pr in probes(u):
                texts.append(render({i: pr}, None))
    answer = None
    for t in texts[:max_texts]:
        try:
            r = apply(op, t, value)
        except Exception:  # noqa: BLE001 - an operator that cannot judge the text decides nothing
            return None
        if answer is None:
            answer = r
        elif r != answer:
            return None
    return answer


_STRUCTURAL_KEYS = {"Statement"}


def structural_leaves(doc: PartialJSON) -> bool:
    """True when an unknown leaf of `doc` stands where whole policy statements go: the document itself, a
    top-level member, the `Statement` value or one of its elements. Such a leaf may hold any statement, so
    no probe can stand for it; a leaf elsewhere (an ARN in `Resource`, a condition value) only changes the
    value of a key the surrounding text names. Scans the known text with a small JSON tokenizer."""
    stack: list[list] = []  # [container "{" or "[", key of this container in its parent, current key]
    for part in doc.parts:
        if not isinstance(part, str):
            keys = [frame[1] for frame in stack] + [stack[-1][2] if stack and stack[-1][0] == "{" else None]
            keys = [k for k in keys if k is not None]
            if len(stack) <= 1 or (keys and keys[-1] in _STRUCTURAL_KEYS):
                return True
            if stack and stack[-1][0] == "[" and stack[-1][1] in _STRUCTURAL_KEYS:
                return True
            continue
        i, n = 0, len(part)
        while i < n:
            c = part[i]
            if c == '"':
                j = i + 1
                while j < n and part[j] != '"':
                    j += 2 if part[j] == "\\" else 1
                s = part[i + 1:j]
                i = j + 1
                k = i
                while k < n and part[k] in " \t\r\n":
                    k += 1
                if k < n and part[k] == ":" and stack and stack[-1][0] == "{":
                    stack[-1][2] = s
                    i = k + 1
                continue
            if c in "{[":
                parent_key = (stack[-1][2] if stack[-1][0] == "{" else stack[-1][1]) if stack else None
                stack.append([c, parent_key, None])
            elif c in "}]":
                if stack:
                    stack.pop()
            i += 1
    return False
