"""SecretHit: what the engine reports about one secret on one line — never the value itself."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from hygiene.findings import redact, secret_hash

#: What kind of secret a hit is; the default severity follows from it (``checks/secrets``):
#: ``provider-token`` a known provider's format (GitHub, Slack, AWS key id + secret, …);
#: ``private-key`` PEM/PuTTY/keystore material; ``password`` a credential in a structured place
#: (``.netrc``, ``.pgpass``, a connection URL, a password key in a config file);
#: ``generic`` a keyword-assigned or high-entropy value of no known format; ``password-hash`` a
#: committed bcrypt/argon2/crypt hash; ``encrypted-file`` an encrypted secrets file (info).
Category = Literal[
    "provider-token", "private-key", "password", "generic", "password-hash", "encrypted-file"
]
CATEGORIES: tuple[str, ...] = (
    "provider-token", "private-key", "password", "generic", "password-hash", "encrypted-file"
)  # fmt: skip


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
    category: Category = "generic"
    #: SHA-256 of the credential's public half, when it has one (an AWS access key id, a GCP
    #: key's ``private_key_id``): what a live inventory is matched on, hashed like the value
    key_id_sha256: str | None = None
    engine: str = "detect-secrets"

    @classmethod
    def of(
        cls,
        secret_type: str,
        line: int,
        value: str,
        baseline_value: str | None = None,
        *,
        category: Category = "generic",
        key_id: str | None = None,
        engine: str = "detect-secrets",
        rule: str | None = None,
    ) -> SecretHit:
        """Build a hit from a detected ``value``; the value itself is not kept.

        ``baseline_value`` is what detect-secrets itself reported, when hygiene widened it (its
        SHA-1 is what a detect-secrets baseline holds). ``key_id`` is the credential's public
        half; only its hash is kept.
        """
        reported = value if baseline_value is None else baseline_value
        return cls(
            rule=rule or slug(secret_type),
            type=secret_type,
            line=line,
            preview=redact(value),
            sha256=secret_hash(value),
            hashed_secret=hashlib.sha1(reported.encode("utf-8")).hexdigest(),  # the baseline's
            category=category,
            key_id_sha256=secret_hash(key_id) if key_id else None,
            engine=engine,
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
