"""Plain records of the readiness check: one repository's tracked text files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hygiene.checks.env.records import EnvRead
    from hygiene.checks.readiness.alert_rules import AlertRule


@dataclass(frozen=True)
class RepoFiles:
    """The text of a repository's tracked files that the detectors look at (path → text).

    ``reads`` (the env read-finders' results) and ``alert_rules`` (Prometheus rules) are what
    the collector parsed from ``files``, each file once, a file whose parser failed left out
    (and named in ``errors``: ``(path, why)``); None means "parse ``files`` when judging"."""

    repo: str  # the repo's stable name (hygiene.sources.git.repo_name)
    commit: str | None
    files: dict[str, str] = field(default_factory=dict)
    skipped: int = 0  # tracked paths not read: links out of the checkout, FIFOs, devices
    reads: tuple[EnvRead, ...] | None = None
    alert_rules: tuple[AlertRule, ...] | None = None
    errors: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Evidence:
    """Where a detector saw something: file, line, and what it was."""

    path: str
    line: int
    what: str

    def to_dict(self) -> dict[str, object]:
        """For a finding's details."""
        return {"path": self.path, "line": self.line, "what": self.what}


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1
