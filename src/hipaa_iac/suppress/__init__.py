"""Suppress: inline waivers, the exceptions file and the baseline turn failed or unknown results into
`suppressed` ones, each with the entry that accepted it in `suppression`.

Stage contract: `apply_suppressions(results, graph, config, root, exceptions_path, baseline_path, today)`
marks the result dicts in place and returns `(errors, warnings)` as lists of `model.ScanError`. Only
failed and unknown results are ever suppressed; a passed result stays passed. When several sources
accept one result, the first of exceptions file, inline waiver, baseline is recorded.

Formats and rules for users: docs/suppressions.md.
"""
from .apply import apply_suppressions  # noqa: F401
from .baseline import BASELINE_VERSION, MAX_BASELINE_BYTES, load_baseline, write_baseline  # noqa: F401
from .exceptions import ENTRY_OPTIONAL, ENTRY_REQUIRED, ExceptionEntry, load_exceptions  # noqa: F401
from .inline import INLINE_KEYS, Waiver, inline_waivers, parse_checkov_skip, parse_ignore, waivers_of  # noqa: F401
from .match import SUPPRESSIBLE, fingerprint, glob_match, qualified_address, resource_match  # noqa: F401
