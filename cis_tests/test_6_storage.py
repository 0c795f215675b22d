"""CIS section 6: Storage."""

from __future__ import annotations

import pytest

from o365cis.collectors import reads
from o365cis.collectors.evidence import invoke
from o365cis.exchange import cmdlets
from o365cis.rules import storage


@pytest.mark.cis("6.1")
def test_sharing_limited_by_domain_list(cis, tenant):
    cis.evaluate(graph=lambda: storage.sharing_limited_by_domain(tenant.read(reads.SHAREPOINT_SETTINGS)))


@pytest.mark.cis("6.2")
def test_onedrive_sync_blocked_on_unmanaged_devices(cis, tenant):
    cis.evaluate(graph=lambda: storage.unmanaged_sync_blocked(tenant.read(reads.SHAREPOINT_SETTINGS)))


@pytest.mark.cis("6.3")
def test_external_sharing_links_expire(cis, tenant):
    cis.evaluate(graph=lambda: storage.anyone_link_expiry_applies(tenant.read(reads.SHAREPOINT_SETTINGS)))


@pytest.mark.cis("6.4")
def test_outlook_web_storage_providers_restricted(cis, exchange):
    cis.evaluate(
        exchange=lambda: storage.owa_storage_providers_restricted(invoke(exchange, cmdlets.OWA_MAILBOX_POLICY))
    )
