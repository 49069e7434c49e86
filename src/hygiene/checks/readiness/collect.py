"""Collector of the readiness check: the text of each repository's tracked files that the
detectors read (source, YAML/JSON/TOML config, example env files), within a size limit."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from hygiene.checks.env.dotenv_files import is_example
from hygiene.checks.env.paths import selected
from hygiene.checks.env.records import EnvRead
from hygiene.checks.readiness.alert_rules import AlertRule
from hygiene.checks.readiness.records import RepoFiles
from hygiene.checks.readiness.rules import file_reads, file_rules, repo_kinds
from hygiene.checks.readiness.signals import CODE_SUFFIXES, CONFIG_SUFFIXES
from hygiene.checks.repos import checkout_top, parse_failure, stream_repos
from hygiene.context import Collection, RunContext
from hygiene.decoding import decode_text
from hygiene.errors import CheckSkipped
from hygiene.policy import Policy
from hygiene.sources import git
from hygiene.sources.checkout import Skipped, read_checkout_file

EXTRA_SUFFIXES = (".rb", ".java", ".kt", ".rs", ".sh")


def collect(ctx: RunContext) -> Collection:
    """Read every repository of the run, streamed one repository at a time (its files are
    dropped once judged); one that cannot be read is an error slice."""
    if not ctx.repos:
        raise CheckSkipped("no repository to audit: pass --repo PATH or list repos in the policy")

    def count(record: RepoFiles, stats: dict[str, Any]) -> None:
        kinds = repo_kinds(record)
        stats["repos"].append(record.repo)
        # what the blueprint asks of each repo (the scorecard reads these lists)
        for key, kind in (
            ("services", "service"),
            ("applications", "application"),
            ("alerting", "alerting"),
        ):
            if kind in kinds:
                stats[key].append(record.repo)
        stats["files_read"] += len(record.files)
        stats["files_skipped"] += record.skipped
        stats["files_failed"] += len(record.errors)

    return stream_repos(
        ctx,
        lambda tree: read_repo(tree.path, ctx.policy, tree.name),
        lambda record: record.repo,
        count,
        {
            "repos": [],
            "services": [],
            "applications": [],
            "alerting": [],
            "files_read": 0,
            "files_skipped": 0,
            "files_failed": 0,
        },
        errors=lambda record: [
            f"{record.repo}: {path}: {reason}; its readiness signals were not judged"
            for path, reason in record.errors
        ],
    )


def wanted(path: str, policy: Policy) -> bool:
    """Files a detector may look at, outside the excluded globs."""
    pure = PurePosixPath(path)
    suffix = pure.suffix.lower()
    interesting = (
        suffix in (*CODE_SUFFIXES, *CONFIG_SUFFIXES, *EXTRA_SUFFIXES)
        or is_example(pure.name, policy.env.examples)
        or pure.name.startswith(("Dockerfile", "Containerfile"))
    )
    return interesting and selected(path, ["**/*"], policy.readiness.exclude)


def read_repo(path: Path, policy: Policy, name: str | None = None) -> RepoFiles:
    """One repository's record, named ``name`` (default: ``git.repo_name``); HygieneError
    (naming the path) when it is not a git checkout."""
    top = checkout_top(path)
    files: dict[str, str] = {}
    skipped = 0
    for rel in git.tracked_files(top):
        if not wanted(rel, policy):
            continue
        # regular files inside the checkout only: a link out of it, a FIFO or a device is not
        # what the repository ships (and opening one could block)
        data = read_checkout_file(top, rel, policy.readiness.max_file_bytes)
        if isinstance(data, Skipped):
            if data.reason in ("outside", "special"):
                skipped += 1
            continue  # also: deleted in the work tree, larger than max_file_bytes
        text = decode_text(data)
        if text is not None:
            files[rel] = text
    reads, rules, errors = parse_files(files)
    return RepoFiles(
        repo=name or git.repo_name(top),
        commit=git.head_commit(top),
        files=files,
        skipped=skipped,
        reads=reads,
        alert_rules=rules,
        errors=errors,
    )


def parse_files(
    files: dict[str, str],
) -> tuple[tuple[EnvRead, ...], tuple[AlertRule, ...], tuple[tuple[str, str], ...]]:
    """The env reads and alerting rules of every file, each parsed once; a file whose parser
    cannot finish (RecursionError on deep nesting, MemoryError …) is left out and named in the
    third item, the other files are still parsed."""
    reads: list[EnvRead] = []
    rules: list[AlertRule] = []
    errors: list[tuple[str, str]] = []
    for path, text in sorted(files.items()):
        try:
            found, declared = file_reads(path, text), file_rules(path, text)
        except Exception as exc:  # one pathological file must not lose the repository
            reason = parse_failure(path, exc)
            errors.append((path, reason))
            continue
        reads += found
        rules += declared
    return tuple(reads), tuple(rules), tuple(errors)
