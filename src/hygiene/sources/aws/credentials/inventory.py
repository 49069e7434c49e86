"""What the AWS credential sources return."""

from __future__ import annotations

from dataclasses import dataclass, field

from hygiene.records.cloud import CredentialRecord


@dataclass
class CredentialInventory:
    """What the AWS credential sources found, and what they could not read."""

    records: list[CredentialRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)  # accounts read without any error
    # accounts whose credential report had no <root_account> row (moto's never has one)
    root_not_in_report: list[str] = field(default_factory=list)
