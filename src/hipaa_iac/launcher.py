"""Console entry point: answers `--version` without importing the command line framework."""
import sys


def main() -> None:
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in a name never turns into a traceback
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    if sys.argv[1:] in (["--version"], ["-V"]):
        from . import __version__
        sys.stdout.write(f"hipaa-iac {__version__}\n")
        return
    from .cli import main as cli_main
    cli_main()
