"""A committed key joined to the live key: ``leaked-live-credential`` (pure).

The secrets check finds a key committed to git (an AWS access key id, alone or with its secret;
a GCP service-account key file); the rotation check reads the live keys. Matched by the SHA-256
of the key's public id only — the secret half never leaves the scanner — one finding names the
live key: its user or service account, account or project, status, creation, last use, owner
tag, and every place it was committed. It replaces the secrets findings for that key.

- an **active** key: ``critical`` — revoke it now;
- an **inactive** key: ``high`` — it is not usable until someone re-activates it: delete it;
- a key **no live inventory holds** (deleted, or of an account the run did not read): the secrets
  finding stays, and says it matched no live key of the accounts read;
- a key whose cloud was **not read** in this run: the secrets finding stays, and says the key
  could not be checked and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from hygiene.findings import Finding, Location, Severity, iso_z, secret_hash
from hygiene.policy import Policy
from hygiene.records.cloud import CredentialRecord
from hygiene.tagging import normalise_tags, normalise_value

if TYPE_CHECKING:
    from hygiene.scan.history import SecretRecord

RULE = "leaked-live-credential"
CHECK = "secrets"  # resolved with the secrets check's repositories, like the findings it replaces
SEVERITY = {"active": Severity.CRITICAL, "inactive": Severity.HIGH}
#: the rotation inventory's kinds that a committed key can be
KEY_KINDS = frozenset({"iam-access-key", "gcp-sa-key"})
KeyProvider = Literal["aws", "gcp"]
LABEL = {"iam-access-key": "IAM access key", "gcp-sa-key": "service-account key"}


@dataclass(frozen=True)
class Leak:
    """One committed key: the secrets record and finding it came from, the hash of its public id,
    and (from a GCP key file) the account the file names. A ``companion`` is the secret half
    of a key (an AWS secret access key, whose record carries the key id it was found with, as
    the kingfisher engine reports a key id and secret committed together): it is folded into
    the joined finding of a key id committed in the same file; with no such key id, it stands
    for its key itself (joined to it when live, else annotated like a key id)."""

    record: SecretRecord
    finding: Finding
    key_id_sha256: str
    provider: KeyProvider
    client_email: str | None = None
    companion: bool = False


@dataclass(frozen=True)
class Coverage:
    """Whether a cloud's live keys were read in this run: ``scopes`` the accounts/projects read,
    ``reason`` why not (empty when they were)."""

    checked: bool
    scopes: tuple[str, ...] = ()
    reason: str = ""


def live_key_hash(record: CredentialRecord) -> str | None:
    """The SHA-256 of a live key's public id (an AWS access key id, a GCP key's id); None for any
    other credential."""
    if record.kind == "iam-access-key":
        return secret_hash(record.name)
    if record.kind == "gcp-sa-key":
        key_id = record.details.get("key_id") or record.resource_id.rsplit("/", 1)[-1]
        return secret_hash(str(key_id))
    return None


def join(
    leaks: Iterable[Leak],
    live: Mapping[str, CredentialRecord],
    coverage: Mapping[KeyProvider, Coverage],
    policy: Policy,
) -> list[Finding]:
    """The findings for ``leaks``: one ``leaked-live-credential`` per live key they name, and
    the secrets findings of the rest, each saying what the live check made of it."""
    matched: dict[str, list[Leak]] = {}
    unmatched: dict[str, list[Leak]] = {}  # secrets finding id → its leaks no live key holds
    findings: dict[str, Finding] = {}
    joined_ids: set[str] = set()
    companions = [leak for leak in leaks if leak.companion]
    for leak in leaks:
        findings.setdefault(leak.finding.id, leak.finding)
        if leak.companion:
            continue
        if leak.key_id_sha256 in live:
            matched.setdefault(leak.key_id_sha256, []).append(leak)
            joined_ids.add(leak.finding.id)
        else:
            unmatched.setdefault(leak.finding.id, []).append(leak)
    key_ids = {leak.key_id_sha256 for leak in leaks if not leak.companion}
    beside = {  # (repo, path) → the live key a key id committed there was joined to
        (leak.record.repo, leak.record.path): key
        for key, found in matched.items()
        for leak in found
    }
    for companion in companions:  # the secret half goes with its key, or a key id in its file
        key = companion.key_id_sha256
        if key not in live:
            key = beside.get((companion.record.repo, companion.record.path), "")
        if key:
            matched.setdefault(key, []).append(companion)
            joined_ids.add(companion.finding.id)
        elif companion.key_id_sha256 not in key_ids:  # the pair's one record: annotated
            unmatched.setdefault(companion.finding.id, []).append(companion)
    out = [joined_finding(live[key], found, policy) for key, found in matched.items()]
    for finding_id, finding in findings.items():
        if finding_id in joined_ids and finding_id not in unmatched:
            continue  # replaced by the joined finding
        out.append(annotated(finding, unmatched.get(finding_id, []), coverage))
    return out


def joined_finding(key: CredentialRecord, leaks: Sequence[Leak], policy: Policy) -> Finding:
    """The one finding for a live key committed at ``leaks``' places."""
    status = "active" if key.active else "inactive"
    ids = [leak for leak in leaks if not leak.companion]
    files = {(leak.record.repo, leak.record.path) for leak in ids}
    # a key id's places, and those of a secret half with no key id beside it (one pair's record)
    ids += [
        leak
        for leak in leaks
        if leak.companion and (leak.record.repo, leak.record.path) not in files
    ]
    places = sorted(
        {_place(leak.record) for leak in ids}, key=lambda p: (not p[4], p[0], p[1], p[2])
    )
    committed = [
        {
            "repo": repo,
            "path": path,
            "line": line,
            "commit": commit,
            "in_tree": in_tree,
            "where": "in-tree" if in_tree else "history-only",
        }
        for repo, path, line, commit, in_tree in places
    ]
    first = committed[0]
    tags = normalise_tags(key.tags, policy.tags).values
    owner_tag = tags.get("Owner")
    env = key.env or tags.get("Env")
    principal = str(
        key.details.get("user") or key.details.get("service_account") or key.owner or ""
    )
    last_used = {
        "at": iso_z(key.last_used) if key.last_used else None,
        "service": key.details.get("last_used_service"),
        "region": key.details.get("last_used_region"),
    }
    return Finding.create(
        check=CHECK,
        rule=RULE,
        severity=SEVERITY[status],
        resource=key.resource_id,
        message=_message(key, status, principal, committed, last_used),
        identity=(ids[0].key_id_sha256,),
        location=Location(
            repo=first["repo"], path=first["path"], line=first["line"], commit=first["commit"]
        ),
        owner=owner_tag or key.owner,
        project=tags.get("Project"),
        env=normalise_value("Env", env, policy.tags) if env else None,
        details={
            "provider": key.provider,
            "kind": key.kind,
            "account": key.account,
            "principal": principal,
            "principal_id": str(key.details.get("principal") or key.resource_id),
            "name": key.name,
            "status": status,
            "created": iso_z(key.created) if key.created else None,
            "last_used": last_used,
            "owner_tag": owner_tag,
            "committed": committed,
            "repo": first["repo"],
            "path": first["path"],
            "first_commit": first["commit"],
            "in_tree": first["in_tree"],
            "where": first["where"],
            "with_secret": any(leak.companion for leak in leaks),  # its secret half too
            "key_id_sha256": ids[0].key_id_sha256,
            "replaces": sorted({leak.finding.id for leak in leaks}),
            "remediation": _remediation(key, status),
        },
    )


def annotated(
    finding: Finding, leaks: Sequence[Leak], coverage: Mapping[KeyProvider, Coverage]
) -> Finding:
    """A secrets finding whose key no live inventory of this run holds, saying why: not found in
    the accounts read, or not checked (its cloud was not read)."""
    if not leaks:
        return finding
    notes: list[str] = []
    checks: list[dict[str, Any]] = []
    for provider in sorted({leak.provider for leak in leaks}):
        seen = coverage.get(provider) or Coverage(False, reason="its cloud was not audited")
        where = "AWS accounts" if provider == "aws" else "GCP projects"
        if seen.checked:
            read = ", ".join(seen.scopes) or "none"
            checks.append(
                {"provider": provider, "status": "not-found", "scopes": list(seen.scopes)}
            )
            notes.append(
                f"It matches no live key of the {where} read ({read}): deleted, or of an "
                "account this audit did not read."
            )
        else:
            checks.append({"provider": provider, "status": "not-checked", "reason": seen.reason})
            notes.append(f"Whether the key is live could not be checked: {seen.reason}.")
    details = {**finding.details, "live_check": checks[0] if len(checks) == 1 else checks}
    return finding.model_copy(
        update={"message": f"{finding.message} {' '.join(notes)}", "details": details}
    )


def _place(record: SecretRecord) -> tuple[str, str, int, str | None, bool]:
    return (record.repo, record.path, record.line, record.commit, record.in_tree)


def _message(
    key: CredentialRecord,
    status: str,
    principal: str,
    committed: list[dict[str, Any]],
    last_used: Mapping[str, Any],
) -> str:
    label = LABEL.get(key.kind, key.kind)
    scope = "account" if key.provider == "aws" else "project"
    first = committed[0]
    commit = f", commit {first['commit'][:12]}" if first["commit"] else ""
    where = f"{first['repo']}:{first['path']} ({first['where']}{commit})"
    more = f" and {len(committed) - 1} other place(s)" if len(committed) > 1 else ""
    if last_used["at"]:
        by = " ".join(
            part
            for part in (
                f"by {last_used['service']}" if last_used["service"] else "",
                f"in {last_used['region']}" if last_used["region"] else "",
            )
            if part
        )
        used = f"last used {last_used['at']}{' ' + by if by else ''}"
    else:
        used = "no recorded use"
    head = f"The {status} {label} {key.name} of {principal} ({scope} {key.account}) is committed in {where}{more}"
    if status == "active":
        return f"{head}; {used}. {_remediation(key, status)}"
    return f"{head}; it is inactive, so it works only if re-activated ({used}). {_remediation(key, status)}"


def _remediation(key: CredentialRecord, status: str) -> str:
    if status == "inactive":
        return "Delete the key, then remove it from the file and the history."
    if key.kind == "gcp-sa-key":
        return (
            "Disable and delete the key now (gcloud iam service-accounts keys disable/delete), "
            "issue a new one through a secret manager, then remove it from the file and the history."
        )
    return (
        "Deactivate and delete the key now, move its clients to a new key kept in a secret "
        "manager, then remove it from the file and the history."
    )
