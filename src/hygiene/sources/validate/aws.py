"""AWS access keys: the key id (``AKIA…``) with the secret key written near it, checked with STS
``GetCallerIdentity`` through boto3 (which any valid key may call)."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator

from hygiene.sources.validate.base import Client, Outcome, Provider
from hygiene.sources.validate.http import Unreachable

PATTERN = re.compile(r"(?<![A-Z0-9])AKIA[A-Z0-9]{16}(?![A-Z0-9])")
SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
#: how far from the key id (characters) its secret half is looked for
NEAR = 1500
#: STS errors that mean the pair is not (or no longer) valid
DEAD = frozenset(
    {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
     "ExpiredToken", "AuthFailure", "InvalidAccessKeyId"}
)  # fmt: skip


def secret_near(text: str, at: int) -> str | None:
    """The 40-character secret key closest to the key id at ``at`` (mixed case, not hex)."""
    best: tuple[int, str] | None = None
    for match in SECRET.finditer(text, max(0, at - NEAR), min(len(text), at + NEAR)):
        value = match.group(0)
        if value.lower() == value or value.upper() == value:  # hex digests, ids
            continue
        distance = abs(match.start() - at)
        if best is None or distance < best[0]:
            best = (distance, value)
    return best[1] if best else None


def check(token: str, text: str, at: int, client: Client) -> Outcome:
    """Valid pair: live; an STS credential error: false; no secret near the id: unknown.
    Throttling is retried like the HTTP providers' 429; botocore's own logs are held to
    warnings meanwhile (its debug lines carry the key id)."""
    secret = secret_near(text, at)
    if secret is None:
        return Outcome("unknown")
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    http = client.http
    session = boto3.session.Session(
        aws_access_key_id=token, aws_secret_access_key=secret, region_name="us-east-1"
    )
    config = Config(
        connect_timeout=http.timeout, read_timeout=http.timeout, retries={"max_attempts": 1}
    )
    reason = "not tried"
    with _quiet():
        sts = session.client("sts", endpoint_url=http.base, config=config)
        for attempt in range(http.retries + 1):
            if attempt:
                time.sleep(http.backoff * (2 ** (attempt - 1)))
            http.bucket.take()
            try:
                sts.get_caller_identity()
            except ClientError as exc:
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if status == 429 or status >= 500 or "Throttl" in code:
                    reason = f"HTTP {status}"
                    continue
                return Outcome("false" if code in DEAD else "unknown", also=(secret,))
            except ResponseParserError:  # not an STS answer
                reason = "bad answer"
                continue
            except BotoCoreError as exc:  # connection, timeout: never the exception's text
                reason = "timeout" if "Timeout" in type(exc).__name__ else "unreachable"
                continue
            return Outcome("true", also=(secret,))
    raise Unreachable(reason)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """botocore's and urllib3's loggers at WARNING at least, for the duration."""
    loggers = [logging.getLogger(name) for name in ("botocore", "boto3", "urllib3")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


PROVIDER = Provider(
    name="aws",
    pattern=PATTERN,
    prefixes=("AKIA",),
    default_url="https://sts.amazonaws.com",
    url_env="HYGIENE_VALIDATE_AWS_URL",
    check=check,
)
