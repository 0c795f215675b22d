"""The manual reviews of mail (5.7, 5.8, 5.12, 5.14)."""

from __future__ import annotations

from typing import Any

import pytest

from o365cis.findings import Status
from o365cis.rules.auditing import mail_reviews
from tests.unit.rules.auditing_cases import ALERTS, MAILBOXES, TRANSPORT_RULES, names, secure_score


def test_mail_forwarding_lists_forwarding_mailboxes_and_redirecting_rules() -> None:
    finding = mail_reviews.mail_forwarding_review(MAILBOXES, TRANSPORT_RULES, secure_score("MailForwardingRules"))
    assert "Auto forwarded messages report" in finding.reason
    assert names(finding, "mailbox") == ["adele@contoso.com"]
    assert "smtp:adele@gmail.com" in (finding.evidence[0].detail or "")
    rules = {e.name: e.detail for e in finding.evidence if e.type == "transportRule"}
    assert rules == {"Copy CFO mail": "BlindCopyTo audit@contoso.com"}  # the disabled rule is not listed
    assert "1 mailbox of 2 forward mail" in finding.reason


def test_mail_forwarding_with_one_source_unread() -> None:
    finding = mail_reviews.mail_forwarding_review(MAILBOXES, None, failures={"transport_rules": "401 Unauthorized"})
    assert "transport rules (Get-TransportRule) (needs Exchange.ManageAsApp" in finding.reason
    assert "401 Unauthorized" in finding.reason
    assert names(finding, "mailbox") == ["adele@contoso.com"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"AuditDisabled": False}, "mailbox auditing is on"),
        ([{"AuditDisabled": True}], "report is empty"),
        ({"AuditDisabled": "True"}, "report is empty"),
        ({}, "no AuditDisabled value"),
    ],
)
def test_non_owner_access_reports_audit_state(config: Any, expected: str) -> None:
    finding = mail_reviews.non_owner_access_review(config, secure_score("NonOwnerAccess"))
    assert finding.status is Status.MANUAL
    assert expected in finding.reason
    assert "every two weeks" in finding.reason


def test_restricted_senders_and_matching_alerts() -> None:
    blocked = [
        {"SenderAddress": "spammer@contoso.com", "CreatedDatetime": "2024-05-03T01:00:00Z", "Reason": "Outbound spam"}
    ]
    finding = mail_reviews.restricted_senders_review(blocked, ALERTS)
    assert "Restricted entities" in finding.reason
    assert names(finding, "restrictedSender") == ["spammer@contoso.com"]
    assert "2024-05-03T01:00:00Z" in (finding.evidence[0].detail or "")
    assert [e.id for e in finding.evidence if e.type == "alert"] == ["al2"]


def test_spoofed_senders_sorted_by_volume() -> None:
    insights: list[dict[str, Any]] = [
        {
            "SpoofedUser": "ceo@contoso.com",
            "SendingInfrastructure": "mail.example.net",
            "MessageCount": 3,
            "SpoofType": "Internal",
            "Action": "Block",
            "LastSeen": "2024-05-02",
        },
        {
            "SpoofedUser": "news@partner.com",
            "SendingInfrastructure": "bulkmailer.com",
            "MessageCount": "250",
            "SpoofType": "External",
            "Action": "Allow",
            "LastSeen": "2024-05-03",
        },
    ]
    finding = mail_reviews.spoofed_domains_review(insights)
    assert "Spoofed senders" in finding.reason
    assert "2 spoofed sender pairs (Block 1, Allow 1)" in finding.reason or "(Allow 1, Block 1)" in finding.reason
    first = finding.evidence[0]
    assert first.name == "news@partner.com via bulkmailer.com"
    assert (first.detail or "").startswith("250 messages, External, action Allow")
