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
    for location in LOCATIONS:
        data = git.read_file_at_head(repo, location)
        if data is not None:
            return parse_codeowners(data[:MAX_BYTES].decode("utf-8", "replace"))
    return []


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
