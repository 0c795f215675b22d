"""The cmdlets a recommendation reads come from the catalogue's request strings, whatever the cmdlet."""

from __future__ import annotations

import pytest

from o365cis.catalogue import load_catalogue
from o365cis.exchange import cmdlets
from o365cis.exchange.cmdlets import (
    COMPLIANCE_CMDLETS,
    CmdletCall,
    CmdletRequest,
    cmdlets_for_requests,
    parse_cmdlet_request,
)

EXCHANGE = "POST {exchange}/adminapi/beta/{tenant}/InvokeCommand "
COMPLIANCE = "POST {compliance}/adminapi/beta/{tenant}/InvokeCommand "


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        (EXCHANGE + "Get-OrganizationConfig", CmdletRequest(CmdletCall("Get-OrganizationConfig"), "exchange", False)),
        (COMPLIANCE + "Get-Label", CmdletRequest(CmdletCall("Get-Label"), "compliance", False)),
        (
            EXCHANGE + "Get-Mailbox -ResultSize Unlimited (evidence)",
            CmdletRequest(CmdletCall("Get-Mailbox", {"ResultSize": "Unlimited"}), "exchange", True),
        ),
        (
            EXCHANGE + "Get-ATPProtectionPolicyRule -Identity 'Strict Preset Security Policy' -State Enabled",
            CmdletRequest(
                CmdletCall(
                    "Get-ATPProtectionPolicyRule", {"Identity": "Strict Preset Security Policy", "State": "Enabled"}
                ),
                "exchange",
                False,
            ),
        ),
        (
            EXCHANGE + "Get-HostedOutboundSpamFilterRule -IncludeDisabled -ResultSize 10",
            CmdletRequest(
                CmdletCall("Get-HostedOutboundSpamFilterRule", {"IncludeDisabled": True, "ResultSize": "10"}),
                "exchange",
                False,
            ),
        ),
    ],
    ids=["plain", "compliance host", "parameter and evidence", "quoted value", "switch"],
)
def test_a_request_names_its_cmdlet_host_parameters_and_role(request_text: str, expected: CmdletRequest) -> None:
    assert parse_cmdlet_request(request_text) == expected


@pytest.mark.parametrize(
    "request_text", ["GET /v1.0/domains", "GET /v1.0/users?$select=id (evidence)", "DNS TXT _dmarc.{domain}"]
)
def test_other_requests_are_no_cmdlets(request_text: str) -> None:
    assert parse_cmdlet_request(request_text) is None


@pytest.mark.parametrize(
    "command", ["get-organizationconfig", "Get-Mailbox Unlimited", "Get-Mailbox -ResultSize Unlimited Extra"]
)
def test_a_malformed_cmdlet_request_is_refused(command: str) -> None:
    with pytest.raises(ValueError, match="catalogue request"):
        parse_cmdlet_request(EXCHANGE + command)


def test_decisive_and_evidence_cmdlets_are_told_apart_once_each() -> None:
    requests = (
        "GET /v1.0/organization",
        EXCHANGE + "Get-EOPProtectionPolicyRule",
        EXCHANGE + "Get-EOPProtectionPolicyRule",
        EXCHANGE + "Get-TransportConfig (evidence)",
    )

    assert cmdlets_for_requests(requests) == [CmdletCall("Get-EOPProtectionPolicyRule")]
    assert cmdlets_for_requests(requests, evidence=True) == [CmdletCall("Get-TransportConfig")]


def test_catalogue_decisive_cmdlets_of_an_exchange_recommendation() -> None:
    catalogue = load_catalogue()

    assert cmdlets_for_requests(catalogue["4.9"].requests) == [
        cmdlets.ORGANIZATION_CONFIG,
        cmdlets.AUTHENTICATION_POLICY,
    ]
    assert cmdlets_for_requests(catalogue["5.2"].requests) == [
        cmdlets.ORGANIZATION_CONFIG,
        cmdlets.MAILBOX_AUDIT_BYPASS,
    ]
    assert cmdlets_for_requests(catalogue["5.2"].requests, evidence=True) == [cmdlets.MAILBOX]


def catalogue_cmdlet_requests() -> list[CmdletRequest]:
    parsed = (parse_cmdlet_request(request) for r in load_catalogue().values() for request in r.requests)
    return [request for request in parsed if request is not None]


def test_declared_calls_run_the_catalogue_parameters() -> None:
    """The prefetch runs the catalogue's calls: a test invoking other parameters would miss its cache.

    A cmdlet the catalogue adds needs no declaration here until a test invokes it.
    """
    declared = {value.name: value for value in vars(cmdlets).values() if isinstance(value, CmdletCall)}

    for request in catalogue_cmdlet_requests():
        assert declared.get(request.call.name, request.call) == request.call


def test_the_catalogue_hosts_agree_with_the_client() -> None:
    for request in catalogue_cmdlet_requests():
        assert request.host == ("compliance" if request.call.compliance else "exchange"), request.call.name
    assert COMPLIANCE_CMDLETS <= {request.call.name for request in catalogue_cmdlet_requests()}
