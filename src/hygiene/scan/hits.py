"""SecretHit: what the engine reports about one secret on one line — never the value itself."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

from hygiene.findings import redact, secret_hash


@dataclass(frozen=True)
class SecretHit:
    """One secret found on one line of a text.

    ``rule`` is the detector as a slug (``aws-access-key``), ``type`` detect-secrets' own name
    (``AWS Access Key``). ``preview`` is at most 4 characters then ``…``; ``sha256`` identifies the
    value; ``hashed_secret`` is the SHA-1 detect-secrets baselines use to recognise it.
    """

    rule: str
    type: str
    line: int
    preview: str
    sha256: str
    hashed_secret: str

    @classmethod
    def of(
        cls, secret_type: str, line: int, value: str, baseline_value: str | None = None
    ) -> SecretHit:
        """Build a hit from a detected ``value``; the value itself is not kept.

        ``baseline_value`` is what detect-secrets itself reported, when hygiene widened it (its
        SHA-1 is what a detect-secrets baseline holds).
        """
        reported = value if baseline_value is None else baseline_value
        return cls(
            rule=slug(secret_type),
            type=secret_type,
            line=line,
            preview=redact(value),
            sha256=secret_hash(value),
            hashed_secret=hashlib.sha1(reported.encode("utf-8")).hexdigest(),  # the baseline's
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (for the scanned-blob cache)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SecretHit:
        """The inverse of :meth:`to_json`."""
        return cls(**data)


def slug(secret_type: str) -> str:
    """``AWS Access Key`` → ``aws-access-key``; ``Public IP (ipv4)`` → ``public-ip-ipv4``."""
    return re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")
