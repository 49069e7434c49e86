"""Which example values look like real secrets: the secrets engine's hits, plus a high-entropy
test of each whole value (detect-secrets' Shannon entropy and its default limits: 4.5 for
base64-like, 3.0 for hex values). Templated values (``${VAR}``, ``<token>``), placeholders,
UUIDs, sequential strings and URLs to local hosts (``postgres://app:app@localhost/app``) are not
secrets. Only a redacted preview and a SHA-256 leave here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlsplit

from detect_secrets.filters.heuristic import (
    is_potential_uuid,
    is_sequential_string,
    is_templated_secret,
)
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
)

from hygiene.checks.env.dotenv_files import Binding, ParsedDotenv
from hygiene.checks.env.records import SecretMark
from hygiene.findings import redact, secret_hash

BASE64_LIMIT = 4.5
HEX_LIMIT = 3.0
_TOKEN = re.compile(r"^[A-Za-z0-9+/=_\-.]{20,}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_PLACEHOLDER = re.compile(
    r"change[-_]?me|your[-_]|example|placeholder|dummy|sample|x{4,}|redacted|replace[-_]?me|"
    r"\$\{|\{\{|^<.*>$",
    re.IGNORECASE,
)


class Hit(Protocol):
    """What this module needs of the engine's ``SecretHit``."""

    @property
    def rule(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def preview(self) -> str: ...
    @property
    def sha256(self) -> str: ...


def is_high_entropy(value: str) -> bool:
    """True when the whole value is a long token with the entropy of a random key."""
    value = value.strip()
    if not _TOKEN.match(value) or _PLACEHOLDER.search(value):
        return False
    if is_templated_secret(value) or is_sequential_string(value) or is_potential_uuid(value):
        return False
    if _HEX.match(value):
        return HexHighEntropyString().calculate_shannon_entropy(value) >= HEX_LIMIT
    if not (re.search(r"[0-9]", value) and re.search(r"[A-Za-z]", value)):
        return False
    return Base64HighEntropyString().calculate_shannon_entropy(value) >= BASE64_LIMIT


_LOCAL_HOSTS = re.compile(
    r"^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1|host\.docker\.internal|"
    r".*\.(?:localhost|local|test|example|invalid))$",
    re.IGNORECASE,
)


def is_local_url(value: str) -> bool:
    """A URL to a developer's own machine (``postgres://app:app@localhost/app``): its
    credentials are a local default, not a secret."""
    try:
        host = urlsplit(value.strip()).hostname
    except ValueError:
        return False
    return bool(host and _LOCAL_HOSTS.match(host))


def _span(binding: Binding) -> range:
    return range(binding.line, binding.line + (binding.value or "").count("\n") + 1)


def secret_marks(parsed: ParsedDotenv, hits: Sequence[Hit]) -> tuple[SecretMark, ...]:
    """One mark per binding whose value the engine flagged (on any of its lines) or that is
    high-entropy; placeholders are never marked."""
    marks: list[SecretMark] = []
    for binding in parsed.bindings:
        value = binding.value or ""
        if not value.strip() or _PLACEHOLDER.search(value) or is_local_url(value):
            continue
        lines = _span(binding)
        hit = next((h for h in hits if h.line in lines), None)
        if hit is not None:
            marks.append(SecretMark(binding.key, binding.line, hit.rule, hit.preview, hit.sha256))
        elif is_high_entropy(value):
            marks.append(
                SecretMark(
                    binding.key, binding.line, "high-entropy", redact(value), secret_hash(value)
                )
            )
    return tuple(marks)
