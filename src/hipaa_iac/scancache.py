"""Compatibility name: the scan cache is hipaa_iac.cache.scan (this module is that module)."""
import sys

from .cache import scan as _scan

sys.modules[__name__] = _scan
