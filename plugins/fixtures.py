"""The scan and its fixtures: opened once before any test, read lazily by the recommendations that ask.

`cis` is each test's recommendation: `cis.evaluate(graph=..., exchange=...)` decides by the catalogue's
sources, records the finding and ends the test with the matching pytest outcome.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from o365cis.admin_apis.client import AdminReader
from o365cis.admin_apis.sharepoint import SharePointAdmin
from o365cis.auth import AuthError
from o365cis.catalogue import Recommendation, load_catalogue
from o365cis.collectors import reads
from o365cis.collectors.reads import reads_for_requests
from o365cis.collectors.tenant import TenantReader
from o365cis.config import ConfigError, ScanConfig, load_config
from o365cis.dns.lookups import DnsLookups
from o365cis.evaluation import PlanGate, SourceDecider, apply_waiver, evaluate
from o365cis.exchange.client import ExchangeReader
from o365cis.exchange.cmdlets import CmdletCall, cmdlets_for_requests
from o365cis.findings import Finding, Status
from o365cis.licensing import plan_label, plan_present
from o365cis.outputs import OutputPathError, claim_private_outputs, narrow, release
from o365cis.runner import SCAN_HANDOVER
from o365cis.scan import ScanContext, open_live_scan, open_replay_scan
from o365cis.securescore_source import SecureScoreSource
from o365cis.settings import SettingsError, build_settings
from o365cis.snapshot import SnapshotError
from plugins.collection import recommendation_of

_DEMO = Path(__file__).resolve().parent.parent / "o365cis" / "demo"
DEMO_SNAPSHOT = _DEMO / "demo_tenant.json"
DEMO_CONFIG = _DEMO / "demo_config.yaml"

#: Concurrent Graph reads at scan start: enough to hide latency, few enough not to invite throttling.
PREFETCH_WORKERS = 4
#: config.stash key: the open scan (absent with --collect-only and in runs that are not scans).
SCAN_CONTEXT = pytest.StashKey[ScanContext]()
#: item.stash key: the finding cis.evaluate() concluded the test with.
FINDING = pytest.StashKey[Finding]()


def config_file(config: pytest.Config, values: dict[str, Any]) -> str | None:
    """The --cis-config file of the run (the demo's own with --demo), or None."""
    path = values["cis_config"] or os.environ.get("O365CIS_CONFIG") or None
    if path is None and config.option.cis_demo:
        path = str(DEMO_CONFIG)  # the demo organisation's break-glass account, approved groups, waiver
    return path


def output_paths(config: pytest.Config, values: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(option, path) of every file the run writes."""
    option = config.option
    return [
        ("--cis-json", option.cis_json),
        ("--cis-csv", option.cis_csv),
        ("--cis-csv-evidence", option.cis_csv_evidence),
        ("--html", getattr(option, "htmlpath", None)),
        ("--junitxml", getattr(option, "xmlpath", None)),
        ("--snapshot-save", values["snapshot_save"]),
    ]


def open_scan(config: pytest.Config, values: dict[str, Any]) -> ScanContext:
    """Validate the option values and connect: every bad input is one line and exit status 4, before any test."""
    created: list[Path] = []
    try:
        created = claim_private_outputs(output_paths(config, values))
        scan_config: ScanConfig = load_config(config_file(config, values), frozenset(load_catalogue()))
        if config.option.cis_demo or values["snapshot"]:
            path = str(DEMO_SNAPSHOT) if config.option.cis_demo else values["snapshot"]
            context = open_replay_scan(path, scan_config)
        else:
            settings = build_settings(values)
            context = open_live_scan(settings, scan_config, record=bool(values["snapshot_save"]))
    except (ConfigError, SettingsError, SnapshotError, AuthError, OutputPathError) as exc:
        release(created)
        handover = config.stash.get(SCAN_HANDOVER, None)
        if handover is not None:
            handover.report_error(str(exc))
        raise pytest.UsageError(f"o365-cis: {exc}") from None
    config.stash[SCAN_CONTEXT] = context
    return context


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fetch the selected recommendations' Graph collections and Exchange cmdlets concurrently, up front.

    Only the Graph reads and, for recommendations whose primary source is Exchange, the cmdlets are fetched early.
    The rest is read when a test first needs it: Secure Score where it is a fallback, and the cmdlets of a
    recommendation another source decides (4.11 reads Get-DkimSigningConfig as part of its DNS source).
    """
    context = session.config.stash.get(SCAN_CONTEXT, None)
    if context is None or context.replay is not None or session.config.option.collectonly:
        return
    wanted = []
    cmdlets: list[CmdletCall] = []
    for item in session.items:
        recommendation = recommendation_of(item)
        if recommendation is None:
            continue
        for read in reads_for_requests(recommendation.requests):
            # Secure Score is mostly a fallback: read it when a test first needs it, unless it is primary.
            if read.key.startswith("secure_score") and recommendation.evaluation not in ("securescore", "manual"):
                continue
            wanted.append(read)
        if recommendation.evaluation == "exchange":
            cmdlets.extend(cmdlets_for_requests(recommendation.requests))
    context.prefetch(wanted, cmdlets, workers=PREFETCH_WORKERS)


@pytest.hookimpl(trylast=True)  # the connections close once the reports are written
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Save the snapshot if asked for, and close the scan's connections."""
    config = session.config
    context = config.stash.get(SCAN_CONTEXT, None)
    if context is None:
        return
    handover = config.stash.get(SCAN_HANDOVER, None)
    if handover is not None and context.tokens is not None and context.tokens.failures:
        handover.report_error(f"sign-in failed during the scan: {context.tokens.failures[-1]}")
    if context.recorder is not None and config.option.snapshot_save:
        context.recorder.created = context.as_of.isoformat(timespec="seconds")
        context.recorder.save(config.option.snapshot_save)
    narrow(path for _, path in output_paths(config, {"snapshot_save": config.option.snapshot_save}))
    context.close()


# Fixtures shared by the recommendations -------------------------------------------------------------------


@pytest.fixture(scope="session")
def cis_scan(pytestconfig: pytest.Config) -> ScanContext:
    """The scan's connections and config (opened once, before any recommendation runs)."""
    context = pytestconfig.stash.get(SCAN_CONTEXT, None)
    if context is None:
        pytest.fail("o365-cis: no scan is open (run cis_tests with --tenant-id, --snapshot or --demo)", pytrace=False)
    return context


@pytest.fixture(scope="session")
def tenant(cis_scan: ScanContext) -> TenantReader:
    """The tenant's Graph data: each read performed at most once per scan."""
    return cis_scan.tenant


@pytest.fixture(scope="session")
def cis_config(cis_scan: ScanContext) -> ScanConfig:
    """The --cis-config settings (break-glass accounts, approved groups, thresholds, waivers)."""
    return cis_scan.config


@pytest.fixture(scope="session")
def as_of(cis_scan: ScanContext) -> dt.datetime:
    """The time relative rules are judged at: the scan's start (or the snapshot's, when replaying)."""
    return cis_scan.as_of


@pytest.fixture(scope="session")
def exchange(cis_scan: ScanContext) -> ExchangeReader:
    """The Exchange Online admin API: `exchange.invoke("Get-OrganizationConfig")`, each cmdlet run once."""
    return cis_scan.exchange()


@pytest.fixture(scope="session")
def teams(cis_scan: ScanContext) -> AdminReader:
    """The Teams admin API (undocumented by Microsoft): `teams.get(teams_api.FEDERATION)`, each GET sent once."""
    return cis_scan.teams()


@pytest.fixture(scope="session")
def sharepoint(cis_scan: ScanContext) -> SharePointAdmin:
    """The opt-in SharePoint admin API: `sharepoint.skipped()` says why it is not tried, else `.tenant()`."""
    return cis_scan.sharepoint()


@pytest.fixture(scope="session")
def dns_lookups(cis_scan: ScanContext) -> DnsLookups:
    """DNS TXT look-ups for SPF, DKIM and DMARC, each name asked once."""
    return cis_scan.dns()


@pytest.fixture(scope="session")
def secure_score(tenant: TenantReader, as_of: dt.datetime) -> SecureScoreSource:
    """Secure Score, read once and shared by every recommendation that falls back on it."""
    return SecureScoreSource(tenant, as_of)


@pytest.fixture(scope="session")
def plan_gate(tenant: TenantReader) -> Callable[[Sequence[str]], PlanGate]:
    """`plan_gate(plans)`: the "plan present" check of docs/CONCEPTS.md, as the gate of cis.evaluate()."""

    def gate_for(plans: Sequence[str]) -> PlanGate:
        def gate() -> str | None:
            if plan_present(tenant.read(reads.SUBSCRIBED_SKUS), plans):
                return None
            return f"not licensed for {plan_label(plans)}: no enabled subscription provisions it (subscribedSkus)"

        return gate

    return gate_for


class RecommendationUnderTest:
    """Bound to one test: evaluates its sources in the catalogue's order and concludes the test."""

    def __init__(
        self, item: pytest.Item, recommendation: Recommendation, config: ScanConfig, secure_score: SecureScoreSource
    ) -> None:
        self._item = item
        self.recommendation = recommendation
        self._config = config
        self._secure_score = secure_score

    def evaluate(self, *, gate: PlanGate | None = None, **deciders: SourceDecider) -> Finding:
        """Decide by the first deciding source, record the finding, and end the test with its outcome.

        The Secure Score source needs no wiring: where the catalogue lists it, its controls decide.
        """
        if "securescore" in self.recommendation.sources and "securescore" not in deciders:
            deciders["securescore"] = lambda: self._secure_score.decide(self.recommendation)
        finding = evaluate(self.recommendation, deciders, gate=gate)
        finding = apply_waiver(self.recommendation.id, finding, self._config, dt.date.today())
        self._item.stash[FINDING] = finding
        conclude(finding)
        return finding


class NonCompliant(AssertionError):
    """The tenant fails the recommendation (pytest outcome: failed)."""


class RecommendationError(Exception):
    """The recommendation could not be evaluated (pytest outcome: error)."""


def conclude(finding: Finding) -> None:
    """Map a finding to pytest's outcome: passed, failed, skipped, or an error."""
    if finding.status is Status.COMPLIANT:
        return
    if finding.status is Status.NON_COMPLIANT:
        raise NonCompliant(finding.reason)
    if finding.status is Status.ERROR:
        raise RecommendationError(finding.reason)
    pytest.skip(f"{finding.status.value}: {finding.reason}")


@pytest.fixture
def cis(
    request: pytest.FixtureRequest, cis_config: ScanConfig, secure_score: SecureScoreSource
) -> RecommendationUnderTest:
    """This test's recommendation: `cis.evaluate(graph=..., securescore=...)` decides and concludes."""
    recommendation = recommendation_of(request.node)
    if recommendation is None:
        pytest.fail("the cis fixture needs a @pytest.mark.cis marker", pytrace=False)
    return RecommendationUnderTest(request.node, recommendation, cis_config, secure_score)
