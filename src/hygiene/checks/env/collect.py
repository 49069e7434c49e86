"""Collector of the env check: reads each repository's tracked files, examples and local
``.env`` files from disk and turns them into ``RepoEnv`` records with the pure parsers of
``hygiene.checks.env``. Values of local ``.env`` files are never kept, only their keys.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from hygiene.checks.env.dotenv_files import (
    ParsedDotenv,
    commented_entries,
    is_dotenv,
    is_example,
    lint,
    parse_dotenv,
)
from hygiene.checks.env.fix import Edit, plan
from hygiene.checks.env.layout import MANIFESTS, WORKSPACE_FILES, package_roots
from hygiene.checks.env.paths import selected
from hygiene.checks.env.read_python import find_python_constants
from hygiene.checks.env.reads import CLAIMED_NAMES, CLAIMED_SUFFIXES, UnparsableFile, find_reads
from hygiene.checks.env.records import DotenvFile, EnvRead, RepoEnv
from hygiene.checks.env.report import VariableRow, inventory
from hygiene.checks.env.resolve import resolve
from hygiene.checks.env.rules import evaluate_repo
from hygiene.checks.env.secrets import secret_marks
from hygiene.checks.repos import checkout_top, parse_failure, stream_repos
from hygiene.context import Collection, RunContext
from hygiene.decoding import decode_text
from hygiene.errors import CheckSkipped, HygieneError
from hygiene.exceptions import apply_exceptions
from hygiene.findings import Finding
from hygiene.policy import EnvPolicy, Policy
from hygiene.sources import git, git_checkout
from hygiene.sources.checkout import Skipped, read_checkout_file

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_FILE_BYTES = 2_000_000
_MAYBE_READ_SUFFIXES = frozenset({*CLAIMED_SUFFIXES, ".dockerfile", ".containerfile"})


def collect(ctx: RunContext) -> Collection:
    """Collect every repository of the run, streamed one repository at a time; a repository
    that cannot be read is an error slice."""
    if not ctx.repos:
        raise CheckSkipped("no repository to audit: pass --repo PATH or list repos in the policy")

    def count(record: RepoEnv, stats: dict[str, Any]) -> None:
        stats["repos"] += 1
        for key in _SUMMED:
            stats[key] += record.stats.get(key, 0)
        stats["examples"] += len(record.examples)
        stats["unparsable_files"] += len(record.unparsable)

    keys = ("repos", "files_read", "reads", "dynamic_reads", "examples", "unparsable_files")
    return stream_repos(
        ctx,
        lambda tree: collect_repo(tree.path, ctx.policy.env, tree.name),
        lambda record: record.repo,
        count,
        dict.fromkeys((*keys, *_SUMMED), 0),
        errors=lambda record: [
            f"{record.repo}: {path}: {reason}; its environment reads were not audited"
            for path, reason in record.errors
        ],
    )


_SUMMED = (
    "files_read",
    "reads",
    "dynamic_reads",
    "files_too_large",
    "files_skipped",
    "files_failed",
)


def collect_repo(path: Path, policy: EnvPolicy, name: str | None = None) -> RepoEnv:
    """The record of the repository holding ``path`` (the whole checkout, whatever directory
    inside it ``path`` names), named ``name`` (default: ``git.repo_name``); HygieneError when
    it is not a readable git checkout."""
    top = checkout_top(path)
    name = name or git.repo_name(top)
    tracked = [p for p in git.tracked_files(top) if selected(p, policy.include, policy.exclude)]
    examples: list[DotenvFile] = []
    committed: list[str] = []
    reads: list[EnvRead] = []
    unparsable: list[tuple[str, str]] = []
    constants: list[tuple[str, str]] = []
    files = _Files(top)
    too_large = files.too_large
    failed = files.failed
    files_read = 0
    frameworks = {
        str(PurePosixPath(p).parent)
        for p in tracked
        if _FRAMEWORK_CONFIG.match(PurePosixPath(p).name)
    }
    for rel in tracked:
        base = PurePosixPath(rel).name
        if is_example(base, policy.examples):
            text = files.text(rel)
            if text is not None:
                example = files.parse(rel, read_example, text)
                if example is not None:
                    examples.append(example)
            continue
        if is_dotenv(base, policy.examples):
            if _framework_defaults(rel, frameworks):
                text = files.text(rel)
                example = None if text is None else files.parse(rel, read_example, text)
                if example is not None:
                    examples.append(example)
                continue
            committed.append(rel)
            continue
        claimed = _may_hold_reads(rel)
        if claimed is False:
            continue
        text = files.text(rel, report_size=claimed is True)
        if text is None or (claimed is None and not text.startswith("#!")):
            continue
        files_read += 1
        try:
            found = files.parse(rel, _source_reads, text)
        except UnparsableFile as exc:
            unparsable.append((rel, str(exc)))
            continue
        if found is not None:
            reads.extend(found[0])
            constants.extend(found[1])
    unparsable += [(rel, f"larger than {MAX_FILE_BYTES} bytes, not read") for rel in too_large]
    directories = sorted({"", *(e.directory for e in examples)})
    committed_dirs = {c.rpartition("/")[0] for c in committed}
    local_envs = _local_envs(
        files, sorted({*directories, *committed_dirs}), policy.examples, committed
    )
    unignored: list[str] = []
    if reads or examples or committed:
        candidates = _would_be_dotenvs(examples)
        covered = git.ignored(top, candidates)
        unignored = [c for c in candidates if c not in covered]
    packages = _packages(files, tracked) if examples or reads else ()
    return RepoEnv(
        repo=name,
        packages=packages,
        examples=tuple(examples),
        local_envs=tuple(local_envs),
        reads=tuple(reads),
        committed_dotenvs=tuple(committed),
        unignored_dotenvs=tuple(unignored),
        unparsable=tuple(unparsable),
        constants=tuple(constants),
        errors=tuple(failed),
        commit=git.head_commit(top),
        stats={
            "files_read": files_read,
            "files_too_large": len(too_large),
            "files_skipped": files.skipped,
            "files_failed": len(failed),
            "reads": sum(1 for r in reads if r.name and r.is_read),
            "dynamic_reads": sum(1 for r in reads if r.name is None),
            # computed names that stand for every variable with a prefix (viper, dynaconf)
            "prefix_reads": sum(1 for r in reads if r.name is None and r.prefix),
        },
    )


_FRAMEWORK_CONFIG = re.compile(r"^(?:vite|next|nuxt|svelte|astro|remix|vue)\.config\.[cm]?[jt]s$")
_MODE_FILE = re.compile(r"^\.env(?:\.(?:development|production|staging|test|preview))?$")


def _would_be_dotenvs(examples: list[DotenvFile]) -> list[str]:
    """The ``.env`` files the examples say a developer creates: ``<folder>/.env`` beside each
    ``.env.*`` example (``gotify-server.env.example`` means ``gotify-server.env``, not
    ``.env``), not where a framework's committed ``.env`` defaults already sit."""
    shipped = {e.path for e in examples}
    folders = {e.directory for e in examples if e.path.rpartition("/")[2].startswith(".env")}
    return [c for d in sorted(folders) if (c := _join(d, ".env")) not in shipped]


def _framework_defaults(rel: str, frameworks: set[str]) -> bool:
    """A committed ``.env`` / ``.env.<mode>`` beside a front-end framework's config (Vite, Next,
    Nuxt, SvelteKit, Astro …): the framework's documented way to ship public build-time
    defaults, so documentation (secrets in it are still found), not a committed secret.
    ``.env.*.local`` files are never defaults."""
    pure = PurePosixPath(rel)
    return bool(_MODE_FILE.match(pure.name)) and str(pure.parent) in frameworks


def _packages(files: _Files, tracked: list[str]) -> tuple[str, ...]:
    """The monorepo package roots (``layout.package_roots``), reading only the root's workspace
    files; a workspace file that cannot be read counts as absent."""
    present = set(tracked)
    manifests = [p for p in tracked if PurePosixPath(p).name in MANIFESTS]

    def read(rel: str) -> str | None:
        return (
            files.text(rel, report_size=False)
            if rel in present and rel in WORKSPACE_FILES
            else None
        )

    return package_roots(manifests, read)


def _source_reads(rel: str, text: str) -> tuple[list[EnvRead], list[tuple[str, str]]]:
    """A source file's reads and (Python) module-level string constants; UnparsableFile."""
    reads = find_reads(rel, text)
    constants = list(find_python_constants(rel, text).items()) if rel.endswith(".py") else []
    return reads, constants


def read_example(rel: str, text: str) -> DotenvFile:
    """An example file's record: keys, lint, and secret marks from the secrets engine."""
    from hygiene.scan import scan_text

    parsed = parse_dotenv(text)
    return DotenvFile(
        path=rel,
        entries=parsed.entries() + commented_entries(text, parsed),
        lint=lint(parsed),
        secrets=secret_marks(parsed, scan_text(text, rel)),
    )


def _local_envs(
    files: _Files, directories: list[str], examples: list[str], committed: list[str]
) -> list[DotenvFile]:
    """``.env`` / ``.env.*`` files on disk (tracked or not) beside each example and at the root:
    their keys only. Only regular files inside the checkout are read (not a link, a FIFO …)."""
    found: list[DotenvFile] = []
    for directory in directories:
        for name in git_checkout.names_in_folder(files.top, directory, ".env*"):
            rel = _join(directory, name)
            if not is_dotenv(name, examples):
                continue
            text = files.text(rel)
            parsed = None if text is None else files.parse(rel, _dotenv_parse, text)
            if parsed is None:
                continue
            entries = parsed.entries()
            found.append(DotenvFile(path=rel, entries=entries, tracked=rel in committed))
    return found


def _may_hold_reads(rel: str) -> bool | None:
    """Whether a finder could claim the file by its suffix or name; None for a file without a
    suffix, which a script's shebang (``#!``) may still claim once read."""
    pure = PurePosixPath(rel)
    suffix = pure.suffix.lower()
    name = pure.name
    if suffix in _MAYBE_READ_SUFFIXES or name in CLAIMED_NAMES:
        return True
    if name.lower().startswith(("dockerfile", "containerfile")):
        return True
    return False if suffix else None


def _dotenv_parse(rel: str, text: str) -> ParsedDotenv:
    return parse_dotenv(text)


class _Files:
    """Reads of one checkout's files: regular files inside it only, never a symlink (a link is
    another path to a file read under its own name, or leaves the repository), a FIFO or a
    device; decoded with ``decode_text``. Counts what it would not read."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.too_large: list[str] = []
        self.skipped = 0  # links, FIFOs, devices, submodules
        self.failed: list[tuple[str, str]] = []  # (path, why its parser could not finish)

    def parse(self, rel: str, parse: Callable[[str, str], T], text: str) -> T | None:
        """``parse(rel, text)``, or None when it fails other than with ``UnparsableFile`` (a
        RecursionError on deep nesting, a MemoryError, a parser's bug): the file is listed in
        ``failed`` — the run's error — and the other files are still read."""
        try:
            return parse(rel, text)
        except UnparsableFile:
            raise
        except Exception as exc:  # one pathological file must not lose the repository
            reason = parse_failure(rel, exc)
            self.failed.append((rel, reason))
            return None

    def text(self, rel: str, report_size: bool = True) -> str | None:
        """The file's text, or None for what is not a readable text file (binary, too big —
        listed in ``too_large`` when ``report_size`` —, a link, not a regular file, gone); an
        I/O error is the repository's error (HygieneError)."""
        if os.path.islink(self.top / rel):
            self.skipped += 1
            return None
        data = read_checkout_file(self.top, rel, MAX_FILE_BYTES)
        if isinstance(data, Skipped):
            if data.reason == "too-large" and report_size:
                log.warning("%s: larger than %d bytes, not read", rel, MAX_FILE_BYTES)
                self.too_large.append(rel)
            elif data.reason in ("outside", "special"):
                self.skipped += 1
            return None
        return decode_text(data)


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


@dataclass
class EnvReport:
    """What ``hygiene env report`` shows: the variables of one repository and its findings."""

    record: RepoEnv
    variables: list[VariableRow]
    findings: list[Finding]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able document: repo, variables, findings (in the findings contract's shape),
        and the files whose parser could not finish (``errors``: their reads are missing)."""
        return {
            "repo": self.record.repo,
            "commit": self.record.commit,
            "variables": [row.to_json() for row in self.variables],
            "findings": [finding.to_contract() for finding in self.findings],
            "errors": [{"path": path, "reason": why} for path, why in self.record.errors],
        }


def env_report(path: Path, policy: Policy, as_of: datetime) -> EnvReport:
    """Collect and evaluate one repository, policy exceptions applied (the library call behind
    ``hygiene env report``)."""
    record = collect_repo(path, policy.env)
    applied = apply_exceptions(evaluate_repo(record, policy.env), policy.exceptions, as_of)
    findings = sorted(
        [*applied.kept, *applied.expired],
        key=lambda f: (-f.severity.rank, f.rule, f.resource, f.location.line if f.location else 0),
    )
    return EnvReport(record, inventory(record, policy.env), findings)


@dataclass
class EnvFix:
    """What ``hygiene env fix`` would change in one checkout (``top``)."""

    top: Path
    record: RepoEnv
    edits: list[Edit]


def env_fix(path: Path, policy: EnvPolicy, placeholder: str = "") -> EnvFix:
    """The edits that document every missing variable of the checkout holding ``path`` (the
    library call behind ``hygiene env fix``). An example that is not UTF-8 text, or a target
    path that exists but is not a regular file, is a HygieneError (nothing is planned)."""
    top = checkout_top(path)
    record = collect_repo(top, policy)
    resolution = resolve(record, policy)
    targets = sorted(
        {example for example, _ in resolution.undocumented} | set(resolution.uncovered)
    )
    texts: dict[str, str] = {}
    for rel in targets:
        data = read_checkout_file(top, rel, MAX_FILE_BYTES)
        if isinstance(data, Skipped):
            if data.reason == "missing":
                continue  # a new example
            raise HygieneError(f"{top}: {rel}: cannot be rewritten ({data.reason})")
        try:
            texts[rel] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise HygieneError(
                f"{top}: {rel} is not UTF-8 text; add the missing variables by hand"
            ) from None
    return EnvFix(top, record, plan(resolution, texts, placeholder))
