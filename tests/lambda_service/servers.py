"""Loopback servers for the Lambda service tests: moto's standalone server and an aiosmtpd SMTP server."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import json
import socket
import ssl
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import trustme
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from o365cis.lambda_service.config import MailSettings

REGION = "us-east-1"
SCAN_FUNCTION = "o365cis-scan"
SMTP_USER = "mailer@example.org"
SMTP_PASSWORD = "smtp-pa55word"
FROM_ADDR = "cis-scanner@example.org"


def free_port() -> int:
    """A TCP port nobody listens on right now (aiosmtpd's controller cannot bind port 0 and report it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoEndpoint:
    """moto's standalone server, reached by boto3 over HTTP."""

    url: str

    def client(self, service: str) -> Any:
        """A boto3 client for `service` on this server, with dummy credentials."""
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def dummy_zip() -> bytes:
    """A deployment package for moto's Lambda (never run: the simple backend only answers the invoke)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_handler.py", "def scan_handler(event, context):\n    return {}\n")
    return buffer.getvalue()


@dataclass
class SmtpServer:
    """A running aiosmtpd server and what it received."""

    host: str
    port: int
    ca_path: Path
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    def environ(
        self,
        *,
        use_ssl: bool = False,
        use_tls: bool = True,
        password: str = SMTP_PASSWORD,
        allow_plaintext: bool = False,
    ) -> dict[str, str]:
        """The MAIL_* variables that reach this server."""
        return {
            "MAIL_ALLOW_PLAINTEXT": str(allow_plaintext),
            "MAIL_SERVER": self.host,
            "MAIL_PORT": str(self.port),
            "MAIL_USE_SSL": str(use_ssl),
            "MAIL_USE_TLS": str(use_tls),
            "MAIL_USERNAME": SMTP_USER,
            "MAIL_PASSWORD": password,
            "MAIL_CA_BUNDLE": str(self.ca_path),
            "MAIL_TIMEOUT": "10",
            "FROM_ADDR": FROM_ADDR,
        }

    def settings(self, **kwargs: Any) -> MailSettings:
        """MailSettings from environ()."""
        return MailSettings.from_env(self.environ(**kwargs))


class RecordingHandler:
    """aiosmtpd handler keeping each message, parsed with the modern email policy."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Session, envelope: Envelope) -> str:
        self.server.envelopes.append(envelope)
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.server.messages.append(message)
        return "250 Message accepted for delivery"


class StallingHandler(RecordingHandler):
    """Takes the message, then answers only after `delay` seconds: an SMTP send that outlives its deadline."""

    def __init__(self, server: SmtpServer, delay: float) -> None:
        super().__init__(server)
        self.delay = delay

    async def handle_DATA(self, smtp: Any, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(smtp, session, envelope)


def authenticator(server: SmtpServer) -> Callable[..., AuthResult]:
    """aiosmtpd authenticator accepting SMTP_USER / SMTP_PASSWORD only."""

    def check(smtp: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode()
            accepted = login == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
            if accepted:
                server.logins.append(login)
            return AuthResult(success=accepted, handled=False)
        return AuthResult(success=False, handled=False)

    return check


def server_tls_context(ca: trustme.CA) -> ssl.SSLContext:
    """A server-side TLS context with a certificate for 127.0.0.1 from `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def log_lines(text: str) -> list[dict[str, Any]]:
    """Every log line of `text`, parsed; each must be exactly one JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
