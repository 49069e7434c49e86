"""The ``kingfisher`` engine: Kingfisher's compiled rules mapped to hygiene's hits.

Every token below is built from pieces at run time (none is a real credential, and none sits in
this file whole for a scanner to flag).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from hygiene.findings import secret_hash
from hygiene.scan import kingfisher
from hygiene.scan.engine import EngineConfig, scan_bytes, scan_content
from hygiene.scan.pool import scan_items

CONFIG = EngineConfig(engines=("kingfisher",))
GHP = "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"
AKID = "AKIA" + "QYLPMN5HHHFPZAM2"
AWS_SECRET = "1tUm636uS1yOEcfP5pvfqJ" + "/ml36mF7AkyHsEU0IU"
SLACK = "xoxb-" + "123456789012-1234567890123-" + "abcdefghijABCDEFGHIJklmn"
PEM_BODY = (
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
)
PEM = "-----BEGIN " + "PRIVATE KEY-----\n" + PEM_BODY + "-----END " + "PRIVATE KEY-----\n"
KEY_ID = "3f2a9c1b7e4d5a6b8c9d0e1f2a3b4c5d6e7f8a9b"


def _hits(text: str, path: str = "app/settings.py"):  # type: ignore[no-untyped-def]
    return scan_content(text, path, CONFIG).hits


def test_a_provider_token_is_one_provider_hit_with_a_stable_slug() -> None:
    [hit] = _hits(f'TOKEN = "{GHP}"\n\nother = 1\n')
    assert (hit.rule, hit.category, hit.line, hit.engine) == (
        "github-token",  # detect-secrets' slug for the same token (LEGACY_SLUGS)
        "provider-token",
        1,
        "kingfisher",
    )
    assert hit.sha256 == secret_hash(GHP) and hit.preview == "ghp_…"
    assert "GitHub Personal Access Token" in hit.type  # Kingfisher's own rule name


def test_the_value_is_never_kept() -> None:
    hits = _hits(f'a = "{GHP}"\nb = "{SLACK}"\n')
    dumped = json.dumps([h.to_json() for h in hits])
    assert len(hits) == 2
    assert GHP not in dumped and SLACK not in dumped and GHP[4:20] not in dumped


def test_an_aws_key_id_and_its_secret_are_one_hit_keyed_by_the_id() -> None:
    text = f'aws_access_key_id = "{AKID}"\n\naws_secret_access_key = "{AWS_SECRET}"\n'
    [hit] = _hits(text, "deploy/credentials.py")
    assert hit.rule == "aws-access-key" and hit.category == "provider-token"
    assert hit.sha256 == secret_hash(AWS_SECRET)  # the value is the secret half
    assert hit.key_id_sha256 == secret_hash(AKID)  # the public half, hashed
    assert hit.line == 3  # where the secret is


def test_a_lone_secret_half_is_the_only_evidence_and_is_reported() -> None:
    [hit] = _hits(f'aws_secret_access_key = "{AWS_SECRET}"\n')
    # without its access key id it is no provider credential anyone can be named for: generic
    assert hit.rule == "kingfisher-aws-secret-access-key" and hit.category == "generic"
    assert hit.sha256 == secret_hash(AWS_SECRET)
    assert hit.key_id_sha256 is None  # no access key id beside it


def test_the_aws_documentation_example_pair_is_filtered() -> None:
    text = (
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    )
    assert _hits(text, "config.ini") == []


def test_a_gcp_service_account_file_is_one_hit_on_its_private_key() -> None:
    account = {
        "type": "service_account",
        "project_id": "demo-proj",
        "private_key_id": KEY_ID,
        "private_key": PEM,
        "client_email": "svc@demo-proj.iam.gserviceaccount.com",
        "client_id": "104712345678901234567",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
    }
    [hit] = _hits(json.dumps(account, indent=2), "keys/sa.json")
    assert hit.rule == "kingfisher-gcp-service-account" and hit.category == "provider-token"
    assert hit.key_id_sha256 == secret_hash(KEY_ID)
    assert hit.line == 5  # the private_key field's line


def test_a_pem_key_is_one_private_key_hit() -> None:
    [hit] = _hits("x = 1\n" + PEM, "deploy/key.pem")
    assert (hit.rule, hit.category, hit.line) == ("private-key", "private-key", 2)


def test_credentials_in_a_uri_are_a_password() -> None:
    [hit] = _hits("DATABASE_URL=postgres://admin:Zq8vLr2pWx9s@db.internal.corp:5432/app\n", ".env")
    assert (hit.rule, hit.category) == ("kingfisher-generic-credential-uri", "password")
    assert hit.sha256 == secret_hash("Zq8vLr2pWx9s")


def test_hygiene_filters_apply_to_kingfisher_values() -> None:
    # a reference, not a secret: Kingfisher's URI rule matches, hygiene's env-reference filter
    # does not see a value there; a placeholder password is dropped by hygiene's filter
    assert _hits("url = postgres://admin:changeme@db.internal.corp:5432/app\n", ".env") == []


def test_path_aware_rules_see_the_path() -> None:
    text = (
        '<configuration><packageSourceCredentials><Src><add key="Username" value="bob" />'
        '<add key="ClearTextPassword" value="Hunter2Pass!x9" /></Src>'
        "</packageSourceCredentials></configuration>\n"
    )
    [hit] = _hits(text, "NuGet.config")
    assert (hit.rule, hit.category) == ("kingfisher-nuget-config-password", "password")


def test_base64_wrapped_token_is_found_on_its_line() -> None:
    import base64

    wrapped = base64.b64encode(GHP.encode()).decode()
    [hit] = _hits(f"x = 1\ndata: {wrapped}\n", "values.yaml")
    assert (hit.rule, hit.line, hit.sha256) == ("github-token", 2, secret_hash(GHP))


@pytest.mark.parametrize(
    ("rule_id", "slug", "category"),
    [
        ("betterleaks.github-pat", "github-token", "provider-token"),
        ("betterleaks.github-fine-grained-pat", "github-token", "provider-token"),
        ("betterleaks.aws-secret-access-key", "kingfisher-aws-secret-access-key", "provider-token"),
        ("betterleaks.private-key", "private-key", "private-key"),
        ("betterleaks.gitlab-ptt", "kingfisher-gitlab-ptt", "provider-token"),
        ("betterleaks.generic-credential-uri", "kingfisher-generic-credential-uri", "password"),
        ("betterleaks.curl-auth-user", "kingfisher-curl-auth-user", "password"),
        ("betterleaks.curl-auth-header", "kingfisher-curl-auth-header", "generic"),
        ("betterleaks.generic-api-key", "kingfisher-generic-api-key", "generic"),
        ("veles.secrets/sendgrid", "sendgrid-api-key", "provider-token"),
        ("betterleaks.auth0-client-secret.1", "kingfisher-auth0-client-secret-1", "provider-token"),
    ],
)
def test_rule_slugs_and_categories(rule_id: str, slug: str, category: str) -> None:
    assert kingfisher.rule_slug(rule_id) == slug
    assert kingfisher.category_of(rule_id) == category


def test_slugs_are_stable_and_only_legacy_rules_share_one() -> None:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    from hygiene.scan.hits import slug

    kingfisher.prepare()
    ids = [m["id"] for m in kingfisher._state["rules"].metadata()]
    assert len(ids) >= 400
    legacy = kingfisher.LEGACY_SLUGS
    names = {kingfisher.unqualified(i).lower(): i for i in ids}
    assert set(legacy) <= set(names), "a LEGACY_SLUGS entry names no loaded rule"
    # a legacy slug is the slug detect-secrets' own plugin gives the same secret
    assert set(legacy.values()) <= {slug(t) for t in get_mapping_from_secret_type_to_class()}
    by_slug: dict[str, set[str]] = {}
    for rule_id in ids:
        name = kingfisher.unqualified(rule_id).lower()
        expected = legacy.get(name) or "kingfisher-" + re.sub(r"[^a-z0-9]+", "-", name).strip("-")
        assert kingfisher.rule_slug(rule_id) == expected  # a function of the rule's name alone
        by_slug.setdefault(expected, set()).add(name)
    shared = {s: n for s, n in by_slug.items() if len(n) > 1}
    assert shared, "LEGACY_SLUGS maps several rules to one slug on purpose"
    for rules in shared.values():  # only LEGACY_SLUGS' rules share
        assert rules <= set(legacy), rules
    for name, legacy_slug in legacy.items():  # no other rule collides with a legacy slug
        assert by_slug[legacy_slug] == {n for n, s in legacy.items() if s == legacy_slug}, name


def test_version_and_engine_import_load_no_sdk() -> None:
    code = (
        "import sys, hygiene.scan.engine as e, hygiene.scan.kingfisher as k;"
        "v = e.EngineConfig(engines=('kingfisher',)).fingerprint(), k.version();"
        "assert 'kingfisher_sdk' not in sys.modules, 'loaded';"
        "print(v[1])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith(f"+{kingfisher.ADAPTER_VERSION}")


def test_forked_workers_find_what_the_parent_finds() -> None:
    filler = "x = 'nothing to see here'\n" * 4000  # ~100 KB per text: workers are started
    items = [
        (f"k{i}", f"src/m{i}.py", (filler + f'TOKEN = "{GHP}"\n' * (i % 2)).encode())
        for i in range(20)
    ]
    alone = {k: scan_bytes(c, p, CONFIG).hits for k, p, c in items}
    pooled = dict(scan_items(items, CONFIG, workers=2))
    assert {k: r.hits for k, r in pooled.items()} == alone
    assert sum(1 for hits in alone.values() if hits) == 10
