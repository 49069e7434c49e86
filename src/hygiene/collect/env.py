"""Collector of the env check: reads each repository's tracked files, examples and local
``.env`` files from disk and turns them into ``RepoEnv`` records with the pure parsers of
``hygiene.checks.env``. Values of local ``.env`` files are never kept, only their keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from hygiene.checks.env import evaluate_repo
from hygiene.checks.env.dotenv_files import is_dotenv, lint, parse_dotenv
from hygiene.checks.env.paths import selected
from hygiene.checks.env.read_python import find_python_constants
from hygiene.checks.env.reads import BY_SUFFIX, UnparsableFile, find_reads
from hygiene.checks.env.records import DotenvFile, EnvRead, RepoEnv
from hygiene.checks.env.report import VariableRow, inventory
from hygiene.checks.env.secrets import secret_marks
from hygiene.collect.repos import stream_repos
from hygiene.context import Collection, RunContext
from hygiene.errors import CheckSkipped, HygieneError
from hygiene.exceptions import apply_exceptions
from hygiene.findings import Finding
from hygiene.policy import EnvPolicy, Policy
from hygiene.sources import git

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2_000_000
_MAYBE_READ_SUFFIXES = frozenset({*BY_SUFFIX, ".yml", ".yaml", ".dockerfile", ".containerfile"})


def collect(ctx: RunContext) -> Collection:
    """Collect every repository of the run, streamed one repository at a time; a repository
    that cannot be read is an error slice."""
    if not ctx.repos:
        raise CheckSkipped("no repository to audit: pass --repo PATH or list repos in the policy")

    def count(record: RepoEnv, stats: dict[str, Any]) -> None:
        stats["repos"] += 1
        for key in ("files_read", "reads", "dynamic_reads", "files_too_large"):
            stats[key] += record.stats.get(key, 0)
        stats["examples"] += len(record.examples)
        stats["unparsable_files"] += len(record.unparsable)

    keys = ("repos", "files_read", "reads", "dynamic_reads", "examples", "unparsable_files")
    return stream_repos(
        ctx,
        lambda tree: collect_repo(tree.path, ctx.policy.env, tree.name),
        lambda record: record.repo,
        count,
        dict.fromkeys((*keys, "files_too_large"), 0),
    )


def collect_repo(path: Path, policy: EnvPolicy, name: str | None = None) -> RepoEnv:
    """The record of the repository holding ``path`` (the whole checkout, whatever directory
    inside it ``path`` names), named ``name`` (default: ``git.repo_name``); HygieneError when
    it is not a readable git checkout."""
    if not path.is_dir():
        raise HygieneError(f"{path}: not a directory; pass the path of a git checkout")
    try:
        top = git.toplevel(path)
    except git.GitError:
        raise HygieneError(
            f"{path}: not inside a git repository; pass the path of a git checkout"
        ) from None
    name = name or git.repo_name(top)
    tracked = [p for p in git.tracked_files(top) if selected(p, policy.include, policy.exclude)]
    examples: list[DotenvFile] = []
    committed: list[str] = []
    reads: list[EnvRead] = []
    unparsable: list[tuple[str, str]] = []
    constants: list[tuple[str, str]] = []
    too_large: list[str] = []
    files_read = 0
    for rel in tracked:
        base = PurePosixPath(rel).name
        if base in policy.examples:
            text = _read_text(top, rel)
            if text is not None:
                examples.append(read_example(rel, text))
            continue
        if is_dotenv(base, policy.examples):
            committed.append(rel)
            continue
        if not _may_hold_reads(top, rel):
            continue
        text = _read_text(top, rel, too_large)
        if text is None:
            continue
        files_read += 1
        try:
            reads.extend(find_reads(rel, text))
        except UnparsableFile as exc:
            unparsable.append((rel, str(exc)))
            continue
        if rel.endswith(".py"):
            constants.extend(find_python_constants(rel, text).items())
    unparsable += [(rel, f"larger than {MAX_FILE_BYTES} bytes, not read") for rel in too_large]
    directories = sorted({"", *(e.directory for e in examples)})
    committed_dirs = {c.rpartition("/")[0] for c in committed}
    local_envs = _local_envs(
        top, sorted({*directories, *committed_dirs}), policy.examples, committed
    )
    unignored: list[str] = []
    if reads or examples or committed:
        candidates = [_join(d, ".env") for d in directories]
        covered = git.ignored(top, candidates)
        unignored = [c for c in candidates if c not in covered]
    return RepoEnv(
        repo=name,
        examples=tuple(examples),
        local_envs=tuple(local_envs),
        reads=tuple(reads),
        committed_dotenvs=tuple(committed),
        unignored_dotenvs=tuple(unignored),
        unparsable=tuple(unparsable),
        constants=tuple(constants),
        commit=git.head_commit(top),
        stats={
            "files_read": files_read,
            "files_too_large": len(too_large),
            "reads": sum(1 for r in reads if r.name),
            "dynamic_reads": sum(1 for r in reads if r.name is None),
        },
    )


def read_example(rel: str, text: str) -> DotenvFile:
    """An example file's record: keys, lint, and secret marks from the secrets engine."""
    from hygiene.scan import scan_text

    parsed = parse_dotenv(text)
    return DotenvFile(
        path=rel,
        entries=parsed.entries(),
        lint=lint(parsed),
        secrets=secret_marks(parsed, scan_text(text, rel)),
    )


def _local_envs(
    top: Path, directories: list[str], examples: list[str], committed: list[str]
) -> list[DotenvFile]:
    """``.env`` / ``.env.*`` files on disk (tracked or not) beside each example and at the root:
    their keys only."""
    found: list[DotenvFile] = []
    for directory in directories:
        folder = top / directory if directory else top
        for file in sorted(folder.glob(".env*")):
            rel = _join(directory, file.name)
            if not is_dotenv(file.name, examples) or not file.is_file():
                continue
            text = _read_text(top, rel)
            if text is None:
                continue
            entries = tuple(e for e in parse_dotenv(text).entries())
            found.append(DotenvFile(path=rel, entries=entries, tracked=rel in committed))
    return found


def _may_hold_reads(top: Path, rel: str) -> bool:
    """Whether a finder could claim the file: by suffix or name, or a script's shebang."""
    pure = PurePosixPath(rel)
    suffix = pure.suffix.lower()
    name = pure.name
    if suffix in _MAYBE_READ_SUFFIXES or name == ".envrc":
        return True
    if name.lower().startswith(("dockerfile", "containerfile")):
        return True
    if suffix:
        return False
    try:
        with (top / rel).open("rb") as head:
            return head.read(2) == b"#!"
    except OSError:
        return False  # a submodule, a dangling symlink, a file deleted from the work tree


def _read_text(top: Path, rel: str, too_large: list[str] | None = None) -> str | None:
    """The file's text, or None for what is not a readable text file (binary, too big — listed
    in ``too_large`` —, a submodule, a symlink); an I/O error is the repository's error."""
    path = top / rel
    try:
        if path.is_symlink() or not path.is_file():
            return None
        if path.stat().st_size > MAX_FILE_BYTES:
            log.warning("%s: larger than %d bytes, not read", rel, MAX_FILE_BYTES)
            if too_large is not None:
                too_large.append(rel)
            return None
        data = path.read_bytes()
    except OSError as exc:
        raise HygieneError(f"{top}: cannot read {rel}: {exc.strerror}") from None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


@dataclass
class EnvReport:
    """What ``hygiene env report`` shows: the variables of one repository and its findings."""

    record: RepoEnv
    variables: list[VariableRow]
    findings: list[Finding]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able document: repo, variables, findings (in the findings contract's shape)."""
        return {
            "repo": self.record.repo,
            "commit": self.record.commit,
            "variables": [row.to_json() for row in self.variables],
            "findings": [finding.to_contract() for finding in self.findings],
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
