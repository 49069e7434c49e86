"""The slices the AWS credential sources read, and which lister reads each kind of slice."""

from __future__ import annotations

from collections.abc import Callable

import botocore.exceptions

from hygiene.records.cloud import CredentialRecord
from hygiene.sources.aws.credentials.acm import list_acm
from hygiene.sources.aws.credentials.base import log
from hygiene.sources.aws.credentials.iam import list_iam
from hygiene.sources.aws.credentials.inventory import CredentialInventory
from hygiene.sources.aws.credentials.kms import list_kms
from hygiene.sources.aws.credentials.root import REPORT_SLICE, CredentialReportError, list_root
from hygiene.sources.aws.credentials.secrets_manager import list_secrets
from hygiene.sources.aws.session import AwsScope, Slice, classify

REGIONAL_SERVICES = ("secretsmanager", "kms", "acm")

Lister = Callable[[AwsScope, Slice], list[CredentialRecord]]

#: slice kind (``Slice.service``) → what reads such a slice
LISTERS: dict[str, Lister] = {
    REPORT_SLICE: lambda scope, unit: list_root(scope, unit.account),
    "iam": lambda scope, unit: list_iam(scope, unit.account),
    "secretsmanager": lambda scope, unit: list_secrets(scope, unit.account, unit.region),
    "kms": lambda scope, unit: list_kms(scope, unit.account, unit.region),
    "acm": lambda scope, unit: list_acm(scope, unit.account, unit.region),
}


def work(
    scope: AwsScope, broken: list[tuple[Slice, str]]
) -> Callable[[Slice], list[CredentialRecord] | None]:
    """The fan-out's work: read one slice with its lister. A credential report that cannot be
    read (``CredentialReportError``) fails the slice like an API error: it is logged, added to
    ``broken`` and gives None."""

    def read(unit: Slice) -> list[CredentialRecord] | None:
        lister = LISTERS.get(unit.service)
        if lister is None:
            raise ValueError(f"unknown slice service {unit.service!r}")
        try:
            return lister(scope, unit)
        except CredentialReportError as exc:  # raised by the credential-report slice only
            log.warning("slice failed: %s: %s", unit, exc)
            broken.append((unit, str(exc)))
            return None

    return read


def plan(scope: AwsScope, inventory: CredentialInventory) -> tuple[list[Slice], set[str]]:
    """The slices to read (one IAM slice per account, each regional service per region), and
    the accounts whose regions could not be listed (their errors are added to ``inventory``)."""
    slices: list[Slice] = []
    unreadable: set[str] = set()
    for account in scope.accounts():
        try:
            regions = scope.regions(account)
        except botocore.exceptions.ClientError as exc:
            _, text = classify(exc)
            inventory.errors.append(f"regions {account}: {text}")
            log.warning("cannot list regions of %s: %s", account, text)
            unreadable.add(account)
            regions = []
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            inventory.errors.append(f"regions {account}: {type(exc).__name__}: {exc}")
            unreadable.add(account)
            regions = []
        slices.append(Slice(account, "global", "iam"))
        slices.append(Slice(account, "global", REPORT_SLICE))
        slices += [
            Slice(account, region, service) for region in regions for service in REGIONAL_SERVICES
        ]
    return slices, unreadable
