"""The ``secrets`` check: secrets committed to git, in the tree or only in history. Pure.

Rules (severity from ``policy.secrets.severity``, keyed by rule; a ``<detector>/<rule>`` key such
as ``public-ip-ipv4/in-tree`` overrides it for one detector):

- ``in-tree``: the file at this path in HEAD still holds the secret.
- ``history-only``: the secret was committed at this path but HEAD no longer has it; it is still
  in the repository's history (and in every clone), so it must be rotated all the same.

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


def severity_for(record: SecretRecord, rule: str, policy: Policy) -> Severity:
    """``<detector>/<rule>`` from the policy, else ``<rule>``, else the blueprint's default."""
    return policy.secrets.severity_of(rule, detector=record.rule)


def finding_for(record: SecretRecord, policy: Policy) -> Finding:
    """The finding for one secret at one path."""
    rule = "in-tree" if record.in_tree else "history-only"
    commit = record.commit[:12] if record.commit else None
    since = f" (added by commit {commit})" if commit else ""
    if record.in_tree:
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
    return Finding.create(
        check=CHECK,
        rule=rule,
        severity=severity_for(record, rule, policy),
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
        },
    )
