"""Compatibility names for code written against 0.2.0: running the policies lives in policy/run.py, the
report contract and the exit code in report/contract.py."""
from .policy.run import STATUS, apply_parameters, evaluate_policies, make_result, phi_resources  # noqa: F401
from .report.contract import SEVERITY_ORDER, build_report, exit_code, summarize  # noqa: F401
