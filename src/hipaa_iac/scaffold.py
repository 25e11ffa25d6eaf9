"""`hipaa-iac policies new ID --like ID`: a new policy started from an existing one, instead of copying six
files by hand. Copies policies/<cloud>/<LIKE>.yaml and fixtures/policies/<LIKE>/ (pass/, fail/, unknown/, plan/,
expected.yaml, checkov.yaml) under the new id, with the id replaced inside them; the doc page and the compiled
pack follow from `hipaa-iac docs generate`. Nothing is overwritten."""
from __future__ import annotations

import os
import re
import shutil

ID_RE = re.compile(r"^HIPAA_(AWS|AZURE|GCP)_[A-Z0-9]+_\d{3}$")


class ScaffoldError(Exception):
    pass


def new_policy(root: str, new_id: str, like: str) -> list[str]:
    """Create the files of `new_id` from `like` under the source checkout `root`; the paths created."""
    if not ID_RE.match(new_id):
        raise ScaffoldError(f"{new_id}: an id is HIPAA_<AWS|AZURE|GCP>_<SERVICE>_<NNN>")
    cloud = new_id.split("_")[1].lower()
    src = next((os.path.join(root, "policies", c, f"{like}.yaml") for c in ("aws", "azure", "gcp")
                if os.path.isfile(os.path.join(root, "policies", c, f"{like}.yaml"))), None)
    if src is None:
        raise ScaffoldError(f"{like}: no such policy under {os.path.join(root, 'policies')}")
    dst = os.path.join(root, "policies", cloud, f"{new_id}.yaml")
    src_fx, dst_fx = (os.path.join(root, "fixtures", "policies", x) for x in (like, new_id))
    for path in (dst, dst_fx):
        if os.path.exists(path):
            raise ScaffoldError(f"{path} exists: nothing written")
    created = []
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    created.append(_copy_text(src, dst, like, new_id))
    if os.path.isdir(src_fx):
        for dirpath, _, files in os.walk(src_fx):
            for name in sorted(files):
                rel = os.path.relpath(os.path.join(dirpath, name), src_fx)
                target = os.path.join(dst_fx, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                created.append(_copy_text(os.path.join(dirpath, name), target, like, new_id))
    return created


def _copy_text(src: str, dst: str, like: str, new_id: str) -> str:
    try:
        with open(src, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        shutil.copyfile(src, dst)
        return dst
    with open(dst, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text.replace(like, new_id))
    return dst
