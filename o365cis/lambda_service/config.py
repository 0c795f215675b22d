"""The functions' settings from their environment variables (CONTRACT.md section 4), read once per invocation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from o365cis.settings import Secret, SettingsError, parse_rate_limit, truthy

#: How long a status record is kept before DynamoDB's TTL deletes it.
DEFAULT_STATUS_TTL_DAYS = 30
#: Time kept back from the Lambda timeout to record the outcome and send the email after a scan.
DEFAULT_FINISH_MARGIN_SECONDS = 60.0


class ConfigurationError(ValueError):
    """A variable the function needs is missing or malformed; one line naming it."""


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server: MAIL_* variables, plus the optional MAIL_CA_BUNDLE and MAIL_TIMEOUT."""

    server: str
    port: int
    use_ssl: bool
    use_tls: bool
    username: str | None
    password: Secret | None
    from_addr: str
    ca_bundle: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> MailSettings:
        """Read the MAIL_* variables; the port defaults to 465 (SSL), 587 (STARTTLS) or 25."""
        server = environ.get("MAIL_SERVER", "").strip()
        if not server:
            raise ConfigurationError("MAIL_SERVER is not set: the scan function cannot send its report")
        use_ssl = truthy(environ.get("MAIL_USE_SSL"))
        use_tls = truthy(environ.get("MAIL_USE_TLS"))
        if use_ssl and use_tls:
            raise ConfigurationError("MAIL_USE_SSL and MAIL_USE_TLS are both set: choose SSL (465) or STARTTLS (587)")
        port_text = environ.get("MAIL_PORT", "").strip()
        try:
            port = int(port_text) if port_text else (465 if use_ssl else 587 if use_tls else 25)
        except ValueError:
            raise ConfigurationError(f"MAIL_PORT must be a port number, got {port_text!r}") from None
        if not 0 < port < 65536:
            raise ConfigurationError(f"MAIL_PORT must be a port number, got {port_text!r}")
        username = environ.get("MAIL_USERNAME", "").strip() or None
        password = environ.get("MAIL_PASSWORD") or None
        from_addr = environ.get("FROM_ADDR", "").strip() or (username if username and "@" in username else "")
        if not from_addr:
            raise ConfigurationError("FROM_ADDR is not set: the report needs a sender address")
        ca_bundle = environ.get("MAIL_CA_BUNDLE", "").strip() or None
        if ca_bundle and not Path(ca_bundle).is_file():
            raise ConfigurationError(f"MAIL_CA_BUNDLE: no such file {ca_bundle}")
        timeout_text = environ.get("MAIL_TIMEOUT", "").strip()
        try:
            timeout = float(timeout_text) if timeout_text else 30.0
        except ValueError:
            raise ConfigurationError(f"MAIL_TIMEOUT must be a number of seconds, got {timeout_text!r}") from None
        return cls(
            server=server,
            port=port,
            use_ssl=use_ssl,
            use_tls=use_tls,
            username=username,
            password=Secret(password) if password else None,
            from_addr=from_addr,
            ca_bundle=ca_bundle,
            timeout=timeout,
        )


@dataclass(frozen=True)
class ServiceConfig:
    """What both functions read from their environment."""

    table_name: str
    scan_function_name: str | None
    temp_path: Path
    rate_limit: float | None
    status_ttl_days: int = DEFAULT_STATUS_TTL_DAYS
    finish_margin_seconds: float = DEFAULT_FINISH_MARGIN_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceConfig:
        """DB_TABLE_NAME, SCAN_FUNCTION_NAME, TEMP_PATH, and the rate cap (O365CIS_RATE_LIMIT / USE_RATE_LIMITER)."""
        env = os.environ if environ is None else environ
        table = env.get("DB_TABLE_NAME", "").strip()
        if not table:
            raise ConfigurationError("DB_TABLE_NAME is not set: no table to record the scan status in")
        try:
            rate_limit = parse_rate_limit(env.get("O365CIS_RATE_LIMIT"), env.get("USE_RATE_LIMITER"))
        except SettingsError as exc:
            raise ConfigurationError(str(exc).replace("--rate-limit", "O365CIS_RATE_LIMIT")) from None
        ttl_text = env.get("STATUS_TTL_DAYS", "").strip()
        margin_text = env.get("SCAN_FINISH_MARGIN_SECONDS", "").strip()
        try:
            ttl_days = int(ttl_text) if ttl_text else DEFAULT_STATUS_TTL_DAYS
            margin = float(margin_text) if margin_text else DEFAULT_FINISH_MARGIN_SECONDS
        except ValueError:
            raise ConfigurationError("STATUS_TTL_DAYS and SCAN_FINISH_MARGIN_SECONDS must be numbers") from None
        return cls(
            table_name=table,
            scan_function_name=env.get("SCAN_FUNCTION_NAME", "").strip() or None,
            # Lambda's only writable disk is /tmp.
            temp_path=Path(env.get("TEMP_PATH", "").strip() or "/tmp"),
            rate_limit=rate_limit,
            status_ttl_days=ttl_days,
            finish_margin_seconds=margin,
        )
