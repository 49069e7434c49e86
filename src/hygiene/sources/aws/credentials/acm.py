"""ACM certificates of one region (those with an expiry)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hygiene.records.cloud import CredentialRecord
from hygiene.sources.aws.credentials.base import tag_dict
from hygiene.sources.aws.session import AwsScope, paginate

# ListCertificates returns only RSA_2048 certificates unless asked for the other key types.
ACM_KEY_TYPES = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
]
ACM_SKIPPED_STATUSES = frozenset(
    {"PENDING_VALIDATION", "VALIDATION_TIMED_OUT", "FAILED", "REVOKED"}
)


def acm_record(
    account: str, region: str, cert: Mapping[str, Any], tags: Mapping[str, str]
) -> CredentialRecord:
    """An ACM certificate (``DescribeCertificate``'s ``Certificate``)."""
    return CredentialRecord(
        provider="aws",
        account=account,
        kind="acm-certificate",
        resource_id=cert["CertificateArn"],
        name=cert.get("DomainName") or cert["CertificateArn"].rsplit("/", 1)[-1],
        region=region,
        created=cert.get("ImportedAt") or cert.get("IssuedAt") or cert.get("CreatedAt"),
        expires=cert.get("NotAfter"),
        tags=dict(tags),
        details={
            "status": cert.get("Status"),
            "type": cert.get("Type"),
            "in_use": bool(cert.get("InUseBy") or cert.get("InUse")),
            "renewal_eligibility": cert.get("RenewalEligibility"),
        },
    )


def list_acm(scope: AwsScope, account: str, region: str) -> list[CredentialRecord]:
    """ACM certificates of one region (issued, expired or inactive: those with an expiry)."""
    acm = scope.client("acm", region, account)
    summaries = paginate(
        acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": ACM_KEY_TYPES}
    )
    records = []
    for summary in summaries:
        if summary.get("Status") in ACM_SKIPPED_STATUSES:
            continue
        arn = summary["CertificateArn"]
        # Recent ListCertificates summaries carry NotAfter and Status; describe only when not.
        cert = summary if summary.get("NotAfter") and summary.get("Status") else None
        cert = cert or acm.describe_certificate(CertificateArn=arn)["Certificate"]
        if cert.get("Status") in ACM_SKIPPED_STATUSES or not cert.get("NotAfter"):
            continue
        tags = tag_dict(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
        records.append(acm_record(account, region, cert, tags))
    return records
