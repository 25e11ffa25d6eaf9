"""The eligible-service engine and its data (src/hipaa_iac/data/eligible/): exact statuses and messages.

Contract: a type of a service on the list passes; a type of a service the sourced list says is not eligible
fails; control-plane types (no ePHI) give no result; a type no row maps, or one whose service is identified but
not in the tables, is unknown with the reason, never failed. Messages carry the list's own date (for AWS the
2022-04-18 list, or the date of a dated addition) and the row's confidence, never the date the data was compiled.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hipaa_iac.config import Config
from hipaa_iac.load import LoadOptions, load
from hipaa_iac.policy.engines import EligibleIndex
from hipaa_iac.policy.loader import load_pack
from hipaa_iac.scan import evaluate_policies
from hipaa_iac.yamlio import safe_load

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "src" / "hipaa_iac" / "data" / "eligible"
PACK = {p.id: p for p in load_pack(str(REPO / "policies")).policies}
ELIG = {c: PACK[f"HIPAA_{c.upper()}_ELIGIBLE_001"] for c in ("aws", "azure", "gcp")}
AWS_LIST = "AWS HIPAA Eligible Services Reference"
AZ_LIST = ("project table of Azure services in HIPAA audit scope (Microsoft's list not retrieved; rows from "
           "sources A1-A6, read 2026-11-28)")
GCP_LIST = ("project table of Google Cloud HIPAA covered products (Google's covered-products page not retrieved; rows "
            "from Google release notes and the sources below, read 2026-11-28 and 2026-12-04)")
REVIEW = ("review whether it stores or processes ePHI; if it does and your BAA covers it, add it under "
          "eligible_services in the configuration")


def scan(tmp_path: Path, tf: str, cloud: str, cfg: Config | None = None) -> dict[str, tuple[str, str]]:
    (tmp_path / "main.tf").write_text(textwrap.dedent(tf))
    g = load([str(tmp_path)], LoadOptions())
    assert not g.errors, g.errors
    return {r["resource"]: (r["status"], r["message"]) for r in evaluate_policies(g, [ELIG[cloud]], cfg)}


def test_aws_statuses_and_messages(tmp_path):
    got = scan(tmp_path, """
    resource "aws_s3_bucket" "b" { bucket = "phi" }
    resource "aws_lightsail_instance" "l" { name = "box" }
    resource "aws_mwaa_environment" "m" { name = "airflow" }
    resource "awscc_sagemaker_domain" "d" { domain_name = "d" }
    resource "awscc_bedrock_agent" "a" { agent_name = "a" }
    resource "awscc_deadline_farm" "f" { display_name = "f" }
    resource "aws_iam_role" "r" { name = "r" }
    resource "awscc_iam_role" "r" { role_name = "r" }
    resource "aws_opensearchserverless_collection" "c" { name = "c" }
    resource "aws_notarealservice_thing" "x" { name = "x" }
    """, "aws")
    assert got == {
        "aws_s3_bucket.b": ("passed", "Amazon Simple Storage Service (S3) [incl. Transfer Acceleration] (S3 (Simple "
                            f"Storage)) is on the {AWS_LIST} (list of 2022-04-18; confidence high)"),
        "aws_lightsail_instance.l": ("failed", f"Lightsail is not on the {AWS_LIST} (list of 2022-04-18; confidence "
                                     "medium); keep ePHI out of it or confirm it is covered by your BAA"),
        "aws_mwaa_environment.m": ("passed", "Amazon Managed Workflows for Apache Airflow (MWAA) is on the "
                                   f"{AWS_LIST} (added 2022-11 to the list of 2022-04-18; confidence medium)"),
        "awscc_sagemaker_domain.d": ("passed", "Amazon SageMaker [excludes Studio Lab, Ground Truth Plus, Public/Vendor "
                                     f"Workforce] (SageMaker AI) is on the {AWS_LIST} (list of 2022-04-18; confidence "
                                     "high)"),
        "awscc_bedrock_agent.a": ("passed", f"Amazon Bedrock is on the {AWS_LIST} (added by 2026 (secondary source, "
                                  "see notes) to the list of 2022-04-18; confidence medium)"),
        "awscc_deadline_farm.f": ("unknown", f"cannot be decided statically: awscc_deadline_farm is not in the AWS "
                                  f"eligible-service tables ({AWS_LIST}, list of 2022-04-18); {REVIEW}"),
        "aws_opensearchserverless_collection.c": (
            "unknown", f"cannot be decided statically: OpenSearch Serverless was not on the {AWS_LIST} (list of "
            "2022-04-18; confidence low) but may have been added since: confirm it against the current list or your "
            "BAA (eligible_services in the configuration)"),
        "aws_notarealservice_thing.x": ("unknown", "cannot be decided statically: aws_notarealservice_thing is not in "
                                        f"the AWS eligible-service tables ({AWS_LIST}, list of 2022-04-18); {REVIEW}"),
    }
    assert not any("2026-11-28" in m for _, m in got.values()), "the compile date is not the list's date"


def test_configuration_overrides_the_list(tmp_path):
    tf = """
    resource "aws_lightsail_instance" "l" { name = "box" }
    resource "awscc_deadline_farm" "f" { display_name = "f" }
    resource "aws_s3_bucket" "b" { bucket = "phi" }
    """
    cfg = Config(eligible_services={"aws": {"add": ["aws_lightsail_", "awscc_deadline_"], "remove": ["aws_s3_bucket"]}})
    got = scan(tmp_path, tf, "aws", cfg)
    assert got == {
        "aws_lightsail_instance.l": ("passed", "aws_lightsail_ (added in configuration): covered by your BAA per the "
                                     "configuration (eligible_services)"),
        "awscc_deadline_farm.f": ("passed", "awscc_deadline_ (added in configuration): covered by your BAA per the "
                                  "configuration (eligible_services)"),
        "aws_s3_bucket.b": ("failed", "aws_s3_bucket (removed in configuration): not covered by your BAA per the "
                            "configuration (eligible_services); keep ePHI out of it"),
    }


def test_azure_cognitive_kind_and_azapi_type(tmp_path):
    got = scan(tmp_path, """
    variable "kind" { type = string }
    resource "azurerm_cognitive_account" "openai" {
      name = "o"
      kind = "OpenAI"
    }
    resource "azurerm_cognitive_account" "bing" {
      name = "b"
      kind = "Bing.Search.v7"
    }
    resource "azurerm_cognitive_account" "var" {
      name = "v"
      kind = var.kind
    }
    resource "azapi_resource" "aml" {
      type = "Microsoft.MachineLearningServices/workspaces@2024-04-01"
      name = "aml"
    }
    resource "azapi_resource" "pg_single" {
      type = "Microsoft.DBforPostgreSQL/servers@2017-12-01"
      name = "pg"
    }
    resource "azapi_resource" "pg_flex" {
      type = "Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01"
      name = "pgf"
    }
    resource "azapi_resource" "role" {
      type = "Microsoft.Authorization/roleAssignments@2022-04-01"
      name = "r"
    }
    resource "azapi_resource" "odd" {
      type = "Contoso.Widgets/things@2024-01-01"
      name = "w"
    }
    resource "azapi_update_resource" "vt" {
      type = var.kind
    }
    resource "azurerm_route" "r" { name = "r" }
    resource "azurerm_api_management" "apim" { name = "a" }
    """, "azure")
    # unknown values: the reason comes from the resolver (its wording, and the hint on how to supply a value,
    # belong to the message model): only the start, which this engine writes, is asserted exactly
    by_var = {k: got.pop(k) for k in ("azurerm_cognitive_account.var", "azapi_update_resource.vt")}
    assert by_var["azurerm_cognitive_account.var"][0] == by_var["azapi_update_resource.vt"][0] == "unknown"
    assert by_var["azurerm_cognitive_account.var"][1].startswith(
        "cannot be decided statically: the service of azurerm_cognitive_account depends on `kind`, which is not known "
        "statically (var.kind has no default")
    assert by_var["azapi_update_resource.vt"][1].startswith(
        "cannot be decided statically: the Azure resource type of azapi_update_resource decides its service, and "
        "`type` is not known statically (var.kind has no default")
    assert got == {
        "azurerm_cognitive_account.openai": (
            "passed", f"Azure OpenAI / Azure AI Services (Cognitive Services accounts) is on the {AZ_LIST} (list of "
            "2026-11-28; confidence medium)"),
        "azurerm_cognitive_account.bing": (
            "failed", 'kind = "Bing.Search.v7": Bing Search APIs (kind Bing.*; retired 2025-08-11) is not on the '
            f"{AZ_LIST} (list of 2026-12-04; confidence high); keep ePHI out of it or confirm it is covered by your BAA"),
        "azapi_resource.aml": (
            "passed", "azapi_resource of type Microsoft.MachineLearningServices/workspaces: Azure Machine Learning is on "
            f"the {AZ_LIST} (list of 2026-11-28; confidence medium)"),
        "azapi_resource.pg_single": (
            "failed", "azapi_resource of type Microsoft.DBforPostgreSQL/servers: Azure Database for PostgreSQL Single "
            f"Server (retired) is not on the {AZ_LIST} (list of 2026-11-28; confidence high); keep ePHI out of it or "
            "confirm it is covered by your BAA"),
        "azapi_resource.pg_flex": (
            "passed", "azapi_resource of type Microsoft.DBforPostgreSQL/flexibleServers: Azure Database for PostgreSQL "
            f"flexible server is on the {AZ_LIST} (list of 2026-11-28; confidence high)"),
        "azapi_resource.odd": (
            "unknown", "cannot be decided statically: azapi_resource of type Contoso.Widgets/things (resource provider "
            f"Contoso.Widgets) is not in the Azure eligible-service tables ({AZ_LIST}, list of 2026-11-28); {REVIEW}"),
        "azurerm_api_management.apim": (
            "unknown", "cannot be decided statically: azurerm_api_management is not in the Azure eligible-service "
            f"tables ({AZ_LIST}, list of 2026-11-28; Microsoft's audit-scope list (Cloud services in audit scope) could "
            f"not be retrieved on 2026-11-28 or 2026-12-04; confirm this service there); {REVIEW}"),
    }


def test_gcp_iam_bindings_are_control_plane_and_unverified_products_unknown(tmp_path):
    got = scan(tmp_path, """
    resource "google_storage_bucket" "b" {
      name     = "b"
      location = "US"
    }
    resource "google_storage_bucket_iam_member" "m" {
      bucket = "b"
      role   = "roles/storage.objectViewer"
      member = "user:a@example.com"
    }
    resource "google_composer_environment" "c" { name = "c" }
    resource "google_gke_hub_feature" "f" { name = "f" }
    """, "gcp")
    assert set(got) == {"google_storage_bucket.b", "google_composer_environment.c"}
    assert got["google_storage_bucket.b"] == (
        "passed", f"Cloud Storage is on the {GCP_LIST} (list of 2026-11-28; confidence high)")
    assert got["google_composer_environment.c"] == (
        "unknown", "cannot be decided statically: google_composer_environment is not in the Google Cloud "
        f"eligible-service tables ({GCP_LIST}, list of 2026-12-04; no Google source read names this product; confirm "
        f"it on the covered-products list); {REVIEW}")


def test_gcp_rows_sourced_2026_12_04_from_google_release_notes(tmp_path):
    """Rows added or raised from the Assured Workloads release note of 2026-03-27 (products the US Data Boundary for
    Healthcare and Life Sciences packages support, each of them listed on the HIPAA BAA page) and from product release
    notes; the message carries the source's date, not the date it was read. Products no Google source read names
    (Workflows, Filestore, Eventarc, Integration Connectors, Dialogflow ES) stay unknown."""
    got = scan(tmp_path, """
    resource "google_alloydb_cluster" "a" { cluster_id = "a" }
    resource "google_dataplex_lake" "l" { name = "l" }
    resource "google_looker_instance" "k" { name = "k" }
    resource "google_managed_kafka_cluster" "m" { cluster_id = "m" }
    resource "google_gke_backup_backup_plan" "g" { name = "g" }
    resource "google_dialogflow_cx_agent" "cx" { display_name = "cx" }
    resource "google_cloudfunctions2_function" "f" { name = "f" }
    resource "google_workflows_workflow" "w" { name = "w" }
    resource "google_filestore_instance" "fs" { name = "fs" }
    resource "google_eventarc_trigger" "e" { name = "e" }
    resource "google_integration_connectors_connection" "ic" { name = "ic" }
    resource "google_dialogflow_agent" "es" { display_name = "es" }
    """, "gcp")
    hcls = "list of 2026-03-27; confidence high"
    unverified = [k for k in got if got[k][0] == "unknown"]
    assert sorted(unverified) == ["google_dialogflow_agent.es", "google_eventarc_trigger.e", "google_filestore_instance.fs",
                                  "google_integration_connectors_connection.ic", "google_workflows_workflow.w"]
    for k in unverified:
        rtype = k.split(".")[0]
        assert got[k][1] == (f"cannot be decided statically: {rtype} is not in the Google Cloud eligible-service tables "
                             f"({GCP_LIST}, list of 2026-12-04; no Google source read names this product; confirm it "
                             f"on the covered-products list); {REVIEW}")
    assert {k: v for k, v in got.items() if v[0] != "unknown"} == {
        "google_alloydb_cluster.a": ("passed", f"AlloyDB for PostgreSQL is on the {GCP_LIST} ({hcls})"),
        "google_dataplex_lake.l": ("passed", "Knowledge Catalog (formerly Dataplex Universal Catalog) is on the "
                                   f"{GCP_LIST} ({hcls})"),
        "google_looker_instance.k": ("passed", f"Looker (Google Cloud core) is on the {GCP_LIST} ({hcls})"),
        "google_managed_kafka_cluster.m": ("passed", f"Managed Service for Apache Kafka is on the {GCP_LIST} (list of "
                                           "2025-09-02; confidence high)"),
        "google_gke_backup_backup_plan.g": ("passed", f"Backup for GKE is on the {GCP_LIST} ({hcls})"),
        "google_dialogflow_cx_agent.cx": ("passed", f"Conversational Agents (Dialogflow CX) is on the {GCP_LIST} ({hcls})"),
        "google_cloudfunctions2_function.f": ("passed", f"Cloud Functions is on the {GCP_LIST} ({hcls})"),
    }


def test_sourced_rows_name_a_reachable_source_and_its_date():
    """Every row raised or added on 2026-12-04 cites the release note it comes from (by date) and the source list
    records the copy it was read in, with its commit."""
    data = safe_load((DATA / "gcp.yaml").read_text())
    sources = "\n".join(data["sources"])
    assert "multani/gcp-changelog@84028d37dfda80cb55bef21073759e06dac3da32" in sources
    assert "us-data-boundary-healthcare-life-sciences" in sources
    raised = [s for s in data["services"] if "read 2026-12-04" in s["source"]]
    assert len(raised) == 23
    for s in raised:
        assert s["status"] == "eligible" and s["confidence"] == "high", s["service"]
        assert str(s["as_of"]) in s["source"], s["service"]
    for cloud in ("azure", "aws"):  # what could not be verified is recorded in the data
        assert "2026-12-04" in (DATA / f"{cloud}.yaml").read_text()


# ------------------------------------------------------------------------ coverage of the provider type lists
@pytest.mark.parametrize("cloud,listing", [("aws", "awscc"), ("azure", "azurerm"), ("gcp", "google")])
def test_every_type_of_the_provider_listing_is_classified_and_never_failed_for_lack_of_data(cloud, listing):
    """Each type of the recorded provider listing maps to a row (service, control plane or a named 'not in the
    tables' group) or is unknown with the reason; 'failed' comes only from a row that says not eligible."""
    lines = (DATA / "types" / f"{listing}.txt").read_text().splitlines()
    assert lines[0].startswith("# resource types of ") and "@" in lines[0]
    types = [t for t in lines[1:] if t]
    assert len(types) > 1000
    idx = EligibleIndex(cloud)
    unmapped = []
    for t in types:
        status, msg, matched = idx.classify(t)
        assert status in ("eligible", "not_eligible", "control_plane", "doubtful", "unlisted"), (t, status)
        if status == "unlisted" and matched is None:
            unmapped.append(t)
            assert msg.endswith(REVIEW), msg
        if status == "not_eligible":
            svc, _ = idx._row(t)
            assert svc.get("status") == "not_eligible" and svc.get("confidence") in ("high", "medium"), (t, svc)
    if cloud in ("azure", "gcp"):
        assert unmapped == []
    else:  # awscc: CloudFormation namespaces with no row yet (recorded, reported as unknown)
        assert len(unmapped) < 300, len(unmapped)


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_data_records_list_date_and_type_list_versions(cloud):
    data = safe_load((DATA / f"{cloud}.yaml").read_text())
    assert data["list"]["name"] and str(data["list"]["date"]).startswith("20")
    assert data["type_lists"] and all("@" in t["version"] for t in data["type_lists"])
    for svc in data["services"]:
        assert svc["status"] in ("eligible", "not_eligible", "control_plane", "unverified"), svc
        assert svc.get("source"), svc["service"]
        if svc["status"] == "unverified":
            assert svc.get("reason"), svc["service"]
    if cloud == "aws":
        assert str(data["list"]["date"]) == "2022-04-18"
        mwaa = next(s for s in data["services"] if "aws_mwaa_" in s.get("prefixes", []))
        assert (mwaa["status"], str(mwaa["added"])) == ("eligible", "2022-11")


def test_azure_retired_services_and_provider_3_sql_types(tmp_path):
    """Microsoft's retirement list (Azure/EOL) and the provider's upgrade guides: retired services fail (they
    cannot hold ePHI under any BAA), the provider 3.x azurerm_sql_* types are Azure SQL Database."""
    got = scan(tmp_path, """
    resource "azurerm_sql_server" "s" { name = "s" }
    resource "azurerm_sql_firewall_rule" "f" { name = "f" }
    resource "azurerm_data_lake_store" "g1" { name = "g1" }
    resource "azurerm_data_lake_analytics_firewall_rule" "a" { name = "a" }
    resource "azurerm_mariadb_server" "m" { name = "m" }
    resource "azurerm_iot_time_series_insights_gen2_environment" "t" { name = "t" }
    resource "azurerm_cognitive_account" "ad" {
      name = "ad"
      kind = "AnomalyDetector"
    }
    resource "azapi_resource" "maria" {
      type = "Microsoft.DBforMariaDB/servers@2018-06-01"
      name = "m"
    }
    """, "azure")
    keep = "keep ePHI out of it or confirm it is covered by your BAA"
    assert got == {
        "azurerm_sql_server.s": ("passed", "Azure SQL Database (provider 3.x types azurerm_sql_*) is on the "
                                 f"{AZ_LIST} (list of 2026-12-04; confidence high)"),
        "azurerm_sql_firewall_rule.f": ("passed", "Azure SQL Database (provider 3.x types azurerm_sql_*) is on the "
                                        f"{AZ_LIST} (list of 2026-12-04; confidence high)"),
        "azurerm_data_lake_store.g1": ("failed", "Azure Data Lake Storage Gen1 (retired 2024-02-29) is not on the "
                                       f"{AZ_LIST} (list of 2026-12-04; confidence high); {keep}"),
        "azurerm_data_lake_analytics_firewall_rule.a": (
            "failed", f"Azure Data Lake Analytics (retired 2024-02-29) is not on the {AZ_LIST} (list of 2026-12-04; "
            f"confidence high); {keep}"),
        "azurerm_mariadb_server.m": ("failed", "Azure Database for MariaDB (retired 2025-09-19) is not on the "
                                     f"{AZ_LIST} (list of 2026-12-04; confidence high); {keep}"),
        "azurerm_iot_time_series_insights_gen2_environment.t": (
            "failed", f"Azure Time Series Insights (retired 2024-07-07) is not on the {AZ_LIST} (list of 2026-12-04; "
            f"confidence high); {keep}"),
        "azurerm_cognitive_account.ad": (
            "failed", 'kind = "AnomalyDetector": Azure AI Anomaly Detector (kind AnomalyDetector; retired 2026-10-01) '
            f"is not on the {AZ_LIST} (list of 2026-12-04; confidence high); {keep}"),
        "azapi_resource.maria": (
            "failed", "azapi_resource of type Microsoft.DBforMariaDB/servers: Azure Database for MariaDB (retired "
            f"2025-09-19) is not on the {AZ_LIST} (list of 2026-12-04; confidence high); {keep}"),
    }
