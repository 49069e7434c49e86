"""Stripe secret and restricted keys (``sk_live_``, ``rk_live_``, and the ``_test_`` ones),
checked with ``GET /v1/balance``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import bearer_get
from hygiene.sources.validate.base import Provider

PATTERN = re.compile(r"(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}(?![A-Za-z0-9_])")


#: 200: live; 403: a live restricted key without the balance permission; 401: dead.
check = bearer_get("/v1/balance", live=(200, 403))


PROVIDER = Provider(
    name="stripe",
    pattern=PATTERN,
    prefixes=("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
    default_url="https://api.stripe.com",
    url_env="HYGIENE_VALIDATE_STRIPE_URL",
    check=check,
)
