"""Terraform override files (`override.tf`, `*_override.tf`) merged into a module's blocks as Terraform merges them."""
from __future__ import annotations

from ..model import Block


def merge_overrides(blocks: list[Block], overrides: list[Block]) -> list[Block]:
    """Terraform override files: attributes replace, nested blocks of a type replace all of that type."""
    index = {(b.type, tuple(b.labels)): b for b in blocks}
    for o in overrides:
        key = (o.type, tuple(o.labels))
        if o.type == "locals":
            target = next((b for b in blocks if b.type == "locals" and
                           set(b.attributes) & set(o.attributes)), None)
            if target is None:
                blocks.append(o)
            else:
                target.attributes.update(o.attributes)
            continue
        base = index.get(key)
        if base is None:
            blocks.append(o)
            index[key] = o
            continue
        base.attributes.update(o.attributes)
        types = {b.type for b in o.blocks}
        if types:
            base.blocks = [b for b in base.blocks if b.type not in types] + o.blocks
        base.comments = sorted(base.comments + o.comments)
    return blocks
