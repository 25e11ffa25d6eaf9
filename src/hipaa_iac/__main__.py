"""`python -m hipaa_iac`. The scanned repository is untrusted and is usually the working directory: `-m` puts
the working directory first on sys.path, so a `yaml.py` or `pydantic/` committed to the repository would be
imported in place of the real one. It is removed before anything else is imported (`-P`, PYTHONSAFEPATH and
`-I` already leave it out). A `hipaa_iac/` directory in the working directory is found by `-m` before this
file can run: run `python -P -m hipaa_iac` (or the `hipaa-iac` command) from an untrusted directory."""
import os
import sys


def _drop_working_directory() -> None:
    if sys.flags.safe_path or sys.flags.isolated or not sys.path:
        return
    first = sys.path[0]
    try:
        is_cwd = first == "" or os.path.realpath(first) == os.path.realpath(os.getcwd())
    except OSError:
        is_cwd = first == ""
    if is_cwd:
        del sys.path[0]


_drop_working_directory()

from hipaa_iac.launcher import main  # noqa: E402

main()
