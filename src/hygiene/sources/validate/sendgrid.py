"""SendGrid API keys (``SG.<22>.<43>``), checked with ``GET /v3/scopes``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import bearer_get
from hygiene.sources.validate.base import Provider

PATTERN = re.compile(
    r"(?<![A-Za-z0-9_.-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"
)


#: 200: live; 401: revoked or never valid; else unknown.
check = bearer_get("/v3/scopes")


PROVIDER = Provider(
    name="sendgrid",
    pattern=PATTERN,
    prefixes=("SG.",),
    default_url="https://api.sendgrid.com",
    url_env="HYGIENE_VALIDATE_SENDGRID_URL",
    check=check,
)
