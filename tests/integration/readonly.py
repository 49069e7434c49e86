"""Read-only proof, reusable by every AWS check's tests.

``ReadOnlyGuard`` is a botocore ``before-call`` hook (pass it to ``AwsScope(before_call=...)``)
that records each operation and raises on any that is not Describe/List/Get/BatchGet/Lookup-style
(plus ``sts:AssumeRole``, which only enters the audited accounts, and
``iam:GenerateCredentialReport``, which only builds the report the rotation check reads). ``iam_action`` maps a botocore
``service.Operation`` to its IAM action and ``policy_allows`` says whether the shipped
least-privilege policy (deploy/iam/hygiene-readonly-policy.json) grants it.
"""

from __future__ import annotations

import json
import threading
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY_PATH = REPO_ROOT / "deploy" / "iam" / "hygiene-readonly-policy.json"

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Lookup")
# sts:AssumeRole only enters the audited accounts. iam:GenerateCredentialReport only (re)builds
# the account's credential report, which GetCredentialReport then reads (the rotation check's
# root user); AWS classifies it as a Read action and it changes no resource.
ALLOWED_NON_READ = frozenset({"sts.AssumeRole", "iam.GenerateCredentialReport"})

# botocore service name → IAM action prefix, where they differ
IAM_PREFIX = {
    "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "resourcegroupstaggingapi": "tag",
    "opensearch": "es",
    "stepfunctions": "states",
    "efs": "elasticfilesystem",
    "apigatewayv2": "apigateway",
}

# operations whose IAM action is not service:Operation
IAM_ACTION_OVERRIDES = {
    "s3.ListBuckets": "s3:ListAllMyBuckets",
    "apigateway.GetRestApis": "apigateway:GET",
    "apigatewayv2.GetApis": "apigateway:GET",
    "budgets.DescribeBudgets": "budgets:ViewBudget",
    "budgets.DescribeNotificationsForBudget": "budgets:ViewBudget",
}


class ReadOnlyError(AssertionError):
    """An operation that changes something was attempted."""


class ReadOnlyGuard:
    """A before-call hook that records operations and fails on any write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.operations: set[str] = set()
        self.violations: list[str] = []

    def __call__(self, model: Any = None, **_: Any) -> None:
        if model is None:
            return
        name = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self.operations.add(name)
            if not (model.name.startswith(READ_PREFIXES) or name in ALLOWED_NON_READ):
                self.violations.append(name)
                raise ReadOnlyError(f"non-read-only AWS call attempted: {name}")


def iam_action(operation: str) -> str:
    """``ec2.DescribeInstances`` → ``ec2:DescribeInstances`` (with the few irregular names)."""
    if operation in IAM_ACTION_OVERRIDES:
        return IAM_ACTION_OVERRIDES[operation]
    service, _, name = operation.partition(".")
    return f"{IAM_PREFIX.get(service, service)}:{name}"


def load_policy(path: Path = POLICY_PATH) -> dict[str, Any]:
    """The shipped IAM policy document."""
    return json.loads(path.read_text(encoding="utf-8"))


def policy_allows(document: dict[str, Any], action: str) -> bool:
    """True when an Allow statement of ``document`` grants ``action`` (IAM globs, case-insensitive)."""
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        for pattern in [actions] if isinstance(actions, str) else actions:
            if fnmatchcase(action.lower(), pattern.lower()):
                return True
    return False


def not_allowed(operations: set[str], document: dict[str, Any] | None = None) -> set[str]:
    """The IAM actions of ``operations`` the policy does not grant (empty when all are covered)."""
    doc = document or load_policy()
    return {iam_action(op) for op in operations if not policy_allows(doc, iam_action(op))}
