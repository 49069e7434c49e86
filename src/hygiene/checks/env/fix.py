"""``hygiene env fix``: the lines that document each missing variable in the example that covers
its reads. Pure: built from a repository's resolution and the examples' current text.

Each undocumented variable (rule ``undocumented-variable``) goes to the end of its covering
example; the variables of code no example covers (``missing-example``) go to a new example at
the root, the monorepo package's root, or the path ``env.coverage`` names. Each gets a comment
naming its first read and a placeholder value (empty unless told otherwise). Nothing is ever
taken from a ``.env`` file, and the diff shows only the added lines (no context: the example's
own lines, which may hold values, are never echoed).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hygiene.checks.env.records import EnvRead
from hygiene.checks.env.resolve import Resolution

DEPLOY_KINDS = frozenset({"dockerfile", "compose", "github-actions", "kubernetes"})
_VERBS = {
    "dockerfile": "declared in",
    "compose": "interpolated in",
    "github-actions": "used in",
    "kubernetes": "used in",
    "dotenv-reference": "expanded in",
}
SAFE_PLACEHOLDER = re.compile(r"^[A-Za-z0-9_.:/@+,<>-]*$")


@dataclass(frozen=True)
class Addition:
    """One variable to document: its name and the reads that need it (first one first)."""

    name: str
    reads: tuple[EnvRead, ...]

    def lines(self, placeholder: str) -> list[str]:
        """The comment naming the first read, then ``NAME=placeholder``."""
        first = self.reads[0]
        more = f" (and {len(self.reads) - 1} other place(s))" if len(self.reads) > 1 else ""
        verb = _VERBS.get(first.kind, "read in")
        return [f"# {verb} {first.path}:{first.line}{more}", f"{self.name}={placeholder}"]


@dataclass(frozen=True)
class Edit:
    """What ``fix`` does to one example: ``old`` is None for a new file."""

    path: str
    old: str | None
    additions: tuple[Addition, ...]
    placeholder: str = ""

    @property
    def newline(self) -> str:
        """The file's line ending: CRLF when most of its lines end so, else LF."""
        if self.old and self.old.count("\r\n") * 2 > self.old.count("\n"):
            return "\r\n"
        return "\n"

    @property
    def new(self) -> str:
        """The example's text after the fix."""
        nl = self.newline
        block = [line for a in self.additions for line in a.lines(self.placeholder)]
        if self.old is None:
            header = ["# Environment variables the code reads (written by hygiene env fix)."]
            return nl.join(header + block) + nl
        body = self.old
        if body and not body.endswith(("\n", "\r")):
            body += nl
        separator = nl if body.strip() else ""
        return body + separator + nl.join(block) + nl

    def diff(self) -> str:
        """A unified diff with no context lines (apply with ``git apply --unidiff-zero`` or
        ``patch -p1``): only the added lines are shown."""
        old = (self.old or "").splitlines()  # a missing final newline is added, not shown
        new = self.new.splitlines()
        source = "/dev/null" if self.old is None else f"a/{self.path}"
        lines = difflib.unified_diff(old, new, source, f"b/{self.path}", n=0, lineterm="")
        return "".join(f"{line}\n" for line in lines)


def plan(
    res: Resolution,
    texts: Mapping[str, str],
    placeholder: str = "",
) -> list[Edit]:
    """The edits that document every undocumented variable of ``res`` in its covering example
    and every uncovered one in the example it is due in; ``texts`` maps each existing example's
    path to its current text (a path it lacks is a new file)."""
    wanted: dict[str, dict[str, list[EnvRead]]] = {}
    for (example, name), reads in res.undocumented.items():
        wanted.setdefault(example, {}).setdefault(name, []).extend(reads)
    for example, by_name in res.uncovered.items():
        for name, reads in by_name.items():
            code = [r for r in reads if r.kind not in DEPLOY_KINDS]
            if code:
                wanted.setdefault(example, {}).setdefault(name, []).extend(code)
    edits = []
    for example, by_name in sorted(wanted.items()):
        additions = tuple(
            Addition(name, tuple(sorted(reads, key=lambda r: (r.path, r.line))))
            for name, reads in sorted(by_name.items())
        )
        edits.append(Edit(example, texts.get(example), additions, placeholder))
    return edits


def check_placeholder(value: str) -> str:
    """``value`` when it can stand unquoted after ``NAME=`` (no space, quote, ``#``, ``$`` or
    newline); ValueError otherwise."""
    if not SAFE_PLACEHOLDER.match(value):
        raise ValueError(
            f"placeholder {value!r}: use letters, digits and _ . : / @ + , < > - only "
            "(it goes unquoted after NAME=)"
        )
    return value


def summary(edits: Sequence[Edit]) -> str:
    """One line: how many variables go into which examples."""
    if not edits:
        return "nothing to add: every variable the code reads is documented"
    count = sum(len(e.additions) for e in edits)
    created = [e.path for e in edits if e.old is None]
    made = f" ({len(created)} new: {', '.join(created)})" if created else ""
    return f"{count} variable(s) into {len(edits)} example(s){made}"
