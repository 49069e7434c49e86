"""Which example covers each read: the coverage rules, shared by the findings, the report and
``hygiene env fix``.

The examples of one folder are consulted together (``.env.example``, ``.env.test.example`` …;
the first ``env.examples`` glob a name matches comes first). The code at a path is covered by,
in this order:

1. ``policy``: the example of the first ``env.coverage`` entry whose ``code`` glob matches the
   path (with its folder's other examples). When that file does not exist the read is uncovered
   and ``missing-example`` names it.
2. ``nearest`` / ``package``: the nearest folder above the path that has examples, then every
   folder further up (a monorepo's root documents shared variables); ``package`` when the
   nearest is inside the read's own monorepo package (``RepoEnv.packages``).
3. ``repository``: else the examples of the repository nearest its root (``docker/.env.example``
   covers ``hc/settings.py``); a monorepo package's own example never covers code outside it.

Otherwise the read is uncovered (rule ``missing-example``), due in ``<package>/.env.example``
or the root's. A read whose name the covering examples lack is undocumented there, unless some
other example of the repository documents it: then it is ``elsewhere`` (a low note). An example
key is unused only when nothing in the whole repository reads it, so no variable is ever both
undocumented and unused. A dynamic read of a module-level string constant
(``os.getenv(TOKEN_ENV)`` with ``TOKEN_ENV = "API_TOKEN"``, one value only) is a read of that
name; ``${VAR}`` references inside an example's values are reads from that example. A place that
only sets a variable or gives it a default (``EnvRead.role``), and code only tests run
(``env.test_paths``), need no documentation but make the example's key used. An example's
commented-out ``# NAME=default`` documents NAME (never unused: it sets nothing); ``NAME_FILE``
is documented by ``NAME`` (the Docker secrets convention).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace

from hygiene.checks.env.dotenv_files import (
    example_rank,
    is_example,
    is_variable_name,
    new_example_name,
)
from hygiene.checks.env.layout import package_of
from hygiene.checks.env.paths import name_ignored, path_matches
from hygiene.checks.env.records import DotenvFile, EnvEntry, EnvRead, RepoEnv
from hygiene.policy import EnvPolicy

CASE_INSENSITIVE_KINDS = frozenset({"pydantic-settings"})
HOW = {
    "policy": "mapped to it by env.coverage",
    "nearest": "the nearest example above it",
    "package": "its package's example",
    "repository": "the repository's example (none above it)",
}


def ancestors(path: str) -> list[str]:
    """The directories holding ``path``, deepest first, ending with "" (the repo root)."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(len(parts), -1, -1)]


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


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
        """Where the name is documented (its first line), or None. ``NAME_FILE`` (the path of a
        file holding NAME's value: the Docker secrets convention) is documented by ``NAME``."""
        found = self._exact.get(name)
        if found is None and case_insensitive:
            found = self._upper.get(name.upper())
        if found is None and name.endswith("_FILE") and len(name) > 5:
            found = self.entry(name[:-5], case_insensitive)
        return found

    def led_by(self, path: str) -> Scope:
        """This scope with the example at ``path`` consulted first."""
        first = [f for f in self.files if f.path == path]
        return Scope(self.directory, first + [f for f in self.files if f.path != path])


@dataclass(frozen=True)
class Coverage:
    """The examples consulted for the code at one path (nearest first), how they were chosen
    (a key of ``HOW``) and the example a missing variable belongs in (it may not exist yet)."""

    chain: tuple[Scope, ...]
    how: str
    example: str

    @property
    def consulted(self) -> list[str]:
        """The paths of every example consulted."""
        return [f.path for scope in self.chain for f in scope.files]

    def describe(self) -> str:
        """How the example was chosen, for a message."""
        return HOW[self.how]


@dataclass
class Resolution:
    """Reads grouped by the example that covers them, and whether it documents them."""

    scopes: dict[str, Scope]
    reads: list[EnvRead] = field(default_factory=list)  # every named read, ignored names too
    # (example path, key) → the reads it documents
    documented: dict[tuple[str, str], list[EnvRead]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (covering example path, name) → the reads it should document
    undocumented: dict[tuple[str, str], list[EnvRead]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (covering example path, name) → reads another example of the repository documents
    elsewhere: dict[tuple[str, str], list[EnvRead]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # example that should exist → name → reads no example covers
    uncovered: dict[str, dict[str, list[EnvRead]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    dynamic: dict[str, list[EnvRead]] = field(default_factory=lambda: defaultdict(list))
    # (covering example path, name) → the coverage of its first read
    coverage: dict[tuple[str, str], Coverage] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _used_upper: set[str] = field(default_factory=set)
    _prefixes: set[str] = field(default_factory=set)

    def documenting(self, name: str, case_insensitive: bool = False) -> list[str]:
        """Every example of the repository that documents ``name``."""
        return [
            found[0].path
            for scope in self.scopes.values()
            if (found := scope.entry(name, case_insensitive))
        ]

    def is_used(self, key: str) -> bool:
        """True when something in the repository reads, sets or defaults ``key``."""
        return (
            key in self._used
            or key.upper() in self._used_upper
            or any(key.startswith(p) for p in self._prefixes)
        )

    def unused(self, policy: EnvPolicy) -> list[tuple[DotenvFile, EnvEntry]]:
        """Example keys nothing in the repository reads (first definition in each folder),
        ignored names left out."""
        out = []
        for _directory, scope in sorted(self.scopes.items()):
            seen: set[str] = set()
            for file in scope.files:
                for entry in file.entries:
                    if entry.key in seen or name_ignored(entry.key, policy.ignore_names):
                        continue
                    seen.add(entry.key)
                    if not entry.commented and not self.is_used(entry.key):
                        out.append((file, entry))
        return out


class Coverer:
    """The coverage rules for one repository (see the module's docstring)."""

    def __init__(self, repo: RepoEnv, policy: EnvPolicy) -> None:
        self.policy = policy
        self.packages = repo.packages
        by_dir: dict[str, list[DotenvFile]] = defaultdict(list)
        for example in repo.examples:
            by_dir[example.directory].append(example)
        self.scopes = {d: Scope(d, _order(files, policy.examples)) for d, files in by_dir.items()}
        self._by_path = {e.path: e.directory for e in repo.examples}
        # a package's own examples, and a framework's committed .env defaults, cover only
        # their own folder
        outside = [
            e
            for e in repo.examples
            if package_of(e.path, self.packages) is None
            and is_example(e.path.rpartition("/")[2], policy.examples)
        ]
        outside.sort(key=lambda e: (e.path.count("/"), example_rank(e.path, policy.examples)))
        self._fallback = self.scopes[outside[0].directory] if outside else None
        self._memo: dict[str, Coverage | None] = {}

    def of(self, path: str) -> Coverage | None:
        """The coverage of the code at ``path``; None when no example covers it."""
        key = path if self.policy.coverage else path.rpartition("/")[0]
        if key not in self._memo:
            self._memo[key] = self._compute(path)
        return self._memo[key]

    def due(self, path: str) -> str:
        """The example an uncovered read at ``path`` belongs in."""
        for entry in self.policy.coverage:
            if path_matches(path, entry.code):
                return entry.example
        package = package_of(path, self.packages)
        return _join(package or "", new_example_name(self.policy.examples))

    def _compute(self, path: str) -> Coverage | None:
        for entry in self.policy.coverage:
            if path_matches(path, entry.code):
                directory = self._by_path.get(entry.example)
                if directory is None:
                    return None
                scope = self.scopes[directory].led_by(entry.example)
                return Coverage((scope,), "policy", entry.example)
        chain = tuple(self.scopes[d] for d in ancestors(path) if d in self.scopes)
        if chain:
            package = package_of(path, self.packages)
            nearest = chain[0]
            own = package is not None and (
                nearest.directory == package or nearest.directory.startswith(package + "/")
            )
            return Coverage(chain, "package" if own else "nearest", nearest.primary.path)
        if self._fallback is not None:
            return Coverage((self._fallback,), "repository", self._fallback.primary.path)
        return None


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


def _order(files: list[DotenvFile], patterns: list[str]) -> list[DotenvFile]:
    return sorted(files, key=lambda f: (example_rank(f.path.rpartition("/")[2], patterns), f.path))


def role(read: EnvRead) -> str:
    """``read``, ``default`` or ``set`` (what the place does with the variable)."""
    return str(getattr(read, "role", "read") or "read")


def resolve(repo: RepoEnv, policy: EnvPolicy) -> Resolution:
    """Group every static read of ``repo`` by the example that covers it."""
    coverer = Coverer(repo, policy)
    result = Resolution(coverer.scopes)
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
            prefix = str(getattr(read, "prefix", "") or "")
            if prefix:
                result._prefixes.add(prefix)
            ref = read.expression.strip()
            name = constants.get(ref.rpartition(".")[2]) if _CONSTANT_REF.match(ref) else None
            if name is None:
                result.dynamic[read.path].append(read)
                continue
            read = replace(read, name=name)
        insensitive = read.kind in CASE_INSENSITIVE_KINDS
        result._used.add(name)
        if insensitive:
            result._used_upper.add(name.upper())
        result.reads.append(read)
        if name_ignored(name, policy.ignore_names) or role(read) != "read":
            continue
        if any(path_matches(read.path, p) for p in policy.test_paths):
            continue  # only tests read it: a use, but no example needs it
        coverage = coverer.of(read.path)
        if coverage is None:
            result.uncovered[coverer.due(read.path)][name].append(read)
            continue
        found = next((f for s in coverage.chain if (f := s.entry(name, insensitive))), None)
        if found is not None:
            result.documented[(found[0].path, found[1].key)].append(read)
            continue
        target = (coverage.example, name)
        result.coverage.setdefault(target, coverage)
        if result.documenting(name, insensitive):
            result.elsewhere[target].append(read)
        else:
            result.undocumented[target].append(read)
    return result
