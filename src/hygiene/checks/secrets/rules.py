"""The ``secrets`` check: secrets committed to git, in the tree or only in history. Pure.

Rules:

- ``in-tree``: the file at this path in HEAD still holds the secret.
- ``history-only``: the secret was committed at this path but HEAD no longer has it; it is still
  in the repository's history (and in every clone), so it must be rotated all the same.
- ``password-hash``: a committed bcrypt/argon2/crypt hash (crackable offline; not a credential).
- ``encrypted-file``: an encrypted secrets file (SOPS, ansible-vault, ``*.enc``): its key must
  not be committed beside it.

The severity follows the secret's kind, not the rule (``SecretsPolicy.severity_for``): by default
a provider's token format, a private key or a structured password is high, a keyword-assigned or
high-entropy value of no known format medium, a password hash low, an encrypted file info; one
level lower when only history holds it, one more under ``secrets.test_paths`` (tests, fixtures,
examples, docs). Critical is left for a token its provider confirms live.

One finding per secret per path (resource ``<repo>:<path>``, identity = detector + the secret's
SHA-256, never the line). Entries a detect-secrets baseline marks ``is_secret: false`` are
suppressed; audited ones are still reported, with ``details.baseline`` saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from hygiene.findings import Finding, Location, Severity
from hygiene.policy import Policy
from hygiene.scan.history import SecretRecord

CHECK = "secrets"


def evaluate(records: Iterable[SecretRecord], policy: Policy, as_of: datetime) -> list[Finding]:
    """One finding per record not suppressed by the baseline."""
    del as_of  # committed secrets do not age out
    findings = []
    for record in records:
        if record.baseline == "false-positive":
            continue
        findings.append(finding_for(record, policy))
    return findings


def severity_for(record: SecretRecord, policy: Policy) -> Severity:
    """The kind's severity (``<detector>/<kind>`` first), lowered for history-only secrets and
    test/example/docs paths (``SecretsPolicy.severity_for``)."""
    return policy.secrets.severity_for(
        record.category, record.rule, in_tree=record.in_tree, path=record.path
    )


def rule_of(record: SecretRecord) -> str:
    """``password-hash`` and ``encrypted-file`` by kind, else ``in-tree`` / ``history-only``."""
    if record.category in ("password-hash", "encrypted-file"):
        return record.category
    return "in-tree" if record.in_tree else "history-only"


def finding_for(record: SecretRecord, policy: Policy) -> Finding:
    """The finding for one secret at one path."""
    rule = rule_of(record)
    commit = record.commit[:12] if record.commit else None
    since = f" (added by commit {commit})" if commit else ""
    state = "" if record.in_tree else " HEAD no longer has it, but every clone of the history does."
    if rule == "password-hash":
        message = (
            f"Remove the password hash committed in {record.path} line {record.line}{since} and "
            f"reset the password it protects: a committed hash can be cracked offline.{state}"
        )
    elif rule == "encrypted-file":
        message = (
            f"{record.path} is an encrypted secrets file{since}: keep its key out of the "
            "repository and rotate the secrets if the key ever was committed."
        )
    elif record.in_tree:
        message = (
            f"Rotate the {record.type} committed in {record.path} line {record.line}{since}, "
            "then move it to a secret manager and remove it from the file and the history."
        )
    else:
        where = f"commit {commit}" if commit else "an older commit"
        message = (
            f"Rotate the {record.type} that {where} put in {record.path}: HEAD no longer has it, "
            "but every clone of the history still does."
        )
    if record.baseline == "audited":
        message += " It is listed as audited in the detect-secrets baseline."
    severity, message = validated(record, severity_for(record, policy), message)
    return Finding.create(
        check=CHECK,
        rule=rule,
        severity=severity,
        resource=f"{record.repo}:{record.path}",
        message=message,
        identity=(record.rule, record.sha256),
        location=Location(
            repo=record.repo, path=record.path, line=record.line, commit=record.commit
        ),
        details={
            "type": record.rule,
            "detector": record.type,
            "preview": record.preview,
            "sha256": record.sha256,
            "commit": record.commit,
            "in_tree": record.in_tree,
            "baseline": record.baseline,
            "category": record.category,
            "engine": record.engine,
            **validation_details(record),
        },
    )


# --------------------------------------------------------------------------- audit --validate


def validated(record: SecretRecord, severity: Severity, message: str) -> tuple[Severity, str]:
    """A token its provider confirmed live (``audit --validate``) is critical, whatever its
    kind and place; a refused or unknown verdict leaves the severity as it is."""
    if record.validated == "true":
        return Severity.CRITICAL, message + " Its provider confirmed it is live."
    return severity, message


def validation_details(record: SecretRecord) -> dict[str, str]:
    """``validated`` (true/false/unknown) and ``validated_at``, when the token was checked."""
    if record.validated is None:
        return {}
    return {"validated": record.validated, "validated_at": record.validated_at or ""}
