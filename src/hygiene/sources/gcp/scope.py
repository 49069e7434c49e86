"""GCP scope: credentials, endpoints, projects, API clients and per-project fan-out.

Credentials come from Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``,
``gcloud auth application-default login``, workload identity, the metadata server). Endpoints are
overridable for private endpoints and for tests:

* ``HYGIENE_GCP_ENDPOINT`` — ``host:port`` or ``https://host`` for every gRPC API (Cloud Asset,
  Billing, Budgets, IAM, Secret Manager, Resource Manager); ``http://host:port`` means a local
  plaintext server (an emulator or the tests' server) reached with anonymous credentials, the
  way Google's own emulators are addressed.
* ``HYGIENE_GCP_BIGQUERY_ENDPOINT`` — the BigQuery REST root (``http://127.0.0.1:9050``).

Each project's calls run in a bounded thread pool; a call that fails (permission denied, API not
enabled) becomes an error naming the method, the project and the API, and the rest still reports.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from google.api_core import exceptions as gexc

from hygiene.concurrency import as_finished
from hygiene.errors import CheckSkipped
from hygiene.policy import GcpPolicy
from hygiene.records.gcp import GcpProject

log = logging.getLogger(__name__)

T = TypeVar("T")

ENDPOINT_ENV = "HYGIENE_GCP_ENDPOINT"
BIGQUERY_ENDPOINT_ENV = "HYGIENE_GCP_BIGQUERY_ENDPOINT"
MAX_WORKERS = 8


@dataclass(frozen=True)
class Endpoint:
    """Where the gRPC APIs are: Google's default, a private endpoint, or a plaintext local one."""

    host: str | None = None
    insecure: bool = False

    @classmethod
    def parse(cls, value: str | None) -> Endpoint:
        """``None``/"" → Google's; ``http://h:p`` → plaintext; ``https://h`` or ``h:p`` → TLS."""
        if not value:
            return cls()
        if value.startswith("http://"):
            return cls(value.removeprefix("http://").rstrip("/"), insecure=True)
        return cls(value.removeprefix("https://").rstrip("/"))


@dataclass(frozen=True)
class Call:
    """One unit of fan-out work: an API method against one target (a project, an account)."""

    method: str  # "asset.searchAllResources"
    api: str  # "cloudasset.googleapis.com"
    target: str  # "project p1", "billingAccount 0123-4567-89AB"

    def __str__(self) -> str:
        return f"{self.method} {self.target}"


@dataclass
class FanOut(Generic[T]):
    """Results of a fan-out: values per call and the calls that failed."""

    values: list[tuple[Call, T]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def describe_error(call: Call, exc: Exception) -> str:
    """``asset.searchAllResources project p1: PERMISSION_DENIED (API cloudasset.googleapis.com)``.

    The ErrorInfo reason (``SERVICE_DISABLED`` when the API is not enabled) is added when the
    server sent one; the server's free-text message is not (it can be long and repeats the rest).
    """
    if isinstance(exc, gexc.RetryError) and isinstance(exc.cause, gexc.GoogleAPICallError):
        return describe_error(call, exc.cause) + " (still failing after retries)"
    if isinstance(exc, gexc.GoogleAPICallError):
        status = exc.grpc_status_code.name if exc.grpc_status_code is not None else str(exc.code)
        reason = exc.reason
        api = call.api
        metadata = exc.metadata or {}
        if metadata.get("service"):
            api = str(metadata["service"])
        text = f"{call}: {status} (API {api})"
        return f"{text}: {reason}" if reason and reason != status else text
    return f"{call}: {type(exc).__name__}: {exc} (API {call.api})"


class GcpScope:
    """The projects to audit, the credentials, and clients pointed at the right endpoints."""

    def __init__(
        self,
        policy: GcpPolicy,
        credentials: Any = None,
        endpoint: Endpoint | None = None,
        bigquery_endpoint: str | None = None,
        quota_project: str | None = None,
        retry: Any = None,
    ) -> None:
        self.policy = policy
        self.endpoint = endpoint or Endpoint()
        self.bigquery_endpoint = bigquery_endpoint
        self.quota_project = quota_project
        if credentials is None and self.endpoint.insecure:
            from google.auth.credentials import AnonymousCredentials

            credentials = AnonymousCredentials()
        self.credentials = credentials
        self.retry = retry or default_retry()
        self.calls: Counter[str] = Counter()
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, policy: GcpPolicy, environ: Mapping[str, str]) -> GcpScope:
        """A scope from the policy and environment; CheckSkipped without GCP config or ADC."""
        if not (policy.projects or policy.organization or policy.folders):
            raise CheckSkipped(
                "GCP is not configured (set gcp.projects, gcp.organization or gcp.folders)"
            )
        endpoint = Endpoint.parse(environ.get(ENDPOINT_ENV))
        bigquery = environ.get(BIGQUERY_ENDPOINT_ENV) or None
        if endpoint.insecure:
            return cls(policy, endpoint=endpoint, bigquery_endpoint=bigquery)
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        try:
            credentials, project = google.auth.default(
                scopes=["https://www.googleapis.com/auth/cloud-platform"]
            )
        except DefaultCredentialsError:
            raise CheckSkipped(
                "no GCP credentials found (set GOOGLE_APPLICATION_CREDENTIALS or run "
                "`gcloud auth application-default login`)"
            ) from None
        return cls(policy, credentials, endpoint, bigquery, quota_project=project)

    # -- clients -------------------------------------------------------------------------------

    def client(self, name: str) -> Any:
        """A cached client: asset, billing, budgets, iam, secrets, projects, folders."""
        with self._lock:
            if name not in self._clients:
                self._clients[name] = self._build(name)
            return self._clients[name]

    def _build(self, name: str) -> Any:
        client_cls, transport_cls = _client_classes(name)
        if self.endpoint.insecure:
            import grpc

            channel = grpc.insecure_channel(str(self.endpoint.host))
            return client_cls(transport=transport_cls(channel=channel))
        options: dict[str, Any] = {}
        if self.endpoint.host:
            options["api_endpoint"] = self.endpoint.host
        return client_cls(credentials=self.credentials, client_options=options or None)

    def bigquery(self, project: str) -> Any:
        """A BigQuery client billed to ``project``, at the overridden endpoint if any."""
        from google.cloud import bigquery

        options = {"api_endpoint": self.bigquery_endpoint} if self.bigquery_endpoint else None
        credentials = self.credentials
        if credentials is None and self.bigquery_endpoint:
            from google.auth.credentials import AnonymousCredentials

            credentials = AnonymousCredentials()
        return bigquery.Client(project=project, credentials=credentials, client_options=options)

    def count(self, method: str, pages: int = 1) -> None:
        """Count API calls (pages) per method for the run's stats."""
        with self._lock:
            self.calls[method] += pages

    def stats(self) -> dict[str, Any]:
        """API-call counts for the run's stats."""
        return {
            "gcp_api_calls": sum(self.calls.values()),
            "gcp_api_calls_by_method": dict(sorted(self.calls.items())),
        }

    # -- scope ---------------------------------------------------------------------------------

    def projects(self) -> tuple[list[GcpProject], list[str]]:
        """The policy's projects, plus every active project under its organisation/folders.

        Returns the projects found and the errors of the lookups that failed. A listed project
        whose lookup failed is still returned (by id) so the other APIs are still tried on it.
        """
        errors: list[str] = []
        found: dict[str, GcpProject] = {}
        parents = [f"organizations/{self.policy.organization}"] if self.policy.organization else []
        parents += [f if f.startswith("folders/") else f"folders/{f}" for f in self.policy.folders]
        for parent in _normalise_parents(parents):
            try:
                for project in self._projects_under(parent):
                    found.setdefault(project.project_id, project)
            except gexc.GoogleAPICallError as exc:
                call = Call(
                    "resourcemanager.listProjects", "cloudresourcemanager.googleapis.com", parent
                )
                errors.append(describe_error(call, exc))
        wanted = [p for p in self.policy.projects if p not in found]
        lookups = self.fan_out(
            [
                Call(
                    "resourcemanager.getProject",
                    "cloudresourcemanager.googleapis.com",
                    f"project {p}",
                )
                for p in wanted
            ],
            lambda call: self._get_project(call.target.removeprefix("project ")),
        )
        for _call, project in lookups.values:
            found[project.project_id] = project
        errors += lookups.errors
        for project_id in wanted:  # lookup failed: still try the other APIs on it
            if not any(
                p.project_id == project_id or p.number == project_id for p in found.values()
            ):
                found[project_id] = GcpProject(project_id=project_id)
        return sorted(found.values(), key=lambda p: p.project_id), errors

    def _get_project(self, project_id: str) -> GcpProject:
        self.count("resourcemanager.getProject")
        return project_from_proto(
            self.client("projects").get_project(name=f"projects/{project_id}", retry=self.retry)
        )

    def _projects_under(self, parent: str) -> list[GcpProject]:
        """Active projects under ``parent``, descending through folders."""
        projects: list[GcpProject] = []
        todo = [parent]
        while todo:
            current = todo.pop()
            self.count("resourcemanager.listProjects")
            for proto in self.client("projects").list_projects(parent=current, retry=self.retry):
                if _state_name(proto.state) == "ACTIVE":
                    projects.append(project_from_proto(proto))
            self.count("resourcemanager.listFolders")
            for folder in self.client("folders").list_folders(parent=current, retry=self.retry):
                if _state_name(folder.state) == "ACTIVE":
                    todo.append(folder.name)
        return projects

    # -- fan-out -------------------------------------------------------------------------------

    def fan_out(self, calls: Iterable[Call], work: Callable[[Call], T]) -> FanOut[T]:
        """Run ``work`` on every call in a bounded pool; a failed call becomes an error line."""
        result: FanOut[T] = FanOut()
        result.values = list(self.fan_out_stream(calls, work, result))
        result.values.sort(key=lambda pair: (pair[0].target, pair[0].method))
        return result

    def fan_out_stream(
        self, calls: Iterable[Call], work: Callable[[Call], T], result: FanOut[T]
    ) -> Iterator[tuple[Call, T]]:
        """``fan_out`` as a stream: each call's value as soon as it is done, with at most twice
        the pool's size of calls read but not yet taken. Failures go to ``result.errors``
        (sorted once the stream is exhausted)."""
        todo = list(calls)
        if not todo:
            return
        for call, future in as_finished(todo, work, min(MAX_WORKERS, len(todo)), "gcp"):
            try:
                value = future.result()
            except (gexc.GoogleAPICallError, gexc.RetryError, OSError) as exc:
                text = describe_error(call, exc)
                result.errors.append(text)
                log.warning("gcp call failed: %s", text)
                continue
            yield call, value
        result.errors.sort()


RETRYABLE = (
    gexc.TooManyRequests,  # RESOURCE_EXHAUSTED: quota (Cloud Asset allows few searches a minute)
    gexc.ServiceUnavailable,
    gexc.DeadlineExceeded,
    gexc.InternalServerError,
)


def default_retry(initial: float = 1.0, deadline: float = 120.0) -> Any:
    """Exponential backoff on throttling and transient errors, before a call becomes an error."""
    from google.api_core.retry import Retry, if_exception_type

    return Retry(
        predicate=if_exception_type(*RETRYABLE),
        initial=initial,
        maximum=30.0,
        multiplier=2.0,
        timeout=deadline,
    )


def _normalise_parents(parents: list[str]) -> list[str]:
    return list(dict.fromkeys(parents))


def _state_name(state: Any) -> str:
    return str(getattr(state, "name", state))


def project_from_proto(proto: Any) -> GcpProject:
    """A resourcemanager_v3 Project → GcpProject."""
    return GcpProject(
        project_id=proto.project_id,
        number=proto.name.removeprefix("projects/"),
        display_name=proto.display_name,
        parent=proto.parent,
        labels=dict(proto.labels),
    )


def _client_classes(name: str) -> tuple[Any, Any]:
    if name == "asset":
        from google.cloud import asset_v1
        from google.cloud.asset_v1.services.asset_service.transports import (
            AssetServiceGrpcTransport,
        )

        return asset_v1.AssetServiceClient, AssetServiceGrpcTransport
    if name == "billing":
        from google.cloud import billing_v1
        from google.cloud.billing_v1.services.cloud_billing.transports import (
            CloudBillingGrpcTransport,
        )

        return billing_v1.CloudBillingClient, CloudBillingGrpcTransport
    if name == "budgets":
        from google.cloud.billing import budgets_v1
        from google.cloud.billing.budgets_v1.services.budget_service.transports import (
            BudgetServiceGrpcTransport,
        )

        return budgets_v1.BudgetServiceClient, BudgetServiceGrpcTransport
    if name == "iam":
        from google.cloud import iam_admin_v1
        from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

        return iam_admin_v1.IAMClient, IAMGrpcTransport
    if name == "secrets":
        from google.cloud import secretmanager_v1
        from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
            SecretManagerServiceGrpcTransport,
        )

        return secretmanager_v1.SecretManagerServiceClient, SecretManagerServiceGrpcTransport
    if name == "projects":
        from google.cloud import resourcemanager_v3
        from google.cloud.resourcemanager_v3.services.projects.transports import (
            ProjectsGrpcTransport,
        )

        return resourcemanager_v3.ProjectsClient, ProjectsGrpcTransport
    if name == "folders":
        from google.cloud import resourcemanager_v3
        from google.cloud.resourcemanager_v3.services.folders.transports import FoldersGrpcTransport

        return resourcemanager_v3.FoldersClient, FoldersGrpcTransport
    raise ValueError(f"unknown GCP client {name!r}")
