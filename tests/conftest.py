"""Test-session settings: scans started by tests cache into a throwaway directory, never into the user's
cache or the repository."""
import os
import tempfile

os.environ.setdefault("HIPAA_IAC_CACHE_DIR", tempfile.mkdtemp(prefix="hipaa-iac-tests-"))
