"""Plain records of the env check: what the collector found in one repository.

Values of a local ``.env`` never enter a record (only its keys); example values do, because the
check must judge them, but they leave the check only as a redacted preview and a SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EnvRead:
    """One place a file reads (or, for deploy files, passes or sets) an environment variable.

    ``name is None`` marks a dynamic read (``os.environ[name]``): not statically auditable; a
    dynamic read with a ``prefix`` reads every variable that starts with it (viper
    ``AutomaticEnv`` after ``SetEnvPrefix("APP")``, dynaconf ``envvar_prefix``, envconfig's
    implicit field names): count it as unknown, never guess the names.

    ``role`` says what the place does with the variable: ``read`` (takes it from the operator's
    environment), ``default`` (gives it a value only when unset: ``os.environ.setdefault``,
    ``process.env.X ??= …`` — the code needs no example for it, but an example that documents
    it is not unused) or ``set`` (a deploy file assigns it for the program it runs: compose
    ``environment: {X: v}``, Dockerfile ``ENV``/``ARG``, a workflow's or a manifest's ``env:``
    — not a read from the operator's environment). Plain writes in code are not recorded.

    ``convention`` marks a name a framework exposes to browser code: ``vite`` (``VITE_*``),
    ``next-public`` (``NEXT_PUBLIC_*``), ``react-app`` (``REACT_APP_*``), ``nuxt-public``
    (``NUXT_PUBLIC_*``), ``expo-public`` (``EXPO_PUBLIC_*``); "" otherwise.
    """

    name: str | None
    path: str
    line: int
    kind: str  # KINDS
    expression: str = ""  # for dynamic reads: the source of the name expression
    role: str = "read"  # ROLES
    prefix: str = ""  # for a dynamic read of every variable with this prefix
    convention: str = ""

    @property
    def is_read(self) -> bool:
        """True when the place reads the variable from the operator's environment."""
        return self.role == "read"


#: where a read was found: a language, or the library / file format that names the variable
KINDS = frozenset(
    {
        "python", "pydantic-settings", "django-environ", "decouple", "dynaconf",
        "javascript", "envalid", "t3-env", "zod", "nestjs-config",
        "go", "go-struct-tag", "viper",
        "ruby", "erb", "figaro",
        "java", "spring",
        "rust", "php", "laravel", "dotnet", "elixir",
        "shell", "dockerfile", "compose", "github-actions", "kubernetes",
    }
)  # fmt: skip
ROLES = frozenset({"read", "default", "set"})

#: prefixes frameworks inline into browser bundles, and the convention each marks
CONVENTIONS = (
    ("VITE_", "vite"),
    ("NEXT_PUBLIC_", "next-public"),
    ("REACT_APP_", "react-app"),
    ("NUXT_PUBLIC_", "nuxt-public"),
    ("EXPO_PUBLIC_", "expo-public"),
)


def convention_of(name: str) -> str:
    """The browser-exposure convention a variable's name follows, or ""."""
    return next((label for prefix, label in CONVENTIONS if name.startswith(prefix)), "")


@dataclass(frozen=True)
class LintIssue:
    """A dotenv-linter-style problem on one line of an example file."""

    rule: str  # duplicated-key, lowercase-key, unquoted-spaces, missing-equals, invalid-line
    line: int
    key: str | None
    text: str  # what to tell the reader (never the value)


@dataclass(frozen=True)
class SecretMark:
    """A value in an example that looks like a real secret: preview and hash only."""

    key: str
    line: int
    detector: str  # the secrets engine's rule, or "high-entropy"
    preview: str
    sha256: str


@dataclass(frozen=True)
class EnvEntry:
    """A key of a dotenv file and the line it is on. ``references`` are ``${VAR}`` names its
    value expands. ``commented``: an example's commented-out binding (``# NAME=default``), which
    documents the variable but sets nothing."""

    key: str
    line: int
    has_value: bool
    references: tuple[str, ...] = ()
    commented: bool = False


@dataclass(frozen=True)
class DotenvFile:
    """An example file (``.env.example`` …) or a local ``.env`` (keys only)."""

    path: str
    entries: tuple[EnvEntry, ...]
    lint: tuple[LintIssue, ...] = ()
    secrets: tuple[SecretMark, ...] = ()
    tracked: bool = True

    @property
    def directory(self) -> str:
        """The directory the file governs ("" for the repo root)."""
        return self.path.rpartition("/")[0]

    @property
    def keys(self) -> set[str]:
        """The keys the file defines."""
        return {entry.key for entry in self.entries}


@dataclass(frozen=True)
class RepoEnv:
    """Everything the env check knows about one repository."""

    repo: str
    examples: tuple[DotenvFile, ...] = ()
    local_envs: tuple[DotenvFile, ...] = ()  # untracked .env files on disk: keys only
    reads: tuple[EnvRead, ...] = ()
    committed_dotenvs: tuple[str, ...] = ()  # tracked .env / .env.* that are not examples
    unignored_dotenvs: tuple[str, ...] = ()  # would-be .env paths .gitignore does not cover
    unparsable: tuple[tuple[str, str], ...] = ()  # (path, reason)
    constants: tuple[tuple[str, str], ...] = ()  # Python module-level (NAME, "string") bindings
    errors: tuple[tuple[str, str], ...] = ()  # (path, why): files whose parser could not finish
    commit: str | None = None
    packages: tuple[str, ...] = ()  # monorepo package roots ("apps/api"), deepest first
    stats: dict[str, int] = field(default_factory=dict)
