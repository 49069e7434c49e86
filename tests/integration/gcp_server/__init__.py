"""A local GCP API server for tests (gRPC for Asset/Billing/Budgets/IAM/Secret Manager/Resource
Manager, REST for BigQuery) and the sample estate the GCP tests audit."""

from tests.integration.gcp_server.bigquery import BigQueryServer, create_export_table
from tests.integration.gcp_server.server import Denial, Estate, GcpApiServer

__all__ = ["BigQueryServer", "Denial", "Estate", "GcpApiServer", "create_export_table"]
