"""Property tests of the policy loader: over arbitrary bytes, text, YAML documents (data built
with ``st.recursive`` and dumped, and YAML text with anchors, aliases, tags and merge keys) and
random edits of the real default policy, ``load_policy`` returns a ``Policy`` or raises a
``HygieneError`` whose every line names ``file:line`` — nothing else escapes."""

from __future__ import annotations

import re
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hygiene.config import load_policy
from hygiene.errors import HygieneError
from hygiene.policy import Policy
from tests.property.conftest import examples

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_YAML = (ROOT / "policies" / "default.yaml").read_bytes()


def _keys(data: object) -> set[str]:
    if isinstance(data, dict):
        return {str(k) for k in data} | {k for v in data.values() for k in _keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys(v)}
    return set()


#: every key the policy knows, so generated documents reach past the top level
KNOWN_KEYS = sorted(_keys(Policy().model_dump(mode="json")) | {"name", "amount", "scope"})
KEYS = st.sampled_from(KNOWN_KEYS) | st.text(max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**80), max_value=10**80)
    | st.floats()
    | st.text(max_size=12)
    | st.dates(min_value=date(1, 1, 1))
    | st.datetimes(min_value=datetime(1, 1, 1))
    | st.binary(max_size=8)
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)
DOCUMENTS = st.dictionaries(st.sampled_from(KNOWN_KEYS), DATA, max_size=5) | DATA

#: scalars as YAML text, tags and YAML 1.1 oddities included
RAW_SCALARS = st.sampled_from(
    [
        "1",
        "-0x1F",
        "0o17",
        "017",
        "0b101",
        "1_000",
        "190:20:30",
        "2024-02-30",
        "2024-09-01",
        "2024-09-01T10:00:00Z",
        ".inf",
        "-.nan",
        "~",
        "null",
        "yes",
        "No",
        "''",
        '""',
        "'a''b'",
        "=",
        "9" * 70,
        "!!int x",
        "!!int ''",
        "!!float y",
        "!!bool maybe",
        "!!timestamp z",
        "!!binary '%%'",
        "!!set {a: 1}",
        "!!omap [a]",
        "!!str 1",
        "!!null x",
        "!!python/none ''",
        "!!python/object/apply:os.system ['true']",
        "!!python/name:os.system ''",
        "!custom v",
        "!<tag:example.com,2024:x> v",
        "! v",
        "*a",
        "*b",
        "&a 1",
        "&b [1, 2]",
    ]
) | st.text(alphabet="ab1:-[]{},#&*!|>'\"%@` \n\t", max_size=8)


def _flow(draw: st.DrawFn, depth: int) -> str:
    if depth <= 0 or draw(st.booleans()):
        return draw(RAW_SCALARS)
    anchor = draw(st.sampled_from(["", "", "&a ", "&b "]))
    if draw(st.booleans()):
        items = draw(st.lists(st.just(None), max_size=4))
        return anchor + "[" + ", ".join(_flow(draw, depth - 1) for _ in items) + "]"
    keys = draw(st.lists(KEYS.map(repr) | st.just("<<") | RAW_SCALARS, max_size=4))
    pairs = ", ".join(f"{k}: {_flow(draw, depth - 1)}" for k in keys)
    return anchor + "{" + pairs + "}"


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """Block-style sections whose values are flow YAML with anchors, aliases and tags."""
    lines = draw(st.lists(st.sampled_from(KNOWN_KEYS) | st.just("<<"), min_size=1, max_size=5))
    return "".join(f"{key}: {_flow(draw, 4)}\n" for key in lines)


@st.composite
def edited_default(draw: st.DrawFn) -> bytes:
    """policies/default.yaml with a few random byte edits (insert, delete, replace)."""
    data = bytearray(DEFAULT_YAML)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 8))
        data[at : at + cut] = draw(st.binary(max_size=6) | st.sampled_from([b"&a ", b"*a", b"!!"]))
    return bytes(data)


def check(contents: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.yaml"
        path.write_bytes(contents)
        try:
            result = load_policy([path])
        except HygieneError as exc:
            message = str(exc)
            for line in message.splitlines():
                assert re.match(rf"{re.escape(str(path))}:\d+: \S", line), message
            return
    assert isinstance(result, Policy)


@settings(max_examples=examples(300))
@given(st.binary(max_size=600))
def test_any_bytes(contents: bytes) -> None:
    check(contents)


@settings(max_examples=examples(300))
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    check(text.encode("utf-8"))


@settings(max_examples=examples(200))
@given(DOCUMENTS, st.sampled_from([None, False, True]))
def test_any_yaml_document(document: Any, flow: bool | None) -> None:
    check(yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True).encode("utf-8"))


@settings(max_examples=examples(300))
@given(yaml_texts())
def test_yaml_text_with_anchors_aliases_and_tags(text: str) -> None:
    check(text.encode("utf-8"))


@settings(max_examples=examples(150))
@given(edited_default())
def test_random_edits_of_the_default_policy(contents: bytes) -> None:
    check(contents)
