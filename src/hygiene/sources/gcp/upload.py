"""Upload a generated report directory to Cloud Storage (``gs://bucket/prefix``). The one write
hygiene makes on GCP, and only to the bucket the user names with ``--upload``.

Needs ``google-cloud-storage`` (the ``gcp`` extra). ``HYGIENE_GCS_ENDPOINT`` points the client at
another JSON-API root (an emulator, the tests' local server) with anonymous credentials.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping
from pathlib import Path

import google.cloud.storage as storage
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions

from hygiene.errors import HygieneError

GCS_ENDPOINT_ENV = "HYGIENE_GCS_ENDPOINT"


def _client(environ: Mapping[str, str]) -> storage.Client:
    endpoint = environ.get(GCS_ENDPOINT_ENV, "")
    if endpoint:
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(
            project="hygiene",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": endpoint},
        )
    return storage.Client()


def upload_directory(
    directory: Path, url: str, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Put every file of ``directory`` under ``gs://bucket/prefix/<dir name>/``; returns URLs."""
    bucket_name, _, prefix = url.removeprefix("gs://").partition("/")
    if not bucket_name:
        raise HygieneError(f"--upload {url!r}: expected gs://bucket/prefix")
    base = "/".join(p for p in (prefix.strip("/"), directory.name) if p)
    uploaded = []
    try:
        bucket = _client(os.environ if environ is None else environ).bucket(bucket_name)
        for path in sorted(p for p in directory.iterdir() if p.is_file()):
            key = f"{base}/{path.name}"
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            bucket.blob(key).upload_from_filename(str(path), content_type=kind)
            uploaded.append(f"gs://{bucket_name}/{key}")
    except auth_exceptions.DefaultCredentialsError:
        raise HygieneError(
            f"--upload {url}: no Google credentials (run `gcloud auth application-default login` "
            "or set GOOGLE_APPLICATION_CREDENTIALS)"
        ) from None
    except (api_exceptions.GoogleAPIError, OSError) as exc:
        raise HygieneError(
            f"--upload {url}: {exc}; check the bucket name and your access"
        ) from None
    return uploaded
