"""The account's root user, from IAM's credential report.

Only the credential report says whether the root user has access keys, so its
``<root_account>`` row becomes a ``root-user`` record (MFA) and one ``root-access-key`` record per
active key (the report holds no key ids, let alone key material). One ``credential-report``
slice per account.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import botocore.exceptions

from hygiene.records.cloud import CredentialRecord
from hygiene.sources.aws.credentials.base import error_code, iso
from hygiene.sources.aws.session import AwsScope

REPORT_SLICE = "credential-report"  # the per-account slice that reads the root user
ROOT_USER = "<root_account>"  # the credential report's name for the account's root user
REPORT_TIMEOUT_S = 120.0  # give up on a report still being generated after this long
REPORT_FIRST_WAIT_S = 0.25  # then doubling, up to REPORT_MAX_WAIT_S, between polls
REPORT_MAX_WAIT_S = 8.0
# GetCredentialReport errors that mean "not ready (again) yet": generate and poll once more.
REPORT_PENDING_CODES = frozenset({"ReportInProgress", "ReportNotPresent", "ReportExpired"})
# Cells of the report that hold no date: no key, never used, not applicable to the root user.
REPORT_NO_DATE = frozenset({"", "N/A", "no_information", "not_supported"})


class CredentialReportError(Exception):
    """The credential report could not be read: still not ready, or of an unexpected shape."""


def report_time(cell: str | None) -> datetime | None:
    """A date cell of the credential report (``2026-01-05T10:20:30+00:00``); None for ``N/A``,
    ``no_information``, ``not_supported`` or an empty cell."""
    text = (cell or "").strip()
    if text in REPORT_NO_DATE:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise CredentialReportError(f"credential report: unexpected date {text!r}") from exc


def _report_flag(row: Mapping[str, str], column: str) -> bool:
    value = (row.get(column) or "").strip().lower()
    if value not in ("true", "false"):
        raise CredentialReportError(
            f"credential report: {column} of {ROOT_USER} is {row.get(column)!r}, not true/false"
        )
    return value == "true"


def _report_text(cell: str | None) -> str | None:
    text = (cell or "").strip()
    return None if text in REPORT_NO_DATE else text


def root_arn(account: str, reported: str | None) -> str:
    """The root user's ARN, in the partition of the report's ``arn`` cell (``aws`` if none)."""
    parts = (reported or "").split(":")
    partition = parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"
    return f"arn:{partition}:iam::{account}:root"


def root_records(
    account: str, report: str, generated: datetime | None = None
) -> list[CredentialRecord]:
    """The ``<root_account>`` row of an IAM credential report (CSV text) as records: one
    ``root-user`` (MFA on or not) and one ``root-access-key`` per *active* key slot. The report
    has no key ids or key material, so neither has the record. No root row: ``[]``."""
    for row in csv.DictReader(io.StringIO(report)):
        if row.get("user") != ROOT_USER:
            continue
        arn = root_arn(account, row.get("arn"))
        generated_at = iso(generated)
        active = [slot for slot in (1, 2) if _report_flag(row, f"access_key_{slot}_active")]
        records = [
            CredentialRecord(
                provider="aws",
                account=account,
                kind="root-user",
                resource_id=arn,
                name="root",
                created=report_time(row.get("user_creation_time")),
                last_used=report_time(row.get("password_last_used")),
                details={
                    "principal": arn,
                    "mfa_active": _report_flag(row, "mfa_active"),
                    "active_access_keys": len(active),
                    "report_generated": generated_at,
                },
            )
        ]
        for slot in active:
            prefix = f"access_key_{slot}"
            records.append(
                CredentialRecord(
                    provider="aws",
                    account=account,
                    kind="root-access-key",
                    resource_id=arn,
                    name=prefix,
                    created=report_time(row.get(f"{prefix}_last_rotated")),
                    last_used=report_time(row.get(f"{prefix}_last_used_date")),
                    details={
                        "principal": arn,
                        "slot": slot,
                        "last_used_service": _report_text(row.get(f"{prefix}_last_used_service")),
                        "last_used_region": _report_text(row.get(f"{prefix}_last_used_region")),
                        "report_generated": generated_at,
                    },
                )
            )
        return records
    return []


def read_credential_report(
    iam: Any,
    *,
    timeout: float = REPORT_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[str, datetime | None]:
    """The account's credential report (CSV text, generation time).

    ``GenerateCredentialReport`` until it says ``COMPLETE`` (AWS builds a new report only when
    the last one is over four hours old), then ``GetCredentialReport``; waits 0.25 s, doubling
    up to 8 s, between polls, and raises ``CredentialReportError`` after ``timeout`` seconds.
    """
    deadline = clock() + timeout
    wait = REPORT_FIRST_WAIT_S
    while True:
        state = iam.generate_credential_report().get("State")
        if state == "COMPLETE":
            try:
                response = iam.get_credential_report()
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) not in REPORT_PENDING_CODES:
                    raise
                state = error_code(exc)
            else:
                content = response.get("Content", b"")
                text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
                return text, response.get("GeneratedTime")
        if clock() + wait > deadline:
            raise CredentialReportError(
                f"GenerateCredentialReport: the report was not ready after {timeout:g} s "
                f"(last state {state})"
            )
        sleep(wait)
        wait = min(wait * 2, REPORT_MAX_WAIT_S)


def list_root(scope: AwsScope, account: str) -> list[CredentialRecord]:
    """The root user of one account, from its credential report ([] when the report has no
    root row)."""
    iam = scope.client("iam", scope.default_region, account)
    report, generated = read_credential_report(iam, timeout=REPORT_TIMEOUT_S)
    return root_records(account, report, generated)
