"""Upload a generated report directory to S3. This is the one write hygiene makes, and only to
the report bucket the user names with ``--upload``; it never touches audited resources."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import boto3
import botocore.exceptions

from hygiene.errors import HygieneError
from hygiene.sources.aws.session import RETRY_CONFIG


def upload_directory(directory: Path, url: str) -> list[str]:
    """Put every file of ``directory`` under ``s3://bucket/prefix/<dir name>/``; returns URLs."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise HygieneError(f"--upload {url!r}: expected s3://bucket/prefix")
    client = boto3.Session().client("s3", config=RETRY_CONFIG)
    base = "/".join(p for p in (prefix.strip("/"), directory.name) if p)
    uploaded = []
    try:
        for path in sorted(p for p in directory.iterdir() if p.is_file()):
            key = f"{base}/{path.name}"
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            client.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": kind})
            uploaded.append(f"s3://{bucket}/{key}")
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError) as exc:
        raise HygieneError(
            f"--upload {url}: {exc}; check the bucket name and your credentials"
        ) from None
    return uploaded
