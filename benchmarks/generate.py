"""Deterministic generator of synthetic Terraform repositories for the benchmarks.

Each case is one Terraform root in ``benchmarks/work/<case>/``: a root module (providers, shared keys,
a VPC, variables, locals) that calls local modules in ``modules/<name>/`` with inputs. The modules hold
realistic healthcare-AI resources across AWS, Azure and GCP, about 5-10 resource blocks per file, some
compliant and some not:

* S3 buckets split the v4+ way (bucket + server-side encryption + versioning + public access block,
  each referencing the bucket), some with ``for_each`` over datasets, keyed by a KMS key referenced by ARN;
* security groups (some open SSH to the world) and ``count``-ed ingress rules;
* RDS instances with a KMS key, SageMaker notebooks with an IAM role, CloudWatch log groups;
* azurerm storage accounts, key vaults and keys; google storage buckets with Cloud KMS keys.

``resources`` counts resource blocks written to disk (what a parser reads); ``count``/``for_each``
expand some of them into more instances (``instances_estimate`` in the manifest).

Usage: ``python benchmarks/generate.py [--sizes 100,1000,5000,20000] [--force] [--out DIR]``.
The same size always produces byte-identical files (seeded by the size). Attribute names and values
follow the provider docs cited in /work/shared/reference/checks.tsv (terraform-provider-aws,
-azurerm, -google).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

GENERATOR_VERSION = 1
DEFAULT_SIZES = (100, 1000, 5000, 20000)
PRECOMMIT_CASE = "precommit"
DEFAULT_OUT = Path(__file__).resolve().parent / "work"
COMPLIANT_SHARE = 0.7  # share of units written compliant; the rest break one or more safeguards
RESOURCES_PER_MODULE = 200


# --------------------------------------------------------------------------------------------------
# Units: small groups of resources that belong together. Each returns (HCL text, resource types).


@dataclass
class Unit:
    text: str
    types: list[str]
    instances: int  # instances after count/for_each expansion (count and for_each are literal here)


def _hcl_bool(value: bool) -> str:
    return "true" if value else "false"


def local_or(ok: bool, good: str, bad: str) -> str:
    return good if ok else bad


def unit_s3(name: str, ok: bool, rng: random.Random) -> Unit:
    """KMS key + bucket + SSE config (key by ARN) + versioning + public access block."""
    sse = 'sse_algorithm     = "aws:kms"\n      kms_master_key_id = aws_kms_key.%s.arn' % name
    if not ok:
        sse = rng.choice(['sse_algorithm = "AES256"', 'sse_algorithm = "aws:kms"', sse])
    block_all = ok or rng.random() < 0.5
    text = f'''resource "aws_kms_key" "{name}" {{
  description             = "${{local.prefix}} {name} data key"
  enable_key_rotation     = {_hcl_bool(ok or rng.random() < 0.5)}
  deletion_window_in_days = 30
  tags                    = local.common_tags
}}

resource "aws_s3_bucket" "{name}" {{
  bucket        = "${{local.prefix}}-{name.replace("_", "-")}"
  force_destroy = false
  tags          = merge(local.common_tags, {{ dataset = "{name}" }})
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "{name}" {{
  bucket = aws_s3_bucket.{name}.id

  rule {{
    apply_server_side_encryption_by_default {{
      {sse}
    }}
    bucket_key_enabled = true
  }}
}}

resource "aws_s3_bucket_versioning" "{name}" {{
  bucket = aws_s3_bucket.{name}.id

  versioning_configuration {{
    status = "{"Enabled" if ok or rng.random() < 0.5 else "Suspended"}"
  }}
}}

resource "aws_s3_bucket_public_access_block" "{name}" {{
  bucket                  = aws_s3_bucket.{name}.id
  block_public_acls       = true
  block_public_policy     = {_hcl_bool(block_all)}
  ignore_public_acls      = true
  restrict_public_buckets = {_hcl_bool(block_all)}
}}
'''
    types = ["aws_kms_key", "aws_s3_bucket", "aws_s3_bucket_server_side_encryption_configuration",
             "aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block"]
    return Unit(text, types, 5)


def unit_s3_for_each(name: str, ok: bool, rng: random.Random) -> Unit:
    """One bucket per dataset (for_each over a variable) with its settings, keyed by the module's KMS input."""
    algo = '"aws:kms"' if ok else rng.choice(['"AES256"', '"aws:kms"'])
    text = f'''resource "aws_s3_bucket" "{name}" {{
  for_each = toset(var.datasets)

  bucket = "${{local.prefix}}-{name.replace("_", "-")}-${{each.key}}"
  tags   = merge(local.common_tags, {{ dataset = each.key }})
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "{name}" {{
  for_each = aws_s3_bucket.{name}

  bucket = each.value.id

  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = {algo}
      kms_master_key_id = var.kms_key_arn
    }}
  }}
}}

resource "aws_s3_bucket_versioning" "{name}" {{
  for_each = aws_s3_bucket.{name}

  bucket = each.value.id

  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_public_access_block" "{name}" {{
  for_each = aws_s3_bucket.{name}

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = {_hcl_bool(ok)}
}}
'''
    types = ["aws_s3_bucket", "aws_s3_bucket_server_side_encryption_configuration",
             "aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block"]
    return Unit(text, types, 4 * 3)


def unit_security_group(name: str, ok: bool, rng: random.Random) -> Unit:
    """Security group with inline rules, plus counted ingress rules from the allowed ports."""
    ssh_cidr = "var.vpc_cidr" if ok else rng.choice(['"0.0.0.0/0"', "var.vpc_cidr"])
    text = f'''resource "aws_security_group" "{name}" {{
  name        = "${{local.prefix}}-{name.replace("_", "-")}"
  description = "Training workers for {name}"
  vpc_id      = var.vpc_id

  ingress {{
    description = "SSH from the bastion network"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [{ssh_cidr}]
  }}

  egress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }}

  tags = local.common_tags
}}

resource "aws_vpc_security_group_ingress_rule" "{name}" {{
  count = length(var.allowed_ports)

  security_group_id = aws_security_group.{name}.id
  cidr_ipv4         = {'var.vpc_cidr' if ok else '"0.0.0.0/0"'}
  from_port         = var.allowed_ports[count.index]
  to_port           = var.allowed_ports[count.index]
  ip_protocol       = "tcp"
}}
'''
    return Unit(text, ["aws_security_group", "aws_vpc_security_group_ingress_rule"], 1 + 2)


def unit_rds(name: str, ok: bool, rng: random.Random) -> Unit:
    """KMS key + subnet group + encrypted (or not) PostgreSQL instance."""
    kms = f"kms_key_id                          = aws_kms_key.{name}_db.arn"
    text = f'''resource "aws_kms_key" "{name}_db" {{
  description         = "${{local.prefix}} {name} database key"
  enable_key_rotation = true
  tags                = local.common_tags
}}

resource "aws_db_subnet_group" "{name}" {{
  name       = "${{local.prefix}}-{name.replace("_", "-")}"
  subnet_ids = var.subnet_ids
}}

resource "aws_db_instance" "{name}" {{
  identifier                          = "${{local.prefix}}-{name.replace("_", "-")}"
  engine                              = "postgres"
  engine_version                      = "16.4"
  instance_class                      = "db.r6g.large"
  allocated_storage                   = 100
  db_subnet_group_name                = aws_db_subnet_group.{name}.name
  username                            = "phi_admin"
  manage_master_user_password         = true
  storage_encrypted                   = {_hcl_bool(ok or rng.random() < 0.5)}
  {kms if ok or rng.random() < 0.5 else "# no customer-managed key"}
  publicly_accessible                 = {_hcl_bool(not ok and rng.random() < 0.5)}
  backup_retention_period             = {local_or(ok, "local.backup_retention_days", "1")}
  deletion_protection                 = true
  iam_database_authentication_enabled = {_hcl_bool(ok)}
  skip_final_snapshot                 = false
  final_snapshot_identifier           = "${{local.prefix}}-{name.replace("_", "-")}-final"
  tags                                = local.common_tags
}}
'''
    return Unit(text, ["aws_kms_key", "aws_db_subnet_group", "aws_db_instance"], 3)


def unit_sagemaker(name: str, ok: bool, rng: random.Random) -> Unit:
    """IAM role + SageMaker notebook in a private subnet with the module's KMS key."""
    text = f'''resource "aws_iam_role" "{name}_notebook" {{
  name = "${{local.prefix}}-{name.replace("_", "-")}-notebook"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ Service = "sagemaker.amazonaws.com" }}
    }}]
  }})
  max_session_duration = 3600
  tags                 = local.common_tags
}}

resource "aws_sagemaker_notebook_instance" "{name}" {{
  name                   = "${{local.prefix}}-{name.replace("_", "-")}"
  role_arn               = aws_iam_role.{name}_notebook.arn
  instance_type          = var.notebook_instance_type
  kms_key_id             = {local_or(ok or rng.random() < 0.5, "var.kms_key_arn", "null")}
  subnet_id              = var.subnet_ids[0]
  security_groups        = var.security_group_ids
  direct_internet_access = "{local_or(ok, "Disabled", "Enabled")}"
  root_access            = "{local_or(ok or rng.random() < 0.5, "Disabled", "Enabled")}"

  instance_metadata_service_configuration {{
    minimum_instance_metadata_service_version = "{local_or(ok, "2", "1")}"
  }}

  tags = local.common_tags
}}
'''
    return Unit(text, ["aws_iam_role", "aws_sagemaker_notebook_instance"], 2)


def unit_log_group(name: str, ok: bool, rng: random.Random) -> Unit:
    retention = "local.log_retention_days" if ok else rng.choice(["30", "90", "local.log_retention_days"])
    text = f'''resource "aws_cloudwatch_log_group" "{name}" {{
  name              = "/${{local.prefix}}/training/{name}"
  retention_in_days = {retention}
  kms_key_id        = {local_or(ok, "var.kms_key_arn", "null")}
  tags              = local.common_tags
}}
'''
    return Unit(text, ["aws_cloudwatch_log_group"], 1)


def unit_azure_storage(name: str, ok: bool, rng: random.Random) -> Unit:
    """Storage account (TLS, HTTPS-only, network, versioning) + a private container."""
    acct = ("st" + name.replace("_", ""))[:24]
    text = f'''resource "azurerm_storage_account" "{name}" {{
  name                              = "{acct}"
  resource_group_name               = var.resource_group_name
  location                          = var.location
  account_tier                      = "Standard"
  account_replication_type          = "GRS"
  min_tls_version                   = "{local_or(ok, "TLS1_2", rng.choice(["TLS1_0", "TLS1_1", "TLS1_2"]))}"
  https_traffic_only_enabled        = {_hcl_bool(ok or rng.random() < 0.5)}
  public_network_access_enabled     = {_hcl_bool(not ok)}
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = {_hcl_bool(not ok)}
  infrastructure_encryption_enabled = {_hcl_bool(ok)}

  blob_properties {{
    versioning_enabled = {_hcl_bool(ok)}

    delete_retention_policy {{
      days = 30
    }}
  }}

  tags = local.common_tags
}}

resource "azurerm_storage_container" "{name}" {{
  name                  = "training-data"
  storage_account_id    = azurerm_storage_account.{name}.id
  container_access_type = "private"
}}
'''
    return Unit(text, ["azurerm_storage_account", "azurerm_storage_container"], 2)


def unit_azure_key_vault(name: str, ok: bool, rng: random.Random) -> Unit:
    kv = ("kv-" + name.replace("_", "-"))[:24]
    text = f'''resource "azurerm_key_vault" "{name}" {{
  name                          = "{kv}"
  location                      = var.location
  resource_group_name           = var.resource_group_name
  tenant_id                     = var.tenant_id
  sku_name                      = "premium"
  purge_protection_enabled      = {_hcl_bool(ok)}
  soft_delete_retention_days    = {local_or(ok, "90", "7")}
  public_network_access_enabled = {_hcl_bool(not ok)}
  tags                          = local.common_tags
}}

resource "azurerm_key_vault_key" "{name}" {{
  name         = "{name.replace("_", "-")}-cmk"
  key_vault_id = azurerm_key_vault.{name}.id
  key_type     = "{local_or(ok, "RSA-HSM", "RSA")}"
  key_size     = 3072
  key_opts     = ["decrypt", "encrypt", "unwrapKey", "wrapKey"]

  rotation_policy {{
    automatic {{
      time_before_expiry = "P30D"
    }}
    expire_after         = "P365D"
    notify_before_expiry = "P29D"
  }}
}}
'''
    return Unit(text, ["azurerm_key_vault", "azurerm_key_vault_key"], 2)


def unit_gcs(name: str, ok: bool, rng: random.Random) -> Unit:
    """Cloud KMS key (in the module's key ring) + a CMEK bucket."""
    enc = f'''
  encryption {{
    default_kms_key_name = google_kms_crypto_key.{name}.id
  }}
''' if ok or rng.random() < 0.5 else ""
    text = f'''resource "google_kms_crypto_key" "{name}" {{
  name            = "{name.replace("_", "-")}"
  key_ring        = var.key_ring_id
  rotation_period = "{local_or(ok, "7776000s", "31536000s")}"
}}

resource "google_storage_bucket" "{name}" {{
  name                        = "${{local.prefix}}-{name.replace("_", "-")}"
  location                    = var.gcp_location
  uniform_bucket_level_access = {_hcl_bool(ok or rng.random() < 0.5)}
  public_access_prevention    = "{local_or(ok, "enforced", "inherited")}"
  force_destroy               = false
{enc}
  versioning {{
    enabled = {_hcl_bool(ok)}
  }}

  labels = local.common_labels
}}
'''
    return Unit(text, ["google_kms_crypto_key", "google_storage_bucket"], 2)


def unit_gcs_count(name: str, ok: bool, rng: random.Random) -> Unit:
    """Shards of a bucket with count, all keyed by the module's Cloud KMS input."""
    text = f'''resource "google_storage_bucket" "{name}" {{
  count = var.shard_count

  name                        = "${{local.prefix}}-{name.replace("_", "-")}-${{count.index}}"
  location                    = var.gcp_location
  uniform_bucket_level_access = true
  public_access_prevention    = "{local_or(ok, "enforced", "inherited")}"

  encryption {{
    default_kms_key_name = var.gcp_kms_key_id
  }}

  labels = local.common_labels
}}
'''
    return Unit(text, ["google_storage_bucket"], 2)


def unit_azure_container(name: str, ok: bool, rng: random.Random) -> Unit:
    text = f'''resource "azurerm_storage_container" "{name}" {{
  name                  = "{name.replace("_", "-")}"
  storage_account_id    = var.storage_account_id
  container_access_type = "{local_or(ok, "private", "blob")}"
}}
'''
    return Unit(text, ["azurerm_storage_container"], 1)


UnitFn = Callable[[str, bool, random.Random], Unit]

# Module kinds: the units they draw from, with weights; FILLER is a single-block unit that fills a
# file up to its resource count exactly.
MODULE_KINDS: dict[str, list[tuple[UnitFn, int]]] = {
    "aws_data": [(unit_s3, 5), (unit_s3_for_each, 2), (unit_log_group, 1)],
    "aws_ml": [(unit_sagemaker, 4), (unit_security_group, 3), (unit_log_group, 1), (unit_s3, 1)],
    "aws_db": [(unit_rds, 4), (unit_security_group, 2), (unit_log_group, 1)],
    "azure_storage": [(unit_azure_storage, 3), (unit_azure_key_vault, 1)],
    "gcp_storage": [(unit_gcs, 3), (unit_gcs_count, 1)],
}
FILLER: dict[str, UnitFn] = {
    "aws_data": unit_log_group, "aws_ml": unit_log_group, "aws_db": unit_log_group,
    "azure_storage": unit_azure_container, "gcp_storage": unit_gcs_count,
}
SHORT = {unit_s3: "s3", unit_s3_for_each: "ds", unit_security_group: "sg", unit_rds: "db",
         unit_sagemaker: "nb", unit_log_group: "lg", unit_azure_storage: "st", unit_azure_key_vault: "kv",
         unit_azure_container: "ct", unit_gcs: "gcs", unit_gcs_count: "gcx"}
UNIT_SIZE = {fn: len(fn("x", True, random.Random(0)).types) for fn in SHORT}
KIND_CYCLE = ["aws_data", "aws_ml", "azure_storage", "aws_db", "gcp_storage", "aws_data", "aws_ml"]


# --------------------------------------------------------------------------------------------------
# Module and root scaffolding


MODULE_VARIABLES = '''variable "name_prefix" {
  description = "Prefix for every resource name"
  type        = string
  default     = "bench"
}

variable "environment" {
  type    = string
  default = "prod"
}

variable "tags" {
  type    = map(string)
  default = {}
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for this module's data"
  type        = string
  default     = null
}

variable "vpc_id" {
  type    = string
  default = null
}

variable "vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "subnet_ids" {
  type    = list(string)
  default = ["subnet-00000000000000001"]
}

variable "security_group_ids" {
  type    = list(string)
  default = ["sg-00000000000000001"]
}

variable "allowed_ports" {
  type    = list(number)
  default = [443, 5432]
}

variable "datasets" {
  type    = list(string)
  default = ["raw", "curated", "features"]
}

variable "notebook_instance_type" {
  type    = string
  default = "ml.t3.medium"
}

variable "resource_group_name" {
  type    = string
  default = "rg-phi-training"
}

variable "location" {
  type    = string
  default = "eastus2"
}

variable "tenant_id" {
  type    = string
  default = "00000000-0000-0000-0000-000000000000"
}

variable "storage_account_id" {
  type    = string
  default = null
}

variable "key_ring_id" {
  type    = string
  default = null
}

variable "gcp_kms_key_id" {
  type    = string
  default = null
}

variable "gcp_location" {
  type    = string
  default = "US-CENTRAL1"
}

variable "shard_count" {
  type    = number
  default = 2
}
'''

MODULE_LOCALS = '''locals {
  prefix = "${var.name_prefix}-${var.environment}"
  common_tags = merge(var.tags, {
    module     = "%(module)s"
    data_class = "phi"
  })
  common_labels         = { module = "%(module_label)s", data_class = "phi" }
  log_retention_days    = 2192
  backup_retention_days = 35
}
'''

ROOT_MAIN = '''terraform {
  required_version = ">= 1.6"

  required_providers {
    aws     = { source = "hashicorp/aws", version = "~> 5.80" }
    azurerm = { source = "hashicorp/azurerm", version = "~> 4.10" }
    google  = { source = "hashicorp/google", version = "~> 6.10" }
  }
}

provider "aws" {
  region = var.aws_region
}

provider "azurerm" {
  features {}
}

provider "google" {
  project = var.gcp_project
  region  = var.gcp_region
}

locals {
  prefix = "phi-${var.environment}"
  common_tags = {
    project     = "ai-training"
    environment = var.environment
    hipaa       = "true"
  }
}

resource "aws_kms_key" "shared" {
  description             = "Shared customer-managed key for training data"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = local.common_tags
}

resource "aws_vpc" "main" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = local.common_tags
}

resource "aws_subnet" "private" {
  count = length(var.availability_zones)

  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index)
  availability_zone = var.availability_zones[count.index]
  tags              = merge(local.common_tags, { tier = "private" })
}

resource "azurerm_resource_group" "main" {
  name     = "rg-${local.prefix}"
  location = var.azure_location
  tags     = local.common_tags
}

resource "google_kms_key_ring" "main" {
  name     = "${local.prefix}-ring"
  location = lower(var.gcp_region)
}

resource "google_kms_crypto_key" "shared" {
  name            = "shared"
  key_ring        = google_kms_key_ring.main.id
  rotation_period = "7776000s"
}
'''
ROOT_TYPES = ["aws_kms_key", "aws_vpc", "aws_subnet", "azurerm_resource_group", "google_kms_key_ring",
              "google_kms_crypto_key"]
ROOT_INSTANCES = 1 + 1 + 3 + 1 + 1 + 1

ROOT_VARIABLES = '''variable "environment" {
  type    = string
  default = "prod"
}

variable "aws_region" {
  type    = string
  default = "us-east-1"
}

variable "vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "availability_zones" {
  type    = list(string)
  default = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

variable "azure_location" {
  type    = string
  default = "eastus2"
}

variable "gcp_project" {
  type    = string
  default = "phi-training-prod"
}

variable "gcp_region" {
  type    = string
  default = "US-CENTRAL1"
}
'''


def module_call(module: str, kind: str) -> str:
    inputs = [("source", f'"./modules/{module}"'), ("name_prefix", f'"${{local.prefix}}-{module.replace("_", "-")}"'),
              ("environment", "var.environment"), ("tags", "local.common_tags")]
    if kind.startswith("aws"):
        inputs += [("kms_key_arn", "aws_kms_key.shared.arn"), ("vpc_id", "aws_vpc.main.id"),
                   ("vpc_cidr", "var.vpc_cidr"), ("subnet_ids", "aws_subnet.private[*].id")]
    elif kind.startswith("azure"):
        inputs += [("resource_group_name", "azurerm_resource_group.main.name"),
                   ("location", "azurerm_resource_group.main.location")]
    else:
        inputs += [("key_ring_id", "google_kms_key_ring.main.id"),
                   ("gcp_kms_key_id", "google_kms_crypto_key.shared.id"), ("gcp_location", "var.gcp_region")]
    width = max(len(k) for k, _ in inputs)
    body = "\n".join(f"  {k.ljust(width)} = {v}" for k, v in inputs)
    return f'module "{module}" {{\n{body}\n}}\n'


# --------------------------------------------------------------------------------------------------
# Layout


@dataclass
class Case:
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text
    types: Counter = field(default_factory=Counter)
    instances: int = 0
    compliant_units: int = 0
    units: int = 0


def _draw(kind: str, rng: random.Random) -> UnitFn:
    fns, weights = zip(*MODULE_KINDS[kind])
    return rng.choices(fns, weights=weights)[0]


def build_module(case: Case, index: int, kind: str, quota: int, rng: random.Random) -> str:
    """Write ``quota`` resource blocks for one module, 5-10 per file; return the module's name."""
    module = f"{kind}_{index:03d}"
    base = f"modules/{module}"
    case.files[f"{base}/variables.tf"] = MODULE_VARIABLES
    case.files[f"{base}/locals.tf"] = MODULE_LOCALS % {"module": module, "module_label": module.replace("_", "-")}
    case.files[f"{base}/outputs.tf"] = f'output "module" {{\n  value = "{module}"\n}}\n'
    written, file_no, serial = 0, 0, 0
    while written < quota:
        target = min(rng.randint(5, 10), quota - written)
        chunks: list[str] = []
        in_file = 0
        while in_file < target:
            fn = _draw(kind, rng)
            if in_file + UNIT_SIZE[fn] > target:
                fn = FILLER[kind]  # one block: fills the file to exactly ``target``
            ok = rng.random() < COMPLIANT_SHARE
            unit = fn(f"{SHORT[fn]}_{index:03d}_{serial:04d}", ok, rng)
            chunks.append(unit.text)
            case.types.update(unit.types)
            case.instances += unit.instances
            case.units += 1
            case.compliant_units += ok
            in_file += len(unit.types)
            serial += 1
        case.files[f"{base}/{kind}_{file_no:03d}.tf"] = "\n".join(chunks)
        written += in_file
        file_no += 1
    return module


def build_case(size: int) -> Case:
    rng = random.Random(f"hipaa-iac-bench-{size}-v{GENERATOR_VERSION}")
    case = Case()
    case.files["main.tf"] = ROOT_MAIN
    case.files["variables.tf"] = ROOT_VARIABLES
    case.types.update(ROOT_TYPES)
    case.instances += ROOT_INSTANCES
    remaining = size - len(ROOT_TYPES)
    n_modules = max(5, round(size / RESOURCES_PER_MODULE))
    calls = []
    for i in range(n_modules):
        kind = KIND_CYCLE[i % len(KIND_CYCLE)]
        quota = remaining // (n_modules - i)
        module = build_module(case, i, kind, quota, rng)
        remaining -= quota
        calls.append(module_call(module, kind))
    case.files["modules.tf"] = "\n".join(calls)
    return case


PRECOMMIT_TF = '''variable "kms_key_arn" {
  type    = string
  default = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

resource "aws_s3_bucket" "phi" {
  bucket = "phi-training-raw"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "phi" {
  bucket = aws_s3_bucket.phi.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}
'''


def build_precommit() -> Case:
    case = Case()
    case.files["main.tf"] = PRECOMMIT_TF
    case.types.update(["aws_s3_bucket", "aws_s3_bucket_server_side_encryption_configuration"])
    case.instances = 2
    return case


# --------------------------------------------------------------------------------------------------
# Writing


def manifest_for(name: str, case: Case) -> dict:
    digest = hashlib.sha256()
    for path in sorted(case.files):
        digest.update(path.encode() + b"\0" + case.files[path].encode() + b"\0")
    tf_files = [p for p in case.files if p.endswith(".tf")]
    return {
        "case": name,
        "generator_version": GENERATOR_VERSION,
        "resources": sum(case.types.values()),
        "instances_estimate": case.instances,
        "files": len(tf_files),
        "bytes": sum(len(case.files[p].encode()) for p in tf_files),
        "modules": len({p.split("/")[1] for p in case.files if p.startswith("modules/")}),
        "units": case.units,
        "compliant_units": case.compliant_units,
        "resource_types": dict(sorted(case.types.items())),
        "sha256": digest.hexdigest(),
        "entry": "main.tf" if name == PRECOMMIT_CASE else ".",
    }


def case_is_current(root: Path) -> bool:
    try:
        manifest = json.loads((root / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("generator_version") == GENERATOR_VERSION


def write_case(out: Path, name: str, case: Case) -> dict:
    """Write into a temporary folder, then swap it in, so an interrupted run leaves no half case."""
    final = out / name
    tmp = out / f".{name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    for rel, text in case.files.items():
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    manifest = manifest_for(name, case)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return manifest


def ensure_cases(sizes: list[int], out: Path = DEFAULT_OUT, force: bool = False,
                 precommit: bool = True, log=print) -> dict[str, Path]:
    """Generate the cases that are missing or stale; return case name -> root folder."""
    out.mkdir(parents=True, exist_ok=True)
    names: list[str] = ([PRECOMMIT_CASE] if precommit else []) + [str(s) for s in sizes]
    roots = {}
    for name in names:
        root = out / name
        if force or not case_is_current(root):
            case = build_precommit() if name == PRECOMMIT_CASE else build_case(int(name))
            m = write_case(out, name, case)
            log(f"generated {root}: {m['resources']} resources, {m['files']} files, {m['bytes'] / 1e6:.2f} MB")
        roots[name] = root
    return roots


def parse_sizes(text: str) -> list[int]:
    sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    if any(s < 20 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be at least 20 resources")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES),
                        help="comma-separated resource counts (default 100,1000,5000,20000)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default benchmarks/work)")
    parser.add_argument("--force", action="store_true", help="regenerate even when the case is current")
    args = parser.parse_args(argv)
    ensure_cases(args.sizes, args.out, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
