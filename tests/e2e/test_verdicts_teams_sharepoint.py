"""End to end through the CLI: 3.3 and 3.7 decided by the Teams admin API, 2.5 by the opt-in SharePoint admin API.

Each case is the full golden tenant with its Teams or SharePoint answer changed (the shape variants of an API
Microsoft does not document, refusals, faults), scanned as a user scans it (`python -m pytest -k ...` in a child
process against the fake cloud over HTTPS). SharePoint cases sign in with a certificate: with a secret the source is
never tried (the golden case shows that).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.exchange_cases import USERS, ScanCase, ScanOutcome, run_scans
from tests.fake_tenant.certificates import make_app_certificate
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.patching import with_certificate
from tests.harness.scan import write_config
from tests.harness.tenants import full_golden_config, full_golden_tenant

#: Runs 2.5, 3.3 and 3.7 only (their test names in cis_tests/).
IDS = "-k=test_infected_file_download_blocked or test_teams_external_domains_restricted or test_teams_cloud_storage"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
FAST_FAILURE = {"O365CIS_RETRY_BUDGET": "3"}


def teams_case(name: str, change: Callable[[dict[str, Any]], None], **scenario: Any) -> ScanCase:
    tenant = full_golden_tenant(USERS)
    change(tenant.extra["teams"]["configurations"] if "configurations" in tenant.extra["teams"] else tenant.extra)
    for key, value in scenario.items():
        setattr(tenant, key, value)
    return ScanCase(name, tenant, options=(IDS,))


def configurations(federation: Any = None, client: Any = None) -> Callable[[dict[str, Any]], None]:
    def change(found: dict[str, Any]) -> None:
        if federation is not None:
            found["TenantFederationSettings"] = federation
        if client is not None:
            found["TeamsClientConfiguration"] = client

    return change


def teams_setting(key: str, value: Any) -> Scenario:
    tenant = full_golden_tenant(USERS)
    tenant.extra["teams"][key] = value
    return tenant


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScanOutcome]:
    root = tmp_path_factory.mktemp("teams-sharepoint")
    certificate = make_app_certificate(root / "cert")
    approved = write_config(
        root / "approved.yaml", {**full_golden_config(), "approved_storage_providers": ["dropbox", "box"]}
    )
    certificate_options = (IDS, f"--client-certificate={certificate.pem_path}")
    no_secret = {"AZURE_CLIENT_SECRET": ""}

    def sharepoint(
        name: str, *, roles: list[str], data: dict[str, Any] | None = None, env: dict[str, str] | None = None
    ) -> ScanCase:
        tenant = with_certificate(full_golden_tenant(USERS), certificate)
        tenant.sharepoint_roles = roles
        if data is not None:
            tenant.extra["sharepoint"] = data
        return ScanCase(name, tenant, options=certificate_options, env={**no_secret, **(env or {})})

    variants = full_golden_tenant(USERS)
    variants.extra["teams"]["configurations"] = {
        # a one-element array wrapping the object; allowed domains as plain strings
        "TenantFederationSettings": [{"AllowFederatedUsers": True, "AllowedDomains": ["fabrikam.com", "tailspin.com"]}],
        # the AllowDropbox spelling, two approved providers on
        "TeamsClientConfiguration": {
            "AllowDropbox": True, "AllowBox": True,
            "AllowGoogleDrive": False, "AllowShareFile": False, "AllowEgnyte": False,
        },
    }  # fmt: skip
    cases = [
        ScanCase("golden", full_golden_tenant(USERS), options=(IDS,)),
        ScanCase("teams_variants", variants, options=(IDS, f"--cis-config={approved}")),
        teams_case(
            "teams_noncompliant",
            configurations(
                federation={"AllowFederatedUsers": True, "AllowedDomains": {"AllowAllKnownDomains": {}}},
                client={"AllowGoogleDrive": True, "AllowBox": False},  # three switches missing: still fails
            ),
        ),
        teams_case(
            "teams_unrecognised",
            configurations(
                federation={"AllowFederatedUsers": True, "AllowedDomains": 42},
                client=[{"AllowBox": False}, {"AllowBox": False}],
            ),
        ),
        ScanCase("teams_no_role", teams_setting("entra_role", False), options=(IDS,)),
        teams_case("teams_wids_without_role", lambda _: None, directory_role_ids=[DIRECTORY_READERS]),
        ScanCase("teams_fault", teams_setting("fail", 503), options=(IDS,), env=FAST_FAILURE),
        sharepoint("spo_compliant", roles=["Sites.FullControl.All"]),
        sharepoint(
            "spo_noncompliant",
            roles=["Sites.FullControl.All"],
            data={"tenant": {"DisallowInfectedFileDownload": False}},
        ),
        sharepoint("spo_without_permission", roles=[]),
        sharepoint("spo_fault", roles=["Sites.FullControl.All"], data={"fail": 503}, env=FAST_FAILURE),
    ]
    return run_scans(cases, root / "scans", parallel=3)


def verdict(scans: dict[str, ScanOutcome], case: str, rec_id: str) -> tuple[str, str, str]:
    result = scans[case].result(rec_id)
    return result["status"], result["source"], result["reason"] + "\n" + scans[case].evidence_text(rec_id)


EXPECTED: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    # case, id, status, source, named in the reason or evidence
    ("golden", "3.3", "compliant", "teams", ("fabrikam.com",)),
    ("golden", "3.7", "compliant", "teams", ("approved: none",)),
    ("golden", "2.5", "manual", "none", ("client secret", "Sites.FullControl.All", "EnableATPForSPOTeamsODB")),
    ("teams_variants", "3.3", "compliant", "teams", ("2 domains", "tailspin.com")),
    ("teams_variants", "3.7", "compliant", "teams", ("approved: box, dropbox",)),
    ("teams_noncompliant", "3.3", "non_compliant", "teams", ("AllowAllKnownDomains",)),
    ("teams_noncompliant", "3.7", "non_compliant", "teams", ("AllowGoogleDrive (googledrive)",)),
    ("teams_unrecognised", "3.3", "manual", "none", ("could not decide", "a number")),
    ("teams_unrecognised", "3.7", "manual", "none", ("could not decide", "a list of 2 items")),
    ("teams_no_role", "3.3", "error", "none", ("Global Reader", "application_access", "403")),
    ("teams_no_role", "3.7", "error", "none", ("Global Reader", "application_access")),
    ("teams_wids_without_role", "3.3", "error", "none", ("wids", "Global Reader")),
    ("teams_fault", "3.7", "error", "none", ("RetryBudgetExhausted", "503")),
    ("spo_compliant", "2.5", "compliant", "sharepoint", ("DisallowInfectedFileDownload",)),
    ("spo_noncompliant", "2.5", "non_compliant", "sharepoint", ("DisallowInfectedFileDownload is false",)),
    ("spo_without_permission", "2.5", "manual", "none", ("holds no Sites.FullControl.All",)),
    ("spo_fault", "2.5", "error", "none", ("SharePoint admin API",)),
]


@pytest.mark.parametrize(
    ("case", "rec_id", "status", "source", "named"), EXPECTED, ids=[f"{c}-{i}" for c, i, *_ in EXPECTED]
)
def test_verdict(
    scans: dict[str, ScanOutcome], case: str, rec_id: str, status: str, source: str, named: tuple[str, ...]
) -> None:
    got_status, got_source, text = verdict(scans, case, rec_id)
    assert (got_status, got_source) == (status, source), text
    for fragment in named:
        assert fragment in text, f"{case} {rec_id} does not name {fragment!r}: {text}"


def test_no_secret_leaks_and_other_recommendations_are_not_run(scans: dict[str, ScanOutcome]) -> None:
    for outcome in scans.values():
        assert set(outcome.results) == {"2.5", "3.3", "3.7"}, outcome.output[-2000:]
        assert "Bearer " not in outcome.output
