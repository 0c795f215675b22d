"""The emailed report against a real aiosmtpd server: STARTTLS, implicit TLS, AUTH, and each failure's one line."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from o365cis.lambda_service import mailer
from o365cis.lambda_service.config import ConfigurationError, MailSettings

from .servers import FROM_ADDR, SMTP_PASSWORD, SMTP_USER, SmtpServer, free_port

SUMMARY = {"compliant": 61, "non_compliant": 9, "manual": 10, "not_applicable": 1, "error": 2, "waived": 1}


@pytest.fixture
def reports(tmp_path: Path) -> list[mailer.Attachment]:
    """An HTML report and a JSON results document on disk."""
    html = tmp_path / "report.html"
    html.write_text("<html><body><h1>CIS report</h1></body></html>", encoding="utf-8")
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"summary": SUMMARY, "results": []}), encoding="utf-8")
    return [
        mailer.Attachment(html, "cis-report-r1.html", "text", "html"),
        mailer.Attachment(results, "cis-results-r1.json", "application", "json"),
    ]


def build(settings: MailSettings, reports: list[mailer.Attachment]) -> mailer.EmailMessage:
    return mailer.report_message(
        settings, "secops@contoso.com", tenant_id="contoso.com", request_id="r1", summary=SUMMARY, attachments=reports
    )


def test_starttls_with_login_delivers_body_and_both_attachments(
    smtp_server: SmtpServer, reports: list[mailer.Attachment]
) -> None:
    settings = smtp_server.settings()
    mailer.send(settings, build(settings, reports))
    assert smtp_server.logins == [SMTP_USER]
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["secops@contoso.com"] and envelope.mail_from == FROM_ADDR
    (message,) = smtp_server.messages
    assert message["To"] == "secops@contoso.com"
    assert message["Subject"] == "CIS Microsoft 365 scan of contoso.com: 11 need attention"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Compliant: 61" in text and "Non-compliant: 9" in text and "Error: 2" in text and "Waived: 1" in text
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {"cis-report-r1.html", "cis-results-r1.json"}
    assert attachments["cis-report-r1.html"].get_content_type() == "text/html"
    assert "<h1>CIS report</h1>" in attachments["cis-report-r1.html"].get_content()
    assert json.loads(attachments["cis-results-r1.json"].get_content())["summary"] == SUMMARY


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # the connection is TLS from the start
def test_implicit_tls_delivers(smtps_server: SmtpServer, reports: list[mailer.Attachment]) -> None:
    settings = smtps_server.settings(use_ssl=True, use_tls=False)
    mailer.send(settings, build(settings, reports))
    assert len(smtps_server.messages) == 1 and smtps_server.logins == [SMTP_USER]


def test_refused_login_is_one_line_without_the_password(
    smtp_server: SmtpServer, reports: list[mailer.Attachment]
) -> None:
    settings = smtp_server.settings(password="wrong-password")
    with pytest.raises(mailer.MailError) as caught:
        mailer.send(settings, build(settings, reports))
    assert "refused the login (535" in str(caught.value)
    assert "wrong-password" not in str(caught.value) and "\n" not in str(caught.value)
    assert smtp_server.messages == []


def test_server_down_is_unreachable(smtp_server: SmtpServer, reports: list[mailer.Attachment]) -> None:
    settings = dataclasses.replace(smtp_server.settings(), port=free_port())
    with pytest.raises(mailer.MailError, match="unreachable: Connection refused"):
        mailer.send(settings, build(settings, reports))


def test_untrusted_certificate_fails_tls(smtp_server: SmtpServer, reports: list[mailer.Attachment]) -> None:
    settings = dataclasses.replace(smtp_server.settings(), ca_bundle=None)
    with pytest.raises(mailer.MailError, match="TLS with SMTP server .* failed: CERTIFICATE_VERIFY_FAILED"):
        mailer.send(settings, build(settings, reports))


def test_plain_connection_to_a_starttls_only_server_is_refused(
    smtp_server: SmtpServer, reports: list[mailer.Attachment]
) -> None:
    settings = smtp_server.settings(use_tls=False, allow_plaintext=True)
    with pytest.raises(mailer.MailError, match="SMTP server"):
        mailer.send(settings, build(settings, reports))
    assert smtp_server.messages == []


def test_plaintext_smtp_is_refused_before_any_login_unless_allowed(
    plain_smtp_server: SmtpServer, reports: list[mailer.Attachment]
) -> None:
    settings = plain_smtp_server.settings(use_tls=False)
    with pytest.raises(mailer.MailError, match="refusing to send over SMTP without TLS .* MAIL_ALLOW_PLAINTEXT=True"):
        mailer.send(settings, build(settings, reports))
    assert plain_smtp_server.logins == [] and plain_smtp_server.messages == []

    allowed = plain_smtp_server.settings(use_tls=False, allow_plaintext=True)
    assert allowed.allow_plaintext
    mailer.send(allowed, build(allowed, reports))
    assert plain_smtp_server.logins == [SMTP_USER] and len(plain_smtp_server.messages) == 1


def test_a_stalling_server_is_cut_at_the_deadline(
    stalling_smtp_server: SmtpServer, reports: list[mailer.Attachment]
) -> None:
    settings = stalling_smtp_server.settings()  # MAIL_TIMEOUT 10 s per read; the deadline is shorter
    started = time.monotonic()
    with pytest.raises(mailer.MailError, match=r"did not accept the message within 2 s"):
        mailer.send(settings, build(settings, reports), deadline=2.0)
    assert time.monotonic() - started < 2.0 + 1.0


def test_failure_message_names_the_cause() -> None:
    settings = MailSettings("smtp.example.org", 587, False, True, None, None, FROM_ADDR)
    message = mailer.failure_message(
        settings, "a@b.co", tenant_id="contoso.com", request_id="r9", error="sign-in failed: bad secret"
    )
    assert message["Subject"] == "CIS Microsoft 365 scan of contoso.com: failed"
    assert "sign-in failed: bad secret" in message.get_content()


def test_all_clear_subject() -> None:
    settings = MailSettings("smtp.example.org", 25, False, False, None, None, FROM_ADDR)
    message = mailer.report_message(
        settings, "a@b.co", tenant_id="t.com", request_id="r", summary={"compliant": 3}, attachments=[]
    )
    assert message["Subject"].endswith("all evaluated recommendations pass")


@pytest.mark.parametrize(
    ("summary", "note", "verdict"),
    [
        ({"compliant": 3}, "The scan did not finish cleanly: timeout", "the scan did not finish; partial results"),
        ({}, None, "no results"),
        ({"manual": 4}, None, "nothing was proven compliant; review the manual recommendations"),
        (
            {"compliant": 3, "error": 2},
            "The scan did not finish cleanly: x",
            "2 need attention; the scan did not finish",
        ),
    ],
)
def test_errored_or_empty_runs_never_say_pass(summary: dict[str, int], note: str | None, verdict: str) -> None:
    settings = MailSettings("smtp.example.org", 587, False, True, None, None, FROM_ADDR)
    message = mailer.report_message(
        settings, "a@b.co", tenant_id="t.com", request_id="r", summary=summary, attachments=[], note=note
    )
    assert message["Subject"].endswith(verdict)
    assert "pass" not in message["Subject"] + message.get_content()


@pytest.mark.parametrize(
    ("environ", "match"),
    [
        ({}, "MAIL_SERVER"),
        ({"MAIL_SERVER": "m", "FROM_ADDR": "a@b.co", "MAIL_USE_SSL": "true", "MAIL_USE_TLS": "true"}, "both"),
        ({"MAIL_SERVER": "m", "FROM_ADDR": "a@b.co", "MAIL_PORT": "smtp"}, "MAIL_PORT"),
        ({"MAIL_SERVER": "m", "FROM_ADDR": "a@b.co", "MAIL_PORT": "70000"}, "MAIL_PORT"),
        ({"MAIL_SERVER": "m"}, "FROM_ADDR"),
        ({"MAIL_SERVER": "m", "FROM_ADDR": "a@b.co", "MAIL_CA_BUNDLE": "/no/such/ca.pem"}, "MAIL_CA_BUNDLE"),
    ],
)
def test_bad_mail_settings_are_named(environ: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        MailSettings.from_env(environ)


@pytest.mark.parametrize(
    ("environ", "port"),
    [({"MAIL_USE_SSL": "True"}, 465), ({"MAIL_USE_TLS": "1"}, 587), ({}, 25), ({"MAIL_PORT": "2525"}, 2525)],
)
def test_default_ports(environ: dict[str, str], port: int) -> None:
    settings = MailSettings.from_env({"MAIL_SERVER": "m", "FROM_ADDR": "a@b.co", **environ})
    assert settings.port == port


def test_sender_defaults_to_the_login_and_password_hides() -> None:
    settings = MailSettings.from_env({"MAIL_SERVER": "m", "MAIL_USERNAME": SMTP_USER, "MAIL_PASSWORD": SMTP_PASSWORD})
    assert settings.from_addr == SMTP_USER
    assert SMTP_PASSWORD not in repr(settings)
