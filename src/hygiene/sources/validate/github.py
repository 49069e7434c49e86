"""GitHub: classic (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``) and fine-grained
(``github_pat_``) tokens, checked with ``GET /user``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import USER_AGENT, by_status
from hygiene.sources.validate.base import Client, Outcome, Provider

PATTERN = re.compile(
    r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})"
    r"(?![A-Za-z0-9_])"
)


def check(token: str, text: str, at: int, client: Client) -> Outcome:
    """200: live; 401: revoked or never valid; anything else (403 rate limit): unknown."""
    response = client.http.request(
        "GET",
        "/user",
        {"Authorization": f"token {token}", "Accept": "application/vnd.github+json",
         "User-Agent": USER_AGENT},
    )  # fmt: skip
    return Outcome(by_status(response))


PROVIDER = Provider(
    name="github",
    pattern=PATTERN,
    prefixes=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    default_url="https://api.github.com",
    url_env="HYGIENE_VALIDATE_GITHUB_URL",
    check=check,
)
