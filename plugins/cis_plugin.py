"""The o365-cis pytest plugin: its options, and the plugins a run needs, registered at configure time.

Installed as a `pytest11` entry point so that its options are known before pytest reads the command
line (a space-separated file value such as `--ca-bundle /elsewhere/ca.pem` would otherwise be taken
for a test path). The rest lives beside it, as in pytest-html and `_pytest/junitxml.py`:
plugins/collection.py (the `cis` marker, selection), plugins/fixtures.py (the scan and its fixtures)
and plugins/reporting/reporter.py (records, outcomes, summary and report files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from o365cis.catalogue import LICENSES
from o365cis.http import RetryPolicy
from o365cis.outputs import release
from o365cis.runner import SCAN_HANDOVER
from o365cis.scan import ScanContext
from plugins import collection, fixtures
from plugins.reporting.baseline import FAIL_ON_CHOICES
from plugins.reporting.reporter import CisReporter

REPO_ROOT = Path(__file__).resolve().parent.parent
CIS_TESTS = collection.CIS_TESTS
DEFAULT_REPORTS = {
    "htmlpath": "reports/report.html",
    "xmlpath": "reports/junit.xml",
    "cis_json": "reports/results.json",
    "cis_csv": "reports/results.csv",
}

#: config.stash key: the scan's reporter, registered as a plugin for the run (as junitxml keeps LogXML).
REPORTER = pytest.StashKey[CisReporter]()

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
    (
        "--teams-url",
        "teams_url",
        "O365CIS_TEAMS_URL",
        "Teams admin API base URL override (3.3, 3.7), e.g. https://api.interfaces.records.teams.microsoft.com; "
        "the catalogue's paths are appended",
    ),
    (
        "--sharepoint-admin-url",
        "sharepoint_admin_url",
        "O365CIS_SHAREPOINT_ADMIN_URL",
        "SharePoint admin base URL override (2.5, opt-in), e.g. https://contoso-admin.sharepoint.com; "
        "token scope <URL>/.default",
    ),
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
        "o365-cis: CIS Microsoft 365 Foundations Benchmark v1.3.0 scan (try `pytest --demo`: no credentials needed). "
        f"Retries: a Retry-After is honoured up to {RetryPolicy.max_delay:g} s; one request with its retries ends "
        f"within O365CIS_RETRY_BUDGET seconds (default {RetryPolicy.budget_seconds:g})",
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


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register collection and fixtures always; for a scan also the reporter, and open the scan."""
    collection.register_markers(config)
    for module in (collection, fixtures):
        if not config.pluginmanager.is_registered(module):
            config.pluginmanager.register(module, module.__name__)
    if not _is_scan(config) or hasattr(config, "workerinput"):
        return
    option = config.option
    for dest, default in DEFAULT_REPORTS.items():
        if getattr(option, dest, None) in (None, ""):
            setattr(option, dest, str(config.invocation_params.dir / default))
    if hasattr(option, "self_contained_html"):
        option.self_contained_html = True
    reporter = CisReporter(config)
    config.stash[REPORTER] = reporter
    config.pluginmanager.register(reporter, "o365cis-reporter")
    _configure_selection_and_baseline(config)
    from plugins.reporting import html_report

    if getattr(option, "htmlpath", None) and config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(html_report.CisHtmlReport(config), "o365cis-html")
    if option.collectonly:
        return
    values = _option_values(config)
    context = fixtures.open_scan(config, values)
    reporter.scan_opened(context)
    _scan_opened(config, context, fixtures.config_file(config, values))


def _configure_selection_and_baseline(config: pytest.Config) -> None:
    """--cis-id, the terminal's CIS words and --cis-baseline: each a usage error (exit 4) before any connection."""
    from o365cis.catalogue import load_catalogue
    from plugins import selection
    from plugins.reporting import baseline, document, terminal

    wanted = None
    if config.option.cis_id is not None:
        wanted = selection.selected_ids(selection.parse_patterns(config.option.cis_id), load_catalogue())
    config.pluginmanager.register(selection.CisSelection(wanted), "o365cis-selection")
    terminal.configure_terminal(config)
    baseline.configure_baseline(config, document.benchmark_info()["version"])


def _scan_opened(config: pytest.Config, context: ScanContext, config_path: str | None) -> None:
    """Describe the run for the results document; refuse a baseline of another tenant (exit 4)."""
    from plugins.reporting.baseline import BASELINE, BaselineError, check_tenant
    from plugins.reporting.records import SCAN_RECORDS
    from plugins.run_info import RunCompletion, describe_run, iso_utc

    records = config.stash[SCAN_RECORDS]
    records.run = describe_run(
        mode="demo" if config.option.cis_demo else "snapshot" if context.replay is not None else "live",
        # A replayed snapshot's data is as old as its recording; a live scan reads as it runs.
        data_as_of=iso_utc(context.as_of) if context.replay is not None else records.started,
        level=config.option.cis_level,
        license=config.option.cis_license,
        config_path=config_path,
    )
    config.pluginmanager.register(RunCompletion(records, context), "o365cis-run")
    baseline = config.stash.get(BASELINE, None)
    if baseline is None:
        return
    try:
        check_tenant(baseline, context.tenant_id)
    except BaselineError as exc:
        context.close()
        # The report files claimed when the scan opened are still empty: remove them, as open_scan does.
        outputs = fixtures.output_paths(config, {"snapshot_save": config.option.snapshot_save})
        release(Path(path) for _, path in outputs if path)
        raise pytest.UsageError(f"o365-cis: {exc}") from None


def pytest_unconfigure(config: pytest.Config) -> None:
    """Unregister the scan's reporter, as junitxml does its LogXML."""
    reporter = config.stash.get(REPORTER, None)
    if reporter is not None:
        del config.stash[REPORTER]
        config.pluginmanager.unregister(reporter)


def _option_values(config: pytest.Config) -> dict[str, Any]:
    """Option values; a programmatic run (o365cis.runner) hands its credentials over in-process instead."""
    values = {dest: getattr(config.option, dest, None) for _, dest, _, _ in _OPTIONS}
    values["dns_servers"] = config.option.dns_servers
    handover = config.stash.get(SCAN_HANDOVER, None)
    if handover is not None:
        values.update({k: v for k, v in handover.values.items() if v not in (None, "", [])})
    return values
