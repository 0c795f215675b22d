"""The emailed report: a short summary in the body, the HTML report and the JSON results attached, sent over SMTP."""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
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
    """The message that carries a finished scan's reports.

    A `note` says the run did not finish cleanly: then, as for a run with no results, nothing says "pass".
    """
    message = _envelope(settings, recipient)
    failing = int(summary.get("non_compliant", 0)) + int(summary.get("error", 0))
    evaluated = sum(int(summary.get(s.value, 0)) for s in STATUS_ORDER)
    if failing:
        verdict = f"{failing} need attention" + ("; the scan did not finish" if note else "")
    elif note:
        verdict = "the scan did not finish; partial results"
    elif evaluated == 0:
        verdict = "no results"
    elif int(summary.get("compliant", 0)) == 0:
        verdict = "nothing was proven compliant; review the manual recommendations"
    else:
        verdict = "all evaluated recommendations pass"
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


class _Watchdog:
    """Cuts an SMTP connection at a deadline: the socket timeout bounds each read, not a server dripping slowly."""

    def __init__(self, smtp: smtplib.SMTP, seconds: float | None) -> None:
        self.fired = False
        self._smtp = smtp
        self._timer = threading.Timer(seconds, self._cut) if seconds is not None else None

    def _cut(self) -> None:
        self.fired = True
        sock = getattr(self._smtp, "sock", None)
        if sock is not None:
            # shutdown (not close) is safe from another thread and wakes the blocked read with end-of-file.
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Watchdog:
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


def send(settings: MailSettings, message: EmailMessage, deadline: float | None = None) -> None:
    """Deliver one message with the MAIL_* settings within `deadline` seconds; raise MailError with a one-line cause.

    Without TLS (neither MAIL_USE_SSL nor MAIL_USE_TLS) nothing is sent, not even the login, unless
    MAIL_ALLOW_PLAINTEXT says the relay is trusted: the report lists the tenant's weaknesses.
    """
    where = f"{settings.server}:{settings.port}"
    if not (settings.use_ssl or settings.use_tls or settings.allow_plaintext):
        raise MailError(
            f"refusing to send over SMTP without TLS to {where}: set MAIL_USE_TLS or MAIL_USE_SSL, "
            "or MAIL_ALLOW_PLAINTEXT=True for a trusted relay"
        )
    timeout = settings.timeout if deadline is None else max(min(settings.timeout, deadline), 0.1)
    smtp: smtplib.SMTP
    if settings.use_ssl:
        smtp = smtplib.SMTP_SSL(timeout=timeout, context=_tls_context(settings))
    else:
        smtp = smtplib.SMTP(timeout=timeout)
    watchdog = _Watchdog(smtp, deadline)
    try:
        with watchdog:
            _deliver(smtp, settings, message)
    except MailError:
        raise
    except Exception as exc:  # noqa: BLE001 - translated to one line below
        if watchdog.fired:
            raise MailError(f"SMTP server {where} did not accept the message within {deadline:g} s") from None
        raise _mail_error(exc, where, settings) from None


def _deliver(smtp: smtplib.SMTP, settings: MailSettings, message: EmailMessage) -> None:
    # Built unconnected so the watchdog covers the connection too; TLS checks the certificate against _host,
    # which only the constructor sets when it connects itself.
    smtp._host = settings.server  # type: ignore[attr-defined]
    try:
        smtp.connect(settings.server, settings.port)
        with smtp:
            smtp.ehlo()
            if settings.use_tls:
                smtp.starttls(context=_tls_context(settings))
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, str(settings.password or ""))
            smtp.send_message(message)
    finally:
        smtp.close()


def _mail_error(exc: Exception, where: str, settings: MailSettings) -> MailError:
    """One line naming the cause (never the password, never the report)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailError(f"SMTP server {where} refused the login ({exc.smtp_code} {_server_text(exc)})")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailError(f"SMTP server {where} does not offer STARTTLS or AUTH as configured")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in exc.recipients.values()})
        return MailError(f"SMTP server {where} refused the recipient ({', '.join(codes)})")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailError(f"SMTP server {where} refused the sender ({exc.smtp_code} {_server_text(exc)})")
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailError(f"SMTP server {where} refused the message ({exc.smtp_code} {_server_text(exc)})")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailError(f"SMTP server {where} closed the connection")
    if isinstance(exc, ssl.SSLError):
        return MailError(f"TLS with SMTP server {where} failed: {exc.reason or type(exc).__name__}")
    if isinstance(exc, TimeoutError):
        return MailError(f"SMTP server {where} timed out after {settings.timeout:g} s")
    if isinstance(exc, smtplib.SMTPException):
        return MailError(f"SMTP error with {where}: {type(exc).__name__}")
    if isinstance(exc, OSError):
        return MailError(f"SMTP server {where} unreachable: {exc.strerror or type(exc).__name__}")
    return MailError(f"SMTP error with {where}: {type(exc).__name__}")
