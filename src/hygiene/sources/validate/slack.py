"""Slack bot, user, app and refresh tokens (``xoxb-``, ``xoxp-``, …), checked with
``POST /api/auth.test`` (Slack answers 200 with ``ok: false`` for a dead token)."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import USER_AGENT, json_body
from hygiene.sources.validate.base import Client, Outcome, Provider

PATTERN = re.compile(r"(?<![A-Za-z0-9-])xox[abeoprs]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])")
#: ``auth.test`` errors that mean the token is not (or no longer) live
DEAD = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
     "no_permission", "org_login_required"}
)  # fmt: skip


def check(token: str, text: str, at: int, client: Client) -> Outcome:
    """``ok: true``: live; a dead-token error: false; anything else: unknown."""
    response = client.http.request(
        "POST",
        "/api/auth.test",
        {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT,
         "Content-Type": "application/x-www-form-urlencoded"},
        data=b"",
    )  # fmt: skip
    if response.status != 200:
        return Outcome("false" if response.status == 401 else "unknown")
    body = json_body(response)
    if body.get("ok") is True:
        return Outcome("true")
    return Outcome("false" if body.get("error") in DEAD else "unknown")


PROVIDER = Provider(
    name="slack",
    pattern=PATTERN,
    prefixes=("xoxa-", "xoxb-", "xoxe-", "xoxo-", "xoxp-", "xoxr-", "xoxs-"),
    default_url="https://slack.com",
    url_env="HYGIENE_VALIDATE_SLACK_URL",
    check=check,
)
