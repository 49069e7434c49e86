"""Email over SMTP: STARTTLS (required unless the policy turns it off), an HTML and a text part."""

from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

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
    timeout: float = 30.0

    def send(self, batch: AlertBatch) -> None:
        """Deliver the batch as one email."""
        message = build_message(batch, self.sender, self.recipients)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
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
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise DeliveryError(
                f"channel {self.name}: SMTP delivery to {self.host}:{self.port} failed "
                f"({type(exc).__name__}: {exc})"
            ) from None
