"""Alerts: one module per channel (slack, email, webhook) behind the ``Channel`` Protocol;
``plan`` decides what is due (new / reminder / resolved), ``dispatch`` delivers and records it."""

from hygiene.publish.alerts.base import AlertBatch, AlertItem, Channel, DeliveryError
from hygiene.publish.alerts.dispatch import AlertOutcome, build_channels, send_alerts

__all__ = [
    "AlertBatch",
    "AlertItem",
    "AlertOutcome",
    "Channel",
    "DeliveryError",
    "build_channels",
    "send_alerts",
]
