"""A local GCP API server for tests: real gRPC on 127.0.0.1, generic handlers, the google-cloud
packages' own request/response message types.

No Google emulator exists for Cloud Asset, Billing, Budgets, IAM, Secret Manager or Resource
Manager, so this server speaks their wire protocol over an estate held in memory. The real
clients reach it through ``HYGIENE_GCP_ENDPOINT=http://127.0.0.1:PORT`` (a plaintext channel,
anonymous credentials). Errors are sent the way Google sends them: a status code plus an
``ErrorInfo`` detail (``SERVICE_DISABLED`` with the API's name when an API is not enabled).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.cloud import asset_v1, billing_v1, iam_admin_v1, resourcemanager_v3, secretmanager_v1
from google.cloud.billing import budgets_v1
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass
class Denial:
    """A call the server refuses: ``PERMISSION_DENIED`` with an ErrorInfo reason."""

    reason: str = "IAM_PERMISSION_DENIED"
    service: str = ""
    code: grpc.StatusCode = grpc.StatusCode.PERMISSION_DENIED


@dataclass
class Estate:
    """What the fake organisation holds. Keys are resource names as the APIs use them."""

    projects: list[resourcemanager_v3.Project] = field(default_factory=list)
    folders: list[resourcemanager_v3.Folder] = field(default_factory=list)
    resources: dict[str, list[asset_v1.ResourceSearchResult]] = field(default_factory=dict)
    billing_accounts: list[billing_v1.BillingAccount] = field(default_factory=list)
    billing_info: dict[str, billing_v1.ProjectBillingInfo] = field(default_factory=dict)
    budgets: dict[str, list[budgets_v1.Budget]] = field(default_factory=dict)
    service_accounts: dict[str, list[iam_admin_v1.ServiceAccount]] = field(default_factory=dict)
    keys: dict[str, list[iam_admin_v1.ServiceAccountKey]] = field(default_factory=dict)
    secrets: dict[str, list[secretmanager_v1.Secret]] = field(default_factory=dict)
    versions: dict[str, list[secretmanager_v1.SecretVersion]] = field(default_factory=dict)
    # (method, resource) → denial, e.g. ("SearchAllResources", "projects/p2")
    denied: dict[tuple[str, str], Denial] = field(default_factory=dict)
    page_size: int = 2  # small, so paging is exercised
    # (method, resource) → how many more calls fail with RESOURCE_EXHAUSTED (quota) first
    throttled: dict[tuple[str, str], int] = field(default_factory=dict)


class GcpApiServer:
    """The gRPC server. ``calls`` records (method, resource, page_token) for assertions."""

    def __init__(self, estate: Estate | None = None) -> None:
        self.estate = estate or Estate()
        self.calls: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._server.add_generic_rpc_handlers(self._handlers())
        self.port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def endpoint(self) -> str:
        """The value for ``HYGIENE_GCP_ENDPOINT``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> GcpApiServer:
        """Start serving (background threads)."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop at once."""
        self._server.stop(grace=None)

    def reset(self, estate: Estate | None = None) -> None:
        """A fresh estate and call log."""
        with self._lock:
            self.estate = estate or Estate()
            self.calls.clear()

    # -- plumbing ------------------------------------------------------------------------------

    def _handlers(self) -> Sequence[grpc.GenericRpcHandler]:
        table: dict[str, dict[str, tuple[Any, Callable[[Any, Any], Any]]]] = {
            "google.cloud.resourcemanager.v3.Projects": {
                "GetProject": (resourcemanager_v3.GetProjectRequest, self.get_project),
                "ListProjects": (resourcemanager_v3.ListProjectsRequest, self.list_projects),
            },
            "google.cloud.resourcemanager.v3.Folders": {
                "ListFolders": (resourcemanager_v3.ListFoldersRequest, self.list_folders),
            },
            "google.cloud.asset.v1.AssetService": {
                "SearchAllResources": (
                    asset_v1.SearchAllResourcesRequest,
                    self.search_all_resources,
                ),
            },
            "google.cloud.billing.v1.CloudBilling": {
                "ListBillingAccounts": (
                    billing_v1.ListBillingAccountsRequest,
                    self.list_billing_accounts,
                ),
                "GetProjectBillingInfo": (
                    billing_v1.GetProjectBillingInfoRequest,
                    self.get_billing_info,
                ),
            },
            "google.cloud.billing.budgets.v1.BudgetService": {
                "ListBudgets": (budgets_v1.ListBudgetsRequest, self.list_budgets),
            },
            "google.iam.admin.v1.IAM": {
                "ListServiceAccounts": (
                    iam_admin_v1.ListServiceAccountsRequest,
                    self.list_service_accounts,
                ),
                "ListServiceAccountKeys": (
                    iam_admin_v1.ListServiceAccountKeysRequest,
                    self.list_keys,
                ),
            },
            "google.cloud.secretmanager.v1.SecretManagerService": {
                "ListSecrets": (secretmanager_v1.ListSecretsRequest, self.list_secrets),
                "ListSecretVersions": (
                    secretmanager_v1.ListSecretVersionsRequest,
                    self.list_versions,
                ),
            },
        }
        handlers = []
        for service, methods in table.items():
            rpc = {
                name: grpc.unary_unary_rpc_method_handler(
                    self._wrap(name, fn),
                    request_deserializer=request_type.deserialize,
                    response_serializer=lambda message: type(message).serialize(message),
                )
                for name, (request_type, fn) in methods.items()
            }
            handlers.append(grpc.method_handlers_generic_handler(service, rpc))
        return handlers

    def _wrap(self, method: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            resource = _resource_of(request)
            with self._lock:
                self.calls.append((method, resource, getattr(request, "page_token", "")))
                denial = self.estate.denied.get((method, resource))
                if self.estate.throttled.get((method, resource), 0) > 0:
                    self.estate.throttled[(method, resource)] -= 1
                    denial = Denial("RATE_LIMIT_EXCEEDED", code=grpc.StatusCode.RESOURCE_EXHAUSTED)
            if denial is not None:
                _abort(context, denial, f"{method} on {resource} denied")
            return fn(request, context)

        return handle

    def _page(self, items: list[Any], request: Any) -> tuple[list[Any], str]:
        size = min(request.page_size or self.estate.page_size, self.estate.page_size)
        start = int(request.page_token or 0)
        end = start + size
        return items[start:end], (str(end) if end < len(items) else "")

    # -- Resource Manager ----------------------------------------------------------------------

    def get_project(self, request: Any, context: grpc.ServicerContext) -> Any:
        wanted = request.name.removeprefix("projects/")
        for project in self.estate.projects:
            if wanted in (project.project_id, project.name.removeprefix("projects/")):
                return project
        context.abort(grpc.StatusCode.PERMISSION_DENIED, f"project {wanted} not found or denied")

    def list_projects(self, request: Any, context: grpc.ServicerContext) -> Any:
        items = [p for p in self.estate.projects if p.parent == request.parent]
        page, token = self._page(items, request)
        return resourcemanager_v3.ListProjectsResponse(projects=page, next_page_token=token)

    def list_folders(self, request: Any, context: grpc.ServicerContext) -> Any:
        items = [f for f in self.estate.folders if f.parent == request.parent]
        page, token = self._page(items, request)
        return resourcemanager_v3.ListFoldersResponse(folders=page, next_page_token=token)

    # -- Cloud Asset ---------------------------------------------------------------------------

    def search_all_resources(self, request: Any, context: grpc.ServicerContext) -> Any:
        items = [
            r
            for r in self.estate.resources.get(request.scope, [])
            if not request.asset_types or r.asset_type in request.asset_types
        ]
        page, token = self._page(items, request)
        return asset_v1.SearchAllResourcesResponse(results=page, next_page_token=token)

    # -- Billing and budgets -------------------------------------------------------------------

    def list_billing_accounts(self, request: Any, context: grpc.ServicerContext) -> Any:
        page, token = self._page(list(self.estate.billing_accounts), request)
        return billing_v1.ListBillingAccountsResponse(billing_accounts=page, next_page_token=token)

    def get_billing_info(self, request: Any, context: grpc.ServicerContext) -> Any:
        project_id = request.name.removeprefix("projects/")
        return self.estate.billing_info.get(
            request.name,
            billing_v1.ProjectBillingInfo(
                name=f"{request.name}/billingInfo", project_id=project_id, billing_enabled=False
            ),
        )

    def list_budgets(self, request: Any, context: grpc.ServicerContext) -> Any:
        page, token = self._page(self.estate.budgets.get(request.parent, []), request)
        return budgets_v1.ListBudgetsResponse(budgets=page, next_page_token=token)

    # -- IAM and Secret Manager ----------------------------------------------------------------

    def list_service_accounts(self, request: Any, context: grpc.ServicerContext) -> Any:
        page, token = self._page(self.estate.service_accounts.get(request.name, []), request)
        return iam_admin_v1.ListServiceAccountsResponse(accounts=page, next_page_token=token)

    def list_keys(self, request: Any, context: grpc.ServicerContext) -> Any:
        keys = self.estate.keys.get(request.name, [])
        if request.key_types:
            keys = [k for k in keys if k.key_type in request.key_types]
        return iam_admin_v1.ListServiceAccountKeysResponse(keys=keys)

    def list_secrets(self, request: Any, context: grpc.ServicerContext) -> Any:
        page, token = self._page(self.estate.secrets.get(request.parent, []), request)
        return secretmanager_v1.ListSecretsResponse(secrets=page, next_page_token=token)

    def list_versions(self, request: Any, context: grpc.ServicerContext) -> Any:
        versions = self.estate.versions.get(request.parent, [])
        if request.filter == "state:ENABLED":
            versions = [
                v for v in versions if v.state == secretmanager_v1.SecretVersion.State.ENABLED
            ]
        page, token = self._page(versions, request)
        return secretmanager_v1.ListSecretVersionsResponse(versions=page, next_page_token=token)


def _resource_of(request: Any) -> str:
    for attribute in ("scope", "parent", "name"):
        value = getattr(request, attribute, "")
        if value:
            return str(value)
    return ""


def _abort(context: grpc.ServicerContext, denial: Denial, message: str) -> None:
    info = error_details_pb2.ErrorInfo(
        reason=denial.reason,
        domain="googleapis.com",
        metadata={"service": denial.service} if denial.service else {},
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=denial.code.value[0], message=message, details=[detail])
    context.abort_with_status(rpc_status.to_status(status))
