"""npm access tokens (``npm_``), checked with the registry's ``GET /-/whoami``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import bearer_get
from hygiene.sources.validate.base import Provider

PATTERN = re.compile(r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])")


#: 200: live; 401/403: revoked or never valid; else unknown.
check = bearer_get("/-/whoami", dead=(401, 403))


PROVIDER = Provider(
    name="npm",
    pattern=PATTERN,
    prefixes=("npm_",),
    default_url="https://registry.npmjs.org",
    url_env="HYGIENE_VALIDATE_NPM_URL",
    check=check,
)
