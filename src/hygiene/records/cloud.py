"""Plain records that sources return and checks consume. Provider-neutral: AWS and GCP sources
both produce these, so one check covers both clouds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Provider = Literal["aws", "gcp", "external"]


@dataclass(frozen=True)
class ResourceRecord:
    """A cloud resource and its raw tags (GCP: labels). ``tags is None`` means the source could
    not say; ``{}`` means the resource carries no tag at all (never tagged)."""

    provider: Provider
    account: str  # AWS account id, GCP project id
    region: str  # "global" where the resource has none
    resource_type: str  # "ec2:instance", "s3:bucket", "gcp:compute.googleapis.com/Instance"
    resource_id: str  # ARN, or GCP full resource name
    tags: dict[str, str] | None
    name: str = ""
    managed_by_provider: bool = False  # service-linked role, default VPC, AWS-managed key
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CredentialRecord:
    """A key, secret or certificate whose age the rotation check judges."""

    provider: Provider
    account: str
    kind: str  # iam-access-key, secretsmanager-secret, kms-key, acm-certificate,
    #            iam-server-certificate, gcp-sa-key, gcp-secret, external
    resource_id: str
    name: str
    created: datetime | None = None
    last_rotated: datetime | None = None
    last_used: datetime | None = None
    rotation_enabled: bool | None = None
    rotation_interval_days: int | None = None
    active: bool = True
    expires: datetime | None = None
    owner: str | None = None
    env: str | None = None
    region: str = "global"
    tags: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
