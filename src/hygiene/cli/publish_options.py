"""The publishing options of ``hygiene audit`` and ``hygiene merge`` (--alert, --dry-run,
--metrics-file, --pushgateway) and the library calls made after the run. Kept here so the verbs
stay thin adapters."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from hygiene.cli.options import checked_artefact_path, lock_timeout
from hygiene.errors import HygieneError
from hygiene.policy import Policy

F = TypeVar("F", bound=Callable[..., Any])


def publish_options(func: F) -> F:
    """Add the publishing options to a click command."""
    options = [
        click.option(
            "--alert",
            is_flag=True,
            help="Send alerts for new, still-open (reminder) and resolved findings to the policy's channels.",
        ),
        click.option(
            "--dry-run",
            is_flag=True,
            help="With or without --alert: show the alerts that would be sent; send and record nothing.",
        ),
        click.option(
            "--metrics-file",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="HYGIENE_METRICS_FILE",
            callback=checked_artefact_path,
            help="Write Prometheus metrics here (node_exporter textfile collector, *.prom).",
        ),
        click.option(
            "--pushgateway",
            metavar="URL",
            envvar="HYGIENE_PUSHGATEWAY",
            help="Push Prometheus metrics to this Pushgateway.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def check_publishing(
    policy: Policy, *, alert: bool, dry_run: bool, no_state: bool, environ: Mapping[str, str]
) -> None:
    """Fail before the run (exit 2) when --alert cannot work: no state, or a missing secret."""
    if alert and not dry_run:
        if no_state:
            raise HygieneError(
                "--alert needs the state database to deduplicate alerts; drop --no-state"
            )
        from hygiene.publish.alerts import build_channels

        build_channels(policy, environ)


@dataclass
class Published:
    """What publishing the run printed, how many alert channels were not delivered, and the
    exit code a failed metrics file calls for (2 refused, 3 failed to write; None when fine)."""

    lines: list[str] = field(default_factory=list)
    alerts_failed: int = 0
    metrics_exit: int | None = None


def after_run(
    document: Mapping[str, Any],
    policy: Policy,
    *,
    alert: bool,
    dry_run: bool,
    metrics_file: Path | None,
    pushgateway: str | None,
    state: Path | None,
) -> Published:
    """Send alerts and publish metrics for the finished run; returns lines for stderr and how
    many channels failed (the run then exits 3; metrics are still published)."""
    published = Published()
    lines = published.lines
    timeout = lock_timeout()
    if alert or dry_run:
        from hygiene.publish.alerts import send_alerts
        from hygiene.publish.alerts.base import describe

        outcome = send_alerts(
            document,
            policy,
            state_path=state,
            environ=dict(os.environ),
            dry_run=dry_run,
            lock_timeout=timeout,
        )
        lines.append(outcome.summary())
        published.alerts_failed = len(outcome.failed)
        if dry_run:
            for channel in outcome.channels:
                lines += [f"  {channel.channel}: {describe(item)}" for item in channel.batch.items]
    if metrics_file or pushgateway:
        from hygiene.artefacts import ArtefactPathError, ArtefactWriteError
        from hygiene.publish.metrics import last_complete_run, publish_metrics

        try:
            publish_metrics(
                document,
                textfile=metrics_file,
                gateway=pushgateway,
                last_success=last_complete_run(state, timeout),
            )
        except (ArtefactPathError, ArtefactWriteError) as exc:  # the run and alerts stand
            lines.append(f"hygiene: error: --metrics-file {exc}")
            published.metrics_exit = exc.exit_code
        else:
            lines.append("metrics: " + ", ".join(str(x) for x in (metrics_file, pushgateway) if x))
    if published.alerts_failed:
        lines.append(
            f"hygiene: {published.alerts_failed} alert channel(s) not delivered; "
            "exit 3 (they are sent again next run)"
        )
    return published
