"""Collector of the secrets check: every unique blob of every repository, scanned once.

For each repository (a local path, or a clone URL mirrored into the cache directory): enumerate
the blobs reachable from all refs, look their scans up in the state DB's blob cache (keyed by blob
id and the engine's fingerprint), scan the rest across processes, attach provenance (path, first
commit, still in HEAD?) and the detect-secrets baseline's verdicts. A repository that cannot be
read is an error slice of its own; the others are still reported.

A scan knows what it could not see. A shallow or partial clone, or objects missing from the
store, leave the repository out of the check's scopes (so none of its earlier findings is
resolved) and ``stats.history`` says why; missing objects outside a partial clone also make the
check incomplete, while everything readable is still reported. Work-tree files are read only as
regular files inside the repository; a tracked symlink is its link text, as git stores it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hygiene.checks.repos import RepoTarget, clone_location, unique_names
from hygiene.checks.secrets import archived
from hygiene.checks.secrets.validation import validate_records, validator_for
from hygiene.context import Collection, RunContext
from hygiene.errors import CheckSkipped, HygieneError
from hygiene.policy import Policy, SecretsPolicy
from hygiene.scan.baseline import parse_baseline
from hygiene.scan.engine import ContentResult, EngineConfig, file_filtered
from hygiene.scan.history import (
    UNKNOWN_ORDER,
    Placement,
    SecretRecord,
    annotate_baseline,
    baseline_index,
    build_records,
    excluded,
    scan_key,
)
from hygiene.scan.hits import SecretHit
from hygiene.scan.pool import Item, prepare_soon, scan_items
from hygiene.sources import git
from hygiene.sources.checkout import Skipped, contained_target, read_checkout_file

if TYPE_CHECKING:
    from hygiene.sources.validate import Validator
    from hygiene.store import Store

log = logging.getLogger(__name__)

#: The largest baseline read (detect-secrets writes ~200 bytes per secret).
BASELINE_MAX_BYTES = 64 * 1024 * 1024
#: Why a work-tree file was not read, for messages.
NOT_READ = {
    "outside": "a link out of the repository",
    "special": "not a regular file",
    "too-large": "too large",
    "missing": "missing",
}

Progress = Callable[[str, int, int], None]  # (repo, advanced by, total)


@dataclass(frozen=True)
class Target:
    """A repository to scan: where it is and, optionally, the name to report it under."""

    location: str
    name: str | None = None

    @property
    def shown(self) -> str:
        """The location for messages and logs: a clone URL without its credentials."""
        return git.redact_url(self.location)


@dataclass
class RepoScan:
    """One repository's records, figures and the problems that did not stop it."""

    name: str
    records: list[SecretRecord]
    stats: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: how much of the history was seen: ``full``, ``off`` (policy), else what limited it:
    #: ``shallow``, ``partial``, ``missing-objects`` (joined by ``+`` when several)
    history: str = "full"

    @property
    def covered(self) -> bool:
        """Whether the scan saw all it reports on, so what it no longer finds may be resolved."""
        return self.history in ("full", "off")


@dataclass
class _Coverage:
    """What a scan could not see: the history's limits and the objects git could not read."""

    limits: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unlisted: str | None = None  # why the history could not be listed at all

    def state(self, history: bool) -> str:
        """``RepoScan.history`` for this coverage."""
        if not history:
            return "off" if not self.missing else "missing-objects"
        gaps = list(self.limits)
        if (self.missing and "partial" not in gaps) or self.unlisted:
            gaps.append("missing-objects")
        return "+".join(gaps) or "full"

    def warnings(self) -> list[str]:
        """The gaps that make the check incomplete (a shallow or partial clone is a choice)."""
        out = []
        if self.unlisted:
            out.append(f"history could not be listed ({self.unlisted}); only HEAD was scanned")
        count = len(set(self.missing))
        if count and "partial" not in self.limits:
            out.append(
                f"{count} object(s) are missing from the repository and were not scanned; "
                "run `git fsck` and re-fetch them"
            )
        return out


def engine_config(policy: SecretsPolicy) -> EngineConfig:
    """The engine configuration the policy asks for."""
    return EngineConfig(
        max_line_length=policy.max_line_length,
        max_file_bytes=policy.max_file_bytes,
        engines=tuple(policy.engines),
    )


def targets(ctx_repos: tuple[Path, ...], policy: Policy) -> list[Target]:
    """The run's repositories; a policy entry gives its URL (paths mangle ``//``) and name."""
    by_path = {str(Path(r.url)): r for r in policy.repos}
    chosen = []
    for path in ctx_repos:
        repo = by_path.get(str(path))
        chosen.append(Target(repo.url, repo.name) if repo else Target(clone_location(path)))
    if not chosen:
        chosen = [Target(r.url, r.name) for r in policy.repos]
    # names unique in the run, as env and readiness name them (checks.repos.unique_names)
    named = unique_names([RepoTarget(t.location, t.name) for t in chosen])
    return [Target(t.location, t.name) for t in named]


def collect(ctx: RunContext) -> Collection:
    """Scan every repository of the run (see the module docstring), streaming one repository's
    records at a time so a run over many repositories never holds them all."""
    chosen = targets(ctx.repos, ctx.policy)
    if not chosen:
        raise CheckSkipped("no repository to scan: pass --repo PATH or list repos: in the policy")
    policy = ctx.policy.secrets
    collection = Collection(scopes=[])
    validator = validator_for(ctx.options, ctx.environ)  # --validate: live checks, else None

    def batches() -> Iterator[list[SecretRecord]]:
        totals: dict[str, int] = {}
        history: dict[str, str] = {}  # repo -> what limited its history, when not whole
        secrets = 0
        with _ProgressBar(ctx.show_progress) as progress:
            for target in chosen:
                try:
                    scan = scan_repository(
                        target,
                        policy,
                        store=ctx.store,
                        cache_dir=ctx.cache_dir,
                        progress=progress,
                        validator=validator,
                    )
                except HygieneError as exc:
                    where, reason = target.shown, git.scrub(str(exc), target.location)
                    log.error("repository %s could not be scanned: %s", where, reason)
                    collection.errors.append(reason)
                    continue
                except Exception as exc:  # a bug on one repository's input: keep the others
                    where = target.shown
                    log.error("repository %s could not be scanned: %s", where, type(exc).__name__)
                    log.debug("repository %s: traceback", where, exc_info=True)
                    collection.errors.append(f"{where}: internal error ({type(exc).__name__})")
                    continue
                collection.errors.extend(f"{scan.name}: {w}" for w in scan.warnings)
                assert collection.scopes is not None
                if scan.covered:
                    collection.scopes.append(scan.name)
                else:
                    history[scan.name] = scan.history
                    log.warning(
                        "%s: history not wholly scanned (%s): its earlier findings stay open",
                        scan.name,
                        scan.history,
                    )
                for key, value in scan.stats.items():
                    totals[key] = totals.get(key, 0) + value
                secrets += len(scan.records)
                yield scan.records
        collection.stats = {
            "repos": len(chosen),
            **totals,
            "secrets": secrets,
            "history": history,
            **(validator.stats() if validator is not None else {}),
        }

    collection.batches = batches()
    return collection


def scan_repository(
    target: Target,
    policy: SecretsPolicy,
    *,
    store: Store | None = None,
    cache_dir: Path = Path(".hygiene/cache"),
    progress: Progress | None = None,
    validator: Validator | None = None,
) -> RepoScan:
    """Scan one repository's tree and (when ``policy.history``) its whole history; with a
    ``validator`` (``--validate``), check its candidate provider tokens live."""
    started = time.perf_counter()
    path = _resolve(target, cache_dir)
    name = git.display_path(target.name or git.repo_name(path))
    config = engine_config(policy)
    # nothing cached (no state, a first run): ready the engines while git lists the history
    cold = store is None or not store.has_scans(config.fingerprint())
    engines_ready = prepare_soon(config) if cold else None
    head = git.head_tree(path)
    stats = {
        "blobs": 0,
        "blobs_scanned": 0,
        "blobs_cached": 0,
        "bytes_scanned": 0,
        "skipped_binary": 0,
        "skipped_large": 0,
        "excluded_paths": 0,
        "long_lines": 0,
    }
    coverage = _Coverage(limits=git.history_limits(path) if policy.history else [])
    placements, sizes = _placements(path, head, policy.history, coverage)
    stats["blobs"] = len(sizes)
    kept = [p for p in placements if not _skipped(p.path, policy)]
    stats["excluded_paths"] = len(placements) - len(kept)
    paths_of: dict[str, list[str]] = {}  # key -> every path its blob was written at
    oid_of: dict[str, str] = {}
    for placement in kept:
        paths_of.setdefault(placement.key, []).append(placement.path)
        oid_of[placement.key] = placement.oid
    results: dict[str, ContentResult] = {}
    for key, oid in oid_of.items():
        if sizes.get(oid, 0) > archived.size_cap(paths_of[key], policy):
            results[key] = ContentResult(skipped="too-large")
    archive_blobs = archived.ArchiveBlobs(archived.limits_of(policy))
    fingerprint = config.fingerprint()
    todo = [k for k in oid_of if k not in results]
    if store is not None and todo:
        for key, data in store.cached_scans(todo, fingerprint).items():
            if archive_blobs.remember(key, data):
                results[key] = ContentResult.from_json(data)
        stats["blobs_cached"] = sum(1 for k in todo if k in results)
        todo = [k for k in todo if k not in results]
    units: dict[str, tuple[str, str]] = {}  # key -> (oid, a path no file-name filter excludes)
    absent = set(coverage.missing)  # never asked of git: a partial clone would fetch them
    for key in todo:
        path_ok = next((p for p in paths_of[key] if _readable(p, policy)), None)
        if oid_of[key] in absent:
            continue
        if path_ok is None:
            results[key] = ContentResult(skipped="excluded-file")
        else:
            units[key] = (oid_of[key], path_ok)
    fresh = _scan(
        path, name, list(units), units, sizes, policy, progress, coverage.missing, archive_blobs
    )
    fresh = archive_blobs.take(fresh)
    stats["blobs_scanned"] = len(fresh)
    stats["bytes_scanned"] = sum(sizes.get(units[k][0], 0) for k in fresh)
    results.update(fresh)
    stats.update(archive_blobs.stats(results))
    kept, head_entries = archive_blobs.place(results, paths_of, kept, head)
    changed = _judge_paths(results, paths_of)
    if store is not None and (fresh or changed):
        store.cache_scans(archive_blobs.cache_rows(results, {*fresh, *changed}), fingerprint)
    filtered = {
        (k, p)
        for k in paths_of
        for p in paths_of[k]
        if k in results and results[k].file_filtered.get(p)
    }
    kept = [p for p in kept if (p.key, p.path) not in filtered]
    stats["filtered_paths"] = len(filtered)
    for result in results.values():
        stats["long_lines"] += result.long_lines
        if result.skipped == "binary":
            stats["skipped_binary"] += 1
        elif result.skipped == "too-large":
            stats["skipped_large"] += 1
    kept = _fill_unknown_commits(path, kept, results) if policy.history else kept
    records = build_records(name, kept, results, head_entries)
    if validator is not None:
        limits = archived.limits_of(policy)
        records = validate_records(path, records, kept, results, validator, limits)
    stats["missing_objects"] = len(set(coverage.missing))
    warnings = coverage.warnings()
    baseline = _read_baseline(path, policy.baseline, warnings)
    if baseline is not None:
        records = annotate_baseline(records, baseline_index(baseline))
    records = [_displayable(r) for r in records]
    stats["suppressed_by_baseline"] = sum(1 for r in records if r.baseline == "false-positive")
    log.info(
        "%s: %d blob(s), %d scanned, %d cached, %d secret(s) in %.2fs",
        name,
        stats["blobs"],
        stats["blobs_scanned"],
        stats["blobs_cached"],
        len(records),
        time.perf_counter() - started,
    )
    if engines_ready is not None:
        engines_ready()  # no thread outlives the scan (it has finished when anything was scanned)
    return RepoScan(
        name=name,
        records=records,
        stats=stats,
        warnings=warnings,
        history=coverage.state(policy.history),
    )


def _displayable(record: SecretRecord) -> SecretRecord:
    """The record with a path every output can carry (a file name need not be UTF-8); the
    baseline was matched on git's own path before."""
    shown = git.display_path(record.path)
    return record if shown == record.path else replace(record, path=shown)


def _readable(path: str, policy: SecretsPolicy) -> bool:
    """Whether a blob at ``path`` is read: detect-secrets' file-name filters pass it, or its
    name says archive (they drop ``.zip``, ``.jar``, ``.gz``; the files inside are scanned)."""
    return not file_filtered(path) or archived.may_be_archive(path, policy)


def _skipped(path: str, policy: SecretsPolicy) -> bool:
    """The policy's excluded globs, and the baseline file itself (its hashes look random)."""
    return path == policy.baseline or excluded(path, policy.exclude_paths)


def _judge_paths(results: dict[str, ContentResult], paths_of: dict[str, list[str]]) -> set[str]:
    """Record detect-secrets' file-name verdict for every path of every blob with hits; returns
    the keys whose verdicts were added (to re-cache)."""
    changed = set()
    for key, paths in paths_of.items():
        result = results.get(key)
        if result is None or not result.hits:
            continue
        for p in paths:
            if p not in result.file_filtered:
                result.file_filtered[p] = file_filtered(p)
                changed.add(key)
    return changed


def _resolve(target: Target, cache_dir: Path) -> Path:
    if git.is_clone_url(target.location):
        return git.mirror(target.location, cache_dir)
    path = Path(target.location)
    if not path.is_dir():
        raise HygieneError(f"{target.shown}: not a directory; pass the path of a git repository")
    if not git.is_repository(path):
        raise HygieneError(f"{target.shown}: not a git repository; pass the path of a git checkout")
    return path


def _placements(
    repo: Path, head: dict[str, str], history: bool, coverage: _Coverage
) -> tuple[list[Placement], dict[str, int]]:
    """Every (blob, path) to consider, with its first commit when known; and blob sizes. What
    git cannot read goes to ``coverage``: the readable rest is still scanned."""
    placements: list[Placement] = []
    seen: set[tuple[str, str]] = set()

    def add(oid: str, path: str, commit: str | None, order: int) -> None:
        if (oid, path) not in seen:
            seen.add((oid, path))
            placements.append(Placement(oid, path, scan_key(oid, path), commit, order))

    sizes: dict[str, int] = {}
    if history:
        try:
            listed = git.reachable_blobs(repo)
        except git.GitError as exc:  # a missing commit or tree: rev-list gives up
            coverage.unlisted = str(exc)
            history = False
        else:
            coverage.missing.extend(listed.missing)
            sizes = {b.oid: b.size for b in listed.blobs}
            occurrences = _occurrences(repo, coverage)
            for blob in listed.blobs:
                for occ in occurrences.get(blob.oid, []):
                    add(blob.oid, occ.path, occ.commit, occ.order)
                if blob.oid not in occurrences and blob.path:
                    add(blob.oid, blob.path, None, UNKNOWN_ORDER)
    if not history:
        sizes = git.blob_sizes(repo, set(head.values()))
    for path, oid in head.items():
        add(oid, path, None, UNKNOWN_ORDER)
    return placements, sizes


def _occurrences(repo: Path, coverage: _Coverage) -> dict[str, list[git.Occurrence]]:
    """Blob → the commits that wrote it; none when the log cannot be read (noted)."""
    try:
        return git.blob_occurrences(repo)
    except git.GitError as exc:
        coverage.unlisted = coverage.unlisted or str(exc)
        return {}


def _scan(
    repo: Path,
    name: str,
    todo: list[str],
    units: dict[str, tuple[str, str]],
    sizes: dict[str, int],
    policy: SecretsPolicy,
    progress: Progress | None,
    missing: list[str] | None = None,
    archive_blobs: archived.ArchiveBlobs | None = None,
) -> dict[str, ContentResult]:
    if not todo:
        return {}
    keys_by_oid: dict[str, list[str]] = {}
    for key in todo:
        keys_by_oid.setdefault(units[key][0], []).append(key)

    def items() -> Iterator[Item]:
        for oid, content in git.read_blobs(repo, keys_by_oid, missing):
            for key in keys_by_oid[oid]:
                yield key, units[key][1], content

    total = len(todo)
    done = (lambda n: progress(name, n, total)) if progress else None
    total_bytes = sum(sizes.get(oid, 0) for oid in keys_by_oid)
    notes = archive_blobs.notes if archive_blobs is not None else None
    stream = archived.expand_items(items(), archived.limits_of(policy), notes)
    return dict(
        scan_items(stream, engine_config(policy), policy.workers, done, total_bytes=total_bytes)
    )


def _fill_unknown_commits(
    repo: Path, placements: list[Placement], results: dict[str, ContentResult]
) -> list[Placement]:
    """Blobs with secrets that ``git log --raw`` did not attribute (merge-only changes): one
    pass over the merges for all of them, then ``first_commit_of`` for any it did not find."""
    known = {p.oid for p in placements if p.commit is not None}

    def unknown(placement: Placement) -> bool:
        result = results.get(placement.key)
        return (
            placement.commit is None and placement.oid not in known and bool(result and result.hits)
        )

    wanted = {p.oid for p in placements if unknown(p)}
    if not wanted:
        return placements
    try:
        commits: dict[str, str | None] = dict(git.first_commits_of(repo, wanted))
    except git.GitError:  # a history with missing objects (already reported)
        commits = {}
    for oid in sorted(wanted - commits.keys()):
        try:
            commits[oid] = git.first_commit_of(repo, oid)
        except git.GitError:
            commits[oid] = None
    return [
        Placement(p.oid, p.path, p.key, commits[p.oid], p.order) if unknown(p) else p
        for p in placements
    ]


def _read_baseline(repo: Path, rel: str, warnings: list[str]) -> dict[str, Any] | None:
    """The repository's detect-secrets baseline: the work tree's file, else HEAD's. Only a
    regular file inside the repository is read (never a link out of it, a FIFO or a device)."""
    raw: bytes | None = None
    if not git.is_bare(repo):
        found = read_checkout_file(repo, rel, BASELINE_MAX_BYTES)
        if isinstance(found, Skipped) and found.reason != "missing":
            warnings.append(
                f"{rel}: baseline not read ({NOT_READ.get(found.reason, found.reason)}); "
                "findings are reported without it"
            )
            return None
        raw = None if isinstance(found, Skipped) else found
    if raw is None:
        raw = git.read_file_at_head(repo, rel)
    if raw is None:
        return None
    try:
        return parse_baseline(raw, rel)
    except HygieneError as exc:
        warnings.append(f"unreadable baseline, findings reported without it: {exc}")
        return None


class _ProgressBar:
    """A rich progress bar on stderr per repository, or nothing."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> Progress | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        return self._advance

    def _advance(self, repo: str, n: int, total: int) -> None:
        if repo not in self._tasks:
            self._tasks[repo] = self._bar.add_task(f"secrets {repo}", total=total)
        self._bar.advance(self._tasks[repo], n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


# --------------------------------------------------------------------------- verbs' library


def tree_hits(repo: Path, policy: SecretsPolicy) -> dict[str, list[SecretHit]]:
    """Hits in the files git tracks (the work tree's content; HEAD's for a bare repository),
    as ``detect-secrets scan`` sees them — the input of ``hygiene secrets baseline``."""
    if not git.is_repository(repo):
        raise HygieneError(f"{repo}: not a git repository; pass the path of a git checkout")
    if git.is_bare(repo):
        head = git.head_tree(repo)
        return _hits_of_blobs(repo, head, policy)
    top = git.toplevel(repo)
    files = [p for p in git.tracked_files(top) if not _skipped(p, policy)]
    return _hits_of_files(top, files, policy)


def staged_hits(
    repo: Path, policy: SecretsPolicy, files: list[str] | None = None
) -> dict[str, list[SecretHit]]:
    """Hits in ``files`` (as pre-commit passes them, read from disk) or, without files, in the
    content staged for the next commit."""
    top = git.toplevel(repo)
    if files:
        rel = [_relative(top, name) for name in files]
        return _hits_of_files(top, [r for r in rel if not _skipped(r, policy)], policy)
    staged = {p: o for p, o in git.staged_files(top).items() if not _skipped(p, policy)}
    return _hits_of_blobs(top, staged, policy)


def _relative(top: Path, name: str) -> str:
    """``name`` (as pre-commit passes it) relative to ``top``, resolving its directories but
    not the file itself: a symlink is the link, not what it points at."""
    absolute = os.path.abspath(name)
    real = Path(os.path.realpath(os.path.dirname(absolute))) / os.path.basename(absolute)
    try:
        return real.relative_to(top.resolve()).as_posix()
    except ValueError:
        raise HygieneError(f"{name}: not inside the repository {top}") from None


def work_tree_content(top: Path, rel: str, max_bytes: int) -> bytes | Skipped:
    """What git would store for the work tree's ``rel``: a symlink's link text (never what it
    points at), a regular file's bytes (read with :func:`read_checkout_file`); why not, for a
    FIFO, a device, a link out of the repository, a missing or too large file."""
    parent = os.path.dirname(rel)
    if parent and isinstance(contained_target(top, parent), Skipped):
        return Skipped("outside")  # a directory replaced by a link out of the repository
    try:
        if os.path.islink(top / rel):
            return os.fsencode(os.readlink(top / rel))
    except OSError:
        return Skipped("missing")
    return read_checkout_file(top, rel, max_bytes)


def _hits_of_files(
    top: Path, files: list[str], policy: SecretsPolicy
) -> dict[str, list[SecretHit]]:
    def items() -> Iterator[Item]:
        for rel in files:
            if not _readable(rel, policy):
                continue
            content = work_tree_content(top, rel, archived.size_cap([rel], policy))
            if isinstance(content, Skipped):
                log.info("%s: not scanned (%s)", git.display_path(rel), NOT_READ[content.reason])
                continue  # deleted, a submodule, or nothing of the repository's own
            yield rel, rel, content

    stream = archived.expand_items(items(), archived.limits_of(policy))
    found = scan_items(list(stream), engine_config(policy), policy.workers)
    return {path: result.hits for path, result in found if result.hits}


def _hits_of_blobs(
    repo: Path, blobs: dict[str, str], policy: SecretsPolicy
) -> dict[str, list[SecretHit]]:
    paths_by_oid: dict[str, list[str]] = {}
    for path, oid in blobs.items():
        if _readable(path, policy):
            paths_by_oid.setdefault(oid, []).append(path)
    items = [
        (path, path, content)
        for oid, content in git.read_blobs(repo, paths_by_oid)
        for path in paths_by_oid[oid]
    ]
    stream = archived.expand_items(items, archived.limits_of(policy))
    found = scan_items(list(stream), engine_config(policy), policy.workers)
    return {path: result.hits for path, result in found if result.hits}
