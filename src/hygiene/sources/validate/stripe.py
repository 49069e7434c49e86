"""Stripe secret and restricted keys (``sk_live_``, ``rk_live_``, and the ``_test_`` ones),
checked with ``GET /v1/balance``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import USER_AGENT, by_status
from hygiene.sources.validate.base import Client, Outcome, Provider

PATTERN = re.compile(r"(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}(?![A-Za-z0-9_])")


def check(token: str, text: str, at: int, client: Client) -> Outcome:
    """200: live; 403: a live restricted key without the balance permission; 401: dead."""
    response = client.http.request(
        "GET", "/v1/balance", {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
    )
    return Outcome(by_status(response, live=(200, 403)))


PROVIDER = Provider(
    name="stripe",
    pattern=PATTERN,
    prefixes=("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
    default_url="https://api.stripe.com",
    url_env="HYGIENE_VALIDATE_STRIPE_URL",
    check=check,
)
