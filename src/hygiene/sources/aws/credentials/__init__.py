"""AWS keys, secrets and certificates as ``CredentialRecord``s, read from the live APIs.

Each service is fetched (paginated List/Get/Describe calls only) and then turned into records by
a pure ``*_record`` function, which tests feed with recorded responses. One module per service:

- ``iam``: users' access keys (and their last use) and console passwords, server certificates;
  read from IAM directly, so a key rotated a minute ago is seen as new (one ``iam`` slice per
  account)
- ``root``: the account's root user, from the credential report, the only place that says
  whether it has access keys (one ``credential-report`` slice per account)
- ``secrets_manager``, ``kms``, ``acm``: regional (one slice per region each)

``plan`` lists the slices and maps each kind of slice to its lister; ``base`` holds the helpers
they share (and the package's one logger).
"""

from __future__ import annotations

from hygiene.sources.aws.credentials.acm import acm_record, list_acm
from hygiene.sources.aws.credentials.base import log, tag_dict
from hygiene.sources.aws.credentials.iam import access_key_record, list_iam
from hygiene.sources.aws.credentials.inventory import CredentialInventory
from hygiene.sources.aws.credentials.kms import is_rotatable_kms_key, kms_record, list_kms
from hygiene.sources.aws.credentials.plan import plan, work
from hygiene.sources.aws.credentials.root import (
    REPORT_SLICE,
    ROOT_USER,
    CredentialReportError,
    list_root,
    read_credential_report,
    root_records,
)
from hygiene.sources.aws.credentials.secrets_manager import (
    current_version_created,
    list_secrets,
    schedule_days,
    secret_record,
    value_changed,
)
from hygiene.sources.aws.session import AwsScope, Slice

__all__ = [
    "IAM_ACTIONS",
    "CredentialInventory",
    "CredentialReportError",
    "access_key_record",
    "acm_record",
    "collect_credentials",
    "current_version_created",
    "is_rotatable_kms_key",
    "kms_record",
    "list_acm",
    "list_iam",
    "list_kms",
    "list_root",
    "list_secrets",
    "read_credential_report",
    "root_records",
    "schedule_days",
    "secret_record",
    "tag_dict",
    "value_changed",
]

# The IAM actions these calls need (deploy/iam/hygiene-readonly-policy.json lists them too).
# GenerateCredentialReport only (re)builds the account's credential report (AWS classifies it as
# a Read action); GetCredentialReport then reads it.
IAM_ACTIONS = (
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListUsers",
    "iam:ListUserTags",
    "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed",
    "iam:GetLoginProfile",
    "iam:ListServerCertificates",
    "secretsmanager:ListSecrets",
    "secretsmanager:ListSecretVersionIds",
    "kms:ListKeys",
    "kms:ListAliases",
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "acm:ListTagsForCertificate",
)


def collect_credentials(scope: AwsScope) -> CredentialInventory:
    """Every AWS credential the scope reaches; failed slices are errors, never empty lists."""
    inventory = CredentialInventory()
    slices, unreadable = plan(scope, inventory)
    broken: list[tuple[Slice, str]] = []
    result = scope.fan_out(slices, work(scope, broken))
    for unit, records in result.values:
        if records is None:
            continue
        inventory.records += records
        if unit.service == REPORT_SLICE and not any(r.kind == "root-user" for r in records):
            log.warning("the credential report of %s has no %s row", unit.account, ROOT_USER)
            inventory.root_not_in_report.append(unit.account)
    inventory.errors += sorted([*result.errors, *(f"{unit}: {text}" for unit, text in broken)])
    inventory.skipped += result.skipped
    inventory.root_not_in_report.sort()
    failed = {unit.account for unit in result.failed} | {unit.account for unit, _ in broken}
    inventory.accounts = sorted({s.account for s in slices} - failed - unreadable)
    return inventory
