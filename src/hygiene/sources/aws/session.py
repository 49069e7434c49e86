"""AWS session and scope: credentials, accounts, regions, assume-role, fan-out, API-call stats.

Credentials come from boto3's standard chain, so ``AWS_PROFILE``, SSO, instance roles and
``AWS_ENDPOINT_URL`` all work. Retries use botocore's adaptive mode. Every API call is counted
per ``service.Operation``. Work fans out over account × region × service slices with a bounded
thread pool; a slice that fails after retries is reported as an error (never as an empty list),
and a region disabled by an SCP or not opted in is reported as skipped.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import boto3
import botocore.config
import botocore.exceptions

from hygiene.concurrency import as_finished
from hygiene.errors import CheckSkipped
from hygiene.policy import AwsPolicy
from hygiene.shard import active as active_shard

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_CONFIG = botocore.config.Config(
    retries={"mode": "adaptive", "max_attempts": 8},
    max_pool_connections=32,
    connect_timeout=10,
    read_timeout=60,
)

# Error codes meaning "this region is switched off for this account" (SCP or opt-in region).
REGION_DISABLED_CODES = frozenset(
    {"OptInRequired", "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId"}
)
SCP_DENIED_MARKERS = ("explicit deny in a service control policy",)


@dataclass(frozen=True)
class Slice:
    """One unit of fan-out work."""

    account: str
    region: str
    service: str

    def __str__(self) -> str:
        return f"{self.service} {self.region} {self.account}"


@dataclass
class FanOutResult(Generic[T]):
    """Results of a fan-out: values per slice, failed slices, skipped (disabled) slices."""

    values: list[tuple[Slice, T]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Slice] = field(default_factory=list)


class CallCounter:
    """Counts API calls per ``service.Operation`` through botocore's event system."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def __call__(self, model: Any = None, **_: Any) -> None:
        if model is None:
            return
        name = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self.counts[name] += 1

    @property
    def total(self) -> int:
        """All calls counted so far."""
        return sum(self.counts.values())


class AwsScope:
    """The accounts and regions to audit, and clients into each of them."""

    def __init__(
        self,
        policy: AwsPolicy,
        session: boto3.Session | None = None,
        before_call: Sequence[Callable[..., Any]] = (),
    ) -> None:
        self.policy = policy
        self.base = session or boto3.Session()
        self.calls = CallCounter()
        self._hooks = [self.calls, *before_call]
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.RLock()
        self._register(self.base)
        self.caller_account = ""

    @classmethod
    def connect(cls, policy: AwsPolicy, **kwargs: Any) -> AwsScope:
        """A scope from the standard credential chain; CheckSkipped when there are none."""
        scope = cls(policy, **kwargs)
        if scope.base.get_credentials() is None:
            raise CheckSkipped(
                "no AWS credentials found (set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "or run where an instance/SSO role is available)"
            )
        identity = scope.client("sts", scope.default_region).get_caller_identity()
        scope.caller_account = identity["Account"]
        return scope

    @property
    def default_region(self) -> str:
        """The session's region, else the policy's first, else us-east-1."""
        return self.base.region_name or (
            self.policy.regions[0] if self.policy.regions else "us-east-1"
        )

    def _register(self, session: boto3.Session) -> None:
        events = session._session.get_component("event_emitter")  # botocore API
        for hook in self._hooks:
            events.register("before-call.*.*", hook)

    # -- scope discovery -----------------------------------------------------------------------

    def accounts(self) -> list[str]:
        """The policy's accounts, else the organisation's active accounts, else the caller's."""
        if self.policy.accounts:
            return list(self.policy.accounts)
        if self.policy.organization:
            client = self.client("organizations", self.default_region)
            accounts = []
            for page in client.get_paginator("list_accounts").paginate():
                accounts += [a["Id"] for a in page["Accounts"] if a.get("Status") == "ACTIVE"]
            return sorted(accounts)
        return [self.caller_account]

    def regions(self, account: str | None = None) -> list[str]:
        """The policy's regions, else the regions enabled for the account."""
        if self.policy.regions:
            return list(self.policy.regions)
        client = self.client("ec2", self.default_region, account or self.caller_account)
        response = client.describe_regions(AllRegions=False)
        return sorted(r["RegionName"] for r in response["Regions"])

    # -- clients -------------------------------------------------------------------------------

    def session_for(self, account: str) -> boto3.Session:
        """The caller's session for its own account, else one from sts:AssumeRole."""
        if not account or account == self.caller_account:
            return self.base
        with self._lock:
            if account in self._sessions:
                return self._sessions[account]
            role_arn = f"arn:aws:iam::{account}:role/{self.policy.role_name}"
            sts = self.client("sts", self.default_region)
            creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="hygiene-audit")[
                "Credentials"
            ]
            session = boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                region_name=self.default_region,
            )
            self._register(session)
            self._sessions[account] = session
            return session

    def client(self, service: str, region: str, account: str = "") -> Any:
        """A cached, thread-safe-to-use client for service in region of account."""
        key = (account or self.caller_account, region, service)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                session = self.session_for(account) if account else self.base
                client = cast(Any, session).client(service, region_name=region, config=RETRY_CONFIG)
                self._clients[key] = client
            return client

    # -- fan-out -------------------------------------------------------------------------------

    def fan_out(
        self,
        slices: Iterable[Slice],
        work: Callable[[Slice], T],
        max_workers: int | None = None,
    ) -> FanOutResult[T]:
        """Run ``work`` on every slice in a bounded pool; classify failures per slice.

        Under ``audit --shard I/N`` (``hygiene.shard.partitioning``) only this shard's share of
        ``slices`` runs.
        """
        result: FanOutResult[T] = FanOutResult()
        result.values = list(self.fan_out_stream(slices, work, result, max_workers))
        result.values.sort(key=lambda pair: (pair[0].account, pair[0].region, pair[0].service))
        return result

    def fan_out_stream(
        self,
        slices: Iterable[Slice],
        work: Callable[[Slice], T],
        result: FanOutResult[T],
        max_workers: int | None = None,
    ) -> Iterator[tuple[Slice, T]]:
        """``fan_out`` as a stream: each slice's value as soon as it is done, never more than
        twice the pool's size of slices read but not yet taken, so the consumer bounds memory.

        Failed and skipped slices are recorded in ``result`` (whose ``values`` stay empty);
        ``result.errors`` and ``result.skipped`` are sorted once the stream is exhausted.
        """
        todo = list(slices)
        shard = active_shard()
        if shard is not None:  # audit --shard I/N: this shard's share of the slices only
            todo = shard.take(todo, key=str)
        workers = max(1, min(max_workers or self.policy.max_workers, len(todo) or 1))
        for unit, future in as_finished(todo, work, workers, "aws"):
            value = self._outcome(unit, future, result)
            if value is not None:
                yield unit, value[0]
        result.errors.sort()
        result.skipped.sort()

    @staticmethod
    def _outcome(unit: Slice, future: Future[T], result: FanOutResult[T]) -> tuple[T] | None:
        """``(value,)`` of a finished slice, or None after recording why it has none."""
        try:
            return (future.result(),)
        except botocore.exceptions.ClientError as exc:
            kind, text = classify(exc)
            if kind == "disabled":
                result.skipped.append(f"{unit}: {text}")
                log.info("slice skipped: %s: %s", unit, text)
            else:
                result.errors.append(f"{unit}: {text}")
                result.failed.append(unit)
                log.warning("slice failed: %s: %s", unit, text)
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            result.errors.append(f"{unit}: {type(exc).__name__}: {exc}")
            result.failed.append(unit)
            log.warning("slice failed: %s: %s", unit, exc)
        return None

    def stats(self) -> dict[str, Any]:
        """API-call counts for the run's stats."""
        return {
            "api_calls": self.calls.total,
            "api_calls_by_operation": dict(sorted(self.calls.counts.items())),
        }


def classify(exc: botocore.exceptions.ClientError) -> tuple[str, str]:
    """``("disabled", text)`` for a region switched off by SCP/opt-in, else ``("error", text)``."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", ""))
    operation = getattr(exc, "operation_name", "call")
    text = f"{operation}: {code}" + (f" ({message})" if message else "")
    if code in REGION_DISABLED_CODES or any(m in message.lower() for m in SCP_DENIED_MARKERS):
        return "disabled", text
    return "error", text


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """All items under ``key`` across the pages of a paginated operation."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items
