"""SendGrid API keys (``SG.<22>.<43>``), checked with ``GET /v3/scopes``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import USER_AGENT, by_status
from hygiene.sources.validate.base import Client, Outcome, Provider

PATTERN = re.compile(
    r"(?<![A-Za-z0-9_.-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"
)


def check(token: str, text: str, at: int, client: Client) -> Outcome:
    """200: live; 401: revoked or never valid; else unknown."""
    response = client.http.request(
        "GET", "/v3/scopes", {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
    )
    return Outcome(by_status(response))


PROVIDER = Provider(
    name="sendgrid",
    pattern=PATTERN,
    prefixes=("SG.",),
    default_url="https://api.sendgrid.com",
    url_env="HYGIENE_VALIDATE_SENDGRID_URL",
    check=check,
)
