"""CIS section 4: Email Security / Exchange Online, through the Exchange admin API and public DNS."""

from __future__ import annotations

import pytest

from o365cis.collectors import reads
from o365cis.collectors.evidence import EvidenceReads, invoke
from o365cis.collectors.partial import attempt_invoke
from o365cis.dns.lookups import lookup_dkim, lookup_dmarc, lookup_spf
from o365cis.dns.mail import mail_domains
from o365cis.exchange import cmdlets
from o365cis.licensing import MDO
from o365cis.rules.email import dns as email_dns
from o365cis.rules.email import organization, threat_policies, transport


@pytest.fixture(scope="module")
def domains_for_mail(tenant):
    """`domains_for_mail()`: the tenant's mail domains (verified, Email, not *.onmicrosoft.com), with skips."""
    return lambda: mail_domains(tenant.read(reads.DOMAINS))


@pytest.mark.cis("4.1")
def test_common_attachment_filter_enabled(cis, exchange):
    cis.evaluate(
        exchange=lambda: threat_policies.common_attachment_filter_enabled(
            invoke(exchange, cmdlets.MALWARE_FILTER_POLICY)
        )
    )


@pytest.mark.cis("4.2")
def test_outbound_spam_notifications(cis, exchange):
    cis.evaluate(
        exchange=lambda: threat_policies.outbound_spam_notifications_set(invoke(exchange, cmdlets.OUTBOUND_SPAM_POLICY))
    )


@pytest.mark.cis("4.3")
def test_transport_rules_do_not_forward_externally(cis, exchange):
    cis.evaluate(
        exchange=lambda: transport.transport_rules_do_not_forward_externally(
            invoke(exchange, cmdlets.TRANSPORT_RULE), invoke(exchange, cmdlets.ACCEPTED_DOMAIN)
        )
    )


@pytest.mark.cis("4.4")
def test_automatic_forwarding_disabled(cis, exchange):
    cis.evaluate(
        exchange=lambda: transport.automatic_forwarding_disabled(
            invoke(exchange, cmdlets.REMOTE_DOMAIN),
            invoke(exchange, cmdlets.OUTBOUND_SPAM_POLICY),
            invoke(exchange, cmdlets.OUTBOUND_SPAM_RULE),
            invoke(exchange, cmdlets.ACCEPTED_DOMAIN),
        )
    )


@pytest.mark.cis("4.5")
def test_transport_rules_do_not_allowlist_domains(cis, exchange):
    cis.evaluate(
        exchange=lambda: transport.transport_rules_do_not_allowlist_domains(invoke(exchange, cmdlets.TRANSPORT_RULE))
    )


@pytest.mark.cis("4.6")
def test_client_rules_forwarding_blocked(cis, exchange):
    cis.evaluate(
        exchange=lambda: transport.client_rules_forwarding_blocked(
            invoke(exchange, cmdlets.TRANSPORT_RULE),
            invoke(exchange, cmdlets.OUTBOUND_SPAM_POLICY),
            invoke(exchange, cmdlets.OUTBOUND_SPAM_RULE),
            invoke(exchange, cmdlets.ACCEPTED_DOMAIN),
        )
    )


@pytest.mark.cis("4.7")
def test_safe_links_policy_enabled(cis, exchange, plan_gate):
    cis.evaluate(
        gate=plan_gate(MDO),
        exchange=lambda: threat_policies.safe_links_policy_enabled(
            invoke(exchange, cmdlets.SAFE_LINKS_POLICY),
            invoke(exchange, cmdlets.SAFE_LINKS_RULE),
            invoke(exchange, cmdlets.ATP_PROTECTION_POLICY_RULE),
            invoke(exchange, cmdlets.ACCEPTED_DOMAIN),
        ),
    )


@pytest.mark.cis("4.8")
def test_safe_attachments_policy_enabled(cis, exchange, plan_gate):
    cis.evaluate(
        gate=plan_gate(MDO),
        exchange=lambda: threat_policies.safe_attachments_policy_enabled(
            invoke(exchange, cmdlets.SAFE_ATTACHMENT_POLICY),
            invoke(exchange, cmdlets.SAFE_ATTACHMENT_RULE),
            invoke(exchange, cmdlets.ATP_PROTECTION_POLICY_RULE),
            invoke(exchange, cmdlets.ACCEPTED_DOMAIN),
        ),
    )


@pytest.mark.cis("4.9")
def test_basic_authentication_disabled(cis, exchange):
    def decide():
        transport = EvidenceReads().exchange("transport_config", exchange, cmdlets.TRANSPORT_CONFIG)  # evidence only
        return organization.basic_auth_disabled(
            invoke(exchange, cmdlets.ORGANIZATION_CONFIG), invoke(exchange, cmdlets.AUTHENTICATION_POLICY), transport
        )

    cis.evaluate(exchange=decide)


@pytest.mark.cis("4.10")
def test_anti_phishing_policy(cis, exchange, plan_gate):
    cis.evaluate(
        gate=plan_gate(MDO),
        exchange=lambda: threat_policies.anti_phishing_policy_set(
            invoke(exchange, cmdlets.ANTI_PHISH_POLICY),
            invoke(exchange, cmdlets.ANTI_PHISH_RULE),
            invoke(exchange, cmdlets.ATP_PROTECTION_POLICY_RULE),
            invoke(exchange, cmdlets.EOP_PROTECTION_POLICY_RULE),
            invoke(exchange, cmdlets.ACCEPTED_DOMAIN),
        ),
    )


@pytest.mark.cis("4.11")
def test_dkim_enabled_for_all_domains(cis, exchange, dns_lookups, domains_for_mail):
    def dns():
        # Get-DkimSigningConfig is a decisive read of this source: a domain DNS proves invalid decides without it.
        domains = domains_for_mail()
        return email_dns.dkim_enabled(
            domains, lookup_dkim(dns_lookups, domains.evaluated), attempt_invoke(exchange, cmdlets.DKIM_SIGNING_CONFIG)
        )

    cis.evaluate(dns=dns)


@pytest.mark.cis("4.12")
def test_spf_records_published(cis, tenant, dns_lookups, domains_for_mail):
    def dns():
        domains = domains_for_mail()
        expected = {}
        for domain in domains.evaluated:
            # Microsoft's expected record is shown beside what DNS holds: evidence, never proof.
            records, _ = tenant.attempt(reads.domain_service_records(domain.name))
            if (text := email_dns.expected_spf(records)) is not None:
                expected[domain.name] = text
        return email_dns.spf_published(domains, lookup_spf(dns_lookups, domains.evaluated), expected)

    cis.evaluate(dns=dns)


@pytest.mark.cis("4.13")
def test_dmarc_records_published(cis, dns_lookups, domains_for_mail):
    def dns():
        domains = domains_for_mail()
        return email_dns.dmarc_published(domains, lookup_dmarc(dns_lookups, domains.evaluated))

    cis.evaluate(dns=dns)


@pytest.mark.cis("4.14")
def test_internal_malware_notifications(cis, exchange):
    cis.evaluate(
        exchange=lambda: threat_policies.internal_malware_notifications_enabled(
            invoke(exchange, cmdlets.MALWARE_FILTER_POLICY)
        )
    )


@pytest.mark.cis("4.15")
def test_mailtips_enabled(cis, exchange):
    cis.evaluate(exchange=lambda: organization.mailtips_enabled(invoke(exchange, cmdlets.ORGANIZATION_CONFIG)))
