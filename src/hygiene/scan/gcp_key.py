"""GCP service-account key files: the key's public id and account, never its private half (pure).

A service-account key file is a JSON object with ``"type": "service_account"``, a
``private_key`` (PEM), its ``private_key_id`` (the key's id in IAM: the last segment of
``projects/P/serviceAccounts/E/keys/<id>``) and the ``client_email`` of the account. A line-based
detector sees only the PEM; this reads the whole file so the key can be matched to the live
inventory by its id's SHA-256 (the id is hashed like an AWS access key id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hygiene.findings import secret_hash

#: the largest file read as a key file (a real one is ~2.3 KB)
MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class GcpKeyRef:
    """A service-account key named by a key file: the hash of its id, its account and project."""

    key_id_sha256: str
    client_email: str
    project_id: str | None


def service_account_keys(text: str) -> list[GcpKeyRef]:
    """The service-account keys ``text`` (a JSON document) holds: one object, or a list or map of
    them; ``[]`` for anything else. The private key itself is neither kept nor returned."""
    if len(text) > MAX_BYTES or "private_key_id" not in text:
        return []
    try:
        document = json.loads(text)
    except ValueError:
        return []
    candidates: list[Any]
    if isinstance(document, list):
        candidates = document
    elif isinstance(document, dict) and "private_key_id" not in document:
        candidates = list(document.values())
    else:
        candidates = [document]
    return [ref for item in candidates if (ref := _key_of(item)) is not None]


def _key_of(item: Any) -> GcpKeyRef | None:
    if not isinstance(item, dict) or item.get("type") != "service_account":
        return None
    key_id, email = item.get("private_key_id"), item.get("client_email")
    if not (isinstance(key_id, str) and key_id and isinstance(email, str) and email):
        return None
    if not isinstance(item.get("private_key"), str):
        return None
    project = item.get("project_id")
    return GcpKeyRef(secret_hash(key_id), email, project if isinstance(project, str) else None)
