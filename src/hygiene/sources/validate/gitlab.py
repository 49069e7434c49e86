"""GitLab personal, project and group access tokens (``glpat-``), checked with
``GET /api/v4/user``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import USER_AGENT, by_status
from hygiene.sources.validate.base import Client, Outcome, Provider

PATTERN = re.compile(r"(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])")


def check(token: str, text: str, at: int, client: Client) -> Outcome:
    """200: live; 401: revoked, expired or never valid; else unknown."""
    response = client.http.request(
        "GET", "/api/v4/user", {"PRIVATE-TOKEN": token, "User-Agent": USER_AGENT}
    )
    return Outcome(by_status(response))


PROVIDER = Provider(
    name="gitlab",
    pattern=PATTERN,
    prefixes=("glpat-",),
    default_url="https://gitlab.com",
    url_env="HYGIENE_VALIDATE_GITLAB_URL",
    check=check,
)
