"""The closed vocabularies, each defined once. The policy schema, the configuration schema, the command line,
the report contract (data/report.schema.json is checked against these), the messages, the docs and every
reporter take their lists from here; tests/test_vocab.py fails when a copy of one appears elsewhere in the
source.
"""
from __future__ import annotations

# The NIST SP 800-171 revision the control ids refer to, printed wherever they are shown.
NIST_REVISION = "SP 800-171 Rev. 2"

# Severity, most severe first. Policies write it upper case (checkov's form), reports lower case.
SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_RANK = {s: len(SEVERITIES) - 1 - i for i, s in enumerate(SEVERITIES)}  # low 0 ... critical 3
POLICY_SEVERITIES = tuple(s.upper() for s in SEVERITIES)

# What a policy judges (metadata.hipaa_category); data/controls.yaml cites each.
HIPAA_CATEGORIES = ("encryption_at_rest", "encryption_in_transit", "key_management", "network_isolation",
                    "access_control", "audit_logging", "integrity", "backup_recovery", "eligible_service",
                    "ai_data_use", "healthcare_data")

# Result statuses: a verdict, and suppressed (a failed or unknown result accepted by a waiver).
VERDICTS = ("passed", "failed", "unknown")
STATUSES = VERDICTS + ("suppressed",)
STATUSES_WORST_FIRST = ("failed", "unknown", "suppressed", "passed")  # the order reports list them in
GATE_VERDICTS = ("passed", "failed", "incomplete")  # report scan.gate.verdict: exit 0, 1, 2
SUPPRESSION_KINDS = ("inline", "exception", "baseline")

# Command line and configuration choices.
UNKNOWN_MODES = ("warn", "fail")
SCOPES = ("all", "phi-path")
COLOR_MODES = ("auto", "always", "never")
FORMATS = ("text", "json", "sarif", "junit", "markdown", "html", "csv", "oscal")

# checkov's attribute operators (checkov 3.3.30, checkov/common/checks_infra/solvers/attribute_solvers/),
# in the order the policy-authoring docs list them; policy/operators.py has one function per operator.
ATTRIBUTE_OPERATORS = (
    "equals", "not_equals", "equals_ignore_case", "not_equals_ignore_case",
    "exists", "not_exists", "is_empty", "is_not_empty", "is_true", "is_false",
    "any", "within", "not_within", "contains", "not_contains", "intersects", "not_intersects",
    "subset", "not_subset", "starting_with", "not_starting_with", "ending_with", "not_ending_with",
    "regex_match", "not_regex_match",
    "greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal",
    "length_equals", "length_not_equals", "length_greater_than", "length_greater_than_or_equal",
    "length_less_than", "length_less_than_or_equal",
)
CONNECTION_OPERATORS = ("exists", "not_exists")

# AWS KMS: a key id, ARN or alias naming an AWS-managed key (alias/aws/<service>), and the resource types
# that are customer-managed keys (metadata.compliant_references of the customer-managed-key policies).
AWS_MANAGED_KEY_REGEX = r"^(arn:aws[a-zA-Z-]*:kms:[a-z0-9-]*:[0-9]*:)?alias/aws/"
AWS_CUSTOMER_MANAGED_KEY_TYPES = ("aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key")
# for policies that judge awscc_* resources too: a key of the awscc provider is customer-managed as well
AWSCC_CUSTOMER_MANAGED_KEY_TYPES = AWS_CUSTOMER_MANAGED_KEY_TYPES + ("awscc_kms_key",)


# Argument names that hold credentials (passwords, keys, SAS and API tokens, connection strings): their values
# are never printed in a message, whether or not Terraform marks them sensitive (a literal in the configuration
# is not marked). Matched against one name segment, case-insensitively (policy/phrases.is_secret_name).
SECRET_NAME_REGEX = (r"(?i)^(password|passwd|secret|token|sas|sas_key|sas_token|sas_url|account_key|access_key|"
                     r"secret_key|private_key|primary_key|secondary_key|api_key|client_secret|connection_string|"
                     r"secret_string|secret_binary|auth_token|admin_password|master_password|storage_account_access_key"
                     r"|.*_(password|passwd|secret|token|sas_key|sas_token|access_key|account_key|private_key|api_key|"
                     r"connection_string))$")


def severity_rank(severity: str) -> int:
    """0 (low) to 3 (critical); an unknown word ranks lowest."""
    return SEVERITY_RANK.get(severity.lower(), 0)
