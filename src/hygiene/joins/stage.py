"""The joins stage of one run: keep what the joins need while the checks run, join after.

Owners (``joins/owners``) are judged as the tags check's batches arrive, against a directory
read once per run (the policy's, CODEOWNERS, Identity Center): their findings join the tags
check's own for the batch, so nothing of the estate is kept. A directory that cannot be read
makes the tags check ``error`` (nothing it found earlier is resolved) rather than unjudged.

Kept, and only that: the secrets records that name a key (a hash of its public id, or a ``.json``
file with a private key that may be a GCP key file) with their findings, which are held back
from the spool until the join has run; and the rotation check's live keys (AWS access keys, GCP
service-account keys), indexed by the hash of their ids. The checks run in threads: what they
hand over is kept under a lock. A GCP key file's id is read from git here (``scan/gcp_key``),
since a line-based engine sees only its PEM.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hygiene.check_result import CheckResult
from hygiene.context import RunContext
from hygiene.errors import HygieneError
from hygiene.findings import Finding
from hygiene.joins.leaked_keys import KEY_KINDS, Coverage, KeyProvider, Leak, join, live_key_hash
from hygiene.joins.owners import Directory, Owner, judge_owners, name_key
from hygiene.joins.spend_resources import TagsInventory, allocation_stats
from hygiene.policy import OwnerEntry, Policy
from hygiene.records.cloud import CredentialRecord, ResourceRecord

if TYPE_CHECKING:
    from hygiene.scan.gcp_key import GcpKeyRef
    from hygiene.scan.history import SecretRecord

log = logging.getLogger(__name__)

SECRETS, ROTATION, TAGS, BUDGETS = "secrets", "rotation", "tags", "budgets"
#: Checks whose findings sit at a repository path: CODEOWNERS says whose they are.
REPO_CHECKS = frozenset({SECRETS, "env", "readiness"})
Sink = Callable[[list[Finding]], list[Finding]]
#: how an AWS access key id begins; detect-secrets' AWS detector also reports the secret access
#: key (with a ``key_id`` hash of its own value), which is no key id
AWS_KEY_ID_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")
Place = tuple[str, str, str]  # (repo, path, secret sha256): a secrets record and its finding


class JoinStage:
    """One run's joins: ``observer``/``sink_for`` wrap a check while it runs, ``finish`` joins.

    The leaked-key join is inactive (it keeps and holds nothing) when the secrets check is not
    selected. In a shard (part of the repositories, part of the accounts) it does not join: it
    carries its committed keys (their held findings) and its live keys in ``carry``, which the
    shard's document holds for ``hygiene merge`` to join over every shard (:func:`merge_joins`).
    Owners are judged whenever the tags check runs and the policy has an owner directory.
    """

    def __init__(
        self,
        policy: Policy,
        checks: Iterable[str],
        repos: Callable[[], dict[str, Path]],
        *,
        active: bool = True,
        load_directory: Callable[[], Directory] | None = None,
        deferred: bool = False,
    ) -> None:
        self.policy = policy
        checks = set(checks)
        self.deferred = deferred  # a shard: carry what the merge joins instead of joining
        self.active = active and (SECRETS in checks or (deferred and ROTATION in checks))
        self.carry: dict[str, Any] | None = None
        self._repos = repos  # repository name → local path (GCP key files, CODEOWNERS)
        self._lock = threading.Lock()
        self._records: dict[Place, SecretRecord] = {}
        self._held: list[Finding] = []
        self._live: dict[str, CredentialRecord] = {}
        self._load_directory = load_directory if TAGS in checks else None
        self._directory: Directory | None = None
        self._directory_error = ""
        self._owner_findings: list[Finding] = []  # judged for the batch the tags sink gets next
        self._owner_counts = {"unknown-owner": 0, "departed-owner": 0}
        # spend joined to resources: the budgets check's spend data and the tags inventory
        self._allocation = BUDGETS in checks and not deferred
        self._spend: Any = None
        self._inventory = TagsInventory(policy) if self._allocation and TAGS in checks else None
        self._path_owners: dict[str, Callable[[str], str | None]] = {}  # repo → path → owner

    @classmethod
    def for_run(cls, ctx: RunContext, checks: Iterable[str], *, sharded: bool) -> JoinStage:
        """The stage for a run of ``checks`` (a shard's carries what the merge joins)."""
        checks = set(checks)
        owners = TAGS in checks and ctx.policy.owners.configured
        known: list[dict[str, Path]] = []  # read once, when first needed

        def repos() -> dict[str, Path]:
            if not known:
                known.append(repo_paths(ctx))
            return known[0]

        load = (lambda: load_directory(ctx.policy, repos())) if owners else None
        return cls(ctx.policy, checks, repos, load_directory=load, deferred=sharded)

    # -- while the checks run ------------------------------------------------------------------

    def observer(self, check: str) -> Callable[[Any], None] | None:
        """What watches ``check``'s record batches (None: the joins need nothing of it)."""
        if check == BUDGETS and self._allocation:
            return self._see_spend
        if check == TAGS and (self._load_directory is not None or self._inventory is not None):
            return self._see_tags
        if not self.active:
            return None
        if check == SECRETS:
            return self._see_secrets
        if check == ROTATION:
            return self._see_credentials
        return None

    def sink_for(self, check: str, sink: Sink) -> Sink:
        """``sink`` for ``check``: a repository check's findings without an owner take the
        owner CODEOWNERS gives their path; the secrets check's findings for a key are held
        back; the tags check's go with the owner findings of the same batch, and what it kept
        is noted for the spend join."""
        inner = self._sink_for(check, sink)
        if check not in REPO_CHECKS or not self.policy.owners.codeowners:
            return inner

        def owned(findings: list[Finding]) -> list[Finding]:
            return inner([self._with_path_owner(f) for f in findings])

        return owned

    def _with_path_owner(self, finding: Finding) -> Finding:
        location = finding.location
        if finding.owner or location is None or not location.path:
            return finding
        with self._lock:
            if location.repo not in self._path_owners:
                self._path_owners[location.repo] = self._codeowners_of(location.repo)
            owner_of = self._path_owners[location.repo]
        owner = owner_of(location.path)
        return finding.model_copy(update={"owner": owner}) if owner else finding

    def _codeowners_of(self, repo: str) -> Callable[[str], str | None]:
        """``path`` → the id of its first CODEOWNERS owner in ``repo`` (None: no owner)."""
        from hygiene.sources import git
        from hygiene.sources.codeowners import read_codeowners_rules

        path = self._repos().get(repo)
        try:
            rules = read_codeowners_rules(path) if path is not None else None
        except git.GitError as exc:
            log.warning("%s: CODEOWNERS not read: %s", repo, exc)
            rules = None
        if rules is None:
            return lambda _path: None
        tokens = list(dict.fromkeys(t for _, owners in rules.rules for t in owners))
        ids = {name_key(o.aliases[0]): o.id for o in codeowners_owners(tokens)}

        def owner_of(file: str) -> str | None:
            owners = rules.owners_of(file)
            return ids.get(name_key(owners[0])) if owners else None

        return owner_of

    def _sink_for(self, check: str, sink: Sink) -> Sink:
        if check == TAGS and (self._load_directory is not None or self._inventory is not None):
            inventory = self._inventory

            def with_owners(findings: list[Finding]) -> list[Finding]:
                extra, self._owner_findings = self._owner_findings, []
                kept = sink(findings + extra)
                if inventory is not None:
                    inventory.kept(kept)
                return kept

            return with_owners
        if not self.active or check != SECRETS:
            return sink

        def held_back(findings: list[Finding]) -> list[Finding]:
            passed = []
            with self._lock:
                for finding in findings:
                    if _place_of(finding) in self._records:
                        self._held.append(finding)
                    else:
                        passed.append(finding)
            return sink(passed)

        return held_back

    def _see_secrets(self, batch: Iterable[SecretRecord]) -> None:
        from hygiene.scan.history import SecretRecord  # a stand-in check's records pass by

        wanted = {
            (r.repo, r.path, r.sha256): r
            for r in batch
            if isinstance(r, SecretRecord) and (r.key_id_sha256 or _may_be_gcp_key_file(r))
        }
        with self._lock:
            self._records.update(wanted)

    def _see_tags(self, batch: Any) -> None:
        records = list(batch)
        if self._inventory is not None:
            self._inventory.see(r for r in records if isinstance(r, ResourceRecord))
        if self._load_directory is not None:
            self._see_resources(records)

    def _see_spend(self, batch: Any) -> None:
        from hygiene.records.billing import SpendData

        if isinstance(batch, SpendData):
            self._spend = batch
            if self._inventory is not None:  # the tags batches from now on are joined as they come
                self._inventory.bill(batch)

    def _see_resources(self, batch: Iterable[ResourceRecord]) -> None:
        """Judge the Owner tags of one tags batch (the tags check runs in one thread, and its
        sink takes these findings next)."""
        directory = self._directory_once()
        if directory is None:
            return
        found = judge_owners(
            [r for r in batch if isinstance(r, ResourceRecord)], directory, self.policy
        )
        for finding in found:
            self._owner_counts[finding.rule] += 1
        self._owner_findings = found

    def _directory_once(self) -> Directory | None:
        if self._directory is None and not self._directory_error:
            assert self._load_directory is not None
            try:
                self._directory = self._load_directory()
            except HygieneError as exc:
                self._directory_error = str(exc)
                log.error("owner directory not read: %s; Owner tags are not judged", exc)
        return self._directory

    def _see_credentials(self, batch: Iterable[CredentialRecord]) -> None:
        keys = {}
        for record in batch:
            if not isinstance(record, CredentialRecord) or record.kind not in KEY_KINDS:
                continue
            if digest := live_key_hash(record):
                keys[digest] = record
        with self._lock:
            self._live.update(keys)

    # -- after the checks ----------------------------------------------------------------------

    def finish(
        self,
        results: Sequence[CheckResult],
        keep: Callable[[Finding], bool],
        emit: Callable[[list[Finding]], object],
    ) -> None:
        """Join, and hand the findings to ``emit`` (the spool); ``keep`` is the run's exception
        screen. Held findings are screened once; a failing join emits them unchanged."""
        self._owner_stats(results)
        self._allocation_stats(results)
        if not self.active:
            return
        held = [f for f in self._held if keep(f)]
        self._held = []
        secrets = next((r for r in results if r.name == SECRETS), None)
        if self.deferred:
            self._carry(held, emit)
            return
        if not held:
            return
        try:
            leaks = self._leaks(held)
            joined_ids = {leak.finding.id for leak in leaks}
            out = join(leaks, self._live, coverage_of(results), self.policy)
            out += [f for f in held if f.id not in joined_ids]
        except Exception:  # a bug in a join must not lose the secrets findings
            log.exception("the leaked-key join failed; the secrets findings are kept as they are")
            out = held
        held_ids = {f.id for f in held}
        final = [f for f in out if f.id in held_ids or keep(f)]
        emit(final)
        if secrets is not None:
            secrets.finding_count += len(final)
            secrets.stats["live_keys"] = live_key_stats(final)

    def _carry(self, held: list[Finding], emit: Callable[[list[Finding]], object]) -> None:
        """A shard's part of the join, for the merge: its leaks and its live keys. Its findings
        stay in the shard's document as they are (the merge replaces the carried ones)."""
        leaks = self._leaks(held)
        emit(held)
        self.carry = {
            "leaks": [leak_to_json(leak) for leak in leaks],
            "live": {digest: credential_to_json(r) for digest, r in sorted(self._live.items())},
        }

    def _allocation_stats(self, results: Sequence[CheckResult]) -> None:
        """The budgets check's ``allocation``: spend joined to the tags inventory (the bill's own
        tags alone when the tags check did not run cleanly)."""
        budgets = next((r for r in results if r.name == BUDGETS), None)
        tags = next((r for r in results if r.name == TAGS), None)
        inventory = self._inventory if tags is not None and tags.status == "ok" else None
        try:
            if budgets is None or budgets.status != "ok" or self._spend is None:
                return
            stats = allocation_stats(self._spend, self.policy, inventory)
        except Exception:  # a bug in a join must not fail the run's other figures
            log.exception("the spend-to-resources join failed; allocation stats are left out")
            return
        finally:
            if self._inventory is not None:  # what waits on disk for a bill, if any
                self._inventory.close()
        if stats is not None:
            budgets.stats["allocation"] = stats

    def _owner_stats(self, results: Sequence[CheckResult]) -> None:
        tags = next((r for r in results if r.name == TAGS), None)
        if tags is None or self._load_directory is None or tags.status == "skipped":
            return
        if self._directory_error:
            tags.status = "error"
            reason = f"owner directory not read: {self._directory_error}"
            tags.reason = f"{tags.reason}; {reason}" if tags.reason else reason
            tags.stats["owners"] = {"judged": False, "reason": self._directory_error}
            return
        directory = self._directory
        tags.stats["owners"] = {
            "judged": directory is not None,
            "directory": len(directory) if directory is not None else 0,
            "sources": directory.sources() if directory is not None else {},
            "unknown": self._owner_counts["unknown-owner"],
            "departed": self._owner_counts["departed-owner"],
        }

    def _leaks(self, held: list[Finding]) -> list[Leak]:
        leaks = []
        for finding in held:
            place = _place_of(finding)
            record = self._records.get(place) if place else None
            if record is None:
                continue
            if record.key_id_sha256:
                provider: KeyProvider = "gcp" if "gcp" in record.rule else "aws"
                half = provider == "aws" and not record.preview.startswith(AWS_KEY_ID_PREFIXES)
                leaks.append(Leak(record, finding, record.key_id_sha256, provider, companion=half))
                continue
            for ref in self._gcp_keys(record):
                leaks.append(Leak(record, finding, ref.key_id_sha256, "gcp", ref.client_email))
        return leaks

    def _gcp_keys(self, record: SecretRecord) -> list[GcpKeyRef]:
        """The GCP keys of the key file ``record`` was found in, read from git."""
        from hygiene.scan.gcp_key import MAX_BYTES, service_account_keys
        from hygiene.sources import git

        repo = self._repos().get(record.repo)
        if repo is None:  # a clone URL's mirror: the engine must name the key id itself
            return []
        try:
            if record.commit:
                data = git.run_git(repo, "cat-file", "blob", f"{record.commit}:{record.path}")
            else:
                data = git.read_file_at_head(repo, record.path) or b""
        except git.GitError as exc:
            log.warning(
                "%s:%s could not be read to name its GCP key: %s", record.repo, record.path, exc
            )
            return []
        if len(data) > MAX_BYTES:
            return []
        return service_account_keys(data.decode("utf-8", "replace"))


def leak_to_json(leak: Leak) -> dict[str, Any]:
    """A leak as a shard carries it: its finding and where the key was committed (no value)."""
    r = leak.record
    return {
        "finding": leak.finding.to_contract(),
        "place": [r.repo, r.path, r.rule, r.type, r.line, r.commit, r.preview, r.sha256, r.in_tree],
        "key_id_sha256": leak.key_id_sha256,
        "provider": leak.provider,
        "client_email": leak.client_email,
        "companion": leak.companion,
    }


def leak_from_json(data: Mapping[str, Any]) -> Leak:
    """The inverse of :func:`leak_to_json`."""
    from hygiene.scan.history import SecretRecord

    repo, path, rule, kind, line, commit, preview, sha, in_tree = data["place"]
    record = SecretRecord(repo, path, rule, kind, line, commit, preview, sha, "", in_tree)
    finding = Finding.model_validate({**data["finding"], "first_seen": None, "status": None})
    return Leak(
        record,
        finding,
        data["key_id_sha256"],
        data["provider"],
        data.get("client_email"),
        companion=bool(data.get("companion")),
    )


def credential_to_json(record: CredentialRecord) -> dict[str, Any]:
    """A live key as a shard carries it (its dates as ISO strings)."""
    data = asdict(record)
    for name in ("created", "last_rotated", "last_used", "expires"):
        value = data.get(name)
        data[name] = value.isoformat() if isinstance(value, datetime) else None
    return data


def credential_from_json(data: Mapping[str, Any]) -> CredentialRecord:
    """The inverse of :func:`credential_to_json`."""
    dates = {
        name: datetime.fromisoformat(data[name]) if data.get(name) else None
        for name in ("created", "last_rotated", "last_used", "expires")
    }
    return CredentialRecord(**{**data, **dates})


def carried_ids(carried: Iterable[Mapping[str, Any] | None]) -> set[str]:
    """The ids of the findings the shards carried to the merge's join (it replaces them)."""
    return {item["finding"]["id"] for part in carried if part for item in part.get("leaks") or ()}


def merge_joins(
    carried: Iterable[Mapping[str, Any] | None],
    results: Sequence[CheckResult],
    policy: Policy,
    keep: Callable[[Finding], bool],
) -> list[Finding]:
    """``hygiene merge``: the leaked-key join over every shard's carried leaks and live keys,
    screened by ``keep`` (the merge's exception screen); the secrets result gets ``live_keys``."""
    leaks: list[Leak] = []
    live: dict[str, CredentialRecord] = {}
    for part in carried:
        if not part:
            continue
        leaks += [leak_from_json(item) for item in part.get("leaks") or ()]
        live.update({k: credential_from_json(v) for k, v in (part.get("live") or {}).items()})
    if not leaks:
        return []
    out = [f for f in join(leaks, live, coverage_of(results), policy) if keep(f)]
    secrets = next((r for r in results if r.name == SECRETS), None)
    if secrets is not None:
        secrets.stats["live_keys"] = live_key_stats(out)
    return out


def load_directory(policy: Policy, repos: dict[str, Path]) -> Directory:
    """The run's owner directory: the policy's entries and file, Identity Center, CODEOWNERS (in
    that order: the first to claim a name keeps it). HygieneError when a configured part cannot
    be read."""
    owners = [Owner.of_entry(entry) for entry in policy.owners.entries]
    for file in [f for f in (policy.owners.file, policy.owners_file) if f]:
        owners += [Owner.of_entry(entry, "file") for entry in read_owners_file(Path(file))]
    if policy.owners.identity_store_id:
        from hygiene.sources.aws.identitystore import list_principals

        for principal in list_principals(
            policy.aws, policy.owners.identity_store_id, policy.owners.identity_store_region
        ):
            owners.append(
                Owner(
                    id=principal.id,
                    source="identity-center",
                    name=principal.name,
                    email=principal.emails[0] if principal.emails else None,
                    active=principal.active,
                    aliases=(*principal.aliases, *principal.emails),
                )
            )
    if policy.owners.codeowners:
        from hygiene.sources import git
        from hygiene.sources.codeowners import read_codeowners

        tokens: list[str] = []
        for name, path in sorted(repos.items()):
            try:
                tokens += read_codeowners(path)
            except git.GitError as exc:
                log.warning("%s: CODEOWNERS not read: %s", name, exc)
        owners += codeowners_owners(tokens)
    return Directory(owners)


def codeowners_owners(tokens: Sequence[str]) -> list[Owner]:
    """Owners of CODEOWNERS tokens: a team is known by its last path segment (``@acme/payments``
    → ``payments``) unless several teams share it (GitLab's ``@org/a/frontend`` and
    ``@org/b/frontend``), which are then known by their full paths only — a short tag value
    must never resolve silently to one of several teams."""

    def slug(token: str) -> str:
        return token.lstrip("@").rsplit("/", 1)[-1]

    unique: dict[str, str] = {}  # GitHub names are case-insensitive: one spelling per owner
    for token in tokens:
        unique.setdefault(name_key(token), token)
    shared = Counter(name_key(slug(t)) for t in unique.values() if "/" in t)
    out = []
    for token in unique.values():
        short = slug(token)
        ident = token.lstrip("@") if "/" in token and shared[name_key(short)] > 1 else short
        out.append(Owner(id=ident, source="codeowners", aliases=(token,)))
    return out


def read_owners_file(path: Path) -> list[OwnerEntry]:
    """The entries of an owners file: a YAML/JSON list, or a mapping with ``owners:``."""
    import yaml
    from pydantic import ValidationError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HygieneError(f"owners file {path}: {exc.strerror or type(exc).__name__}") from None
    except yaml.YAMLError as exc:
        raise HygieneError(f"owners file {path}: not YAML ({type(exc).__name__})") from None
    items = data.get("owners") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise HygieneError(f"owners file {path}: expected a list of owners (or owners: [...])")
    try:
        return [OwnerEntry.model_validate(item) for item in items]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise HygieneError(f"owners file {path}: {where}: {first['msg']}") from None


def repo_paths(ctx: RunContext) -> dict[str, Path]:
    """The run's local repositories by the name the secrets check reports them under."""
    from hygiene.checks.secrets.collect import targets
    from hygiene.sources import git

    paths: dict[str, Path] = {}
    for target in targets(ctx.repos, ctx.policy):
        if git.is_clone_url(target.location):
            continue
        path = Path(target.location)
        try:
            paths[git.display_path(target.name or git.repo_name(path))] = path
        except git.GitError:
            continue  # the secrets check reports it
    return paths


def coverage_of(results: Sequence[CheckResult]) -> dict[KeyProvider, Coverage]:
    """Whether this run read each cloud's live keys: the rotation check's parts."""
    rotation = next((r for r in results if r.name == ROTATION), None)
    if rotation is None:
        reason = "the rotation check was not part of this audit"
        return {"aws": Coverage(False, reason=reason), "gcp": Coverage(False, reason=reason)}
    out: dict[KeyProvider, Coverage] = {}
    providers: tuple[tuple[KeyProvider, str, str], ...] = (
        ("aws", "AWS", "accounts"),
        ("gcp", "GCP", "projects"),
    )
    for provider, label, scopes in providers:
        part = rotation.stats.get(provider)
        if rotation.status == "skipped":
            out[provider] = Coverage(
                False, reason=f"the rotation check was skipped ({rotation.reason})"
            )
        elif isinstance(part, dict) and part.get("status") in ("ok", "error"):
            out[provider] = Coverage(True, tuple(str(s) for s in part.get(scopes) or ()))
        elif isinstance(part, dict):
            why = part.get("reason") or "not configured"
            out[provider] = Coverage(False, reason=f"{label} credentials were not read ({why})")
        else:
            why = rotation.reason or "no result"
            out[provider] = Coverage(
                False, reason=f"the rotation check did not read {label} ({why})"
            )
    return out


def live_key_stats(findings: Iterable[Finding]) -> dict[str, int]:
    """How the committed keys came out: joined to a live key (active/inactive), not found, or
    not checked."""
    counts = {"active": 0, "inactive": 0, "not_found": 0, "not_checked": 0}
    for finding in findings:
        if finding.rule == "leaked-live-credential":
            counts[str(finding.details.get("status"))] += 1
            continue
        checks = finding.details.get("live_check")
        for check in checks if isinstance(checks, list) else [checks] if checks else []:
            counts[str(check["status"]).replace("-", "_")] += 1
    return counts


def _place_of(finding: Finding) -> Place | None:
    location = finding.location
    sha = finding.details.get("sha256")
    if location is None or not isinstance(sha, str):
        return None
    return (location.repo, location.path, sha)


def _may_be_gcp_key_file(record: SecretRecord) -> bool:
    """A private key in a ``.json`` file: perhaps a GCP service-account key file."""
    return record.path.lower().endswith(".json") and (
        "private-key" in record.rule or "service-account" in record.rule
    )
