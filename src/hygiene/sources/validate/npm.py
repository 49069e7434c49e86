"""npm access tokens (``npm_``), checked with the registry's ``GET /-/whoami``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import USER_AGENT, by_status
from hygiene.sources.validate.base import Client, Outcome, Provider

PATTERN = re.compile(r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])")


def check(token: str, text: str, at: int, client: Client) -> Outcome:
    """200: live; 401/403: revoked or never valid; else unknown."""
    response = client.http.request(
        "GET", "/-/whoami", {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
    )
    return Outcome(by_status(response, dead=(401, 403)))


PROVIDER = Provider(
    name="npm",
    pattern=PATTERN,
    prefixes=("npm_",),
    default_url="https://registry.npmjs.org",
    url_env="HYGIENE_VALIDATE_NPM_URL",
    check=check,
)
