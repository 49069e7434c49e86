"""The blueprint checklist as code: each row of BLUEPRINT.md section 0 mapped to the checks and
rules that evidence it, judged from one findings document (pure: no I/O, no clock).

A row's status for one scope (the organisation, a project, a repo or an account):

- ``fail``: a finding in that scope comes from a check/rule that evidences the row;
- ``pass``: at least one evidencing check ran ``ok`` over the scope and none of them found anything
  (``Cell.missing`` names evidencing checks that did not run: a partial pass, marked ``pass*``);
- ``not-evidenced``: no evidencing check ran (skipped, not registered, or it errored — an errored
  check never counts as a pass);
- ``needs-a-human``: nothing a machine can read answers the row (approval gates, incident
  process); a person confirms it;
- ``n/a``: the row is evidenced only by checks of another kind of scope (backups say nothing
  about a repository, health endpoints nothing about an account), or it does not concern this
  repository (``Evidence.only_if``: a library needs no ``/healthz``).

Rows that are partly machine-checkable carry a ``human`` note: what a person must still confirm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hygiene.registry import CHECKS

Status = Literal["pass", "fail", "not-evidenced", "needs-a-human", "n/a"]
ScopeKind = Literal["organisation", "project", "repo", "account"]
STATUSES: tuple[Status, ...] = ("fail", "not-evidenced", "needs-a-human", "pass", "n/a")

# Which kinds of scope a check can speak for (a project spans repos and accounts).
# Repo findings carry no project, so repo checks speak for repos and the organisation only.
REPO_CHECKS = frozenset(n for n, spec in CHECKS.items() if spec.scope == "repo")
ACCOUNT_CHECKS = frozenset(n for n, spec in CHECKS.items() if spec.scope == "account")
SERVICE_CHECKS = frozenset(n for n, spec in CHECKS.items() if spec.scope == "service")


@dataclass(frozen=True)
class Evidence:
    """Findings of ``check`` (only these ``rules``, and only those whose details match) fail a row."""

    check: str
    rules: tuple[str, ...] | None = None  # None: any rule of the check
    match: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # details key → values
    # For repos: the check's stats list naming the repos this evidence applies to ("services"):
    # a repo the check read but that is not listed is exempt (a library needs no /healthz).
    only_if: str | None = None

    def covers(self, finding: Mapping[str, Any]) -> bool:
        """True when the finding is evidence against the row."""
        if finding.get("check") != self.check:
            return False
        if self.rules is not None and finding.get("rule") not in self.rules:
            return False
        details = finding.get("details") or {}
        return all(str(details.get(key)) in values for key, values in self.match.items())

    def applies_to(self, kind: ScopeKind) -> bool:
        """Whether this check can speak for a scope of this kind (repo checks know no project)."""
        if kind == "organisation":
            return True
        if kind == "repo":
            return self.check in REPO_CHECKS
        if kind == "project":
            return self.check not in REPO_CHECKS
        return self.check in ACCOUNT_CHECKS


@dataclass(frozen=True)
class ChecklistRow:
    """One row of the blueprint's checklist."""

    item: str
    question: str
    required: Literal["Must", "Optional"]
    section: str
    evidence: tuple[Evidence, ...] = ()
    human: str = ""  # what a person must confirm ("" when the machine evidence is the whole answer)


HEALTH_PATHS = ("/healthz", "/readyz")

CHECKLIST: tuple[ChecklistRow, ...] = (
    ChecklistRow(
        "Environment Hierarchy",
        "Are environments defined (dev/staging/prod) and promotion rules agreed?",
        "Must",
        "Section 1",
        (
            Evidence(
                "tags",
                (
                    "missing-tag",
                    "invalid-tag-value",
                    "tag-key-case",
                    "empty-tag-value",
                    "duplicate-tag-key",
                ),
                {"key": ("Env",)},
            ),
        ),
        "promotion rules (dev on merge, staging on v* tag, prod after sign-off) are agreed",
    ),
    ChecklistRow(
        "Deployment Strategy",
        "Is the deployment/release strategy decided (manual vs CI/CD; rolling/blue-green/canary)?",
        "Must",
        "Section 3",
        (),
        "the release strategy (rolling by default, blue-green for risky changes) is decided",
    ),
    ChecklistRow(
        "Deployment Approval",
        "Is production approval defined (who approves, what criteria)?",
        "Must",
        "Section 3 + release workflow",
        (),
        "who approves production and on what criteria (spec + QA sign-off)",
    ),
    ChecklistRow(
        "Health Checks",
        "Does the app expose /healthz and /readyz endpoints?",
        "Must",
        "Specs",
        (
            Evidence("readiness", ("health-endpoint-missing",), only_if="services"),
            Evidence("probes", ("probe-failed", "probe-slow"), {"path": HEALTH_PATHS}),
        ),
    ),
    ChecklistRow(
        "Config & Secrets",
        "Is configuration/secrets management decided (env vars, secret manager, etc.)?",
        "Must",
        "Section 6",
        (
            Evidence("env"),
            Evidence("secrets"),
            Evidence("rotation"),
            Evidence("readiness", ("env-example-missing",)),
        ),
        "a secret manager (or CI-encrypted secrets) is the agreed store",
    ),
    ChecklistRow(
        "Logging Strategy",
        "Is structured logging defined and where logs are stored/queried?",
        "Must",
        "Section 2",
        (Evidence("readiness", ("json-logging-missing",), only_if="applications"),),
        "where logs are stored and queried",
    ),
    ChecklistRow(
        "Monitoring",
        "Are metrics and dashboards defined (traffic/errors/latency/saturation)?",
        "Must",
        "Section 2",
        (
            Evidence("readiness", ("metrics-missing",), only_if="services"),
            Evidence("probes", ("metrics-unparseable",)),
            Evidence("probes", ("probe-failed",), {"path": ("/metrics",)}),
        ),
        "every feature has a RED dashboard",
    ),
    ChecklistRow(
        "Alerts",
        "Are alert thresholds and notification channels defined?",
        "Must",
        "Section 2 + alerting rules",
        (Evidence("readiness", ("alert-rule-missing", "alert-rule-looser"), only_if="alerting"),),
        "notification channels and on-call routing for the alerts",
    ),
    ChecklistRow(
        "Incident Response",
        "Is incident process defined (on-call/escalation/post-mortem)?",
        "Optional",
        "Section 5",
        (Evidence("readiness", ("sentry-dsn-hardcoded",)),),
        "on-call, escalation (Tech Lead → Architect → Stakeholders) and blameless post-mortems",
    ),
    ChecklistRow(
        "Backup Strategy",
        "Are backup frequency, retention, and storage location defined?",
        "Must",
        "Section 4",
        (
            Evidence(
                "backups",
                (
                    "backup-disabled",
                    "retention-too-short",
                    "pitr-disabled",
                    "not-in-backup-plan",
                    "plan-not-daily",
                    "plan-retention-too-short",
                    "volume-not-backed-up",
                    "bucket-versioning-disabled",
                ),
            ),
        ),
        "copies follow 3-2-1 (an off-site/off-account copy)",
    ),
    ChecklistRow(
        "RTO/RPO",
        "Are RTO/RPO targets defined as numbers?",
        "Optional",
        "Section 4",
        (Evidence("backups", ("rpo-exceeds-tier",)),),
        "RTO targets and the disaster-recovery playbook are tested",
    ),
    ChecklistRow(
        "Cost Monitoring",
        "Is cost monitoring/alerting and tagging policy defined?",
        "Optional",
        "Section 7",
        (Evidence("budgets"), Evidence("tags"), Evidence("billing-links")),
    ),
)


@dataclass(frozen=True)
class Cell:
    """One row's verdict for one scope, with what it rests on."""

    status: Status
    findings: tuple[str, ...] = ()  # ids of the findings that fail the row
    checks: tuple[str, ...] = ()  # evidencing checks that ran ok
    missing: tuple[str, ...] = ()  # evidencing checks that did not run ok (with their status)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "status": self.status,
            "findings": list(self.findings),
            "checks": list(self.checks),
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class Scope:
    """Where a column of the scorecard looks: the organisation, or one project/repo/account."""

    kind: ScopeKind
    name: str

    @property
    def label(self) -> str:
        """``repo:api``; ``organisation`` for the whole run."""
        return self.kind if self.kind == "organisation" else f"{self.kind}:{self.name}"


@dataclass
class Scorecard:
    """Every checklist row judged for every scope of one run."""

    run_id: str
    as_of: str
    run_status: str
    scopes: list[Scope]
    rows: tuple[ChecklistRow, ...]
    cells: dict[tuple[str, str], Cell]  # (row item, scope label) → cell

    def cell(self, item: str, scope: Scope | str) -> Cell:
        """The verdict of one row for one scope (label or Scope)."""
        label = scope.label if isinstance(scope, Scope) else scope
        return self.cells[(item, label)]

    def only(self, kinds: Iterable[str]) -> Scorecard:
        """The same scorecard with only the scopes of these kinds (``organisation``, ``project``,
        ``repo``, ``account``); no kinds keeps them all."""
        wanted = set(kinds)
        if not wanted:
            return self
        scopes = [s for s in self.scopes if s.kind in wanted]
        labels = {s.label for s in scopes}
        cells = {key: cell for key, cell in self.cells.items() if key[1] in labels}
        return Scorecard(self.run_id, self.as_of, self.run_status, scopes, self.rows, cells)

    def summary(self) -> dict[str, dict[str, int]]:
        """Per scope label, how many rows have each status."""
        out: dict[str, dict[str, int]] = {}
        for scope in self.scopes:
            counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
            for row in self.rows:
                counts[self.cell(row.item, scope).status] += 1
            out[scope.label] = counts
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``schema: hygiene.scorecard/v1``), for reports and ``--format json``."""
        return {
            "schema": "hygiene.scorecard/v1",
            "run": {"id": self.run_id, "as_of": self.as_of, "status": self.run_status},
            "scopes": [{"kind": s.kind, "name": s.name, "label": s.label} for s in self.scopes],
            "rows": [
                {
                    "item": row.item,
                    "question": row.question,
                    "required": row.required,
                    "section": row.section,
                    "human": row.human,
                    "evidence": [
                        {
                            "check": e.check,
                            "rules": list(e.rules) if e.rules is not None else None,
                            "match": {k: list(v) for k, v in e.match.items()},
                            "only_if": e.only_if,
                        }
                        for e in row.evidence
                    ],
                    "cells": {s.label: self.cell(row.item, s).to_dict() for s in self.scopes},
                }
                for row in self.rows
            ],
            "summary": self.summary(),
        }


# --------------------------------------------------------------------------- building


def _finding_scopes(finding: Mapping[str, Any]) -> list[Scope]:
    scopes: list[Scope] = []
    if finding.get("project"):
        scopes.append(Scope("project", str(finding["project"])))
    location = finding.get("location") or {}
    if location.get("repo"):
        scopes.append(Scope("repo", str(location["repo"])))
    account = (finding.get("details") or {}).get("account")
    if account:
        scopes.append(Scope("account", str(account)))
    return scopes


def discover_scopes(document: Mapping[str, Any], extra: Iterable[Scope] = ()) -> list[Scope]:
    """The organisation, then every project, repo and account seen in findings or named in a
    check's ``stats`` (``repos`` / ``accounts`` lists), plus ``extra``; sorted within a kind."""
    found: set[Scope] = set(extra)
    for finding in document.get("findings", []):
        found.update(_finding_scopes(finding))
    for result in (document.get("run", {}).get("checks") or {}).values():
        stats = result.get("stats") or {}
        for key, kind in (("repos", "repo"), ("accounts", "account")):
            values = stats.get(key)
            if isinstance(values, list):
                found.update(Scope(kind, str(v)) for v in values if isinstance(v, str))  # type: ignore[arg-type]
    order = {"project": 1, "repo": 2, "account": 3}
    return [Scope("organisation", ""), *sorted(found, key=lambda s: (order[s.kind], s.name))]


def _covered(check: Mapping[str, Any], scope: Scope) -> bool:
    """Whether an ``ok`` check covered the scope (when its stats list what it covered)."""
    stats = check.get("stats") or {}
    key = {"repo": "repos", "account": "accounts"}.get(scope.kind)
    listed = stats.get(key) if key else None
    return not isinstance(listed, list) or scope.name in listed


def _exempt(evidence: Evidence, checks: Mapping[str, Any], scope: Scope) -> bool:
    """A repo the check read whose kind this evidence does not concern (``only_if``)."""
    if scope.kind != "repo" or evidence.only_if is None:
        return False
    stats = (checks.get(evidence.check) or {}).get("stats") or {}
    applicable, read = stats.get(evidence.only_if), stats.get("repos")
    if not isinstance(applicable, list) or not isinstance(read, list):
        return False
    return scope.name in read and scope.name not in applicable


def _speaks(evidence: Evidence, checks: Mapping[str, Any], scope: Scope) -> bool:
    """The evidence's check ran ``ok`` over the scope, and the scope holds something it concerns
    (for the organisation: at least one repo of the kind ``only_if`` names)."""
    check = checks.get(evidence.check) or {}
    if check.get("status") != "ok" or not _covered(check, scope):
        return False
    if scope.kind == "organisation" and evidence.only_if:
        listed = (check.get("stats") or {}).get(evidence.only_if)
        return not (isinstance(listed, list) and not listed)
    return True


_KIND_NOUNS = {
    "services": "web service",
    "applications": "application",
    "alerting": "service or monitoring repo",
}


def _why_not(name: str, evidence: list[Evidence], checks: Mapping[str, Any]) -> str:
    status = (checks.get(name) or {}).get("status", "not run")
    kinds = sorted({e.only_if for e in evidence if e.check == name and e.only_if})
    if status == "ok" and kinds:
        nouns = "/".join(_KIND_NOUNS.get(k, k) for k in kinds)
        return f"{name}: no {nouns} among the repos it read"
    return f"{name}: {status}"


class FindingIndex:
    """Which findings each piece of evidence covers, per scope label: built once per document,
    so judging rows × scopes does not rescan every finding."""

    def __init__(self, document: Mapping[str, Any], rows: Iterable[ChecklistRow]) -> None:
        evidence = list({id(e): e for row in rows for e in row.evidence}.values())
        self._by_evidence: dict[int, dict[str, set[str]]] = {id(e): {} for e in evidence}
        by_check: dict[str, list[Evidence]] = {}
        for e in evidence:
            by_check.setdefault(e.check, []).append(e)
        for finding in document.get("findings", []):
            matching = [e for e in by_check.get(str(finding.get("check")), []) if e.covers(finding)]
            if not matching:
                continue
            labels = ["organisation", *(s.label for s in _finding_scopes(finding))]
            for e in matching:
                for label in labels:
                    self._by_evidence[id(e)].setdefault(label, set()).add(str(finding["id"]))

    def failing(self, evidence: Iterable[Evidence], scope: Scope) -> tuple[str, ...]:
        """Ids of the findings in ``scope`` that any of ``evidence`` covers, sorted."""
        ids: set[str] = set()
        for e in evidence:
            ids |= self._by_evidence.get(id(e), {}).get(scope.label, set())
        return tuple(sorted(ids))


def judge_row(
    row: ChecklistRow, scope: Scope, document: Mapping[str, Any], index: FindingIndex | None = None
) -> Cell:
    """One row's verdict for one scope."""
    if not row.evidence:
        return Cell("needs-a-human")
    checks = document.get("run", {}).get("checks") or {}
    evidence = [
        e for e in row.evidence if e.applies_to(scope.kind) and not _exempt(e, checks, scope)
    ]
    if not evidence:
        return Cell("n/a")
    failing = (index or FindingIndex(document, [row])).failing(evidence, scope)
    names = sorted({e.check for e in evidence})
    ran = tuple(
        n for n in names if any(_speaks(e, checks, scope) for e in evidence if e.check == n)
    )
    missing = tuple(_why_not(n, evidence, checks) for n in names if n not in ran)
    if failing:
        return Cell("fail", failing, ran, missing)
    errored = any((checks.get(n) or {}).get("status") == "error" for n in names)
    if ran and not errored:
        return Cell("pass", (), ran, missing)
    return Cell("not-evidenced", (), ran, missing)


def build(
    document: Mapping[str, Any],
    extra_scopes: Iterable[Scope] = (),
    rows: tuple[ChecklistRow, ...] = CHECKLIST,
) -> Scorecard:
    """The scorecard of one findings document (``hygiene.findings/v1``)."""
    scopes = discover_scopes(document, extra_scopes)
    index = FindingIndex(document, rows)
    cells = {
        (row.item, scope.label): judge_row(row, scope, document, index)
        for row in rows
        for scope in scopes
    }
    run = document.get("run", {})
    return Scorecard(
        run_id=str(run.get("id", "")),
        as_of=str(run.get("as_of", "")),
        run_status=str(run.get("status", "")),
        scopes=scopes,
        rows=rows,
        cells=cells,
    )
