"""read_intune: an Intune licence refusal names the service plan subscribedSkus lacks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from o365cis.collectors import reads
from o365cis.collectors.intune import read_intune
from o365cis.collectors.tenant import TenantReader
from o365cis.findings import FailureKind, ReadError
from o365cis.graph.client import GraphClient, RawResponse, replay_fetch
from o365cis.snapshot import Snapshot

ROLES = frozenset({"DeviceManagementConfiguration.Read.All", "Directory.Read.All"})
NOT_APPLICABLE = RawResponse(
    400, {"error": {"code": "BadRequest", "message": "Request not applicable to target tenant."}}
)
E3_WITHOUT_INTUNE = {
    "value": [
        {
            "skuPartNumber": "ENTERPRISEPACK",
            "capabilityStatus": "Enabled",
            "servicePlans": [{"servicePlanName": "EXCHANGE_S_ENTERPRISE", "provisioningStatus": "Success"}],
        }
    ]
}


def reader(answers: Mapping[str, RawResponse]) -> TenantReader:
    snapshot = Snapshot()
    for url, answer in answers.items():
        snapshot.record(f"GET {url}", answer.status, answer.body)
    return TenantReader(GraphClient("", replay_fetch(snapshot)), ROLES, dt.datetime.now(dt.UTC))


POLICIES_URL = "/beta/deviceManagement/deviceCompliancePolicies?$expand=assignments"


def test_a_licence_refusal_names_the_missing_intune_plan() -> None:
    tenant = reader({POLICIES_URL: NOT_APPLICABLE, "/v1.0/subscribedSkus": RawResponse(200, E3_WITHOUT_INTUNE)})
    with pytest.raises(ReadError) as raised:
        read_intune(tenant, reads.DEVICE_COMPLIANCE_POLICIES)
    assert raised.value.kind is FailureKind.NOT_LICENSED
    assert "INTUNE_A" in str(raised.value) and "not applicable to target tenant" in str(raised.value)


def test_without_the_licence_list_the_refusal_is_kept_as_graph_said_it() -> None:
    tenant = reader({POLICIES_URL: NOT_APPLICABLE})
    with pytest.raises(ReadError) as raised:
        read_intune(tenant, reads.DEVICE_COMPLIANCE_POLICIES)
    assert raised.value.kind is FailureKind.NOT_LICENSED and "INTUNE_A" not in str(raised.value)


def test_licensed_reads_pass_through() -> None:
    tenant = reader({POLICIES_URL: RawResponse(200, {"value": [{"id": "p1"}]})})
    assert read_intune(tenant, reads.DEVICE_COMPLIANCE_POLICIES) == [{"id": "p1"}]
