"""The emailed report: a short summary in the body, the HTML report and the JSON results attached, sent over SMTP."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from o365cis.findings import STATUS_ORDER
from o365cis.lambda_service.config import MailSettings

_LABELS = {
    "compliant": "Compliant",
    "non_compliant": "Non-compliant",
    "manual": "Manual review",
    "not_applicable": "Not applicable",
    "error": "Error",
    "waived": "Waived",
}


class MailError(Exception):
    """The report could not be sent; one line naming the cause (never the password or the report)."""


@dataclass(frozen=True)
class Attachment:
    """A file to attach, read from disk at build time."""

    path: Path
    filename: str
    maintype: str
    subtype: str


def summary_lines(summary: Mapping[str, int]) -> list[str]:
    """One `Label: count` line per status, in the contract's order."""
    return [f"{_LABELS[s.value]}: {int(summary.get(s.value, 0))}" for s in STATUS_ORDER]


def report_message(
    settings: MailSettings,
    recipient: str,
    *,
    tenant_id: str,
    request_id: str,
    summary: Mapping[str, int],
    attachments: list[Attachment],
    note: str | None = None,
) -> EmailMessage:
    """The message that carries a finished scan's reports."""
    message = _envelope(settings, recipient)
    failing = int(summary.get("non_compliant", 0)) + int(summary.get("error", 0))
    if note or int(summary.get("compliant", 0)) == 0:
        # A scan that did not finish cleanly, or evaluated nothing, has no grounds for pass wording.
        verdict = f"{failing} need attention; the scan did not finish cleanly" if note else "nothing was evaluated"
    else:
        verdict = "all evaluated recommendations pass" if failing == 0 else f"{failing} need attention"
    message["Subject"] = f"CIS Microsoft 365 scan of {tenant_id}: {verdict}"
    lines = [
        f"The CIS Microsoft 365 Foundations Benchmark scan of tenant {tenant_id} has finished.",
        f"Request: {request_id}",
        "",
        *summary_lines(summary),
        "",
    ]
    if note:
        lines += [note, ""]
    lines.append("The HTML report and the JSON results are attached.")
    message.set_content("\n".join(lines) + "\n")
    for attachment in attachments:
        message.add_attachment(
            attachment.path.read_bytes(),
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
    return message


def failure_message(
    settings: MailSettings, recipient: str, *, tenant_id: str, request_id: str, error: str
) -> EmailMessage:
    """The message that tells the recipient a scan could not run."""
    message = _envelope(settings, recipient)
    message["Subject"] = f"CIS Microsoft 365 scan of {tenant_id}: failed"
    message.set_content(
        f"The CIS Microsoft 365 Foundations Benchmark scan of tenant {tenant_id} could not be completed.\n"
        f"Request: {request_id}\n\nCause: {error}\n"
    )
    return message


def _envelope(settings: MailSettings, recipient: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.from_addr
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.from_addr.rpartition("@")[2] or None)
    return message


def _tls_context(settings: MailSettings) -> ssl.SSLContext:
    # A private relay (or a test server) may present a certificate from its own CA: MAIL_CA_BUNDLE adds it.
    return ssl.create_default_context(cafile=settings.ca_bundle) if settings.ca_bundle else ssl.create_default_context()


def _server_text(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return " ".join(text.split())[:120]


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Deliver one message with the MAIL_* settings; raise MailError with a one-line cause."""
    where = f"{settings.server}:{settings.port}"
    try:
        smtp: smtplib.SMTP
        if settings.use_ssl:
            smtp = smtplib.SMTP_SSL(
                settings.server, settings.port, timeout=settings.timeout, context=_tls_context(settings)
            )
        else:
            smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
        with smtp:
            smtp.ehlo()
            if settings.use_tls:
                smtp.starttls(context=_tls_context(settings))
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, str(settings.password or ""))
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"SMTP server {where} refused the login ({exc.smtp_code} {_server_text(exc)})") from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(f"SMTP server {where} does not offer STARTTLS or AUTH as configured") from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({str(code) for code, _ in exc.recipients.values()})
        raise MailError(f"SMTP server {where} refused the recipient ({', '.join(codes)})") from None
    except smtplib.SMTPSenderRefused as exc:
        raise MailError(f"SMTP server {where} refused the sender ({exc.smtp_code} {_server_text(exc)})") from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"SMTP server {where} refused the message ({exc.smtp_code} {_server_text(exc)})") from None
    except smtplib.SMTPServerDisconnected:
        raise MailError(f"SMTP server {where} closed the connection") from None
    except ssl.SSLError as exc:
        raise MailError(f"TLS with SMTP server {where} failed: {exc.reason or type(exc).__name__}") from None
    except TimeoutError:
        raise MailError(f"SMTP server {where} timed out after {settings.timeout:g} s") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"SMTP error with {where}: {type(exc).__name__}") from None
    except OSError as exc:
        raise MailError(f"SMTP server {where} unreachable: {exc.strerror or type(exc).__name__}") from None
