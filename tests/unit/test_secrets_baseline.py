"""Reading a detect-secrets baseline: every malformed shape is a HygieneError naming the file
(and key), never another exception, and never quotes the file's values."""

from __future__ import annotations

import hashlib
import json

import pytest

from hygiene.errors import HygieneError
from hygiene.scan.baseline import build_baseline, new_hits, parse_baseline, verdict_index
from hygiene.scan.hits import SecretHit

ENTRY = {"type": "AWS Access Key", "hashed_secret": "ab" * 20, "line_number": 3}

MALFORMED = {
    "a string per file": b'{"results": {"a.py": "x"}}',
    "a top-level list": b"[1, 2]",
    "a number per entry": b'{"results": {"a.py": [1]}}',
    "results a list": b'{"results": []}',
    "results null": b'{"results": null}',
    "an entry without its hash": b'{"results": {"a.py": [{"type": "AWS Access Key"}]}}',
    "is_secret a string": json.dumps(
        {"results": {"a.py": [{**ENTRY, "is_secret": "no"}]}}
    ).encode(),
    "line_number a string": json.dumps(
        {"results": {"a.py": [{**ENTRY, "line_number": "3"}]}}
    ).encode(),
    "100k-deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "not json": b"{not json",
    "not utf-8": b'{"results": {"\xff": []}}',
    "a 5000-digit number": b'{"version": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_baseline_is_an_error_naming_the_file(raw: bytes) -> None:
    with pytest.raises(HygieneError) as caught:
        parse_baseline(raw, "svc/.secrets.baseline")
    assert str(caught.value).startswith("svc/.secrets.baseline")


def test_an_error_names_the_file_key_but_quotes_no_value() -> None:
    raw = json.dumps({"results": {"conf/app.py": [{**ENTRY, "is_secret": "hunter2-value"}]}})
    with pytest.raises(HygieneError) as caught:
        parse_baseline(raw, ".secrets.baseline")
    message = str(caught.value)
    assert '.secrets.baseline: results["conf/app.py"][0]: is_secret' in message
    assert "hunter2-value" not in message


def test_a_well_formed_baseline_is_returned_as_is() -> None:
    document = {"version": "1.5.0", "results": {"a.py": [{**ENTRY, "is_secret": False}]}}
    assert parse_baseline(json.dumps(document).encode(), "b") == document
    assert parse_baseline(b"{}", "b") == {}


def test_kept_verdicts_without_a_line_number_do_not_break_the_update() -> None:
    entry = {"type": "AWS Access Key", "hashed_secret": "cd" * 20, "is_secret": False}
    previous = parse_baseline(json.dumps({"results": {"gone.py": [entry]}}), "b")
    assert build_baseline({}, "2026-01-01T00:00:00Z", previous)["results"] == {"gone.py": [entry]}


VALUE = "Tr0ub4dor&3-horse-battery"
HASHED = hashlib.sha1(VALUE.encode()).hexdigest()


def _detect_secrets_entry(**extra: object) -> dict[str, object]:
    """An entry as detect-secrets writes it for ``password = "…"``: its detector's name."""
    return {"type": "Secret Keyword", "filename": "cfg.py", "hashed_secret": HASHED, **extra}


def test_a_baseline_of_another_engine_matches_by_file_and_hash() -> None:
    hit = SecretHit.of("Password Assignment", 1, VALUE, category="password", engine="hygiene")
    baseline = {"results": {"cfg.py": [_detect_secrets_entry(line_number=1)]}}
    assert new_hits({"cfg.py": [hit]}, baseline) == {}
    assert new_hits({"other.py": [hit]}, baseline) == {"other.py": [hit]}  # the file counts

    audited = {"results": {"cfg.py": [_detect_secrets_entry(line_number=1, is_secret=False)]}}
    rebuilt = build_baseline({"cfg.py": [hit]}, "2026-01-01T00:00:00Z", audited)["results"]
    assert [(e["type"], e["is_secret"]) for e in rebuilt["cfg.py"]] == [
        ("Password Assignment", False)  # the verdict moves to the new engine's entry
    ]


def test_conflicting_verdicts_on_one_secret_never_suppress_it() -> None:
    entries = [
        _detect_secrets_entry(is_secret=False),
        _detect_secrets_entry(type="Password Assignment", is_secret=True),
        _detect_secrets_entry(type="Basic Auth Credentials"),
    ]
    for order in (entries, entries[::-1]):
        assert verdict_index({"results": {"cfg.py": order}}) == {("cfg.py", HASHED): True}
    assert verdict_index({"results": {"cfg.py": [entries[2], entries[0]]}}) == {
        ("cfg.py", HASHED): False
    }
