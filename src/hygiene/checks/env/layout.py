"""A repository's monorepo packages, from its workspace files and manifests. Pure: the caller
passes the tracked paths and a function that returns a tracked file's text (or None).

A package root is a folder holding a manifest (``package.json``, ``pyproject.toml``,
``go.mod``, ``Cargo.toml``, ``Gemfile``, ``composer.json``, ``pom.xml``, ``build.gradle`` …)
that a workspace names: ``package.json`` ``workspaces``, ``pnpm-workspace.yaml`` ``packages``,
``lerna.json`` ``packages``, ``go.work`` ``use``, ``Cargo.toml`` ``[workspace] members``; or,
with no workspace file (nx, turbo and plain layouts), a folder ``apps/*``, ``packages/*``,
``services/*`` or ``libs/*`` with its own manifest. The repository root is never a package.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

import yaml

from hygiene.checks.env.paths import path_matches

MANIFESTS = frozenset(
    {
        "package.json",
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "go.mod",
        "Cargo.toml",
        "Gemfile",
        "composer.json",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "mix.exs",
        "deno.json",
    }
)
CONVENTIONAL = ("apps/*", "packages/*", "services/*", "libs/*")
WORKSPACE_FILES = ("package.json", "pnpm-workspace.yaml", "lerna.json", "go.work", "Cargo.toml")

Reader = Callable[[str], str | None]


def package_roots(tracked: Iterable[str], read: Reader) -> tuple[str, ...]:
    """The package roots of a repository, deepest first (then by name)."""
    manifest_dirs = {
        str(PurePosixPath(p).parent) for p in tracked if PurePosixPath(p).name in MANIFESTS
    }
    manifest_dirs.discard(".")
    globs = workspace_globs(read)
    patterns = globs if globs else list(CONVENTIONAL)
    roots = {d for d in manifest_dirs if any(path_matches(d, _dir_glob(g)) for g in patterns)}
    return tuple(sorted(roots, key=lambda d: (-d.count("/"), d)))


def _dir_glob(glob: str) -> str:
    glob = glob.strip().removeprefix("./").rstrip("/")
    return glob.removesuffix("/**") + "/**" if glob.endswith("/**") else glob


def workspace_globs(read: Reader) -> list[str]:
    """The folder globs the root's workspace files name (``packages/*``); ``!`` exclusions and
    anything unreadable are left out."""
    found: list[str] = []
    package = _json(read("package.json"))
    if isinstance(package, dict):
        spaces = package.get("workspaces")
        if isinstance(spaces, dict):
            spaces = spaces.get("packages")
        found += _strings(spaces)
    lerna = _json(read("lerna.json"))
    if isinstance(lerna, dict):
        found += _strings(lerna.get("packages"))
    pnpm = read("pnpm-workspace.yaml")
    if pnpm:
        try:
            doc = yaml.safe_load(pnpm)
        except yaml.YAMLError:
            doc = None
        if isinstance(doc, dict):
            found += _strings(doc.get("packages"))
    go_work = read("go.work")
    if go_work:
        found += _go_work_uses(go_work)
    cargo = read("Cargo.toml")
    if cargo:
        try:
            members = tomllib.loads(cargo).get("workspace", {}).get("members")
        except (tomllib.TOMLDecodeError, AttributeError):
            members = None
        found += _strings(members)
    return [g.removeprefix("./") for g in found if g and not g.startswith("!") and g != "."]


def _json(text: str | None) -> object:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


_USE_BLOCK = re.compile(r"^\s*use\s*\((.*?)\)", re.MULTILINE | re.DOTALL)
_USE_LINE = re.compile(r"^\s*use\s+(\S+)", re.MULTILINE)


def _go_work_uses(text: str) -> list[str]:
    uses = [m.group(1) for m in _USE_LINE.finditer(text) if not m.group(1).startswith("(")]
    for block in _USE_BLOCK.finditer(text):
        uses += [line.split("//")[0].strip() for line in block.group(1).splitlines()]
    return [u.strip('"') for u in uses if u.strip()]


def package_of(path: str, roots: tuple[str, ...]) -> str | None:
    """The deepest package root holding ``path``, or None."""
    return next((r for r in roots if path.startswith(r + "/")), None)
