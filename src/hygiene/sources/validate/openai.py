"""OpenAI API keys (``sk-…T3BlbkFJ…`` and ``sk-proj-``/``sk-svcacct-``/``sk-admin-``), checked
with ``GET /v1/models``."""

from __future__ import annotations

import re

from hygiene.sources.validate._common import bearer_get
from hygiene.sources.validate.base import Provider

PATTERN = re.compile(
    r"(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,200}"
    r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})(?![A-Za-z0-9_-])"
)


#: 200: live; 401: revoked or never valid; else (429 out of quota) unknown.
check = bearer_get("/v1/models")


PROVIDER = Provider(
    name="openai",
    pattern=PATTERN,
    prefixes=("sk-",),
    default_url="https://api.openai.com",
    url_env="HYGIENE_VALIDATE_OPENAI_URL",
    check=check,
)
