"""Email over SMTP: STARTTLS (required unless the policy turns it off), an HTML and a text part.

``timeout`` bounds the whole conversation (connect, TLS, AUTH, DATA), not each read: the
connection is shut down when it expires (see ``_http.Deadline``).
"""

from __future__ import annotations

import html
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from hygiene.publish.alerts._http import Deadline
from hygiene.publish.alerts.base import AlertBatch, DeliveryError, describe, where_of

_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#b91c1c",
    "medium": "#b45309",
    "low": "#1d4ed8",
    "info": "#475569",
}


def text_body(batch: AlertBatch) -> str:
    """The plain-text part."""
    lines = [batch.subject(), f"Run {batch.run_id} ({batch.run_status}) as of {batch.as_of}", ""]
    lines += [describe(item) for item in batch.items]
    return "\n".join(lines) + "\n"


def html_body(batch: AlertBatch) -> str:
    """The HTML part: a table that reads in any mail client (inline styles only)."""
    rows = []
    for item in batch.items:
        f = item.finding
        colour = _COLOURS.get(f["severity"], "#475569")
        rows.append(
            "<tr>"
            f"<td style='padding:4px 8px'>{html.escape(item.kind)}</td>"
            f"<td style='padding:4px 8px;color:{colour};font-weight:bold'>{html.escape(f['severity'])}</td>"
            f"<td style='padding:4px 8px'>{html.escape(f['check'])}/{html.escape(f['rule'])}</td>"
            f"<td style='padding:4px 8px;font-family:monospace'>{html.escape(where_of(f))}</td>"
            f"<td style='padding:4px 8px'>{html.escape(str(f.get('owner') or ''))}</td>"
            f"<td style='padding:4px 8px'>{html.escape(str(f['message']))}</td>"
            "</tr>"
        )
    head = "".join(
        f"<th style='text-align:left;padding:4px 8px;border-bottom:1px solid #ccc'>{h}</th>"
        for h in ("alert", "severity", "rule", "where", "owner", "message")
    )
    return (
        "<!doctype html><html><body style='font-family:sans-serif'>"
        f"<h2>{html.escape(batch.subject())}</h2>"
        f"<p>Run <code>{html.escape(batch.run_id)}</code> ({html.escape(batch.run_status)}) "
        f"as of {html.escape(batch.as_of)}</p>"
        f"<table style='border-collapse:collapse'><tr>{head}</tr>{''.join(rows)}</table>"
        "</body></html>"
    )


def build_message(batch: AlertBatch, sender: str, recipients: list[str]) -> EmailMessage:
    """The multipart/alternative email for ``batch``."""
    msg = EmailMessage()
    msg["Subject"] = batch.subject()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg.set_content(text_body(batch))
    msg.add_alternative(html_body(batch), subtype="html")
    return msg


class _BoundedSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` whose connection lives no longer than ``deadline``."""

    def __init__(self, host: str, port: int, deadline: Deadline) -> None:
        self.deadline = deadline
        super().__init__(host, port, timeout=deadline.remaining())

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection(
            (host, port), self.deadline.remaining(), self.source_address
        )
        return self.deadline.watch(sock)


@dataclass
class EmailChannel:
    """Sends one email per run through an SMTP relay. The CA bundle is the system's (or
    ``SSL_CERT_FILE``); credentials come from the environment."""

    name: str
    host: str
    port: int
    sender: str
    recipients: list[str]
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 15.0  # the whole conversation, as for Slack and webhooks

    def send(self, batch: AlertBatch) -> None:
        """Deliver the batch as one email."""
        message = build_message(batch, self.sender, self.recipients)
        deadline = Deadline(self.timeout)
        with deadline.running():
            self._converse(message, deadline)

    def send_message(self, message: EmailMessage) -> None:
        """Deliver a message made elsewhere (the owners' monthly digest) the same way; its
        ``To`` header names the recipients."""
        deadline = Deadline(self.timeout)
        with deadline.running():
            self._converse(message, deadline)

    def _converse(self, message: EmailMessage, deadline: Deadline) -> None:
        try:
            with _BoundedSMTP(self.host, self.port, deadline) as smtp:
                smtp.ehlo()
                if self.starttls:
                    if not smtp.has_extn("starttls"):
                        raise DeliveryError(
                            f"channel {self.name}: {self.host}:{self.port} does not offer STARTTLS; "
                            "refusing to send in clear text (set smtp_starttls: false only for a local relay)"
                        )
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except DeliveryError:
            raise
        except (smtplib.SMTPException, ssl.SSLError, OSError, ValueError) as exc:
            raise DeliveryError(
                f"channel {self.name}: SMTP delivery to {self.host}:{self.port} failed "
                f"({_reason(exc, deadline)})"
            ) from None


def _reason(exc: BaseException, deadline: Deadline) -> str:
    """The failure in words: the deadline when it cut the conversation, else the error."""
    if deadline.expired() or isinstance(exc, TimeoutError):
        return f"no complete answer within {deadline.seconds:g} s (deadline for one attempt)"
    return f"{type(exc).__name__}: {exc}"
