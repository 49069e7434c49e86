"""Many literal markers found at once, with their lines: a prefilter's first stage.

``Markers({"password": "kv", "://": "url", ...})`` compiles every marker (lower case) into one
Vectorscan database (the ``hyperscan`` wheel); :meth:`Markers.lines` lower-cases a text, scans it
once and says, per family, the lines holding one of its markers. Every occurrence is reported,
overlapping ones included, so the lines are a superset of what a leftmost alternation of the
same words finds: a prefilter built on it never drops a line its rules need. Without the wheel
(a platform it has no build for) one prefix-factored ``re`` alternation does the same, slower.

On gotify's 18.9 MB of text the lines of 160 markers took 0.59 s this way against 3.6 s for the
``re`` alternation over the lower-cased text (2 cores under load; see benchmarks/README.md).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from typing import Any


class Markers:
    """Literal markers (lower case) → their family; :meth:`lines` finds them in a text."""

    def __init__(self, words: Mapping[str, str], vectorscan: bool = True) -> None:
        self.words = dict(words)
        self.families = sorted(set(self.words.values()))
        self._lock = threading.Lock()  # one scratch space per database: one scan at a time
        self._pid = os.getpid()
        self._db: Any = None
        self._regex: re.Pattern[str] | None = None
        self.engine = "vectorscan"
        try:
            if not vectorscan:
                raise ImportError("the re alternation was asked for")
            import hyperscan
        except ImportError:  # no wheel for this platform
            self.engine = "re"
            alternation = "|".join(map(re.escape, sorted(self.words, key=len, reverse=True)))
            self._regex = re.compile(f"(?=({alternation}))")
            return
        self._db = self._compile(hyperscan)

    def _compile(self, hyperscan: Any) -> Any:
        ids = {family: number for number, family in enumerate(self.families)}
        db = hyperscan.Database()
        db.compile(
            expressions=[re.escape(word).encode() for word in self.words],
            ids=[ids[family] for family in self.words.values()],
            elements=len(self.words),
            flags=[0] * len(self.words),
        )
        return db

    def _for_this_process(self) -> None:
        """After a fork, a new lock and database: another thread of the parent may have held
        the lock (or been scanning with the scratch space) when the scan worker was forked,
        and the child would wait on it for ever."""
        if self._pid != os.getpid():
            import hyperscan

            self._pid, self._lock = os.getpid(), threading.Lock()
            self._db = self._compile(hyperscan)

    def lines(self, text: str) -> dict[str, set[int]]:
        """Family → the 1-based lines of ``text`` where one of its markers occurs (matched in
        the lower-cased text, as ``str.lower`` folds it)."""
        lower = text.lower()
        if self._db is None:
            return self._lines_re(lower)
        data = lower.encode("utf-8", "surrogatepass")
        ends: list[tuple[int, int]] = []

        def on_match(family: int, start: int, end: int, flags: int, context: object) -> None:
            ends.append((end, family))

        self._for_this_process()
        with self._lock:
            self._db.scan(data, match_event_handler=on_match)
        found: dict[str, set[int]] = {}
        line, last = 1, 0
        for end, family in sorted(ends):
            line += data.count(b"\n", last, end - 1)
            last = end - 1
            found.setdefault(self.families[family], set()).add(line)
        return found

    def _lines_re(self, lower: str) -> dict[str, set[int]]:
        assert self._regex is not None
        found: dict[str, set[int]] = {}
        line, last = 1, 0
        for match in self._regex.finditer(lower):
            start = match.start()
            line += lower.count("\n", last, start)
            last = start
            word = match.group(1)
            found.setdefault(self.words[word], set()).add(line)
        return found
