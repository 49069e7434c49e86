"""The rotation check: ages of keys, secrets and certificates against the policy's limits.

A pure function of provider-neutral ``CredentialRecord``s, the policy and the run's ``as_of``:
AWS, GCP and the policy's registry of external secrets are judged by the same rules.

How each kind is judged, and what a person should do about it, is data in ``KINDS`` below, so a
new source (GCP service-account keys, Secret Manager) only adds a row.

Rules: ``rotation-overdue``, ``rotation-due-soon``, ``rotation-disabled``, ``unused-credential``,
``multiple-active-keys``, ``certificate-expiring``, and for an AWS account's root user
``root-access-key`` (it has an active access key: it must have none) and ``root-mfa-disabled``.
Ages are whole days, floored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from hygiene.findings import Finding, Severity, iso_z
from hygiene.policy import Policy, RotationPolicy
from hygiene.records.cloud import CredentialRecord
from hygiene.tagging import normalise_tags, normalise_value

CHECK = "rotation"

RULES = (
    "rotation-overdue",
    "rotation-due-soon",
    "rotation-disabled",
    "unused-credential",
    "multiple-active-keys",
    "certificate-expiring",
    "root-access-key",
    "root-mfa-disabled",
)


Judged = Literal["age", "schedule", "expiry", "use", "forbidden", "mfa"]


@dataclass(frozen=True)
class KindInfo:
    """How one kind of credential is judged and what to do about it.

    ``judged_by``: ``age`` (since last rotation, else creation), ``schedule`` (only whether
    automatic rotation is on and often enough: the key's creation date says nothing about its
    material), ``expiry`` (certificates), ``use`` (only whether it is used at all),
    ``forbidden`` (it must not exist at all: a root access key) or ``mfa`` (whether the principal
    has MFA: the root user).
    ``tracks_use``: the source knows the last use, so "never used" is a fact, not a gap.
    ``multi_key``: several may belong to one principal (``details["principal"]``).
    ``rotate``/``enable``/``retire``: what to do when it is old / has no automatic rotation /
    is unused.
    """

    label: str
    judged_by: Judged
    rotate: str
    tracks_use: bool = False
    multi_key: bool = False
    retire: str = "delete it if nothing needs it"
    enable: str = "turn on its automatic rotation"


KINDS: dict[str, KindInfo] = {
    "iam-access-key": KindInfo(
        "IAM access key",
        "age",
        "create a new access key, move its clients to it, then deactivate and delete this one",
        tracks_use=True,
        multi_key=True,
        retire="deactivate it, then delete it if nothing breaks",
    ),
    "iam-console-password": KindInfo(
        "console password",
        "use",
        "change the password",
        tracks_use=True,
        retire="remove the user's console access (delete the login profile)",
    ),
    "secretsmanager-secret": KindInfo(
        "Secrets Manager secret",
        "age",
        "rotate it (aws secretsmanager rotate-secret) and keep automatic rotation on",
        tracks_use=True,
        retire="schedule its deletion if nothing reads it",
        enable="turn on automatic rotation with a rotation function and a schedule within the "
        "limit (aws secretsmanager rotate-secret --rotation-lambda-arn … --rotation-rules …)",
    ),
    "kms-key": KindInfo(
        "KMS key",
        "schedule",
        "enable automatic key rotation (aws kms enable-key-rotation) with a period within the limit",
        enable="enable automatic key rotation (aws kms enable-key-rotation) with a period within "
        "the limit",
    ),
    "acm-certificate": KindInfo("ACM certificate", "expiry", "renew or re-import the certificate"),
    "iam-server-certificate": KindInfo(
        "IAM server certificate",
        "expiry",
        "upload a renewed certificate and switch listeners to it",
    ),
    "gcp-sa-key": KindInfo(
        "service-account key",
        "age",
        "create a new key, move its clients to it, then delete this one (or use workload identity)",
        multi_key=True,
    ),
    "gcp-secret": KindInfo(
        "Secret Manager secret",
        "age",
        "add a new secret version, disable the old one, and set a rotation policy",
        enable="set a rotation schedule on the secret (rotation period within the limit, and a "
        "Pub/Sub topic whose subscriber adds the new version)",
    ),
    "external": KindInfo(
        "external secret",
        "age",
        "rotate it where it lives, then update last_rotated in the policy registry",
    ),
    "root-access-key": KindInfo(
        "root user access key",
        "forbidden",
        "sign in as the root user, delete the key (Security credentials, Access keys) and give "
        "whatever used it an IAM role or a user of its own",
    ),
    "root-user": KindInfo(
        "root user",
        "mfa",
        "sign in as the root user and assign it an MFA device (Security credentials, "
        "Multi-factor authentication), preferably a hardware key or passkey",
    ),
}

GENERIC = KindInfo("credential", "age", "rotate it")


def kind_info(kind: str) -> KindInfo:
    """The row of ``KINDS`` for a kind; unknown kinds are judged by age."""
    return KINDS.get(kind, GENERIC)


@dataclass(frozen=True)
class Limit:
    """The maximum age that applies to one record, and where it came from."""

    days: int
    source: str  # "registry" | "per_kind" | "per_env" | "default"


def limit_for(record: CredentialRecord, env: str | None, policy: RotationPolicy) -> Limit:
    """The most specific limit: the record's own, then per kind, then per Env, then the default."""
    own = record.details.get("max_age_days")
    if isinstance(own, int) and own > 0:
        return Limit(own, "registry")
    if record.kind in policy.per_kind:
        return Limit(policy.per_kind[record.kind], "per_kind")
    if env and env in policy.per_env:
        return Limit(policy.per_env[env], "per_env")
    return Limit(policy.max_age_days, "default")


def days_between(earlier: datetime, later: datetime) -> int:
    """Whole days from ``earlier`` to ``later`` (floored; negative when reversed)."""
    return (_aware(later) - _aware(earlier)).days


def days(count: int) -> str:
    """``1 day``, ``3 days``."""
    return f"{count} day" if count == 1 else f"{count} days"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def evaluate(records: Iterable[CredentialRecord], policy: Policy, as_of: datetime) -> list[Finding]:
    """Findings of the rotation rules for ``records`` as of ``as_of``."""
    judge = _Judge(policy, as_of)
    findings: list[Finding] = []
    present = [r for r in records if judge.existed(r)]
    for record in present:
        findings += judge.record(record)
    findings += judge.multiple_active(present)
    return sorted(findings, key=lambda f: (f.resource, f.rule, f.id))


class _Judge:
    """The rules, with the policy and the clock bound once."""

    def __init__(self, policy: Policy, as_of: datetime) -> None:
        self.policy = policy
        self.rotation = policy.rotation
        self.as_of = _aware(as_of)
        # Labels per record, by id(): the records outlive the evaluation, so ids stay unique.
        self._labels: dict[int, tuple[str | None, str | None, str | None]] = {}

    # -- helpers -------------------------------------------------------------------------------

    def existed(self, record: CredentialRecord) -> bool:
        """False for a credential created after ``as_of``: it did not exist yet then."""
        return record.created is None or _aware(record.created) <= self.as_of

    def severity(self, rule: str) -> Severity:
        return self.rotation.severity_of(rule)

    def labels(self, record: CredentialRecord) -> tuple[str | None, str | None, str | None]:
        """Owner, project and Env: the record's own, else its tags (normalised by the tags policy)."""
        known = self._labels.get(id(record))
        if known is None:
            known = self._labels[id(record)] = self._read_labels(record)
        return known

    def _read_labels(self, record: CredentialRecord) -> tuple[str | None, str | None, str | None]:
        tags = normalise_tags(record.tags, self.policy.tags).values
        env = record.env or tags.get("Env")
        if env:
            env = normalise_value("Env", env, self.policy.tags)
        owner = tags.get("Owner") or record.owner
        return owner, tags.get("Project"), env

    def finding(
        self,
        record: CredentialRecord,
        rule: str,
        message: str,
        extra: dict[str, Any],
        *identity: object,
    ) -> Finding:
        owner, project, env = self.labels(record)
        details: dict[str, Any] = {
            "kind": record.kind,
            "provider": record.provider,
            "account": record.account,
            "region": record.region,
            "name": record.name,
            **{k: v for k, v in record.details.items() if k != "max_age_days"},
            **extra,
            "remediation": extra.get("remediation") or kind_info(record.kind).rotate,
        }
        return Finding.create(
            check=CHECK,
            rule=rule,
            severity=self.severity(rule),
            resource=record.resource_id,
            message=message,
            identity=(record.kind, record.name, *identity),
            owner=owner,
            project=project,
            env=env,
            details=details,
        )

    def describe(self, record: CredentialRecord) -> str:
        """``IAM access key AKIA… (owner alice)``; a KMS key with its first alias."""
        info = kind_info(record.kind)
        owner = self.labels(record)[0]
        aliases = record.details.get("aliases") or []
        notes = [str(aliases[0])] if aliases else []
        if owner and owner != record.name:
            notes.append(f"owner {owner}")
        suffix = f" ({', '.join(notes)})" if notes else ""
        return f"{info.label} {record.name}{suffix}"

    # -- per record ----------------------------------------------------------------------------

    def record(self, record: CredentialRecord) -> list[Finding]:
        info = kind_info(record.kind)
        if not record.active:
            return []
        out: list[Finding] = []
        if info.judged_by == "expiry":
            out += self.expiry(record)
            return out
        if info.judged_by == "forbidden":
            return self.forbidden(record)
        if info.judged_by == "mfa":
            return self.mfa(record)
        if info.judged_by == "age":
            out += self.age(record)
        if info.judged_by in ("age", "schedule"):
            out += self.disabled(record)
        if info.tracks_use:
            out += self.unused(record)
        return out

    def age(self, record: CredentialRecord) -> list[Finding]:
        basis_name, basis = (
            ("last_rotated", record.last_rotated)
            if record.last_rotated
            else ("created", record.created)
        )
        if basis is None:
            return []
        env = self.labels(record)[2]
        limit = limit_for(record, env, self.rotation)
        age = max(days_between(basis, self.as_of), 0)
        due_in = limit.days - age
        extra = {
            "age_days": age,
            "limit_days": limit.days,
            "limit_source": limit.source,
            "basis": basis_name,
            "basis_date": iso_z(_aware(basis)),
            "due_in_days": due_in,
        }
        what = self.describe(record)
        since = "last rotated" if basis_name == "last_rotated" else "created"
        scope = f" for {env}" if limit.source == "per_env" else ""
        remedy = kind_info(record.kind).rotate
        interval = record.rotation_interval_days if record.rotation_enabled else None
        if interval is not None and age > interval:
            # Automatic rotation is on but has not happened: the rotation itself is failing.
            extra["rotation_interval_days"] = interval
            extra["rotation_late_days"] = age - interval
            remedy = (
                f"automatic rotation is on (every {days(interval)}) but has not run for "
                f"{days(age - interval)} past its schedule; check the rotation function and its "
                "logs, then rotate it"
            )
            extra["remediation"] = remedy
        if due_in < 0:
            message = (
                f"The {what} was {since} {days(age)} ago, over the {limit.days}-day limit{scope}: "
                f"{remedy}."
            )
            return [self.finding(record, "rotation-overdue", message, extra)]
        if interval is not None and interval <= limit.days and age <= interval:
            return []  # automatic rotation will replace it before the limit
        if due_in <= self.rotation.warn_days:
            when = f"in {days(due_in)}" if due_in else "today"
            message = (
                f"The {what} was {since} {days(age)} ago and reaches the {limit.days}-day "
                f"limit{scope} {when}: {remedy}."
            )
            return [self.finding(record, "rotation-due-soon", message, extra)]
        return []

    def age_facts(self, record: CredentialRecord) -> dict[str, Any]:
        """Age and limit of a record, for findings whose rule is not the age itself."""
        basis_name, basis = (
            ("last_rotated", record.last_rotated)
            if record.last_rotated
            else ("created", record.created)
        )
        limit = limit_for(record, self.labels(record)[2], self.rotation)
        facts: dict[str, Any] = {"limit_days": limit.days, "limit_source": limit.source}
        if basis is not None:
            facts |= {
                "age_days": max(days_between(basis, self.as_of), 0),
                "basis": basis_name,
                "basis_date": iso_z(_aware(basis)),
            }
        return facts

    def disabled(self, record: CredentialRecord) -> list[Finding]:
        what = self.describe(record)
        info = kind_info(record.kind)
        if record.rotation_enabled is False:
            message = f"Automatic rotation is off for the {what}: {info.enable}."
            extra: dict[str, Any] = {
                **self.age_facts(record),
                "reason": "rotation-off",
                "rotation_interval_days": None,
                "remediation": info.enable,
            }
            return [self.finding(record, "rotation-disabled", message, extra, "rotation-off")]
        interval = record.rotation_interval_days
        if record.rotation_enabled and interval is not None:
            env = self.labels(record)[2]
            limit = limit_for(record, env, self.rotation)
            if interval > limit.days:
                message = (
                    f"The {what} rotates automatically every {interval} days, longer than the "
                    f"{limit.days}-day limit: shorten its rotation schedule to at most {limit.days} days."
                )
                extra = {
                    **self.age_facts(record),
                    "reason": "schedule-exceeds-limit",
                    "rotation_interval_days": interval,
                    "limit_days": limit.days,
                    "limit_source": limit.source,
                    "remediation": f"shorten the rotation schedule to at most {limit.days} days",
                }
                return [self.finding(record, "rotation-disabled", message, extra, "schedule")]
        return []

    def unused(self, record: CredentialRecord) -> list[Finding]:
        info = kind_info(record.kind)
        what = self.describe(record)
        extra: dict[str, Any] = {
            "unused_limit_days": self.rotation.unused_days,
            "remediation": info.retire,
        }
        if record.last_used is None:
            if record.created is None:
                return []
            age = days_between(record.created, self.as_of)
            if age <= self.rotation.grace_days:
                return []
            extra |= {
                "last_used": None,
                "created_days_ago": age,
                "grace_days": self.rotation.grace_days,
            }
            message = (
                f"The {what} was created {days(age)} ago and has never been used: {info.retire}."
            )
        else:
            idle = days_between(record.last_used, self.as_of)
            if idle <= self.rotation.unused_days:
                return []
            extra |= {"last_used": iso_z(_aware(record.last_used)), "unused_for_days": idle}
            message = (
                f"The {what} was last used {days(idle)} ago (limit {self.rotation.unused_days}): "
                f"{info.retire}."
            )
        if record.details.get("user_has_console") is False:
            message = (
                message[:-1]
                + "; its user has no console access either, so the user may be obsolete."
            )
        return [self.finding(record, "unused-credential", message, extra)]

    def expiry(self, record: CredentialRecord) -> list[Finding]:
        if record.expires is None:
            return []
        expires = _aware(record.expires)
        expired = expires <= self.as_of
        days_left = (
            -days_between(expires, self.as_of) if expired else days_between(self.as_of, expires)
        )
        if days_left > self.rotation.certificate_warn_days:
            return []
        info = kind_info(record.kind)
        if expired:
            when = "expired today" if days_left == 0 else f"expired {days(-days_left)} ago"
        else:
            when = "expires today" if days_left == 0 else f"expires in {days(days_left)}"
        message = f"The {self.describe(record)} {when} ({iso_z(expires)[:10]}): {info.rotate}."
        extra = {
            "expires": iso_z(expires),
            "days_left": days_left,
            "expired": expired,
            "warn_days": self.rotation.certificate_warn_days,
        }
        return [self.finding(record, "certificate-expiring", message, extra)]

    def forbidden(self, record: CredentialRecord) -> list[Finding]:
        """An active root access key: AWS and CIS say the root user must have none."""
        info = kind_info(record.kind)
        facts: list[str] = [record.name]
        extra: dict[str, Any] = {
            "created": iso_z(_aware(record.created)) if record.created else None,
            "age_days": max(days_between(record.created, self.as_of), 0)
            if record.created
            else None,
            "last_used": iso_z(_aware(record.last_used)) if record.last_used else None,
        }
        if record.created:
            facts.append(f"created {iso_z(_aware(record.created))[:10]}")
        if record.last_used:
            where = [
                str(v)
                for v in (
                    record.details.get("last_used_service"),
                    record.details.get("last_used_region"),
                )
                if v
            ]
            used = f"last used {iso_z(_aware(record.last_used))[:10]}"
            facts.append(used + (f" ({', '.join(where)})" if where else ""))
        else:
            facts.append("never used")
        message = (
            f"The root user of account {record.account} has an active access key "
            f"({', '.join(facts)}); the root user must have no access keys: {info.rotate}."
        )
        return [self.finding(record, "root-access-key", message, extra)]

    def mfa(self, record: CredentialRecord) -> list[Finding]:
        """The root user without MFA."""
        if record.details.get("mfa_active") is not False:
            return []
        info = kind_info(record.kind)
        extra: dict[str, Any] = {
            "password_last_used": iso_z(_aware(record.last_used)) if record.last_used else None,
        }
        message = f"The root user of account {record.account} has no MFA device: {info.rotate}."
        return [self.finding(record, "root-mfa-disabled", message, extra)]

    # -- across records ------------------------------------------------------------------------

    def multiple_active(self, records: list[CredentialRecord]) -> list[Finding]:
        groups: dict[tuple[str, str, str, str], list[CredentialRecord]] = defaultdict(list)
        for record in records:
            principal = record.details.get("principal")
            if record.active and principal and kind_info(record.kind).multi_key:
                groups[(record.provider, record.account, record.kind, str(principal))].append(
                    record
                )
        out: list[Finding] = []
        for (provider, account, kind, principal), keys in sorted(groups.items()):
            if len(keys) < 2:
                continue
            keys.sort(key=lambda r: (r.created or self.as_of, r.name))
            first = keys[0]
            owner, project, env = self.labels(first)
            info = kind_info(kind)
            names = [k.name for k in keys]
            message = (
                f"{principal} has {len(keys)} active {info.label}s ({', '.join(names)}): keep one, "
                f"move clients to it, then deactivate and delete {'the others' if len(keys) > 2 else 'the other'}."
            )
            out.append(
                Finding.create(
                    check=CHECK,
                    rule="multiple-active-keys",
                    severity=self.severity("multiple-active-keys"),
                    resource=first.resource_id,
                    message=message,
                    identity=(kind, principal),
                    owner=owner,
                    project=project,
                    env=env,
                    details={
                        "kind": kind,
                        "provider": provider,
                        "account": account,
                        "region": first.region,
                        "principal": principal,
                        "keys": names,
                        "key_ages_days": [
                            days_between(k.created, self.as_of) if k.created else None for k in keys
                        ],
                        "remediation": "keep one active key per principal; deactivate and delete the rest",
                    },
                )
            )
        return out
