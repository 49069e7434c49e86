"""Send a run's alerts: plan per channel against the store's delivery history, deliver with
retries and backoff, and record only what was delivered (a failed channel is tried again on the
next run). ``dry_run`` plans and renders but neither sends nor records."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hygiene.errors import HygieneError
from hygiene.policy import AlertChannel, Policy
from hygiene.publish.alerts.base import AlertBatch, AlertItem, Channel, DeliveryError
from hygiene.publish.alerts.email import EmailChannel
from hygiene.publish.alerts.owners import routed_channels
from hygiene.publish.alerts.plan import plan_channel
from hygiene.publish.alerts.slack import SlackChannel
from hygiene.publish.alerts.webhook import WebhookChannel
from hygiene.publish.report import state_exists
from hygiene.store import AlertLedger, Store, findings_by_id

log = logging.getLogger(__name__)


@dataclass
class ChannelOutcome:
    """What happened on one channel: the batch, whether it went out, after how many attempts."""

    channel: str
    batch: AlertBatch
    delivered: bool = False
    attempts: int = 0
    error: str = ""


@dataclass
class AlertOutcome:
    """The alerts of one run, per channel."""

    dry_run: bool
    channels: list[ChannelOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[ChannelOutcome]:
        """Channels whose delivery failed after every retry."""
        return [c for c in self.channels if c.batch.items and not c.delivered and not self.dry_run]

    def summary(self) -> str:
        """One line per channel for the CLI."""
        lines = []
        for c in self.channels:
            if not c.batch.items:
                state = "nothing to send"
            elif self.dry_run:
                state = f"would send {c.batch.summary()}"
            elif c.delivered:
                state = f"sent {c.batch.summary()} ({c.attempts} attempt(s))"
            else:
                state = f"FAILED after {c.attempts} attempt(s): {c.error}; will retry next run"
            lines.append(f"alerts: {c.channel}: {state}")
        return "\n".join(lines) if lines else "alerts: no alert channel in the policy"


def build_channel(spec: AlertChannel, environ: Mapping[str, str]) -> Channel:
    """A deliverable channel from its policy entry; its secrets come from ``environ``."""

    def secret(var: str | None, what: str, required: bool = True) -> str | None:
        if not var:
            return None
        value = environ.get(var, "")
        if not value and required:
            raise HygieneError(
                f"alerts.channels[{spec.name}].{what}: environment variable {var} is not set; "
                f"export it (or put it in .env) before running with --alert"
            )
        return value or None

    if spec.type == "slack":
        return SlackChannel(spec.name, _checked_url(spec, secret(spec.url_env, "url_env") or ""))
    if spec.type == "webhook":
        return WebhookChannel(spec.name, _checked_url(spec, secret(spec.url_env, "url_env") or ""))
    return EmailChannel(
        spec.name,
        host=spec.smtp_host or "",
        port=spec.smtp_port,
        sender=spec.sender or "",
        recipients=list(spec.recipients),
        starttls=spec.smtp_starttls,
        username=secret(spec.username_env, "username_env"),
        password=secret(spec.password_env, "password_env"),
    )


def _checked_url(spec: AlertChannel, url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise HygieneError(
            f"alerts.channels[{spec.name}].url_env: {spec.url_env} must hold an http(s) URL"
        )
    return url


def build_channels(policy: Policy, environ: Mapping[str, str]) -> dict[str, Channel]:
    """Every policy channel and owner's channel, built (missing secrets are errors, raised
    before anything runs)."""
    return {spec.name: build_channel(spec, environ) for spec in routed_channels(policy)}


def deliver(
    channel: Channel,
    batch: AlertBatch,
    *,
    attempts: int = 3,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, int, str]:
    """Send with retries (``backoff`` seconds, doubling). Returns (delivered, attempts, error).

    Any exception from the channel is a failed attempt (a bug in one channel must not stop the
    others); only ``DeliveryError`` messages are shown, as others may name the URL."""
    error = ""
    for attempt in range(1, attempts + 1):
        try:
            channel.send(batch)
            return True, attempt, ""
        except DeliveryError as exc:
            error = str(exc)
            log.warning("alert delivery attempt %d/%d failed: %s", attempt, attempts, error)
        except Exception as exc:
            error = f"channel {channel.name}: unexpected {type(exc).__name__}"
            log.warning("alert delivery attempt %d/%d failed: %s", attempt, attempts, error)
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    return False, attempts, error


def send_alerts(
    document: Mapping[str, Any],
    policy: Policy,
    *,
    state_path: Path | None,
    environ: Mapping[str, str],
    dry_run: bool = False,
    channels: Mapping[str, Channel] | None = None,
    attempts: int = 3,
    backoff: float = 1.0,
    lock_timeout: float = 60.0,
) -> AlertOutcome:
    """Plan, deliver and record the alerts of the run ``document`` (the findings contract).

    Without a state database nothing can be deduplicated: only ``dry_run`` is allowed then.
    """
    run = document["run"]
    as_of = datetime.fromisoformat(str(run["as_of"]).replace("Z", "+00:00"))
    outcome = AlertOutcome(dry_run=dry_run)
    specs = routed_channels(policy)  # the policy's channels, then the owners' own
    if not specs:
        return outcome
    if state_path is None and not dry_run:
        raise HygieneError(
            "--alert needs the state database to deduplicate alerts; drop --no-state"
        )
    built = (
        dict(channels)
        if channels is not None
        else ({} if dry_run else build_channels(policy, environ))
    )
    store: Store | None = None
    if state_path is not None and (not dry_run or state_exists(state_path)):
        store = Store(state_path, lock_timeout=lock_timeout)
        store.open()
    try:
        ledger = AlertLedger(store) if store is not None else None
        current = document["findings"]  # re-iterable: a list, or a lazy view of the run's spool
        current_ids = {f["id"] for f in current}
        for spec in specs:
            history = ledger.history(spec.name) if ledger is not None else {}
            resolved = _resolved(store, history, current_ids)
            items = plan_channel(
                spec,
                current=current,
                resolved=resolved,
                history=history,
                as_of=as_of,
                reminder_days=policy.alerts.reminder_days,
            )
            batch = AlertBatch(
                spec.name, str(run["id"]), str(run["as_of"]), str(run["status"]), items
            )
            result = ChannelOutcome(spec.name, batch)
            outcome.channels.append(result)
            if dry_run or not items:
                continue
            result.delivered, result.attempts, result.error = deliver(
                built[spec.name], batch, attempts=attempts, backoff=backoff
            )
            if result.delivered and ledger is not None:
                ledger.record(spec.name, [(i.finding_id, i.kind) for i in items], as_of)
                log.info("alerts: %s: sent %s", spec.name, batch.summary())
            elif not result.delivered:
                log.error("alerts: %s: not delivered: %s", spec.name, result.error)
    finally:
        if store is not None:
            store.close()
    return outcome


def _resolved(
    store: Store | None, history: Mapping[str, Sequence[tuple[str, str]]], current: set[str]
) -> list[dict[str, Any]]:
    """Findings this channel was told about that are resolved now."""
    if store is None or not history:
        return []
    candidates = [i for i in history if i not in current]
    found = findings_by_id(store, candidates)
    return [f for i, f in sorted(found.items()) if f.get("resolved_at")]


def items_of(outcome: AlertOutcome) -> list[AlertItem]:
    """Every planned item across channels (for dry-run output and tests)."""
    return [item for c in outcome.channels for item in c.batch.items]
