"""Variables files: read in Terraform's order (terraform.tfvars, terraform.tfvars.json, *.auto.tfvars in
lexical order; --var-file and configured var_files last), each value evaluated; a file that cannot be read is
reported and skipped."""
from __future__ import annotations

import os

from ..model import ScanError, internal_error
from ..parse.hcl import HCLSyntaxError
from ..parse.read import read_text, rel


def load_tfvars(paths: list[str], root: str, errors: list) -> dict:
    from ..parse.hcl import parse_tfvars
    from ..parse.json_config import parse_tfvars_json
    from .evaluate import Evaluator
    from .module import read_tfvars_values
    values: dict = {}
    ev = Evaluator()
    for p in paths:
        relpath = rel(p, root) if os.path.isabs(p) else p
        try:
            text = read_text(p)
            attrs = parse_tfvars_json(text, relpath) if p.endswith(".json") else parse_tfvars(text.encode(), relpath)
        except HCLSyntaxError as e:
            errors.append(ScanError(relpath, e.line, e.message))
            continue
        except OSError as e:
            errors.append(ScanError(relpath, None, f"cannot read variables file: {e.strerror}"))
            continue
        except Exception as e:
            errors.append(ScanError(relpath, 1, internal_error(e, "variables file parse")))
            continue
        try:
            values.update(read_tfvars_values(attrs, ev))
        except Exception as e:
            errors.append(ScanError(relpath, 1, internal_error(e, "variables file evaluation")))
    return values


def tfvars_order(files: list[str]) -> list[str]:
    """terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) in lexical order."""
    def key(p: str):
        n = os.path.basename(p)
        return (0 if n == "terraform.tfvars" else 1 if n == "terraform.tfvars.json" else 2, n)
    return sorted(files, key=key)
