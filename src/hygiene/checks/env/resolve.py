"""Which example documents each read: the monorepo rule, shared by the findings and the report.

Each example governs its directory and everything below it. A read is documented by the nearest
example above it that has the name, else by an example further up (a monorepo root documents
shared variables); if none has it, it is undocumented in the nearest one. A dynamic read of a
module-level string constant (``os.getenv(TOKEN_ENV)`` with ``TOKEN_ENV = "API_TOKEN"`` anywhere
in the repository, one value only) is a read of that name. A read no example
governs belongs to ``uncovered`` (rule ``missing-example``). ``${VAR}`` references inside an
example's values count as reads from that example.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace

from hygiene.checks.env.dotenv_files import is_variable_name
from hygiene.checks.env.paths import name_ignored
from hygiene.checks.env.records import DotenvFile, EnvEntry, EnvRead, RepoEnv
from hygiene.policy import EnvPolicy

CASE_INSENSITIVE_KINDS = frozenset({"pydantic-settings"})


def ancestors(path: str) -> list[str]:
    """The directories holding ``path``, deepest first, ending with "" (the repo root)."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(len(parts), -1, -1)]


@dataclass
class Scope:
    """The examples of one directory, taken together."""

    directory: str
    files: list[DotenvFile]

    @property
    def primary(self) -> DotenvFile:
        """The example findings point at when a variable is missing."""
        return self.files[0]

    def __post_init__(self) -> None:
        self._exact: dict[str, tuple[DotenvFile, EnvEntry]] = {}
        self._upper: dict[str, tuple[DotenvFile, EnvEntry]] = {}
        for file in self.files:
            for entry in file.entries:
                self._exact.setdefault(entry.key, (file, entry))
                self._upper.setdefault(entry.key.upper(), (file, entry))

    def entry(
        self, name: str, case_insensitive: bool = False
    ) -> tuple[DotenvFile, EnvEntry] | None:
        """Where the name is documented (its first line), or None."""
        found = self._exact.get(name)
        if found is None and case_insensitive:
            found = self._upper.get(name.upper())
        return found


@dataclass
class Resolution:
    """Reads grouped by where they are (or should be) documented."""

    scopes: dict[str, Scope]
    reads: list[EnvRead] = field(default_factory=list)  # every named read, ignored names too
    _chains: dict[str, list[Scope]] = field(default_factory=dict, repr=False)
    documented: dict[tuple[str, str], list[EnvRead]] = field(
        default_factory=lambda: defaultdict(list)
    )
    undocumented: dict[tuple[str, str], list[EnvRead]] = field(
        default_factory=lambda: defaultdict(list)
    )
    uncovered: dict[str, list[EnvRead]] = field(default_factory=lambda: defaultdict(list))
    dynamic: dict[str, list[EnvRead]] = field(default_factory=lambda: defaultdict(list))

    def chain(self, path: str) -> list[Scope]:
        """The scopes governing ``path``, nearest first."""
        directory = path.rpartition("/")[0]
        if directory not in self._chains:
            self._chains[directory] = [self.scopes[d] for d in ancestors(path) if d in self.scopes]
        return self._chains[directory]

    def unused(self, policy: EnvPolicy) -> list[tuple[DotenvFile, EnvEntry]]:
        """Example keys nothing reads (first definition of each), ignored names left out."""
        out = []
        for directory, scope in sorted(self.scopes.items()):
            seen: set[str] = set()
            for file in scope.files:
                for entry in file.entries:
                    if entry.key in seen or name_ignored(entry.key, policy.ignore_names):
                        continue
                    seen.add(entry.key)
                    if not self.documented.get((directory, entry.key)):
                        out.append((file, entry))
        return out


_CONSTANT_REF = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*$")


def resolvable_constants(repo: RepoEnv) -> dict[str, str]:
    """Module-level string constants whose name means one value across the repository: a
    dynamic read of such a name (``os.getenv(TOKEN_ENV)``) is a read of that value. Only a
    value that can be a variable's name counts (any other string may be a secret: it is never
    shown)."""
    values: dict[str, set[str]] = defaultdict(set)
    for name, value in repo.constants:
        values[name].add(value)
    return {
        name: value
        for name, v in values.items()
        if len(v) == 1 and is_variable_name(value := next(iter(v)))
    }


def _order(files: list[DotenvFile], names: list[str]) -> list[DotenvFile]:
    rank = {n: i for i, n in enumerate(names)}
    return sorted(files, key=lambda f: (rank.get(f.path.rpartition("/")[2], len(rank)), f.path))


def resolve(repo: RepoEnv, policy: EnvPolicy) -> Resolution:
    """Group every static read of ``repo`` by the example that documents it."""
    by_dir: dict[str, list[DotenvFile]] = defaultdict(list)
    for example in repo.examples:
        by_dir[example.directory].append(example)
    result = Resolution(
        {d: Scope(d, _order(files, policy.examples)) for d, files in by_dir.items()}
    )
    references = [
        EnvRead(name, example.path, entry.line, "dotenv-reference")
        for example in repo.examples
        for entry in example.entries
        for name in entry.references
    ]
    constants = resolvable_constants(repo)
    for read in sorted([*repo.reads, *references], key=lambda r: (r.path, r.line, r.name or "")):
        name = read.name
        if name is None:
            ref = read.expression.strip()
            name = constants.get(ref.rpartition(".")[2]) if _CONSTANT_REF.match(ref) else None
            if name is None:
                result.dynamic[read.path].append(read)
                continue
            read = replace(read, name=name)
        result.reads.append(read)
        if name_ignored(name, policy.ignore_names):
            continue
        chain = result.chain(read.path)
        if not chain:
            result.uncovered[name].append(read)
            continue
        insensitive = read.kind in CASE_INSENSITIVE_KINDS
        found = next((f for s in chain if (f := s.entry(name, insensitive))), None)
        if found is not None:
            result.documented[(found[0].directory, found[1].key)].append(read)
        else:
            result.undocumented[(chain[0].directory, name)].append(read)
    return result
