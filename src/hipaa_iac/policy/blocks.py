"""Policy building blocks (data/blocks.yaml): named condition fragments a policy refers to by a marker comment.

    # block: aws_customer_managed_key attribute=kms_key_arn resource_types=aws_backup_vault
    <the fragment's expansion>
    # end block

`expand` rewrites every expansion from its marker (`hipaa-iac docs generate` writes it into the policy file,
so checkov, which loads policies/ directly, still reads plain YAML); `stale_files` lists the files whose
expansions are out of date (docs generate --check, tests/test_blocks.py). `wrap` turns an existing verbatim
copy of a fragment into a marked one, without changing the YAML it parses to.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache

BLOCKS_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "blocks.yaml")
MARKER = re.compile(r"^(?P<indent> *)# block: (?P<name>[a-z0-9_]+)(?P<args>(?: [a-z_]+=[^\s]+)*) *\n"
                    r"(?P<body>(?:(?!(?P=indent)# end block\n).*\n)*?)(?P=indent)# end block\n", re.M)


class BlockError(ValueError):
    pass


@lru_cache(maxsize=1)
def blocks() -> dict:
    from ..yamlio import safe_load
    with open(BLOCKS_FILE, encoding="utf-8") as fh:
        return safe_load(fh.read()) or {}


def _vocabulary() -> dict[str, str]:
    from .. import vocab
    return {"AWS_MANAGED_KEY_REGEX": vocab.AWS_MANAGED_KEY_REGEX,
            "AWS_CUSTOMER_MANAGED_KEY_TYPES": ",".join(vocab.AWS_CUSTOMER_MANAGED_KEY_TYPES)}


def render(name: str, args: dict[str, str], indent: str = "") -> str:
    """The expansion of block `name` with `args`, every line prefixed with `indent`."""
    spec = blocks().get(name)
    if spec is None:
        raise BlockError(f"unknown block {name!r} (data/blocks.yaml)")
    values = {**_vocabulary(), **args}
    lists = set(spec.get("lists") or []) | {"AWS_CUSTOMER_MANAGED_KEY_TYPES"}
    out = []
    for line in spec["text"].splitlines():
        m = re.fullmatch(r"( *)\{(\w+)\}", line)
        if m and m.group(2) in lists:  # a list argument: one `- item` per line at that indentation
            if m.group(2) not in values:
                raise BlockError(f"block {name}: missing argument {m.group(2)}")
            out += [f"{m.group(1)}- {item}" for item in values[m.group(2)].split(",")]
            continue
        try:
            out.append(re.sub(r"\{(\w+)\}", lambda k: values[k.group(1)], line))
        except KeyError as e:
            raise BlockError(f"block {name}: missing argument {e.args[0]}") from None
    return "".join(f"{indent}{line}\n" if line else "\n" for line in out)


def _args(text: str) -> dict[str, str]:
    return dict(a.split("=", 1) for a in text.split())


def expand(text: str) -> str:
    """`text` with every block's expansion rewritten from its marker."""
    def one(m: re.Match) -> str:
        head = m.group(0)[: m.start("body") - m.start()]
        return head + render(m.group("name"), _args(m.group("args")), m.group("indent")) + \
            f"{m.group('indent')}# end block\n"
    return MARKER.sub(one, text)


def stale_files(policy_dir: str) -> list[str]:
    out = []
    for cloud in sorted(os.listdir(policy_dir)):
        d = os.path.join(policy_dir, cloud)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith(".yaml"):
                path = os.path.join(d, name)
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                if expand(text) != text:
                    out.append(path)
    return out


def write_expansions(policy_dir: str) -> list[str]:
    """Rewrite stale expansions in place; the paths written."""
    written = []
    for path in stale_files(policy_dir):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(expand(text))
        written.append(path)
    return written


_CMK_COPY = re.compile(
    r"^(?P<i> *)- cond_type: attribute\n(?P=i)  resource_types:\n(?P<rt>(?:(?P=i)  - [A-Za-z0-9_]+\n)+)"
    r"(?P=i)  attribute: (?P<a>\S+)\n(?P=i)  operator: exists\n(?P=i)- cond_type: attribute\n"
    r"(?P=i)  resource_types:\n(?P=rt)(?P=i)  attribute: (?P=a)\n(?P=i)  operator: not_regex_match\n"
    r"(?P=i)  value: (?P<v>.+)\n", re.M)


def wrap(text: str) -> tuple[str, int]:
    """Mark the verbatim copies of aws_customer_managed_key in `text` (only where the copy is exactly the
    block's expansion, so the parsed YAML is unchanged); returns the text and how many were marked."""
    count = 0

    def one(m: re.Match) -> str:
        nonlocal count
        if _marked(m):
            return m.group(0)
        types = ",".join(line.strip()[2:] for line in m.group("rt").splitlines())
        args = {"attribute": m.group("a"), "resource_types": types}
        body = render("aws_customer_managed_key", args, m.group("i"))
        if body != m.group(0):
            return m.group(0)
        count += 1
        return (f"{m.group('i')}# block: aws_customer_managed_key attribute={m.group('a')} resource_types={types}\n"
                + body + f"{m.group('i')}# end block\n")
    text = _CMK_COPY.sub(one, text)

    def types(m: re.Match) -> str:
        nonlocal count
        if _marked(m):
            return m.group(0)
        count += 1
        return (f"{m.group('i')}# block: aws_customer_managed_key_types\n" + m.group(0) +
                f"{m.group('i')}# end block\n")
    return _TYPES_COPY.sub(types, text), count


def _marked(m: re.Match) -> bool:
    """Whether the match already follows a block marker."""
    before = m.string[: m.start()].rstrip("\n")
    return before.rsplit("\n", 1)[-1].strip().startswith("# block:")


_TYPES_COPY = re.compile(r"^(?P<i> *)- aws_kms_key\n(?P=i)- aws_kms_replica_key\n(?P=i)- aws_kms_external_key\n"
                         r"(?!(?P=i)- )", re.M)
