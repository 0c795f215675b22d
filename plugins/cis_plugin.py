"""The o365-cis pytest plugin: options, the `cis` marker, selection, scan fixtures, verdicts and reports.

Installed as a `pytest11` entry point so that its options are known before pytest reads the command
line (a space-separated file value such as `--ca-bundle /elsewhere/ca.pem` would otherwise be taken
for a test path).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Generator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from o365cis import __version__
from o365cis.auth import AuthError
from o365cis.catalogue import LICENSES, SECTIONS, Recommendation, load_catalogue, sort_key
from o365cis.collectors.reads import reads_for_requests
from o365cis.collectors.securescore import SecureScoreSource
from o365cis.collectors.tenant import TenantReader
from o365cis.config import ConfigError, ScanConfig, load_config
from o365cis.dns.lookups import DnsLookups
from o365cis.evaluation import PlanGate, SourceDecider, apply_waiver, evaluate
from o365cis.exchange.client import ExchangeReader
from o365cis.exchange.cmdlets import DECISIVE_CMDLETS, CmdletCall
from o365cis.findings import Finding, Source, Status
from o365cis.runner import REQUEST_PLUGIN
from o365cis.scan import ScanContext, open_live_scan, open_replay_scan
from o365cis.settings import SettingsError, build_settings
from o365cis.snapshot import SnapshotError
from plugins.records import SCAN_RECORDS, CisRecord, ScanRecords, waiver_field
from plugins.reporting.baseline import FAIL_ON_CHOICES

REPO_ROOT = Path(__file__).resolve().parent.parent
CIS_TESTS = REPO_ROOT / "cis_tests"
DEMO_SNAPSHOT = REPO_ROOT / "o365cis" / "demo" / "demo_tenant.json"
DEMO_CONFIG = REPO_ROOT / "o365cis" / "demo" / "demo_config.yaml"
DEFAULT_REPORTS = {
    "htmlpath": "reports/report.html",
    "xmlpath": "reports/junit.xml",
    "cis_json": "reports/results.json",
    "cis_csv": "reports/results.csv",
}

#: Concurrent Graph reads at scan start: enough to hide latency, few enough not to invite throttling.
PREFETCH_WORKERS = 4
SCAN_CONTEXT = pytest.StashKey[ScanContext]()
SCAN_MODE = pytest.StashKey[bool]()
FINDING = pytest.StashKey[Finding]()
_MARKER_FIELDS = {"id", "title", "section", "level", "license", "automated"}

# (option, dest, environment variable, help); every option may come from its variable instead.
_OPTIONS: tuple[tuple[str, str, str | None, str], ...] = (
    ("--tenant-id", "tenant_id", "AZURE_TENANT_ID", "directory (tenant) id: a GUID or a verified domain"),
    ("--client-id", "client_id", "AZURE_CLIENT_ID", "application (client) id of the app registration"),
    (
        "--client-secret",
        "client_secret",
        "AZURE_CLIENT_SECRET",
        "client secret (prefer the variable: a command line ends up in shell history)",
    ),
    (
        "--client-certificate",
        "client_certificate",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "PEM file with the certificate and its private key",
    ),
    (
        "--client-certificate-password",
        "client_certificate_password",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "password of that private key",
    ),
    ("--cloud", "cloud", "O365CIS_CLOUD", "global (default), usgov, usgovdod or china"),
    (
        "--authority-url",
        "authority_url",
        "O365CIS_AUTHORITY_URL",
        "login host override, e.g. https://login.microsoftonline.com",
    ),
    ("--graph-url", "graph_url", "O365CIS_GRAPH_URL", "Graph host override, e.g. https://graph.microsoft.com"),
    ("--exchange-url", "exchange_url", "O365CIS_EXCHANGE_URL", "Exchange Online admin API host override"),
    ("--compliance-url", "compliance_url", "O365CIS_COMPLIANCE_URL", "Security & Compliance admin API host override"),
    ("--ca-bundle", "ca_bundle", "O365CIS_CA_BUNDLE", "PEM file of CA certificates to trust for every HTTPS call"),
    (
        "--cis-config",
        "cis_config",
        "O365CIS_CONFIG",
        "YAML: break-glass accounts, approved public groups, thresholds, waivers",
    ),
    ("--cis-json", "cis_json", None, "write the results document to this path"),
    ("--cis-csv", "cis_csv", None, "write one CSV row per recommendation to this path"),
    ("--cis-csv-evidence", "cis_csv_evidence", None, "write one CSV row per evidence item to this path"),
    ("--cis-id", "cis_id", None, "select recommendations by id: comma list, * and section prefixes (1.1.1,4.*)"),
    ("--cis-baseline", "cis_baseline", None, "an earlier results.json of this tenant: each result gets a change"),
    ("--snapshot-save", "snapshot_save", None, "also write every response read to this JSON file"),
    ("--snapshot", "snapshot", None, "collect nothing: evaluate a saved snapshot offline"),
    (
        "--rate-limit",
        "rate_limit",
        "O365CIS_RATE_LIMIT",
        "cap on requests per second (USE_RATE_LIMITER=True: a conservative default)",
    ),
)
_CIS_FLAGS = {opt for opt, *_ in _OPTIONS} | {"--demo", "--dns-server", "--cis-level", "--cis-license"}


def pytest_addoption(parser: pytest.Parser) -> None:
    # First in --help, right after the usage line ("_anonymous" is pytest's first group), and --demo named there.
    group = parser.getgroup(
        "cis",
        "o365-cis: CIS Microsoft 365 Foundations Benchmark v1.3.0 scan (try `pytest --demo`: no credentials needed)",
        after="_anonymous",
    )
    for option, dest, variable, text in _OPTIONS:
        group.addoption(option, dest=dest, default=None, help=f"{text}" + (f" [env {variable}]" if variable else ""))
    group.addoption(
        "--dns-server",
        dest="dns_servers",
        action="append",
        default=None,
        help="resolver for SPF/DKIM/DMARC, IP or IP:PORT, repeatable [env O365CIS_DNS_SERVERS, comma-separated]",
    )
    group.addoption(
        "--demo",
        dest="cis_demo",
        action="store_true",
        default=False,
        help="evaluate the bundled demo tenant: no credentials needed",
    )
    group.addoption(
        "--cis-level",
        dest="cis_level",
        type=int,
        choices=(1, 2),
        default=2,
        help="1: Level 1 only; 2 (default): both levels",
    )
    group.addoption(
        "--cis-license",
        dest="cis_license",
        choices=LICENSES,
        default="E5",
        help="E3 leaves out E5-only recommendations; E5 (default) runs all",
    )
    group.addoption(
        "--cis-fail-on",
        dest="cis_fail_on",
        choices=FAIL_ON_CHOICES,
        default="non-compliant",
        help="what makes the exit status 1: non-compliant (default; or error), regression (needs --cis-baseline), "
        "error",
    )


def _given_on_command_line(args: list[str]) -> bool:
    return any(arg.split("=", 1)[0] in _CIS_FLAGS for arg in args)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """A scan with no test path collects cis_tests/ only, wherever pytest runs and whatever ini it found.

    pytest picks its ini file from the command line's paths before any plugin sees the options, so a
    space-separated file value (`--ca-bundle /elsewhere/ca.pem`) can cost the repository's pytest.ini;
    the scan must not depend on it.
    """
    namespace = early_config.known_args_namespace
    positional = list(getattr(namespace, "file_or_dir", None) or [])
    at_repo_root = early_config.invocation_params.dir.resolve() == REPO_ROOT
    if positional or not (at_repo_root or _given_on_command_line(args)):
        return
    args.append(str(CIS_TESTS))
    namespace.file_or_dir = [str(CIS_TESTS)]


def _is_scan(config: pytest.Config) -> bool:
    """A scan is a run whose test paths lie in cis_tests/ (the product's own tests/ never scan)."""
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        path = path if path.is_absolute() else config.invocation_params.dir / path
        try:
            path.resolve().relative_to(CIS_TESTS)
        except ValueError:
            continue
        return True
    return False


def _register_markers(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cis(id, title, section, level, license, automated): a CIS recommendation's metadata"
    )
    for name, text in (
        ("level1", "CIS Level 1"),
        ("level2", "CIS Level 2"),
        ("e3", "needs an E3 licence"),
        ("e5", "needs an E5 licence (E5-only recommendation)"),
        ("automated", "the benchmark labels it Automated"),
        ("manual_assessment", "the benchmark labels it Manual"),
    ):
        config.addinivalue_line("markers", f"{name}: {text}")
    for number, title in SECTIONS.items():
        config.addinivalue_line("markers", f"section{number}: CIS section {title}")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _register_markers(config)
    scan = _is_scan(config)
    config.stash[SCAN_MODE] = scan
    if not scan or hasattr(config, "workerinput"):
        return
    option = config.option
    for dest, default in DEFAULT_REPORTS.items():
        if getattr(option, dest, None) in (None, ""):
            setattr(option, dest, str(config.invocation_params.dir / default))
    if hasattr(option, "self_contained_html"):
        option.self_contained_html = True
    config.stash[SCAN_RECORDS] = ScanRecords(scanner_version=__version__)
    _configure_selection_and_baseline(config)
    from plugins.reporting import html_report

    if getattr(option, "htmlpath", None) and config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(html_report.CisHtmlReport(config), "o365cis-html")
    if option.collectonly:
        return
    config.stash[SCAN_CONTEXT] = _open_scan(config)
    _check_baseline_tenant(config)


def _configure_selection_and_baseline(config: pytest.Config) -> None:
    """--cis-id, the terminal's CIS words and --cis-baseline: each a usage error (exit 4) before any connection."""
    from plugins import selection
    from plugins.reporting import baseline, document, terminal

    wanted = None
    if config.option.cis_id is not None:
        wanted = selection.selected_ids(selection.parse_patterns(config.option.cis_id), load_catalogue())
    config.pluginmanager.register(selection.CisSelection(wanted), "o365cis-selection")
    terminal.configure_terminal(config)
    baseline.configure_baseline(config, document.benchmark_info()["version"])


def _check_baseline_tenant(config: pytest.Config) -> None:
    """A baseline of another tenant is refused once the scan knows its tenant; the run description is completed."""
    from plugins.reporting.baseline import BASELINE, BaselineError, check_tenant
    from plugins.run_info import RunCompletion

    context = config.stash[SCAN_CONTEXT]
    config.pluginmanager.register(RunCompletion(config.stash[SCAN_RECORDS], context), "o365cis-run")
    baseline = config.stash.get(BASELINE, None)
    if baseline is None:
        return
    try:
        check_tenant(baseline, context.tenant_id)
    except BaselineError as exc:
        context.close()
        raise pytest.UsageError(f"o365-cis: {exc}") from None


def _option_values(config: pytest.Config) -> dict[str, Any]:
    """Option values; a programmatic run (o365cis.runner) hands its credentials over in-process instead."""
    values = {dest: getattr(config.option, dest, None) for _, dest, _, _ in _OPTIONS}
    values["dns_servers"] = config.option.dns_servers
    request = config.pluginmanager.get_plugin(REQUEST_PLUGIN)
    if request is not None:
        values.update({k: v for k, v in request.values.items() if v not in (None, "", [])})
    return values


def _open_scan(config: pytest.Config) -> ScanContext:
    """Validate the options and connect: every bad input is one line and exit status 4, before any test."""
    values = _option_values(config)
    try:
        config_path = values["cis_config"] or os.environ.get("O365CIS_CONFIG") or None
        if config_path is None and config.option.cis_demo:
            config_path = str(DEMO_CONFIG)  # the demo organisation's break-glass account, approved groups, waiver
        scan_config: ScanConfig = load_config(config_path, frozenset(load_catalogue()))
        if config.option.cis_demo or values["snapshot"]:
            path = str(DEMO_SNAPSHOT) if config.option.cis_demo else values["snapshot"]
            context = open_replay_scan(path, scan_config)
        else:
            settings = build_settings(values)
            context = open_live_scan(settings, scan_config, record=bool(values["snapshot_save"]))
    except (ConfigError, SettingsError, SnapshotError, AuthError) as exc:
        request = config.pluginmanager.get_plugin(REQUEST_PLUGIN)
        if request is not None:
            request.error = str(exc)
        raise pytest.UsageError(f"o365-cis: {exc}") from None
    records = config.stash[SCAN_RECORDS]
    records.tenant_id = context.tenant_id
    records.tenant_name = context.tenant_name
    records.started = _now()
    from plugins.run_info import describe_run, iso_utc

    records.run = describe_run(
        mode="demo" if config.option.cis_demo else "snapshot" if values["snapshot"] else "live",
        # A replayed snapshot's data is as old as its recording; a live scan reads as it runs.
        data_as_of=iso_utc(context.as_of) if context.replay is not None else records.started,
        level=config.option.cis_level,
        license=config.option.cis_license,
        config_path=config_path,
    )
    return context


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# Collection: the marker is the one source of a recommendation's metadata ---------------------------------


def _marker_problem(kwargs: dict[str, Any], catalogue: dict[str, Recommendation]) -> str | None:
    missing = _MARKER_FIELDS - set(kwargs)
    extra = set(kwargs) - _MARKER_FIELDS
    if missing or extra:
        return f"cis marker needs exactly {sorted(_MARKER_FIELDS)}; missing {sorted(missing)}, unknown {sorted(extra)}"
    rec_id = kwargs["id"]
    if not isinstance(rec_id, str) or not re.fullmatch(r"\d+(\.\d+){1,2}", rec_id):
        return f"cis id {rec_id!r} is not a recommendation id"
    if rec_id not in catalogue:
        return f"cis id {rec_id} is not one of the benchmark's {len(catalogue)} recommendations"
    if kwargs["level"] not in (1, 2):
        return f"{rec_id}: level must be 1 or 2"
    if kwargs["license"] not in LICENSES:
        return f"{rec_id}: license must be one of {LICENSES}"
    if not isinstance(kwargs["automated"], bool):
        return f"{rec_id}: automated must be true or false"
    if kwargs["section"] not in SECTIONS.values():
        return f"{rec_id}: section must be one of {list(SECTIONS.values())}"
    reference = catalogue[rec_id]
    for name in ("title", "section", "level", "license", "automated"):
        if kwargs[name] != getattr(reference, name):
            return f"{rec_id}: marker {name} {kwargs[name]!r} differs from the catalogue's {getattr(reference, name)!r}"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate every cis marker, derive the selection markers, select by level and licence, sort."""
    catalogue = load_catalogue()
    seen: dict[str, str] = {}
    problems: list[str] = []
    cis_items: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("cis")
        in_suite = CIS_TESTS in Path(str(item.path)).resolve().parents
        if marker is None:
            if in_suite:
                problems.append(f"{item.nodeid}: no @pytest.mark.cis marker")
            continue
        problem = _marker_problem(dict(marker.kwargs), catalogue)
        if problem:
            problems.append(f"{item.nodeid}: {problem}")
            continue
        rec_id = marker.kwargs["id"]
        if rec_id in seen:
            problems.append(f"{item.nodeid}: cis id {rec_id} is already used by {seen[rec_id]}")
            continue
        seen[rec_id] = item.nodeid
        cis_items.append(item)
        kwargs = marker.kwargs
        item.add_marker(f"level{kwargs['level']}")
        item.add_marker(kwargs["license"].lower())
        item.add_marker(f"section{rec_id.split('.')[0]}")
        item.add_marker("automated" if kwargs["automated"] else "manual_assessment")
    if problems:
        raise pytest.UsageError("o365-cis: invalid cis marker: " + "; ".join(problems))
    level = config.option.cis_level
    license = config.option.cis_license
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("cis")
        if marker is not None and (
            marker.kwargs["level"] > level or (license == "E3" and marker.kwargs["license"] == "E5")
        ):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    keep.sort(key=lambda it: sort_key(m.kwargs["id"]) if (m := it.get_closest_marker("cis")) else (999,))
    items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fetch the selected recommendations' Graph collections and Exchange cmdlets concurrently, up front.

    Only primary sources are fetched early: a fallback (Secure Score, 4.11's DKIM config) is read when needed.
    """
    context = session.config.stash.get(SCAN_CONTEXT, None)
    if context is None or context.replay is not None or session.config.option.collectonly:
        return
    catalogue = load_catalogue()
    wanted = []
    cmdlets: list[CmdletCall] = []
    for item in session.items:
        marker = item.get_closest_marker("cis")
        if marker is None:
            continue
        recommendation = catalogue[marker.kwargs["id"]]
        for read in reads_for_requests(recommendation.requests):
            # Secure Score is mostly a fallback: read it when a test first needs it, unless it is primary.
            if read.key.startswith("secure_score") and recommendation.evaluation not in ("securescore", "manual"):
                continue
            wanted.append(read)
        if recommendation.evaluation == "exchange":
            cmdlets.extend(DECISIVE_CMDLETS.get(recommendation.id, ()))
    context.prefetch(wanted, cmdlets, workers=PREFETCH_WORKERS)


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
def dns_lookups(cis_scan: ScanContext) -> DnsLookups:
    """DNS TXT look-ups for SPF, DKIM and DMARC, each name asked once."""
    return cis_scan.dns()


@pytest.fixture(scope="session")
def secure_score(tenant: TenantReader, as_of: dt.datetime) -> SecureScoreSource:
    """Secure Score, read once and shared by every recommendation that falls back on it."""
    return SecureScoreSource(tenant, as_of)


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
    marker = request.node.get_closest_marker("cis")
    if marker is None:
        pytest.fail("the cis fixture needs a @pytest.mark.cis marker", pytrace=False)
    return RecommendationUnderTest(request.node, load_catalogue()[marker.kwargs["id"]], cis_config, secure_score)


# Outcomes and records ---------------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    marker = item.get_closest_marker("cis")
    if marker is None or report.when == "teardown" or not item.config.stash.get(SCAN_MODE, False):
        return report
    finding = item.stash.get(FINDING, None)
    if finding is None:
        if report.failed:
            message = call.excinfo.exconly() if call.excinfo is not None else str(report.longrepr)
            finding = Finding(Status.ERROR, f"{report.when} failed: {_one_line(message)}")
        elif report.when == "call" and report.passed:
            finding = Finding(Status.ERROR, "the test ended without a verdict (no cis.evaluate call)")
        else:
            return report
    elif report.when != "call":
        return report
    kwargs = marker.kwargs
    recommendation = load_catalogue()[kwargs["id"]]
    record = CisRecord(
        id=kwargs["id"],
        title=kwargs["title"],
        section=kwargs["section"],
        level=kwargs["level"],
        license=kwargs["license"],
        automated=kwargs["automated"],
        status=finding.status,
        reason=finding.reason,
        evidence=[e.as_dict() for e in finding.evidence],
        source=finding.source.value if finding.source else Source.NONE.value,
        remediation=recommendation.remediation,
        nodeid=item.nodeid,
    )
    context = item.config.stash.get(SCAN_CONTEXT, None)
    if context is not None:
        record.waiver = waiver_field(context.config.waiver_for(record.id), record.status)
    from plugins.reporting.baseline import compare

    compare(item.config, [record])  # the change is known as the row is made: the HTML row shows it
    report.cis_record = record  # type: ignore[attr-defined]
    # The FAILURES section heads each failure with the location's last part: the recommendation, not the function.
    report.location = (report.location[0], report.location[1], f"{record.id} {record.title}")
    properties = [("cis_id", record.id), ("cis_level", str(record.level)), ("cis_status", record.status.value)]
    # JUnit XML writes the teardown report's properties, which pytest copies from the item.
    item.user_properties.extend(properties)
    report.user_properties.extend(properties)
    records = item.config.stash.get(SCAN_RECORDS, None)
    if records is not None and not any(r.id == record.id for r in records.records):
        records.records.append(record)
    if record.status is Status.ERROR and report.when == "call":
        report.outcome = "failed"
    if report.failed and isinstance(call.excinfo.value if call.excinfo else None, (NonCompliant, RecommendationError)):
        # The verdict is the message: no traceback of the plugin's own frames in terminal, JUnit or HTML.
        report.longrepr = f"{record.status.value}: {record.reason}"
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """Show the contract's status words: COMPLIANT, NON_COMPLIANT, MANUAL, ... (and count errors as errors)."""
    record: CisRecord | None = getattr(report, "cis_record", None)
    if record is None:
        return None
    letters = {
        Status.COMPLIANT: ".",
        Status.NON_COMPLIANT: "F",
        Status.ERROR: "E",
        Status.MANUAL: "m",
        Status.NOT_APPLICABLE: "n",
        Status.WAIVED: "w",
    }
    categories = {Status.COMPLIANT: "passed", Status.NON_COMPLIANT: "failed", Status.ERROR: "error"}
    # The closing line counts the skipped statuses by name: "21 manual, 1 waived", not "22 skipped".
    category = categories.get(record.status, record.status.value)
    if config.get_verbosity() > 0:
        from plugins.reporting.terminal import verbose_word

        return category, letters[record.status], verbose_word(record)
    return category, letters[record.status], record.status.value.upper()


@pytest.hookimpl(trylast=True)  # after junitxml has written its file
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    records = config.stash.get(SCAN_RECORDS, None)
    context = config.stash.get(SCAN_CONTEXT, None)
    if records is None or context is None:
        return
    records.finished = _now()
    request = config.pluginmanager.get_plugin(REQUEST_PLUGIN)
    if request is not None and request.error is None and context.tokens is not None and context.tokens.failures:
        request.error = f"sign-in failed during the scan: {context.tokens.failures[-1]}"
    if not session.items:  # nothing selected: exit 5, and the reports of an earlier run stay as they were
        context.close()
        return
    records.records.sort(key=lambda r: sort_key(r.id))
    from plugins.reporting.baseline import gate_exit_status
    from plugins.reporting.csv_report import write_csv
    from plugins.reporting.document import write_json
    from plugins.reporting.evidence_csv import write_evidence_csv

    gate_exit_status(session, records.records)
    if config.option.cis_json:
        write_json(config.option.cis_json, records)
    if config.option.cis_csv:
        write_csv(config.option.cis_csv, records)
    if config.option.cis_csv_evidence:
        write_evidence_csv(config.option.cis_csv_evidence, records)
    xmlpath = getattr(config.option, "xmlpath", None)
    if xmlpath and Path(xmlpath).is_file():
        junit_errors_as_errors(Path(xmlpath))
        from plugins.reporting.junit import name_testcases_by_recommendation

        name_testcases_by_recommendation(Path(xmlpath), records.records)
    if context.recorder is not None and config.option.snapshot_save:
        context.recorder.created = context.as_of.isoformat(timespec="seconds")
        context.recorder.save(config.option.snapshot_save)
    context.close()


def junit_errors_as_errors(path: Path) -> None:
    """Give `error` recommendations JUnit's <error> element, as pytest does for fixture errors.

    pytest writes <error> only for setup and teardown failures; a recommendation that could not be evaluated
    fails in its call, so CI dashboards would count it among the non-compliant ones without this.
    """
    tree = ElementTree.parse(path)
    changed = False
    for suite in tree.iter("testsuite"):
        moved = 0
        for case in suite.iter("testcase"):
            status = next((p.get("value") for p in case.iter("property") if p.get("name") == "cis_status"), None)
            failure = case.find("failure")
            if status == Status.ERROR.value and failure is not None:
                failure.tag = "error"
                moved += 1
        if moved:
            changed = True
            suite.set("failures", str(int(suite.get("failures", "0")) - moved))
            suite.set("errors", str(int(suite.get("errors", "0")) + moved))
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    records = config.stash.get(SCAN_RECORDS, None)
    if records is None or not records.records:
        return
    counts = {status: 0 for status in Status}
    for record in records.records:
        counts[record.status] += 1
    tenant = records.tenant_name or records.tenant_id or "?"
    terminalreporter.write_sep("=", f"CIS Microsoft 365 Foundations v1.3.0: {tenant}")
    terminalreporter.write_line(", ".join(f"{n} {s.value}" for s, n in counts.items()))
    from plugins.reporting.terminal import write_changes, write_gate, write_summary

    write_changes(terminalreporter, records)
    write_gate(terminalreporter, config, records.records)
    write_summary(terminalreporter, config, records.records)
    for label, path in (
        ("JSON", config.option.cis_json),
        ("CSV", config.option.cis_csv),
        ("HTML", getattr(config.option, "htmlpath", None)),
        ("JUnit", getattr(config.option, "xmlpath", None)),
    ):
        if path:
            terminalreporter.write_line(f"{label}: {path}")
