"""CIS section 5: Auditing. Most are weekly reviews: manual, with the evidence the permissions allow."""

from __future__ import annotations

import pytest

from o365cis.collectors import reads
from o365cis.collectors.evidence import EvidenceReads, invoke
from o365cis.exchange import cmdlets
from o365cis.exchange.cmdlets import BLOCKED_SENDER_ADDRESS, SPOOF_INTELLIGENCE_INSIGHT
from o365cis.rules.auditing import audit_settings, defender_reviews, identity_reviews, mail_reviews


@pytest.mark.cis("5.1")
def test_audit_log_search_enabled(cis, exchange):
    cis.evaluate(
        exchange=lambda: audit_settings.audit_log_search_enabled(invoke(exchange, cmdlets.ADMIN_AUDIT_LOG_CONFIG))
    )


@pytest.mark.cis("5.2")
def test_mailbox_auditing_enabled(cis, exchange):
    def decide():
        evidence = EvidenceReads()
        mailboxes = evidence.exchange("mailboxes", exchange, cmdlets.MAILBOX)  # evidence only
        return audit_settings.mailbox_auditing_enabled(
            invoke(exchange, cmdlets.ORGANIZATION_CONFIG), invoke(exchange, cmdlets.MAILBOX_AUDIT_BYPASS), mailboxes
        )

    cis.evaluate(exchange=decide)


@pytest.mark.cis("5.3")
def test_risky_sign_ins_reviewed(cis, tenant, secure_score):
    def review():
        evidence = EvidenceReads()
        detections = evidence.graph("risk_detections", tenant, reads.risk_detections(tenant.since_7_days))
        return identity_reviews.risky_sign_ins_review(
            detections, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("5.4")
def test_application_usage_reviewed(cis, tenant):
    def review():
        evidence = EvidenceReads()
        summary = evidence.graph("sign_in_summary", tenant, reads.APP_SIGN_IN_SUMMARY)
        return identity_reviews.application_usage_review(summary, failures=evidence.failures)

    cis.evaluate(manual=review)


@pytest.mark.cis("5.5")
def test_sspr_activity_reviewed(cis, tenant, secure_score):
    def review():
        evidence = EvidenceReads()
        audits = evidence.graph(
            "sspr_audits",
            tenant,
            reads.directory_audits(
                "sspr", "loggedByService eq 'Self-service Password Management'", tenant.since_7_days
            ),
        )
        return identity_reviews.sspr_activity_review(
            audits, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("5.6")
def test_role_group_changes_reviewed(cis, tenant, secure_score):
    def review():
        evidence = EvidenceReads()
        audits = evidence.graph(
            "role_audits", tenant, reads.directory_audits("roles", "category eq 'RoleManagement'", tenant.since_7_days)
        )
        return identity_reviews.role_changes_review(
            audits, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("5.7")
def test_mail_forwarding_rules_reviewed(cis, exchange, secure_score):
    def review():
        evidence = EvidenceReads()
        mailboxes = evidence.exchange("mailboxes", exchange, cmdlets.MAILBOX)
        rules = evidence.exchange("transport_rules", exchange, cmdlets.TRANSPORT_RULE)
        return mail_reviews.mail_forwarding_review(
            mailboxes, rules, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("5.8")
def test_non_owner_mailbox_access_reviewed(cis, exchange, secure_score):
    def review():
        evidence = EvidenceReads()
        organization = evidence.exchange("organization_config", exchange, cmdlets.ORGANIZATION_CONFIG)
        return mail_reviews.non_owner_access_review(
            organization, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("5.9")
def test_malware_detections_reviewed(cis, tenant, secure_score):
    def review():
        evidence = EvidenceReads()
        alerts = evidence.graph("alerts", tenant, reads.security_alerts(tenant.since_7_days))
        return defender_reviews.malware_detections_review(
            alerts, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("5.10")
def test_account_provisioning_reviewed(cis, tenant, secure_score):
    def review():
        evidence = EvidenceReads()
        added = evidence.graph(
            "add_user_audits",
            tenant,
            reads.directory_audits("add_user", "activityDisplayName eq 'Add user'", tenant.since_7_days),
        )
        provisioning = evidence.graph("provisioning_events", tenant, reads.provisioning_events(tenant.since_7_days))
        return identity_reviews.account_provisioning_review(
            added, provisioning, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("5.11")
def test_non_global_admin_assignments_reviewed(cis, tenant, secure_score):
    def review():
        evidence = EvidenceReads()
        assignments = evidence.graph("role_assignments", tenant, reads.ROLE_ASSIGNMENTS)
        audits = evidence.graph(
            "role_audits", tenant, reads.directory_audits("roles", "category eq 'RoleManagement'", tenant.since_7_days)
        )
        return identity_reviews.role_assignments_review(
            assignments, audits, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("5.12")
def test_spoofed_domains_reviewed(cis, exchange):
    def review():
        evidence = EvidenceReads()
        insights = evidence.exchange("spoof_insights", exchange, SPOOF_INTELLIGENCE_INSIGHT)
        return mail_reviews.spoofed_domains_review(insights, failures=evidence.failures)

    cis.evaluate(manual=review)


@pytest.mark.cis("5.13")
def test_cloud_app_security_enabled(cis, tenant, secure_score):
    def review():
        evidence = EvidenceReads()
        skus = evidence.graph("subscribed_skus", tenant, reads.SUBSCRIBED_SKUS)
        alerts = evidence.graph("alerts", tenant, reads.security_alerts(tenant.since_7_days))
        return defender_reviews.cloud_app_security_review(
            skus, alerts, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("5.14")
def test_restricted_senders_reviewed(cis, tenant, exchange):
    def review():
        evidence = EvidenceReads()
        blocked = evidence.exchange("blocked_senders", exchange, BLOCKED_SENDER_ADDRESS)
        alerts = evidence.graph("alerts", tenant, reads.security_alerts(tenant.since_7_days))
        return mail_reviews.restricted_senders_review(blocked, alerts, failures=evidence.failures)

    cis.evaluate(manual=review)


@pytest.mark.cis("5.15")
def test_guest_users_reviewed(cis, tenant):
    def review():
        evidence = EvidenceReads()
        users = evidence.graph("users", tenant, reads.USERS)
        return identity_reviews.guest_users_review(users, failures=evidence.failures)

    cis.evaluate(manual=review)
