"""pytest fixtures for the local GCP servers; import them into a test module to use them:
``from tests.integration.gcp_server.fixtures import gcp_fixture, gcp_servers_fixture  # noqa: F401``
(registered under the names ``gcp`` and ``gcp_servers``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.integration.gcp_server.bigquery import BigQueryServer
from tests.integration.gcp_server.sample import EXPORT_TABLE, sample_estate, sample_export
from tests.integration.gcp_server.server import GcpApiServer


@dataclass
class Gcp:
    """The running servers and the environment that points hygiene at them."""

    api: GcpApiServer
    bigquery: BigQueryServer

    @property
    def env(self) -> dict[str, str]:
        """``HYGIENE_GCP_*`` variables for the library or a CLI subprocess."""
        return {
            "HYGIENE_GCP_ENDPOINT": self.api.endpoint,
            "HYGIENE_GCP_BIGQUERY_ENDPOINT": self.bigquery.endpoint,
        }


@pytest.fixture(scope="session", name="gcp_servers")
def gcp_servers_fixture() -> Iterator[Gcp]:
    """Both servers, started once per session."""
    api = GcpApiServer().start()
    bigquery = BigQueryServer().start()
    try:
        yield Gcp(api, bigquery)
    finally:
        api.stop()
        bigquery.stop()


@pytest.fixture(name="gcp")
def gcp_fixture(gcp_servers: Gcp, monkeypatch: pytest.MonkeyPatch) -> Gcp:
    """The sample estate and billing export, fresh for one test; the environment points at it."""
    gcp_servers.api.reset(sample_estate())
    gcp_servers.bigquery.reset()
    gcp_servers.bigquery.load(EXPORT_TABLE, sample_export(), detailed=True)
    for name, value in gcp_servers.env.items():
        monkeypatch.setenv(name, value)
    return gcp_servers
