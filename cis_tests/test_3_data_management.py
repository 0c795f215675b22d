"""CIS section 3: Data Management."""

from __future__ import annotations

import pytest

from o365cis.collectors import reads
from o365cis.collectors.evidence import invoke
from o365cis.exchange import cmdlets
from o365cis.licensing import LOCKBOX
from o365cis.rules import data_management


@pytest.mark.cis("3.1")
def test_customer_lockbox_enabled(cis, exchange, plan_gate):
    cis.evaluate(
        gate=plan_gate(LOCKBOX),
        exchange=lambda: data_management.customer_lockbox_enabled(invoke(exchange, cmdlets.ORGANIZATION_CONFIG)),
    )


@pytest.mark.cis("3.2")
def test_sensitivity_labels_published(cis, exchange):
    cis.evaluate(
        exchange=lambda: data_management.sensitivity_labels_published(
            invoke(exchange, cmdlets.LABEL), invoke(exchange, cmdlets.LABEL_POLICY)
        )
    )


@pytest.mark.cis("3.3")
def test_teams_external_domains_restricted(cis):
    cis.evaluate(manual=data_management.teams_external_access_review)


@pytest.mark.cis("3.4")
def test_dlp_policies_enabled(cis, exchange):
    cis.evaluate(exchange=lambda: data_management.dlp_policies_enabled(invoke(exchange, cmdlets.DLP_COMPLIANCE_POLICY)))


@pytest.mark.cis("3.5")
def test_dlp_policies_cover_teams(cis, exchange):
    cis.evaluate(
        exchange=lambda: data_management.dlp_policies_for_teams(invoke(exchange, cmdlets.DLP_COMPLIANCE_POLICY))
    )


@pytest.mark.cis("3.6")
def test_external_users_cannot_reshare(cis, tenant):
    cis.evaluate(graph=lambda: data_management.external_resharing_blocked(tenant.read(reads.SHAREPOINT_SETTINGS)))


@pytest.mark.cis("3.7")
def test_teams_cloud_storage_approved_only(cis):
    cis.evaluate(manual=data_management.teams_cloud_storage_review)
