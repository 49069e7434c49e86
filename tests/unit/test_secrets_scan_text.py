"""scan_text: the stable entry point other checks use (e.g. env drift on .env.example)."""

from __future__ import annotations

import dataclasses

from hygiene.findings import secret_hash
from hygiene.scan import SecretHit, scan_text

AWS_KEY = "AKIAZ3MHGKQW7P2LSNYT"
PASSWORD = "hunter2-real-Pw9x!"


def test_scan_text_reports_rule_line_preview_and_hash_never_the_value() -> None:
    text = f'import os\nAWS_KEY = "{AWS_KEY}"\npassword = "{PASSWORD}"\nplain = 1\n'
    hits = scan_text(text, "app.py")
    assert {(h.rule, h.line, h.preview, h.sha256) for h in hits} == {
        ("aws-access-key", 2, "AKIA…", secret_hash(AWS_KEY)),
        ("password-assignment", 3, "hunt…", secret_hash(PASSWORD)),
    }
    for hit in hits:
        assert AWS_KEY not in repr(hit) and PASSWORD not in repr(hit)


def test_secret_hit_is_frozen_and_round_trips_through_json() -> None:
    hit = scan_text(f'key = "{AWS_KEY}"\n', "x.py")[0]
    assert dataclasses.is_dataclass(hit) and type(hit).__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert SecretHit.from_json(hit.to_json()) == hit


def test_env_example_placeholders_are_not_secrets() -> None:
    text = "API_KEY=changeme\nDB_PASSWORD=${DB_PASSWORD}\nTOKEN=<your-token>\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
    assert scan_text(text, ".env.example") == []
