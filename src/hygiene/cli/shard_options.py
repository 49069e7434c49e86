"""``audit --shard I/N``: parsing and the options a shard cannot combine with."""

from __future__ import annotations

from hygiene.errors import HygieneError
from hygiene.shard import Shard


def shard_option(value: str | None, *, alert: bool, metrics: bool) -> Shard | None:
    """The parsed ``--shard``; alerts and metrics belong to the merge, not to a shard."""
    if not value:
        return None
    shard = Shard.parse(value)
    if alert or metrics:
        raise HygieneError(
            f"--shard {shard}: alerts and metrics are published by `hygiene merge` for the whole "
            "run; drop --alert/--metrics-file/--pushgateway here and pass them to merge"
        )
    return shard
