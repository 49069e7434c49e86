"""Owners' own channels: a finding's alerts go to its owner as well as to the policy's channels.

From the owner directory's policy entries (``owners.entries`` and ``owners.file``; an inactive
owner gets nothing): an owner with ``slack_webhook_env`` gets a Slack channel
``owner:<id>:slack``; one with an ``email`` gets ``owner:<id>:email`` through the SMTP settings
of the email channel ``owners.email_channel``; one with ``channel`` is added to that policy
channel's owner filter (a channel without a filter already takes every owner). Each takes only
its owner's findings (by id or alias, any case) of ``owners.min_severity`` or worse, and is
deduplicated on its own like any channel.
"""

from __future__ import annotations

from pathlib import Path

from hygiene.errors import HygieneError
from hygiene.policy import AlertChannel, OwnerEntry, Policy


def owner_entries(policy: Policy) -> list[OwnerEntry]:
    """The policy's own owner entries and those of its owners file."""
    from hygiene.joins.stage import read_owners_file

    entries = list(policy.owners.entries)
    for file in [f for f in (policy.owners.file, policy.owners_file) if f]:
        entries += read_owners_file(Path(file))
    return entries


def routed_channels(policy: Policy) -> list[AlertChannel]:
    """The policy's channels (owner filters widened by ``channel``) and the owners' own."""
    entries = [e for e in owner_entries(policy) if e.active] if _has_routes(policy) else []
    names = {c.name: c for c in policy.alerts.channels}
    relay = None
    if policy.owners.email_channel:
        relay = names.get(policy.owners.email_channel)
        if relay is None or relay.type != "email":
            raise HygieneError(
                f"owners.email_channel: {policy.owners.email_channel!r} is not an email channel "
                "of alerts.channels"
            )
    widened: dict[str, list[str]] = {}
    own: list[AlertChannel] = []
    for entry in entries:
        known_as = [entry.id, *entry.aliases]
        if entry.channel:
            if entry.channel not in names:
                raise HygieneError(
                    f"owners: {entry.id}: channel {entry.channel!r} is not in alerts.channels"
                )
            widened.setdefault(entry.channel, []).extend(known_as)
        common = {"min_severity": policy.owners.min_severity, "owners": known_as}
        if entry.slack_webhook_env:
            own.append(
                AlertChannel(
                    name=f"owner:{entry.id}:slack",
                    type="slack",
                    url_env=entry.slack_webhook_env,
                    **common,
                )
            )
        if entry.email and relay is not None:
            own.append(
                relay.model_copy(
                    update={
                        "name": f"owner:{entry.id}:email",
                        "recipients": [entry.email],
                        **common,
                    }
                )
            )
    channels = [
        c.model_copy(update={"owners": [*c.owners, *widened[c.name]]})
        if c.owners and c.name in widened
        else c
        for c in policy.alerts.channels
    ]
    return channels + own


def _has_routes(policy: Policy) -> bool:
    return bool(policy.owners.entries or policy.owners.file or policy.owners_file)
