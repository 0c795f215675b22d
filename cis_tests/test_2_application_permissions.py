"""CIS section 2: Application Permissions."""

from __future__ import annotations

import pytest

from o365cis.collectors import reads
from o365cis.collectors.evidence import EvidenceReads, invoke
from o365cis.collectors.partial import attempt_invoke
from o365cis.exchange import cmdlets
from o365cis.licensing import MDO
from o365cis.rules import applications


@pytest.mark.cis("2.1")
def test_users_cannot_register_applications(cis, tenant):
    cis.evaluate(graph=lambda: applications.users_cannot_register_apps(tenant.read(reads.AUTHORIZATION_POLICY)))


@pytest.mark.cis("2.2")
def test_external_calendar_sharing_disabled(cis, exchange):
    cis.evaluate(exchange=lambda: applications.calendar_sharing_disabled(invoke(exchange, cmdlets.SHARING_POLICY)))


@pytest.mark.cis("2.3")
def test_safe_links_for_office_applications(cis, exchange, plan_gate):
    cis.evaluate(
        gate=plan_gate(MDO),
        exchange=lambda: applications.safe_links_for_office_apps(
            invoke(exchange, cmdlets.SAFE_LINKS_POLICY),
            invoke(exchange, cmdlets.SAFE_LINKS_RULE),
            invoke(exchange, cmdlets.ATP_PROTECTION_POLICY_RULE),
            invoke(exchange, cmdlets.ACCEPTED_DOMAIN),
            invoke(exchange, cmdlets.ATP_POLICY_FOR_O365),
        ),
    )


@pytest.mark.cis("2.4")
def test_defender_for_sharepoint_onedrive_teams(cis, exchange, plan_gate):
    cis.evaluate(
        gate=plan_gate(MDO),
        exchange=lambda: applications.atp_for_spo_teams_odb(invoke(exchange, cmdlets.ATP_POLICY_FOR_O365)),
    )


@pytest.mark.cis("2.5")
def test_infected_file_download_blocked(cis, exchange):
    def review():
        evidence = EvidenceReads()
        atp = evidence.exchange("atp_policy_for_o365", exchange, cmdlets.ATP_POLICY_FOR_O365)
        return applications.infected_file_download_review(atp, failures=evidence.failures)

    cis.evaluate(manual=review)


@pytest.mark.cis("2.6")
def test_user_consent_to_apps_not_allowed(cis, tenant):
    cis.evaluate(graph=lambda: applications.user_consent_not_allowed(tenant.read(reads.AUTHORIZATION_POLICY)))


@pytest.mark.cis("2.7")
def test_admin_consent_workflow_enabled(cis, tenant):
    cis.evaluate(graph=lambda: applications.admin_consent_workflow_enabled(tenant.read(reads.ADMIN_CONSENT_POLICY)))


@pytest.mark.cis("2.8")
def test_users_cannot_install_outlook_addins(cis, exchange):
    # Get-Mailbox says which policies are in use; a failing default decides without it (the catalogue's 2.8).
    cis.evaluate(
        exchange=lambda: applications.outlook_addins_blocked(
            invoke(exchange, cmdlets.ROLE_ASSIGNMENT_POLICY), attempt_invoke(exchange, cmdlets.MAILBOX)
        )
    )


@pytest.mark.cis("2.9")
def test_office_store_blocked(cis, tenant):
    cis.evaluate(graph=lambda: applications.office_store_blocked(tenant.read(reads.APPS_AND_SERVICES)))


@pytest.mark.cis("2.10")
def test_forms_phishing_protection_enabled(cis, tenant):
    cis.evaluate(graph=lambda: applications.forms_phishing_protection_enabled(tenant.read(reads.FORMS_SETTINGS)))


@pytest.mark.cis("2.11")
def test_sway_external_sharing_blocked(cis):
    cis.evaluate(manual=applications.sway_sharing_review)
