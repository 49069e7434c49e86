"""Property tests of the ``.secrets.baseline`` reader: over arbitrary JSON values and arbitrary
bytes it returns a baseline or raises HygieneError — nothing else escapes — and its messages
never quote a value of the file; what it accepts, every consumer of a baseline can use."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hygiene.errors import HygieneError
from hygiene.scan.baseline import build_baseline, new_hits, parse_baseline
from hygiene.scan.engine import ContentResult
from hygiene.scan.history import Placement, annotate_baseline, baseline_index, build_records
from hygiene.scan.hits import SecretHit
from tests.property.conftest import examples

MARK = "\u2603v:"  # every string *value* generated starts with it; keys do not
VALUES = st.text(max_size=12).map(lambda t: MARK + t)
LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | VALUES
JSON = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["AWS Access Key", "Secret Keyword"]) | JSON,
        "hashed_secret": st.sampled_from(["ab" * 20]) | JSON,
        "is_secret": st.booleans() | JSON,
        "line_number": st.integers(0, 99) | JSON,
        "filename": JSON,
    },
)
#: shaped like a baseline, so the checks below the top level are reached too
BASELINE_LIKE = st.fixed_dictionaries(
    {"results": st.dictionaries(st.text(max_size=8), st.lists(ENTRY, max_size=3) | JSON)},
    optional={"version": JSON},
)
HIT = SecretHit.of("AWS Access Key", 1, "AKIAZ3MHGKQW7P2LSNYT")


def _use(baseline: dict[str, Any]) -> None:
    """Every consumer of a parsed baseline, on it."""
    paths = list(baseline.get("results") or {})[:3] or ["a.py"]
    placements = [Placement("0" * 40, p, f"k{i}", None, 0) for i, p in enumerate(paths)]
    results = {f"k{i}": ContentResult(hits=[HIT]) for i in range(len(paths))}
    records = build_records("svc", placements, results, {})
    for record in annotate_baseline(records, baseline_index(baseline)):
        assert record.baseline in (None, "false-positive", "audited", "listed")
    new_hits({p: [HIT] for p in paths}, baseline)
    build_baseline({p: [HIT] for p in paths}, "2026-01-01T00:00:00Z", baseline)


def _check(raw: bytes) -> None:
    try:
        baseline = parse_baseline(raw, "svc/.secrets.baseline")
    except HygieneError as exc:
        message = str(exc)
        assert message.startswith("svc/.secrets.baseline")
        assert MARK not in message and "\n" not in message
        return
    assert isinstance(baseline, dict)
    _use(baseline)


@settings(deadline=None, max_examples=examples(300))
@given(JSON | BASELINE_LIKE)
def test_any_json_value_is_a_baseline_or_a_hygiene_error(value: object) -> None:
    _check(json.dumps(value).encode())


@settings(deadline=None, max_examples=examples(300))
@given(st.binary(max_size=200) | JSON.map(lambda v: json.dumps(v).encode()[:-1]))
def test_any_bytes_are_a_baseline_or_a_hygiene_error(raw: bytes) -> None:
    _check(raw)


@settings(deadline=None, max_examples=examples(30))
@given(st.integers(1, 200_000), st.sampled_from(["[", '{"a":']))
def test_deep_nesting_is_a_hygiene_error(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    _check((opener * depth + "1" + closer * depth).encode())
