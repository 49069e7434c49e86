"""OpenAI API keys (``sk-…T3BlbkFJ…`` and ``sk-proj-``/``sk-svcacct-``/``sk-admin-``), checked
with ``GET /v1/models``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import USER_AGENT, by_status
from hygiene.sources.validate.base import Client, Outcome, Provider

PATTERN = re.compile(
    r"(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,200}"
    r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})(?![A-Za-z0-9_-])"
)


def check(token: str, text: str, at: int, client: Client) -> Outcome:
    """200: live; 401: revoked or never valid; else (429 out of quota) unknown."""
    response = client.http.request(
        "GET", "/v1/models", {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
    )
    return Outcome(by_status(response))


PROVIDER = Provider(
    name="openai",
    pattern=PATTERN,
    prefixes=("sk-",),
    default_url="https://api.openai.com",
    url_env="HYGIENE_VALIDATE_OPENAI_URL",
    check=check,
)
