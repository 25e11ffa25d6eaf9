"""Test-session settings: scans started by tests cache into a throwaway directory, never into the user's
cache or the repository."""
import os
import tempfile

os.environ.setdefault("HIPAA_IAC_CACHE_DIR", tempfile.mkdtemp(prefix="hipaa-iac-tests-"))


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", default=False,
                     help="write the report snapshots in tests/snapshots/ instead of comparing them (review the diff)")
