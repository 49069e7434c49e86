"""hygiene's false-positive filters, applied after detect-secrets' own.

Each filter is a small named predicate (the detect-secrets habit), listed by name in the engine's
configuration fingerprint so a change of filters invalidates cached scans. A filter returns True
when the detected value is *not* a secret. They target what users of secret scanners report most:
lock-file integrity hashes, UUIDs, commit hashes in changelogs, environment references,
placeholders, and the AWS documentation's example keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath

# --------------------------------------------------------------------------- file level

#: Lock and checksum files detect-secrets does not already skip (it skips package-lock.json,
#: yarn.lock, Pipfile.lock, poetry.lock, Cargo.lock, composer.lock, Gemfile.lock, ...).
LOCK_FILES = frozenset(
    {
        "pnpm-lock.yaml",
        "npm-shrinkwrap.json",
        "bun.lock",
        "uv.lock",
        "pdm.lock",
        "go.sum",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "packages.lock.json",
        "gradle.lockfile",
        "conda-lock.yml",
        "Package.resolved",
        ".terraform.lock.hcl",
    }
)


def is_extra_lock_file(path: str) -> bool:
    """Lock/checksum files: their hashes are integrity data, not credentials."""
    return PurePosixPath(path).name in LOCK_FILES


# --------------------------------------------------------------------------- value level

_SRI = re.compile(r"\b(?:sha1|sha256|sha384|sha512)-$", re.IGNORECASE)
_SRI_VALUE = re.compile(r"^(?:sha1|sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# Without dashes only an RFC 4122 UUID (version and variant digits) on a line that says so:
# a bare 32-digit hex string is as likely to be an API key.
_UUID_BARE = re.compile(r"^[0-9a-f]{12}[1-8][0-9a-f]{3}[89ab][0-9a-f]{15}$", re.IGNORECASE)
_UUID_WORD = re.compile(r"uuid|guid", re.IGNORECASE)
_HEX_ID = re.compile(r"^[0-9a-f]{7,64}$")
CHANGELOG_NAME = re.compile(
    r"^(changelog|changes|history|news|releases?|release-notes)\b", re.IGNORECASE
)
_COMMIT_WORD = re.compile(r"commit|revision|\brev\b|sha\b|/tree/|/compare/", re.IGNORECASE)
_ENV_REFERENCE = re.compile(
    r"""^(?:
        \$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-=?][^}]*)?\}?   # $VAR ${VAR} ${VAR:-default}
      | %[A-Za-z_][A-Za-z0-9_]*%                          # %VAR%
      | \$\([A-Za-z_][A-Za-z0-9_]*\)                      # $(VAR)
      | \{\{.*\}\}                                        # {{ template }}
      | os\.environ(?:\.get)?\s*[\[(].*                   # os.environ["X"] / os.environ.get(
      | os\.getenv\s*\(.*
      | (?:process\.env|import\.meta\.env)\b.*
      | (?:System\.getenv|getenv|env|ENV\.fetch|ENV)\s*[\[(].*
      | secrets\.[A-Za-z_][A-Za-z0-9_.]*\}*                # ${{ secrets.TOKEN }} remnants
    )$""",
    re.VERBOSE,
)
_PLACEHOLDER_WHOLE = re.compile(
    r"""^(?:
        [xX*#.•_-]{3,}                           # xxxx, ****, ....
      | <[^<>]*>                                 # <your-token>
      | \[[^\[\]]*\]                             # [token]
      | (?:change|replace|update|fill)[-_ ]?(?:me|it|this)
      | (?:password|passwd|secret|token|apikey|api[-_]key|none|null|nil|empty|todo|tbd|test)
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
_PLACEHOLDER_PART = re.compile(
    r"your[-_ ]?(?:api[-_ ]?)?(?:key|token|secret|password|pass)|changeme|change[-_]me|replace[-_]?me"
    r"|placeholder|redacted|dummy|x{6,}|X{6,}|\*{4,}",
    re.IGNORECASE,
)
_AWS_EXAMPLE = re.compile(r"EXAMPLE(?:KEY)?$|EXAMPLEKEY")


def is_integrity_hash(value: str, line: str) -> bool:
    """Subresource-integrity hashes (``sha512-…``) as in lock files and ``integrity=`` attributes."""
    if _SRI_VALUE.match(value):
        return True
    index = line.find(value)
    return index > 0 and bool(_SRI.search(line[:index]))


def is_uuid(value: str, line: str = "") -> bool:
    """A UUID identifies, it does not authenticate (dashless only when the line says uuid)."""
    if _UUID.match(value):
        return True
    return bool(_UUID_BARE.match(value) and _UUID_WORD.search(line))


def is_commit_hash(value: str, line: str, path: str) -> bool:
    """A git object id in a changelog, or on a line that talks about a commit."""
    if not _HEX_ID.match(value):
        return False
    return bool(CHANGELOG_NAME.match(PurePosixPath(path).name)) or bool(_COMMIT_WORD.search(line))


def is_env_reference(value: str) -> bool:
    """A reference to where the secret lives (``${VAR}``, ``os.environ[...]``), not the secret."""
    return bool(_ENV_REFERENCE.match(value.strip().strip("\"'`")))


def is_placeholder(value: str) -> bool:
    """``changeme``, ``<your-token>``, ``xxxx…``, ``YOUR_API_KEY`` and their kin."""
    return bool(_PLACEHOLDER_WHOLE.match(value) or _PLACEHOLDER_PART.search(value))


def is_aws_example_key(value: str) -> bool:
    """The AWS documentation's example keys (``AKIAIOSFODNN7EXAMPLE``, ``…EXAMPLEKEY``)."""
    return bool(_AWS_EXAMPLE.search(value))


ValueFilter = Callable[[str, str, str], bool]

#: name → predicate(value, line, path). The names are part of the engine's fingerprint.
VALUE_FILTERS: dict[str, ValueFilter] = {
    "integrity-hash": lambda value, line, path: is_integrity_hash(value, line),
    "uuid": lambda value, line, path: is_uuid(value, line),
    "commit-hash": is_commit_hash,
    "env-reference": lambda value, line, path: is_env_reference(value),
    "placeholder": lambda value, line, path: is_placeholder(value),
    "aws-example-key": lambda value, line, path: is_aws_example_key(value),
}


def filtered_by(value: str, line: str, path: str) -> str | None:
    """The name of the first filter that says ``value`` is not a secret, or None."""
    for name, predicate in VALUE_FILTERS.items():
        if predicate(value, line, path):
            return name
    return None
