"""scan.markers: every marker's lines, with Vectorscan and with the re fallback alike, and never
fewer than a leftmost alternation of the same words finds (what a prefilter may rely on)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hygiene.scan.markers import Markers

WORDS = {"pass": "kv", "password": "kv", "token": "kv", "://": "url", "$2b$": "hash", "auth": "kv"}
TEXT = (
    "x = 1\n"
    "PASSWORD = 'hunter2'\n"  # upper case: matched in the lower-cased text
    "url = https://example.invalid\n"
    "hash = $2b$12$abc\n"
    "\n"
    "authtoken\n"  # two markers on one line, overlapping none
)


@pytest.mark.parametrize("vectorscan", [True, False])
def test_lines_per_family(vectorscan: bool) -> None:
    markers = Markers(WORDS, vectorscan=vectorscan)
    assert markers.engine == ("vectorscan" if vectorscan else "re")
    assert markers.lines(TEXT) == {"kv": {2, 6}, "url": {3}, "hash": {4}}
    assert markers.lines("nothing here\n") == {}
    assert markers.lines("") == {}


def _leftmost(words: dict[str, str], text: str) -> dict[str, set[int]]:
    """What a prefilter's single alternation over the lower-cased text finds."""
    pattern = re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))
    lower = text.lower()
    found: dict[str, set[int]] = {}
    for match in pattern.finditer(lower):
        found.setdefault(words[match.group()], set()).add(lower.count("\n", 0, match.start()) + 1)
    return found


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["pass", "PassWord", "token", "://", "$2b$", "auth", "x", "\n", " ", "é", "İ"]
        ),
        max_size=40,
    )
)
def test_never_fewer_lines_than_a_leftmost_alternation(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = _leftmost(WORDS, text)
    for vectorscan in (True, False):
        got = Markers(WORDS, vectorscan=vectorscan).lines(text)
        for family, lines in expected.items():
            assert lines <= got.get(family, set())


_FORKED = Markers({"password": "kv"})


def _lines_in_child(text: str) -> dict[str, set[int]]:
    return _FORKED.lines(text)


def test_a_worker_forked_while_another_thread_holds_the_lock_does_not_hang() -> None:
    # the scan pool forks while other checks' threads scan: the child must not inherit a lock
    # held by a thread that does not exist in it
    import multiprocessing

    _FORKED.lines("warm up")
    _FORKED._lock.acquire()  # another thread is mid-scan at the moment of the fork
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            found = pool.apply_async(_lines_in_child, ("a\npassword=1\n",))
            assert found.get(timeout=30) == {"kv": {2}}
    finally:
        _FORKED._lock.release()
