"""Glob matching for the policy's include/exclude patterns and ignored names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import translate
from functools import lru_cache


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def path_matches(path: str, pattern: str) -> bool:
    """Git-style glob: ``**/`` spans any directories (or none), ``*`` stays within one."""
    return bool(_compile(pattern).match(path))


def selected(path: str, include: Iterable[str], exclude: Iterable[str]) -> bool:
    """True when ``path`` matches an include pattern and no exclude pattern."""
    return any(path_matches(path, p) for p in include) and not any(
        path_matches(path, p) for p in exclude
    )


@lru_cache(maxsize=16)
def _names_pattern(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{translate(p)})" for p in patterns) or r"(?!)")


def name_ignored(name: str, patterns: Iterable[str]) -> bool:
    """True when a variable name matches an ignored-name glob (``GITHUB_*``), case-sensitive."""
    return bool(_names_pattern(tuple(patterns)).match(name))
