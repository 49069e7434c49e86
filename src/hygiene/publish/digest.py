"""``hygiene report --digest``: one monthly e-mail per owner — their findings, their spend
against their budgets, and what to do first.

Owners are the directory's policy entries with an ``email`` (an inactive owner gets none); the
mail goes through the SMTP settings of ``owners.email_channel``. A finding is an owner's when its
``owner`` names them (id or alias, any case); a budget when its ``owner`` or its ``Owner`` scope
does. Findings are those of each check's latest run of the month (as the monthly report reads
them); spend is the report's budget table. Each owner gets one digest per month: what was sent
is recorded in the state database, so a second run of the same month sends nothing again.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from hygiene.errors import HygieneError
from hygiene.findings import Severity
from hygiene.policy import Budget, OwnerEntry, Policy
from hygiene.store import AlertLedger, Store

FIRST = 5  # "do these first": the most serious findings of the owner
KIND = "digest"


@dataclass
class Digest:
    """One owner's digest of one month."""

    owner: OwnerEntry
    month: str
    findings: list[dict[str, Any]]
    budgets: list[dict[str, Any]]
    actions: list[dict[str, Any]] = field(default_factory=list)  # the review's, for this owner
    sent: bool = False
    error: str = ""

    @property
    def first(self) -> list[dict[str, Any]]:
        """What to do first: the most serious findings, oldest first within a severity."""
        return sorted(
            self.findings,
            key=lambda f: (-Severity(f["severity"]).rank, str(f.get("first_seen") or ""), f["id"]),
        )[:FIRST]

    def subject(self) -> str:
        """The mail's subject line."""
        return (
            f"hygiene digest {self.month} for {self.owner.id}: {len(self.findings)} open finding(s)"
        )

    def text(self) -> str:
        """The plain-text body."""
        lines = [self.subject(), ""]
        lines.append("Spend against budget:")
        for b in self.budgets or [{"name": "(no budget names this owner)"}]:
            lines.append("  " + _budget_line(b))
        if self.actions:
            lines += [
                "",
                "Your actions in this month's review (ranked by money at stake and severity):",
            ]
            for a in self.actions:
                stake = (
                    f" — {a['money_at_stake']} {a['currency']} at stake"
                    if a.get("money_at_stake")
                    else ""
                )
                lines.append(f"  {a['rank']}. {a['title']}{stake}")
        lines += ["", "Do these first:"]
        for f in self.first or [
            {"severity": "", "check": "", "rule": "nothing open", "message": ""}
        ]:
            lines.append(
                f"  [{str(f['severity']).upper()}] {f['check']}/{f['rule']} {f.get('resource', '')}"
            )
            if f.get("message"):
                lines.append(f"      {f['message']}")
        counts = _by_severity(self.findings)
        lines += [
            "",
            "Open findings by severity: "
            + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none"),
        ]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        """The HTML body."""
        budgets = "".join(f"<li>{html.escape(_budget_line(b))}</li>" for b in self.budgets)
        first = "".join(
            f"<tr><td>{html.escape(str(f['severity']).upper())}</td>"
            f"<td>{html.escape(f['check'])}/{html.escape(f['rule'])}</td>"
            f"<td>{html.escape(str(f.get('resource', '')))}</td>"
            f"<td>{html.escape(str(f.get('message', '')))}</td></tr>"
            for f in self.first
        )
        actions = "".join(
            f"<li>{html.escape(str(a['title']))}"
            + (
                f" — {html.escape(str(a['money_at_stake']))} {html.escape(str(a['currency']))} at stake"
                if a.get("money_at_stake")
                else ""
            )
            + "</li>"
            for a in self.actions
        )
        ranked = (
            f"<h2>Your actions in this month's review</h2><ol>{actions}</ol>" if actions else ""
        )
        return (
            f"<html><body><h1>{html.escape(self.subject())}</h1>"
            f"<h2>Spend against budget</h2><ul>{budgets or '<li>no budget names this owner</li>'}</ul>"
            f"{ranked}<h2>Do these first</h2><table>{first}</table></body></html>"
        )

    def message(self, sender: str) -> EmailMessage:
        """The digest as one e-mail (text and HTML)."""
        message = EmailMessage()
        message["Subject"] = self.subject()
        message["From"] = sender
        message["To"] = str(self.owner.email)
        message.set_content(self.text())
        message.add_alternative(self.html(), subtype="html")
        return message


def _budget_line(budget: Mapping[str, Any]) -> str:
    if "actual" not in budget:
        return str(budget["name"])
    currency = budget.get("currency") or ""
    forecast = budget.get("forecast")
    line = f"{budget['name']}: {budget.get('actual')} of {budget.get('amount')} {currency}"
    if budget.get("percent") is not None:
        line += f" ({budget['percent']} %)"
    if forecast is not None:
        line += f", forecast {forecast} {currency}"
    return line


def _by_severity(findings: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for severity in Severity:
        n = sum(1 for f in findings if f["severity"] == severity.value)
        if n:
            counts[severity.value] = n
    return counts


def _key(value: object) -> str:
    return str(value or "").strip().lower().lstrip("@")


def owners_budgets(budgets: Sequence[Budget], entry: OwnerEntry) -> set[str]:
    """The names of the budgets ``entry`` owns (``owner:``, or ``scope: {Owner: ...}``)."""
    names = {_key(n) for n in (entry.id, *entry.aliases)}
    return {
        b.name for b in budgets if _key(b.owner) in names or _key(b.scope.get("Owner")) in names
    }


def build_digests(store: Store, month: str, policy: Policy) -> list[Digest]:
    """Every active owner with an address, with their findings and budgets of ``month``."""
    from hygiene.publish.actions import plan
    from hygiene.publish.alerts.owners import owner_entries
    from hygiene.publish.report import build_report, month_bounds

    start, end = month_bounds(month)
    runs = store.runs_between(start, end, with_findings=False)
    latest: dict[str, str] = {}  # check → the month's latest run in which it ran
    for doc in runs:
        for name, check in doc["run"]["checks"].items():
            if check["status"] in ("ok", "error"):
                latest[name] = doc["run"]["id"]
    findings: list[dict[str, Any]] = []
    for run_id in sorted(set(latest.values())):
        checks = {name for name, rid in latest.items() if rid == run_id}
        findings += [f for f in store.run_findings(run_id) if f["check"] in checks]
    budget_rows = {b["name"]: b for b in build_report(store, month)["spend"]["budgets"]}
    budgets_stats: dict[str, Any] = {}
    for doc in runs:  # oldest first: the month's latest budgets figures win
        check = doc["run"]["checks"].get("budgets") or {}
        if check.get("status") in ("ok", "error"):
            budgets_stats = check.get("stats") or {}
    ranked = plan(findings, budgets_stats, limit=None)
    digests = []
    for entry in owner_entries(policy):
        if not entry.active or not entry.email:
            continue
        names = {_key(n) for n in (entry.id, *entry.aliases, entry.email)}
        mine = [f for f in findings if _key(f.get("owner")) in names]
        owned = owners_budgets(policy.budgets, entry)
        rows = [budget_rows.get(name, {"name": name}) for name in sorted(owned)]
        actions = [a for a in ranked if _key(a.get("owner")) in names][:FIRST]
        digests.append(Digest(entry, month, mine, rows, actions))
    return digests


@dataclass
class DigestOutcome:
    """What ``send_digests`` did: the digests, sent or not and why."""

    digests: list[Digest] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # owners whose digest of the month went out

    @property
    def failed(self) -> list[Digest]:
        """The digests that could not be sent."""
        return [d for d in self.digests if not d.sent]


def send_digests(
    state: Path,
    month: str,
    policy: Policy,
    environ: Mapping[str, str],
    *,
    lock_timeout: float = 60.0,
) -> DigestOutcome:
    """Send each owner's digest of ``month`` once (see the module docstring)."""
    from hygiene.publish.alerts.base import DeliveryError
    from hygiene.publish.alerts.dispatch import build_channel
    from hygiene.publish.alerts.email import EmailChannel

    name = policy.owners.email_channel
    relay = next((c for c in policy.alerts.channels if c.name == name), None)
    if relay is None or relay.type != "email":
        raise HygieneError(
            "--digest needs owners.email_channel: the name of an email channel of alerts.channels "
            "(its SMTP settings reach the owners)"
        )
    channel = build_channel(relay, environ)
    assert isinstance(channel, EmailChannel)
    outcome = DigestOutcome()
    with Store(state, lock_timeout=lock_timeout) as store:
        ledger = AlertLedger(store)
        for digest in build_digests(store, month, policy):
            key = f"{KIND}:{digest.owner.id}"
            if ledger.history(key).get(f"{KIND}:{month}"):
                outcome.already.append(digest.owner.id)
                continue
            try:
                channel.send_message(digest.message(channel.sender))
            except Exception as exc:  # one owner's failure must not stop the others
                known = isinstance(exc, DeliveryError | HygieneError)
                digest.error = str(exc) if known else f"unexpected {type(exc).__name__}"
                outcome.digests.append(digest)
                continue
            digest.sent = True
            ledger.record(key, [(f"{KIND}:{month}", KIND)], datetime.now(UTC))
            outcome.digests.append(digest)
    return outcome
