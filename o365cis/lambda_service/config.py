"""The functions' settings from their environment variables (deploy/README.md), read once per invocation."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from o365cis.settings import Secret, SettingsError, parse_rate_limit, truthy

#: How long a status record is kept before DynamoDB's TTL deletes it.
DEFAULT_STATUS_TTL_DAYS = 30
#: Time kept back from the Lambda timeout to record the outcome and send the email after a scan.
DEFAULT_FINISH_MARGIN_SECONDS = 60.0
#: The scan function's timeout when SCAN_TIMEOUT_SECONDS is not set: Lambda's maximum, which no scan outlives.
DEFAULT_SCAN_TIMEOUT_SECONDS = 900.0


class ConfigurationError(ValueError):
    """A variable the function needs is missing or malformed; one line naming it."""


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server: MAIL_* variables, plus the optional MAIL_CA_BUNDLE and MAIL_TIMEOUT.

    `allow_plaintext` (MAIL_ALLOW_PLAINTEXT=True) is the only way to log in or send without TLS.
    """

    server: str
    port: int
    use_ssl: bool
    use_tls: bool
    username: str | None
    password: Secret | None
    from_addr: str
    ca_bundle: str | None = None
    timeout: float = 30.0
    allow_plaintext: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str], read_secret: Callable[[str], str] | None = None) -> MailSettings:
        """Read the MAIL_* variables; the port defaults to 465 (SSL), 587 (STARTTLS) or 25.

        With MAIL_PASSWORD_SECRET_ARN, the password is `read_secret(arn)` (Secrets Manager) and MAIL_PASSWORD
        is ignored; `read_secret` raises ConfigurationError (or SecretError) naming only AWS's error code.
        """
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
        secret_arn = environ.get("MAIL_PASSWORD_SECRET_ARN", "").strip()
        if secret_arn:
            if read_secret is None:
                raise ConfigurationError("MAIL_PASSWORD_SECRET_ARN is set but no Secrets Manager client is available")
            password: str | None = read_secret(secret_arn)
        else:
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
            allow_plaintext=truthy(environ.get("MAIL_ALLOW_PLAINTEXT")),
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
    #: The scan function's timeout: a record RUNNING longer than this reads as FAILED (stale).
    scan_timeout_seconds: float = DEFAULT_SCAN_TIMEOUT_SECONDS
    #: The KMS key the request function seals client secrets with (SECRET_KMS_KEY_ID); None sends them plain.
    secret_kms_key_id: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceConfig:
        """DB_TABLE_NAME, SCAN_FUNCTION_NAME, TEMP_PATH, SCAN_TIMEOUT_SECONDS, SECRET_KMS_KEY_ID and the rate cap."""
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
        timeout_text = env.get("SCAN_TIMEOUT_SECONDS", "").strip()
        try:
            ttl_days = int(ttl_text) if ttl_text else DEFAULT_STATUS_TTL_DAYS
            margin = float(margin_text) if margin_text else DEFAULT_FINISH_MARGIN_SECONDS
            scan_timeout = float(timeout_text) if timeout_text else DEFAULT_SCAN_TIMEOUT_SECONDS
        except ValueError:
            raise ConfigurationError(
                "STATUS_TTL_DAYS, SCAN_FINISH_MARGIN_SECONDS and SCAN_TIMEOUT_SECONDS must be numbers"
            ) from None
        if scan_timeout <= 0:
            raise ConfigurationError("SCAN_TIMEOUT_SECONDS must be positive")
        return cls(
            table_name=table,
            scan_function_name=env.get("SCAN_FUNCTION_NAME", "").strip() or None,
            # Lambda's only writable disk is /tmp.
            temp_path=Path(env.get("TEMP_PATH", "").strip() or "/tmp"),
            rate_limit=rate_limit,
            status_ttl_days=ttl_days,
            finish_margin_seconds=margin,
            scan_timeout_seconds=scan_timeout,
            secret_kms_key_id=env.get("SECRET_KMS_KEY_ID", "").strip() or None,
        )
