"""End-to-end verdict matrix of the Graph- and Secure-Score-decided recommendations (sections 1, 2, 3, 5, 6, 7).

The real suite (cis_tests/) runs as a `pytest` subprocess against the fake tenant over HTTPS (tests/harness), once
per scenario of graph_cases.CASES, and the tests read its results document (--cis-json). The first test that
needs a scan starts, concurrently, every scan the selected tests need; each scenario is scanned once.

Expectations come from the product's catalogue (o365cis/catalogue.json: sources, permissions, evidence-only
permissions) and the rules of controls.yaml restated in the constants below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from o365cis.catalogue import Recommendation, load_catalogue, permission_notes
from tests.e2e import graph_cases as cases
from tests.harness.scan import fake_cloud, write_config
from tests.harness.tenants import full_golden_config

CATALOGUE: dict[str, Recommendation] = load_catalogue()
SECTIONS = ("1", "2", "3", "5", "6", "7")
#: What the scans select (-m "not section4"): every recommendation outside section 4.
SCANNED: frozenset[str] = frozenset(i for i in CATALOGUE if i.split(".")[0] != "4")
IN_SCOPE: list[str] = [i for i in CATALOGUE if i.split(".")[0] in SECTIONS]
#: Recommendations Graph or Secure Score decides first (the ones this matrix violates and starves).
GRAPH_DECIDED: list[str] = [i for i in IN_SCOPE if CATALOGUE[i].evaluation in ("graph", "securescore")]
MANUAL: list[str] = [i for i in IN_SCOPE if CATALOGUE[i].evaluation == "manual"]

SECURE_SCORE_PERMISSION = "SecurityEvents.Read.All"
EXCHANGE_PERMISSION = "Exchange.ManageAsApp"
#: In the golden tenant Secure Score decides these: 1.1.15 has no Graph property, and for 6.3 Graph only sees that
#: Anyone links are allowed, not their expiry (controls.yaml rules).
GOLDEN_SECURE_SCORE: frozenset[str] = frozenset({"1.1.15", "6.3"})
#: Secure Score deviations of controls.yaml: a full control is only `manual` for these (it cannot prove the rule).
SECURE_SCORE_FULL_IS_MANUAL: frozenset[str] = frozenset({"1.1.2", "1.1.3", "1.1.8", "1.1.9", "1.1.10"})
#: Recommendations behind a plan gate over subscribedSkus (Directory.Read.All): "error unless plan ... is present".
PLAN_GATED: frozenset[str] = frozenset({"1.1.8", "1.1.9", "1.1.10", "1.1.11", "2.3", "2.4", "3.1"})
#: Violations whose rule hands over to Secure Score, which then decides non_compliant (below full).
NON_COMPLIANT_VIA_SECURE_SCORE: frozenset[str] = frozenset({"1.1.8", "1.1.9", "1.1.10", "1.1.15", "6.3"})
#: Evidence reads that another permission the scan keeps still allows: roleAssignments also accepts
#: Directory.Read.All (https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments).
STILL_READABLE: frozenset[tuple[str, str]] = frozenset({("RoleManagement.Read.Directory", "5.11")})
PIM_GROUPS_PERMISSION = "PrivilegedEligibilitySchedule.Read.AzureADGroup"

SCAN_TIMEOUT = 300
WORKERS = min(4, (os.cpu_count() or 2) + 1)


# ----------------------------------------------------------------------------------------------- running scans


@dataclass(frozen=True)
class ScanResult:
    """One scan: exit status, output, and the results document by recommendation id."""

    name: str
    returncode: int
    stdout: str
    stderr: str
    results: dict[str, dict[str, Any]]

    def __getitem__(self, rec_id: str) -> dict[str, Any]:
        """The result of one recommendation (a missing one fails the test with the scan's output)."""
        if rec_id not in self.results:
            raise AssertionError(
                f"{rec_id} missing from scan {self.name}:\n{self.stdout[-3000:]}\n{self.stderr[-3000:]}"
            )
        return self.results[rec_id]


def _scan_environment(extra: dict[str, str]) -> dict[str, str]:
    # Credentials or hosts of the developer's own shell must not leak into the scan; the options say it all.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "O365CIS_"))}
    env.update(extra)
    return env


def run_scan(name: str, case: cases.ScanCase, out: Path) -> ScanResult:
    """Serve the case's tenant on loopback, run the suite against it, and read its results document."""
    out.mkdir(parents=True, exist_ok=True)
    results_json = out / "results.json"
    with fake_cloud([case.scenario]) as cloud:
        config = write_config(out / "config.yaml", case.config if case.config is not None else full_golden_config())
        command = [
            sys.executable,
            "-m",
            "pytest",
            *cloud.args(case.scenario),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:html",
            f"--cis-json={results_json}",
            f"--cis-config={config}",
            "-q",
            *case.args,
        ]
        done = subprocess.run(
            command,
            cwd=out,  # the default reports (reports/junit.xml, ...) land in the case's own folder
            env=_scan_environment(cloud.env(case.scenario)),
            capture_output=True,
            text=True,
            timeout=SCAN_TIMEOUT,
        )
    results: dict[str, dict[str, Any]] = {}
    if results_json.exists():
        results = {r["id"]: r for r in json.loads(results_json.read_text(encoding="utf-8"))["results"]}
    return ScanResult(name, done.returncode, done.stdout, done.stderr, results)


class ScanPool:
    """Scans by case name, run concurrently and each at most once."""

    def __init__(self, root: Path, wanted: Iterable[str]) -> None:
        self._root = root
        self._executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="graph-verdict-scan")
        self._futures: dict[str, Future[ScanResult]] = {}
        for name in sorted(wanted):
            self._submit(name)

    def _submit(self, name: str) -> Future[ScanResult]:
        if name not in self._futures:
            build = cases.CASES[name]
            self._futures[name] = self._executor.submit(lambda: run_scan(name, build(), self._root / name))
        return self._futures[name]

    def result(self, name: str) -> ScanResult:
        """The finished scan of this case (started now if it was not prefetched)."""
        return self._submit(name).result()

    def close(self) -> None:
        """Wait for running scans (their fake servers stop with them) and drop the ones not started."""
        self._executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def scans(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScanPool]:
    """Every scan the selected tests of this module name in their `case` parameter, plus the golden one."""
    wanted = {"golden"}
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if getattr(item, "module", None) is request.module and isinstance(params.get("case"), str):
            wanted.add(params["case"])
    pool = ScanPool(tmp_path_factory.mktemp("graph-verdicts"), wanted)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def golden_results(scans: ScanPool) -> ScanResult:
    """The scan of the golden tenant, the reference every other scan is compared with."""
    return scans.result("golden")


# ----------------------------------------------------------------------------------------------- helpers


def _summary_ids(permission: str, key: str) -> frozenset[str]:
    value = permission_notes()[permission][key]
    assert isinstance(value, list), f"catalogue permissions summary: {permission}.{key} is not a list"
    return frozenset(str(rec_id) for rec_id in value)


def decisive(permission: str) -> frozenset[str]:
    """Recommendations whose decisive reads need the permission (catalogue used_by minus evidence_only)."""
    return _summary_ids(permission, "used_by") - _summary_ids(permission, "evidence_only")


def evidence_only(permission: str) -> frozenset[str]:
    """Recommendations that read with the permission only to show evidence."""
    return _summary_ids(permission, "evidence_only")


def expected_changes(scan: str) -> dict[str, str]:
    """id -> withheld permission, for the recommendations whose verdict must change in this permission scan.

    A Graph permission matters where Graph (or a plan gate) gave the golden verdict; SecurityEvents.Read.All
    only where Secure Score did. The combined permissions' sets are disjoint (test_combined_permissions...).
    """
    tested, _ = cases.PERMISSION_SCANS[scan]
    changes: dict[str, str] = {}
    for permission in tested:
        for rec_id in decisive(permission) & SCANNED:
            if (rec_id in GOLDEN_SECURE_SCORE) == (permission == SECURE_SCORE_PERMISSION):
                changes[rec_id] = permission
    return changes


def fallback_verdict(rec_id: str, permission: str) -> tuple[str, str]:
    """(status, source) the catalogue's chain gives when `permission` is withheld from the golden tenant."""
    recommendation = CATALOGUE[rec_id]
    if permission == SECURE_SCORE_PERMISSION:
        return "error", "none"  # only where Secure Score decided, and nothing after it can
    if permission == "Directory.Read.All" and rec_id in PLAN_GATED:
        return "error", "none"  # the licence check itself cannot be read
    following = recommendation.fallback[0] if recommendation.fallback else "manual"
    if following == "exchange":
        return "compliant", "exchange"  # the golden ActiveSync default policy meets every threshold
    if following == "securescore" and rec_id not in SECURE_SCORE_FULL_IS_MANUAL:
        return "compliant", "securescore"  # every golden control is at full score
    return "error", "none"


def status_source(result: dict[str, Any]) -> tuple[str, str]:
    """(status, source) of one result of the results document."""
    return result["status"], result["source"]


def _order(rec_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in rec_id.split("."))


def graph_permissions(rec_id: str) -> set[str]:
    """The recommendation's decisive Graph permissions (not Secure Score, not Exchange)."""
    return set(CATALOGUE[rec_id].permissions) - {SECURE_SCORE_PERMISSION, EXCHANGE_PERMISSION}


# ----------------------------------------------------------------------------------------------- golden tenant


def golden_verdict(rec_id: str) -> tuple[str, str]:
    """(status, source) of a recommendation in the golden tenant."""
    recommendation = CATALOGUE[rec_id]
    if recommendation.evaluation == "manual":
        return "manual", "none"
    if rec_id in GOLDEN_SECURE_SCORE:
        return "compliant", "securescore"
    return "compliant", recommendation.evaluation


@pytest.mark.parametrize("case", ["golden"])
def test_golden_scan_passes(scans: ScanPool, case: str) -> None:
    """Nothing in the golden tenant is non_compliant or error, so the scan exits 0, and every id is reported."""
    scan = scans.result(case)
    assert scan.returncode == 0, scan.stdout[-3000:] + scan.stderr[-3000:]
    assert set(scan.results) == SCANNED


@pytest.mark.parametrize("case", ["golden"])
@pytest.mark.parametrize("rec_id", IN_SCOPE)
def test_golden_verdict(scans: ScanPool, case: str, rec_id: str) -> None:
    """compliant through the catalogue's first deciding source; manual ones say what to review and what was read."""
    result = scans.result(case)[rec_id]
    assert status_source(result) == golden_verdict(rec_id), result["reason"]
    recommendation = CATALOGUE[rec_id]
    if recommendation.evaluation != "manual":
        assert "not granted" not in result["reason"] and "not licensed" not in result["reason"]
        if result["source"] != recommendation.evaluation:
            assert "Microsoft Graph could not decide" in result["reason"], "the hand-over is explained"
        return
    assert "Review" in result["reason"]
    if recommendation.evidence_permissions:
        assert "Read: " in result["reason"], "a manual result lists the evidence it read"
        assert "Not read" not in result["reason"]
    if set(recommendation.evidence_permissions) - {EXCHANGE_PERMISSION}:
        assert result["evidence"], "Graph or Secure Score evidence is attached"
    if not recommendation.evidence_permissions and not recommendation.securescore:
        assert result["evidence"] == []


# ----------------------------------------------------------------------------------------------- violations

VIOLATION_PARAMS = [("noncompliant", rec_id) for rec_id in cases.VIOLATIONS] + [
    ("solo_violations", rec_id) for rec_id in cases.SOLO_VIOLATIONS
]


def test_every_graph_decided_recommendation_has_a_violation() -> None:
    """The matrix leaves no Graph- or Secure-Score-decided recommendation of sections 1-3 and 5-7 out."""
    assert sorted(set(cases.VIOLATIONS) | set(cases.SOLO_VIOLATIONS), key=_order) == GRAPH_DECIDED


@pytest.mark.parametrize(("case", "rec_id"), VIOLATION_PARAMS)
def test_violation_is_non_compliant(scans: ScanPool, case: str, rec_id: str) -> None:
    """A small patch of the golden tenant against the rule makes the recommendation non_compliant, with evidence."""
    result = scans.result(case)[rec_id]
    source = "securescore" if rec_id in NON_COMPLIANT_VIA_SECURE_SCORE else "graph"
    assert status_source(result) == ("non_compliant", source), result["reason"]
    assert result["evidence"], "a non_compliant result lists what fails"


@pytest.mark.parametrize("case", ["noncompliant"])
def test_violations_touch_nothing_else(scans: ScanPool, golden_results: ScanResult, case: str) -> None:
    """Each violation fails its own recommendation only: everything else keeps its golden verdict."""
    scan = scans.result(case)
    spilled = {
        rec_id: (golden_results[rec_id]["status"], scan[rec_id]["status"])
        for rec_id in sorted(SCANNED - set(cases.VIOLATIONS), key=_order)
        if status_source(scan[rec_id]) != status_source(golden_results[rec_id])
    }
    assert spilled == {}


@pytest.mark.parametrize("case", ["solo_violations"])
def test_solo_violations_fail_only_their_neighbours(scans: ScanPool, golden_results: ScanResult, case: str) -> None:
    """1.1.8 and 7.13's violations also fail the recommendations reading the same data, and only those."""
    scan = scans.result(case)
    affected = set(cases.SOLO_VIOLATIONS)
    for _, neighbours in cases.SOLO_VIOLATIONS.values():
        affected |= neighbours
    # The same scan refuses PIM eligibility (1.1.1, 1.1.3, 1.1.11) and withholds SharePoint settings.
    affected |= {"1.1.1", "1.1.3", "1.1.11"} | decisive("SharePointTenantSettings.Read.All")
    for _, neighbours in cases.SOLO_VIOLATIONS.values():
        for rec_id in neighbours:
            assert scan[rec_id]["status"] == "non_compliant", (rec_id, scan[rec_id]["reason"])
    unchanged = {
        rec_id: scan[rec_id]["status"]
        for rec_id in SCANNED - affected
        if status_source(scan[rec_id]) != status_source(golden_results[rec_id])
    }
    assert unchanged == {}


# ----------------------------------------------------------------------------------------------- permissions


def test_combined_permissions_are_disjoint() -> None:
    """Permissions withheld together never share a recommendation, so each change is attributed to one of them."""
    for name, (tested, _) in cases.PERMISSION_SCANS.items():
        seen: dict[str, str] = {}
        for permission in tested:
            for rec_id in decisive(permission) & SCANNED:
                if (rec_id in GOLDEN_SECURE_SCORE) != (permission == SECURE_SCORE_PERMISSION):
                    continue
                assert rec_id not in seen, f"{name}: {rec_id} needs both {seen[rec_id]} and {permission}"
                seen[rec_id] = permission


def test_every_decisive_graph_permission_is_withheld_somewhere() -> None:
    """Each Graph permission the catalogue's permissions summary lists is withheld by one permission scan."""
    graph = {p for p, note in permission_notes().items() if note["api"] == "Microsoft Graph"}
    withheld = {p for tested, _ in cases.PERMISSION_SCANS.values() for p in tested}
    assert graph <= withheld


@pytest.mark.parametrize("case", list(cases.PERMISSION_SCANS))
def test_withheld_permission_changes_exactly_its_recommendations(
    scans: ScanPool, golden_results: ScanResult, case: str
) -> None:
    """Issue 2: a scan with a permission withheld sends exactly the recommendations that need it decisively down
    the catalogue's fallback chain (status or source changes); every other verdict stays as in the golden scan."""
    scan = scans.result(case)
    changed = {rec_id for rec_id in SCANNED if status_source(scan[rec_id]) != status_source(golden_results[rec_id])}
    assert sorted(changed, key=_order) == sorted(expected_changes(case), key=_order)


FALLBACK_PARAMS = [(scan, rec_id) for scan in cases.PERMISSION_SCANS for rec_id in expected_changes(scan)]


@pytest.mark.parametrize(("case", "rec_id"), FALLBACK_PARAMS)
def test_withheld_permission_goes_down_the_fallback_chain(scans: ScanPool, case: str, rec_id: str) -> None:
    """The next source of the chain decides (Secure Score, or the ActiveSync policy), naming the failed Graph read
    and the permission; where none can, the result is error naming the permission. Never compliant from Graph."""
    permission = expected_changes(case)[rec_id]
    result = scans.result(case)[rec_id]
    status, source = fallback_verdict(rec_id, permission)
    assert status_source(result) == (status, source), result["reason"]
    assert permission in result["reason"]
    if status == "compliant":
        assert "GET /" in result["reason"], "the reason names the Graph read that failed"
    else:
        assert result["reason"].startswith(("could not be evaluated", "the licence check could not be read"))


UNCHANGED_PARAMS = [
    (scan, rec_id, permission)
    for scan, (tested, _) in cases.PERMISSION_SCANS.items()
    for permission in tested
    if permission != SECURE_SCORE_PERMISSION
    for rec_id in sorted(decisive(permission) & SCANNED & GOLDEN_SECURE_SCORE, key=_order)
]


@pytest.mark.parametrize(("case", "rec_id", "permission"), UNCHANGED_PARAMS)
def test_secure_score_verdict_notes_the_failed_graph_read(
    scans: ScanPool, golden_results: ScanResult, case: str, rec_id: str, permission: str
) -> None:
    """Where Secure Score already decided (6.3), the verdict stands and its reason now notes the unread Graph data."""
    result = scans.result(case)[rec_id]
    assert status_source(result) == status_source(golden_results[rec_id])
    assert permission in result["reason"]


EVIDENCE_PARAMS = [
    (scan, rec_id, permission)
    for scan, (tested, _) in cases.PERMISSION_SCANS.items()
    for permission in tested
    for rec_id in sorted(evidence_only(permission) & SCANNED, key=_order)
]


@pytest.mark.parametrize(("case", "rec_id", "permission"), EVIDENCE_PARAMS)
def test_evidence_permission_never_causes_error(
    scans: ScanPool, golden_results: ScanResult, case: str, rec_id: str, permission: str
) -> None:
    """A permission needed only for evidence leaves the verdict alone; a manual result names what it could not read."""
    result = scans.result(case)[rec_id]
    assert status_source(result) == status_source(golden_results[rec_id]), result["reason"]
    if CATALOGUE[rec_id].evaluation == "manual" and (permission, rec_id) not in STILL_READABLE:
        assert "Not read" in result["reason"]
        assert permission in result["reason"]


NOTHING_READABLE_PARAMS = [("nothing_readable", rec_id) for rec_id in GRAPH_DECIDED]


@pytest.mark.parametrize(("case", "rec_id"), NOTHING_READABLE_PARAMS)
def test_without_graph_secure_score_and_exchange_it_is_error_naming_each(
    scans: ScanPool, case: str, rec_id: str
) -> None:
    """Graph, Secure Score (and the ActiveSync fallback) all refused: error naming each permission to grant."""
    result = scans.result(case)[rec_id]
    assert status_source(result) == ("error", "none"), result["reason"]
    recommendation = CATALOGUE[rec_id]
    if recommendation.evaluation == "graph":
        assert any(p in result["reason"] for p in graph_permissions(rec_id)), result["reason"]
    if "securescore" in recommendation.sources:
        assert SECURE_SCORE_PERMISSION in result["reason"]
    if "exchange" in recommendation.sources:
        assert EXCHANGE_PERMISSION in result["reason"]


@pytest.mark.parametrize("case", ["nothing_readable"])
def test_missing_data_is_never_compliant(scans: ScanPool, case: str) -> None:
    """With no decisive permission at all nothing is compliant, and the manual reviews stay manual."""
    scan = scans.result(case)
    assert not [i for i, r in scan.results.items() if r["status"] in ("compliant", "not_applicable")]
    assert {i: scan[i]["status"] for i in MANUAL} == {i: "manual" for i in MANUAL}


# ----------------------------------------------------------------------------------------------- licences, handovers


@dataclass(frozen=True)
class Expect:
    """A verdict the catalogue prescribes for one recommendation in one scan, and words its reason must hold."""

    case: str
    rec_id: str
    status: str
    source: str | None
    words: tuple[str, ...] = ()


ACTIVESYNC_FALLBACK = ["7.2", "7.3", "7.5", "7.6", "7.7", "7.8", "7.9", "7.10", "7.13"]
INTUNE_REFUSED = ("not licensed", "/deviceManagement/")
ACTIVESYNC_PROPERTIES = {rec_id: op[1].rsplit("/", 1)[-1] for rec_id, op in cases.ACTIVESYNC_VIOLATIONS.items()}

EXPECTATIONS: list[Expect] = [
    # No Entra ID P2: the risk policies and PIM are errors; PIM eligibility refused = no eligible holders.
    *[
        Expect("unlicensed", i, "error", "none", ("not licensed", "AAD_PREMIUM_P2"))
        for i in ("1.1.8", "1.1.9", "1.1.10", "1.1.11")
    ],
    Expect("unlicensed", "1.1.3", "compliant", "graph", ("3 global administrators", "3 active, 0 eligible")),
    # No Entra ID P1 reports: 1.1.1's policy part still decides; 1.1.4 falls to Secure Score.
    Expect("unlicensed", "1.1.1", "non_compliant", "graph", ("No qualifying Conditional Access policy",)),
    Expect(
        "unlicensed",
        "1.1.4",
        "compliant",
        "securescore",
        ("SelfServicePasswordReset", "userRegistrationDetails", "not licensed"),
    ),
    Expect("unlicensed", "5.10", "manual", "none", ("Not read", "not licensed")),
    # No Intune: the ActiveSync default policy decides, Secure Score where there is no ActiveSync equivalent.
    *[
        Expect("unlicensed", i, "compliant", "exchange", ("Exchange ActiveSync", *INTUNE_REFUSED))
        for i in ACTIVESYNC_FALLBACK
    ],
    Expect("unlicensed", "7.4", "compliant", "securescore", ("MDMRootedBlock", *INTUNE_REFUSED)),
    Expect("unlicensed", "7.12", "compliant", "securescore", ("MDMManageEmail", *INTUNE_REFUSED)),
    Expect("unlicensed", "7.11", "error", "none", INTUNE_REFUSED),
    Expect(
        "unlicensed", "7.1", "manual", "none", ("Not read", "DeviceManagementConfiguration.Read.All", "not licensed")
    ),
    # The ActiveSync fallback fails each rule on its own property.
    *[
        Expect("unlicensed_activesync_violations", i, "non_compliant", "exchange", (prop, *INTUNE_REFUSED))
        for i, prop in ACTIVESYNC_PROPERTIES.items()
    ],
    Expect("unlicensed_activesync_violations", "7.13", "compliant", "exchange", ("PasswordEnabled true",)),
    Expect("unlicensed_activesync_violations", "1.1.4", "error", "none", ("userRegistrationDetails", "not licensed")),
    # Intune and Exchange both refused: Secure Score, then error naming both causes.
    *[
        Expect("unlicensed_without_exchange", i, "compliant", "securescore", ("not licensed", EXCHANGE_PERMISSION))
        for i in ACTIVESYNC_FALLBACK
        if i not in ("7.6", "7.13")
    ],
    Expect(
        "unlicensed_without_exchange",
        "7.6",
        "non_compliant",
        "securescore",
        ("MDMMinPW", "not licensed", EXCHANGE_PERMISSION),
    ),
    Expect("unlicensed_without_exchange", "7.13", "error", "none", ("not licensed", EXCHANGE_PERMISSION)),
    # Licence refusals on the golden tenant, Secure Score controls absent, marked, or marked and reverted.
    Expect("refusals", "1.1.1", "error", "none", ("userRegistrationDetails", "not licensed")),
    Expect("refusals", "1.1.2", "compliant", "graph"),  # the registration report is only evidence there
    Expect("refusals", "1.1.4", "compliant", "securescore", ("userRegistrationDetails", "not licensed")),
    *[
        Expect("refusals", i, "non_compliant", "exchange", ("PasswordEnabled false", *INTUNE_REFUSED))
        for i in ACTIVESYNC_FALLBACK
    ],
    Expect("refusals", "7.4", "compliant", "securescore", INTUNE_REFUSED),
    Expect("refusals", "7.11", "error", "none", INTUNE_REFUSED),
    Expect("refusals", "1.1.8", "manual", "none", ("UserRiskPolicy is marked Ignored",)),
    Expect("refusals", "1.1.10", "manual", "none", ("UserRiskPolicy is marked Ignored",)),
    Expect("refusals", "6.3", "non_compliant", "securescore", ("ExternalSharingExpiration is below full score",)),
    Expect("secure_score_handover", "1.1.15", "manual", "none", ("marked Ignored",)),
    Expect(
        "secure_score_handover", "6.3", "manual", "none", ("ExternalSharingExpiration is not in the latest snapshot",)
    ),
    Expect("secure_score_handover", "1.1.9", "manual", None, ("SigninRiskPolicy is not in the latest snapshot",)),
    Expect("secure_score_handover", "1.1.10", "manual", "none", ("marked ThirdParty",)),
    Expect("secure_score_handover", "1.1.8", "compliant", "graph"),
    Expect("secure_score_handover", "1.1.1", "error", "none", ("AuditLog.Read.All",)),
    Expect("secure_score_handover", "1.1.4", "error", "none", ("AuditLog.Read.All",)),
    Expect("secure_score_handover", "7.4", "error", "none", ("DeviceManagementConfiguration.Read.All",)),
    Expect("secure_score_handover", "7.12", "error", "none", ("DeviceManagementConfiguration.Read.All",)),
    # Five active Global Administrators decide although PIM eligibility was refused for a permission.
    Expect(
        "solo_violations",
        "1.1.3",
        "non_compliant",
        "graph",
        ("5 global administrators", "eligible assignments could not be read"),
    ),
    Expect(
        "solo_violations",
        "1.1.11",
        "error",
        "none",
        ("roleEligibilityScheduleInstances", "RoleManagement.Read.Directory"),
    ),
    Expect(
        "solo_violations",
        "1.1.1",
        "compliant",
        "securescore",
        ("roleEligibilityScheduleInstances", "RoleManagement.Read.Directory"),
    ),
    # SharePoint settings withheld: Secure Score decides below full, or error where nothing follows Graph.
    Expect(
        "solo_violations",
        "1.4",
        "non_compliant",
        "securescore",
        ("spo_legacy_auth", "SharePointTenantSettings.Read.All"),
    ),
    Expect("solo_violations", "6.2", "compliant", "securescore", ("SharePointTenantSettings.Read.All",)),
    Expect("solo_violations", "3.6", "error", "none", ("SharePointTenantSettings.Read.All",)),
    Expect("solo_violations", "6.1", "error", "none", ("SharePointTenantSettings.Read.All",)),
    # Issue 9 (Graph side), each crafted input through the real CLI; "was" is the verdict before the change.
    Expect("issue9_graph", "1.5", "non_compliant", "graph", ("contoso.com", "90-day default")),  # was compliant
    Expect("issue9_graph", "1.1.14", "compliant", "graph", ("allow list",)),  # was non_compliant
    Expect("issue9_graph", "7.7", "non_compliant", "graph", ("iOS/iPadOS",)),  # was compliant
    Expect("issue9_graph", "7.3", "non_compliant", "graph", ("expire",)),  # was compliant
    Expect("issue9_graph", "1.1.15", "manual", "none", ("aad_linkedin_connection_disables is deprecated",)),
    Expect("issue9_graph", "6.3", "manual", "none", ("ExternalSharingExpiration has no maximum score",)),
    Expect("issue9_secure_score_all", "4.10", "non_compliant", "securescore", ("mdo_phishthresholdlevel",)),
    Expect("issue9_secure_score_all", "1.1.14", "non_compliant", "graph", ("no allow list",)),  # was compliant
    # A GCC tenant: the Defender gate is met by the _GOV plans; Customer Lockbox is not licensed there.
    Expect("gcc_plans", "3.1", "error", "none", ("not licensed", "LOCKBOX_ENTERPRISE")),
]


@pytest.mark.parametrize(("case", "expect"), [pytest.param(e.case, e, id=f"{e.case}-{e.rec_id}") for e in EXPECTATIONS])
def test_licence_refusals_and_secure_score_handovers(scans: ScanPool, case: str, expect: Expect) -> None:
    """Licence refusals and Secure Score controls that cannot decide take the path the catalogue prescribes."""
    result = scans.result(case)[expect.rec_id]
    assert result["status"] == expect.status, result["reason"]
    if expect.source is not None:
        assert result["source"] == expect.source, result["reason"]
    for word in expect.words:
        assert word in result["reason"]


# ------------------------------------------------------------------------- issue 9: CA terms, PIM for Groups

ISSUE_9_EXPECTATIONS: list[Expect] = [
    # Eligible-only members of the Global Administrator group are admin users: one without MFA fails 1.1.1, and
    # 1.1.3 counts both (3 golden + 2 = 5); the eligible owner is not counted.
    Expect("pim_groups_eligible", "1.1.1", "non_compliant", "graph", ("1 admin user", "not MFA capable")),
    Expect("pim_groups_eligible", "1.1.3", "non_compliant", "graph", ("5 global administrators", "3 eligible")),
    # Without the PIM for Groups permission the tier0 group's eligible members are unknown: Graph proves nothing,
    # 1.1.1 goes on to Secure Score (AdminMFAV2 full) and 1.1.3 ends in error (a full OneAdmin is only manual).
    Expect("withheld_pim_groups", "1.1.1", "compliant", "securescore", (PIM_GROUPS_PERMISSION,)),
    Expect("withheld_pim_groups", "1.1.3", "error", "none", (PIM_GROUPS_PERMISSION, "eligibilityScheduleInstances")),
    # A configured break-glass group and all four client app types leave the MFA policies qualifying.
    Expect("break_glass_group_client_apps", "1.1.1", "compliant", "graph"),
    Expect("break_glass_group_client_apps", "1.1.2", "compliant", "graph"),
    Expect("break_glass_group_client_apps", "1.1.6", "non_compliant", "graph", ("No qualifying Conditional Access",)),
]


@pytest.mark.parametrize(
    ("case", "expect"), [pytest.param(e.case, e, id=f"{e.case}-{e.rec_id}") for e in ISSUE_9_EXPECTATIONS]
)
def test_conditional_access_terms_and_pim_for_groups(scans: ScanPool, case: str, expect: Expect) -> None:
    """Issue 9 items 1-4 through the real CLI: the verdicts the revised catalogue's terms prescribe."""
    result = scans.result(case)[expect.rec_id]
    assert result["status"] == expect.status, result["reason"]
    assert result["source"] == expect.source, result["reason"]
    for word in expect.words:
        assert word in result["reason"]


@pytest.mark.parametrize(
    ("case", "changed"),
    [("pim_groups_eligible", {"1.1.1", "1.1.3"}), ("break_glass_group_client_apps", {"1.1.6"})],
)
def test_issue_9_cases_change_only_their_recommendations(
    scans: ScanPool, golden_results: ScanResult, case: str, changed: set[str]
) -> None:
    """Each issue 9 scenario moves exactly the recommendations it is about; everything else keeps its golden verdict."""
    scan = scans.result(case)
    moved = {rec_id for rec_id in SCANNED if status_source(scan[rec_id]) != status_source(golden_results[rec_id])}
    assert moved == changed


@pytest.mark.parametrize("case", ["pim_groups_eligible"])
def test_eligible_group_member_is_named_with_how_the_role_is_held(scans: ScanPool, case: str) -> None:
    """1.1.1 names the eligible-only member without MFA; 1.1.3 lists both eligible members, not the eligible owner."""
    scenario = cases.golden()
    first, second, owner = cases.plain_members(scenario, 3)
    scan = scans.result(case)
    failing = [e for e in scan["1.1.1"]["evidence"] if e["type"] == "user"]
    assert [e["id"] for e in failing] == [first]
    assert "as an eligible member (PIM for Groups)" in failing[0]["detail"]
    holders = {e["id"] for e in scan["1.1.3"]["evidence"] if e["type"] == "user"}
    assert {first, second} <= holders and owner not in holders


@pytest.mark.parametrize("case", ["break_glass_group_client_apps"])
def test_unlisted_excluded_group_is_named(scans: ScanPool, case: str) -> None:
    """1.1.6's policy excludes a group the config does not list: the near miss names that group, not the listed one."""
    details = [str(e["detail"]) for e in scans.result(case)["1.1.6"]["evidence"]]
    assert any(f"excludes groups: {cases.UNLISTED_GROUP}" in d for d in details), details
    assert not any(cases.BREAK_GLASS_GROUP in d for d in details)


@pytest.mark.parametrize("case", ["unlicensed_tier0_group"])
def test_pim_for_groups_not_licensed_means_nobody_eligible(scans: ScanPool, case: str) -> None:
    """Without Entra ID P2 the PIM for Groups read of the GA-holding group is refused as not licensed: nobody is
    eligible, the group's member is counted, and no verdict mentions the refusal."""
    scan = scans.result(case)
    assert status_source(scan["1.1.3"]) == ("compliant", "graph"), scan["1.1.3"]["reason"]
    assert "4 global administrators" in scan["1.1.3"]["reason"]
    for rec_id in ("1.1.1", "1.1.3"):
        assert "privilegedAccess/group" not in scan[rec_id]["reason"], scan[rec_id]["reason"]
        assert PIM_GROUPS_PERMISSION not in scan[rec_id]["reason"]
    assert any("via group" in str(e["detail"]) for e in scan["1.1.3"]["evidence"])


GCC_GATED = ("2.3", "2.4", "4.7", "4.8", "4.10")


@pytest.mark.parametrize("case", ["gcc_plans"])
@pytest.mark.parametrize("rec_id", GCC_GATED)
def test_government_defender_plans_meet_the_plan_gate(scans: ScanPool, case: str, rec_id: str) -> None:
    """ATP_ENTERPRISE_GOV / THREAT_INTELLIGENCE_GOV count as Defender for Office 365 (issue 9 item 5): the gate no
    longer answers `error: not licensed`; the golden Exchange data decides as in the commercial golden tenant."""
    result = scans.result(case)[rec_id]
    assert "not licensed" not in result["reason"], result["reason"]
    assert result["status"] != "error", result["reason"]
    golden = scans.result("golden")
    if rec_id in golden.results:  # the commercial golden scan leaves section 4 out
        assert result["status"] == golden[rec_id]["status"], result["reason"]
