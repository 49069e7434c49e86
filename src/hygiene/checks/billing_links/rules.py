"""The ``billing-links`` check: GCP projects whose spend cannot be attributed or reviewed.

Pure: takes the collected :class:`~hygiene.records.gcp.GcpBilling`, the policy and
``as_of``; severities come from ``gcp.severity``. Rules:

* ``billing-unlinked`` — the project is linked to no billing account;
* ``billing-disabled`` — linked, but billing is disabled (closed or suspended account);
* ``billing-account-not-visible`` — it bills to an account this audit cannot list, so its spend,
  budgets and export are outside the review;
* ``project-without-budget`` — its billing account's budgets were read and none covers it (a
  budget covers a project when its project filter names it or is empty).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hygiene.findings import Finding
from hygiene.policy import Policy
from hygiene.records.gcp import GcpBilling, ProjectBilling
from hygiene.tagging import normalise_tags

CHECK = "billing-links"

REMEDIATION = {
    "billing-unlinked": "link it to a billing account (gcloud billing projects link {p} "
    "--billing-account=ACCOUNT) or shut it down",
    "billing-disabled": "re-enable billing on it or shut it down",
    "billing-account-not-visible": "grant the auditor Billing Account Viewer on {a}, or move the "
    "project to a reviewed billing account",
    "project-without-budget": "add a budget for it (or widen an existing budget's project filter) "
    "on {a}",
}


def evaluate(records: GcpBilling, policy: Policy, as_of: datetime) -> list[Finding]:
    """Findings for every project in ``records`` that breaks a billing-links rule."""
    visible = {a.name for a in records.accounts}
    findings: list[Finding] = []
    for project in sorted(records.projects, key=lambda p: p.project_id):
        rule = _rule(project, records, visible)
        if rule is not None:
            findings.append(_finding(rule, project, policy))
    return findings


def _rule(project: ProjectBilling, records: GcpBilling, visible: set[str]) -> str | None:
    if not project.billing_account:
        return "billing-unlinked"
    if not project.billing_enabled:
        return "billing-disabled"
    if records.accounts_read and project.billing_account not in visible:
        return "billing-account-not-visible"
    if project.billing_account in records.budgets_read and not any(
        b.billing_account == project.billing_account and b.covers(project.project_id)
        for b in records.budgets
    ):
        return "project-without-budget"
    return None


def _finding(rule: str, project: ProjectBilling, policy: Policy) -> Finding:
    account = project.billing_account or "none"
    remedy = REMEDIATION[rule].format(p=project.project_id, a=account)
    what = {
        "billing-unlinked": f"GCP project {project.project_id} is not linked to a billing account, "
        "so its spend cannot be attributed",
        "billing-disabled": f"Billing is disabled on GCP project {project.project_id} "
        f"(account {account}), so its resources stop and its spend cannot be attributed",
        "billing-account-not-visible": f"GCP project {project.project_id} bills to {account}, "
        "which this audit cannot see, so its spend and budgets are not reviewed",
        "project-without-budget": f"No budget of {account} covers GCP project {project.project_id}",
    }[rule]
    labels = normalise_tags(project.labels, policy.tags).values
    details: dict[str, Any] = {
        "account": project.project_id,
        "project_id": project.project_id,
        "billing_account": project.billing_account or None,
        "billing_enabled": project.billing_enabled,
        "labels": dict(project.labels),
    }
    return Finding.create(
        check=CHECK,
        rule=rule,
        severity=policy.gcp.severity_of(rule),
        resource=f"//cloudresourcemanager.googleapis.com/projects/{project.project_id}",
        message=f"{what}: {remedy}.",
        owner=labels.get("Owner"),
        project=labels.get("Project"),
        env=labels.get("Env"),
        details=details,
    )
