"""A repository's CODEOWNERS owners (teams, users, addresses), read from its HEAD.

GitHub and GitLab look for ``.github/CODEOWNERS``, ``CODEOWNERS`` and ``docs/CODEOWNERS`` (the
first found); every owner named on a rule line is an owner of the directory: ``@org/team``,
``@user``, a GitLab nested group ``@group/subgroup/team`` or an e-mail address. A GitLab
section header (``[Section]``, ``^[Optional section]``, ``[Section][2]``) may name the
section's default owners after it; they are owners too. (Measured on 13 real files,
benchmarks/README.md: before, gitlabhq's directory missed 57 of its 67 teams.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hygiene.sources import git

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
MAX_BYTES = 3 * 1024 * 1024  # GitHub ignores a larger CODEOWNERS
_OWNER = re.compile(r"^(@[\w.-]+(?:/[\w.-]+)*|[^@\s]+@[^@\s]+\.[^@\s]+)$")
_COMMENT = re.compile(r"(?<!\\)#")  # a comment starts at a '#' that no backslash escapes
#: A GitLab section header and what follows it: ``^[Name][2] @owners …``.
_SECTION = re.compile(r"^\^?\[[^\]]*\](?:\[\d+\])?(?P<owners>.*)$")


def read_codeowners(repo: Path) -> list[str]:
    """The owners the repository's CODEOWNERS names, in order of first mention ([] without one)."""
    text = _codeowners_text(repo)
    return parse_codeowners(text) if text is not None else []


def read_codeowners_rules(repo: Path) -> CodeOwners | None:
    """Who owns which paths of the repository, by its CODEOWNERS (None without one)."""
    text = _codeowners_text(repo)
    return CodeOwners.parse(text) if text is not None else None


def _codeowners_text(repo: Path) -> str | None:
    for location in LOCATIONS:
        data = git.read_file_at_head(repo, location)
        if data is not None:
            return data[:MAX_BYTES].decode("utf-8", "replace")
    return None


@dataclass(frozen=True)
class CodeOwners:
    """A CODEOWNERS file's rules, in order: ``(pattern, owners)``. As on GitHub and GitLab the
    last rule matching a path owns it (a rule without owners unowns it); patterns are gitignore
    rules (``pathspec``), except that ``dir/*`` owns only the files directly in ``dir``. A GitLab
    section's default owners own the section's lines that name none."""

    rules: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def parse(cls, text: str) -> CodeOwners:
        """The rules of CODEOWNERS ``text``."""
        rules: list[tuple[str, tuple[str, ...]]] = []
        defaults: tuple[str, ...] = ()
        for raw in text.splitlines():
            line = _COMMENT.split(raw, maxsplit=1)[0].strip()
            if not line:
                continue
            section = _SECTION.match(line)
            if section:
                defaults = tuple(t for t in section["owners"].split() if _OWNER.match(t))
                continue
            pattern, *rest = _split_pattern(line)
            owners = tuple(t for t in rest if _OWNER.match(t)) or defaults
            rules.append((pattern.replace("\\ ", " "), owners))
        return cls(tuple(rules))

    def owners_of(self, path: str) -> tuple[str, ...]:
        """The owners of ``path`` (relative to the repository root, ``/`` separated)."""
        import pathspec

        for pattern, owners in reversed(self.rules):
            if pathspec.GitIgnoreSpec.from_lines([pattern]).match_file(path) and _direct(
                pattern, path
            ):
                return owners
        return ()


def _split_pattern(line: str) -> Sequence[str]:
    """A rule line's pattern (an escaped space is part of it) and the tokens after it."""
    match = re.match(r"((?:\\ |\S)+)\s*(.*)$", line)
    assert match is not None  # a non-empty stripped line has a first token
    return [match[1], *match[2].split()]


def _direct(pattern: str, path: str) -> bool:
    """``dir/*`` owns what is directly in ``dir`` only (unlike a gitignore rule)."""
    if not pattern.endswith("/*") or pattern.endswith("**/*"):
        return True
    base = pattern[:-2].lstrip("/")
    head, _, rest = path.rpartition("/")
    return head == base or head.endswith("/" + base) if rest else False


def parse_codeowners(text: str) -> list[str]:
    """The owners named in CODEOWNERS ``text`` (comments, section headers and patterns skipped)."""
    owners: dict[str, None] = {}
    for line in text.splitlines():
        line = _COMMENT.split(line, maxsplit=1)[0].strip()
        if not line:
            continue
        section = _SECTION.match(line)
        tokens = section["owners"].split() if section else line.split()[1:]
        for token in tokens:
            if _OWNER.match(token):
                owners.setdefault(token, None)
    return list(owners)
