"""Console entry point: answers `--version` without importing the command line framework."""
import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from . import __version__
        sys.stdout.write(f"hipaa-iac {__version__}\n")
        return
    from .cli import main as cli_main
    cli_main()
