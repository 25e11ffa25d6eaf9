"""hipaa-iac: static HIPAA Security Rule checks for Terraform."""

__version__ = "0.2.0"
