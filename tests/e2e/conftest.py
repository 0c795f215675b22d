"""End-to-end fixtures: the scanner run as a user runs it (`python -m pytest ...` in a child process) against
fake tenants over real HTTPS, and the helpers to read what it printed and wrote.

Every scan here is a child process with a scrubbed environment (no AZURE_* or O365CIS_* variable leaks in from
the developer's shell), its reports under a temporary folder, and a scanner secret chosen to be easy to grep
for (`SECRET`). Scans that do not depend on each other run a few at a time (`run_concurrently`): one scan is
mostly one Python interpreter starting and waiting on loopback HTTPS, so two cores take three at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives import serialization

from tests.fake_tenant import paths
from tests.fake_tenant.certificates import AppCertificate, make_app_certificate
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.named import no_consent_tenant, noncompliant_tenant
from tests.fake_tenant.patching import with_certificate, with_error
from tests.harness.scan import FakeCloud, fake_cloud, scan_command, write_config
from tests.harness.tenants import full_golden_config, full_golden_tenant, with_exchange_and_dns

REPO_ROOT = Path(__file__).resolve().parents[2]
CIS_TESTS = REPO_ROOT / "cis_tests"
CATALOGUE_JSON = REPO_ROOT / "o365cis" / "catalogue.json"
#: An older results document of the demo tenant, edited so that a comparison shows every kind of change.
DEMO_BASELINE = REPO_ROOT / "tests" / "data" / "demo_results_2026-10-30.json"

#: The scanner's client secret in every tenant here: distinctive, so a leak into any output is found by grep.
SECRET = "s3cr3t-Value~XYZ"
#: The password of the app certificate's private key (as secret as the client secret).
CERTIFICATE_PASSWORD = "c3rt-Pa55~word"
#: A secret the app does not accept, and a wrong certificate password: as secret as the right ones.
WRONG_SECRET = "s3cr3t-Value~OLD"
WRONG_PASSWORD = "Wr0ng-Pa55~word"
#: Every secret a run here may be given; none may appear in anything a run prints or writes.
SECRETS = (SECRET, CERTIFICATE_PASSWORD, WRONG_SECRET, WRONG_PASSWORD)
#: Small tenants keep a whole scan to a few seconds; every rule still has members, guests and admins to judge.
USERS = 40
#: Child scans run at once (each mostly waits on its interpreter start-up and on loopback HTTPS).
PARALLEL_SCANS = 3
#: A safety net against a hung child, not a performance assertion.
CHILD_TIMEOUT_SECONDS = 600
#: Plugins of this development environment that are no part of the scanner: hypothesis's imports hypothesis at
#: every session end (about 1 s of CPU per child), pytest-benchmark adds nothing to a scan. The cache provider
#: would write .pytest_cache wherever a scan runs, the repository root included.
DEV_PLUGINS_OFF = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:cacheprovider")

STATUSES = ("compliant", "non_compliant", "manual", "not_applicable", "error", "waived")
#: Environment variables a scan reads (CONTRACT.md section 1); scrubbed from every child's environment.
SCAN_VARIABLE_PREFIXES = ("AZURE_", "O365CIS_")
SCAN_VARIABLES = frozenset({"USE_RATE_LIMITER"})

#: Tenant id and domain of the tenant whose app never received admin consent (served beside the golden one).
NO_CONSENT_TENANT_ID = "11111111-1111-4111-8111-111111111111"
NO_CONSENT_DOMAIN = "noconsent.example"

#: The recommendation the mixed tenant waives (until next year) and the one whose waiver expired last month.
WAIVED_ID = "1.1.3"
WAIVER_REASON = "Fifth global admin during the merger"
EXPIRED_WAIVER_ID = "1.1.12"
EXPIRED_WAIVER_REASON = "Security defaults kept until the pilot ends"
#: The read the mixed tenant refuses for a missing permission, and the recommendation that then errs.
REFUSED_PATH = "/beta/admin/forms"
REFUSED_ID = "2.10"

T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    # pytester runs the catalogue checks on a copy of cis_tests; `pytest_plugins` is refused below the rootdir.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


# The catalogue, read from the product's own copy ------------------------------------------------------------


def catalogue() -> list[dict[str, Any]]:
    """The 84 recommendations of o365cis/catalogue.json, in the file's order."""
    return list(json.loads(CATALOGUE_JSON.read_text(encoding="utf-8"))["recommendations"])


def benchmark_key(recommendation_id: str) -> tuple[int, ...]:
    """Sort key of a recommendation id in benchmark order (1.1.2 before 1.1.10 before 1.2)."""
    return tuple(int(part) for part in recommendation_id.split("."))


def ids_where(predicate: Callable[[dict[str, Any]], bool]) -> list[str]:
    """Catalogue ids, in benchmark order, of the recommendations the predicate accepts."""
    return sorted((r["id"] for r in catalogue() if predicate(r)), key=benchmark_key)


# One child pytest run ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PytestRun:
    """One `python -m pytest` child: its command line, exit status, terminal output and report folder."""

    args: tuple[str, ...]
    cwd: Path
    out: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.stdout + self.stderr

    @property
    def json_path(self) -> Path:
        return self.out / "results.json"

    @property
    def csv_path(self) -> Path:
        return self.out / "results.csv"

    @property
    def html_path(self) -> Path:
        return self.out / "report.html"

    @property
    def junit_path(self) -> Path:
        return self.out / "junit.xml"

    def document(self) -> dict[str, Any]:
        """The results document (CONTRACT.md section 3) the run wrote."""
        assert self.json_path.is_file(), f"no results document\n{self.describe()}"
        return dict(json.loads(self.json_path.read_text(encoding="utf-8")))

    def results(self) -> dict[str, dict[str, Any]]:
        """id -> result, in the document's order."""
        return {r["id"]: r for r in self.document()["results"]}

    def statuses(self) -> dict[str, str]:
        """id -> status, in the document's order."""
        return {rec_id: r["status"] for rec_id, r in self.results().items()}

    def error_lines(self) -> list[str]:
        """The non-blank lines on stderr."""
        return [line for line in self.stderr.splitlines() if line.strip()]

    def written_files(self) -> list[Path]:
        """Every file the run left under its report folder."""
        return sorted(p for p in self.out.rglob("*") if p.is_file())

    def describe(self) -> str:
        """Exit status and the tails of both streams, for assertion messages."""
        return f"exit {self.returncode}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"


def leaked_secrets(run: PytestRun) -> dict[str, list[str]]:
    """Where (stdout, stderr, a file the run wrote) any of SECRETS appears: {} when nowhere."""
    places = {"stdout": run.stdout, "stderr": run.stderr}
    places.update({str(path): path.read_text(encoding="utf-8", errors="replace") for path in run.written_files()})
    found: dict[str, list[str]] = {}
    for place, text in places.items():
        hits = [secret for secret in SECRETS if secret in text]
        if hits:
            found[place] = hits
    return found


def scan_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any scan setting, plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(SCAN_VARIABLE_PREFIXES) and name not in SCAN_VARIABLES
    }
    env.update(extra or {})
    return env


def report_options(out: Path) -> list[str]:
    """Options sending all four reports under `out` (so nothing lands in the repository)."""
    return [
        f"--cis-json={out / 'results.json'}",
        f"--cis-csv={out / 'results.csv'}",
        f"--html={out / 'report.html'}",
        f"--junitxml={out / 'junit.xml'}",
    ]


def run_pytest(
    args: Sequence[str], *, out: Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> PytestRun:
    """Run `python -m pytest ARGS` in a child, from `cwd` (default `out`), with exactly `env` for scan settings."""
    out.mkdir(parents=True, exist_ok=True)
    where = cwd or out
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *DEV_PLUGINS_OFF, *args],
        cwd=where,
        env=scan_environment(env),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,  # the exit status is what the tests assert on
    )
    return PytestRun(tuple(args), where, out, completed.returncode, completed.stdout, completed.stderr)


def run_concurrently(jobs: Mapping[str, Callable[[], T]]) -> dict[str, T]:
    """Run independent jobs (child scans) a few at a time; results keyed like `jobs`."""
    with ThreadPoolExecutor(max_workers=PARALLEL_SCANS, thread_name_prefix="e2e-scan") as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def live_scan(
    cloud: FakeCloud,
    scenario: Scenario,
    out: Path,
    extra: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> PytestRun:
    """A scan of `scenario` on `cloud` with every report under `out` (the secret in AZURE_CLIENT_SECRET)."""
    return run_pytest(
        [*scan_command(cloud, scenario, out, extra)], out=out, cwd=cwd, env={**cloud.env(scenario), **(env or {})}
    )


# Tenants ------------------------------------------------------------------------------------------------------


def with_secret(scenario: Scenario, secret: str = SECRET) -> Scenario:
    """The scenario with every app registration's client secret replaced by `secret`."""
    result = dataclasses.replace(scenario, clients=dict(scenario.clients))
    for client_id, app in result.clients.items():
        result.clients[client_id] = dataclasses.replace(app, secret=secret)
    return result


def organisation_name(scenario: Scenario) -> str:
    """The organisation displayName Graph answers for the tenant."""
    return str(scenario.graph[paths.ORGANIZATION][0]["displayName"])


def client_id_of(scenario: Scenario) -> str:
    """The scanner app's client id in the scenario."""
    return next(iter(scenario.clients))


def write_unencrypted_pem(certificate: AppCertificate, path: Path) -> Path:
    """The certificate with its private key unencrypted (a PEM file an admin exported without a password)."""
    assert certificate.password is not None
    key = serialization.load_pem_private_key(certificate.private_key_pem.encode(), certificate.password.encode())
    plain = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_text(certificate.certificate_pem + plain.decode("ascii"), encoding="ascii")
    return path


def mixed_config(today: dt.date) -> dict[str, Any]:
    """The golden config with an active waiver for WAIVED_ID and one for EXPIRED_WAIVER_ID that ran out."""
    config = full_golden_config()
    config["waivers"] = [
        {"id": WAIVED_ID, "reason": WAIVER_REASON, "expires": (today + dt.timedelta(days=365)).isoformat()},
        {
            "id": EXPIRED_WAIVER_ID,
            "reason": EXPIRED_WAIVER_REASON,
            "expires": (today - dt.timedelta(days=30)).isoformat(),
        },
    ]
    return config


@pytest.fixture(scope="session")
def app_certificate(tmp_path_factory: pytest.TempPathFactory) -> AppCertificate:
    """The scanner app's certificate: a PEM (certificate + encrypted key) outside the repository."""
    return make_app_certificate(tmp_path_factory.mktemp("app-certificate"), password=CERTIFICATE_PASSWORD)


@pytest.fixture(scope="session")
def golden(app_certificate: AppCertificate) -> Scenario:
    """The compliant tenant (Graph, Exchange, DNS); its app accepts SECRET and the app certificate."""
    return with_certificate(with_secret(full_golden_tenant(USERS)), app_certificate)


@pytest.fixture(scope="session")
def no_consent() -> Scenario:
    """A copy of the golden tenant (other id and domain) whose app was never granted admin consent."""
    scenario = with_secret(no_consent_tenant(USERS))
    scenario.tenant_id = NO_CONSENT_TENANT_ID
    scenario.domains = [NO_CONSENT_DOMAIN]
    return scenario


@pytest.fixture(scope="session")
def golden_config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The --cis-config the golden tenant needs (its break-glass accounts and approved public groups)."""
    return write_config(tmp_path_factory.mktemp("config") / "golden.yaml", full_golden_config())


@pytest.fixture(scope="session")
def cloud(golden: Scenario, no_consent: Scenario) -> Iterator[FakeCloud]:
    """The fake services serving the golden tenant and the no-consent tenant, for scans that arm no fault."""
    with fake_cloud([golden, no_consent]) as running:
        yield running


@pytest.fixture(scope="session")
def golden_scan(
    cloud: FakeCloud, golden: Scenario, golden_config_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> PytestRun:
    """A whole scan of the golden tenant with every report: the reference the other scans compare with."""
    out = tmp_path_factory.mktemp("golden-scan")
    run = live_scan(cloud, golden, out, [f"--cis-config={golden_config_file}"])
    assert run.json_path.is_file(), run.describe()
    return run


@dataclasses.dataclass(frozen=True)
class SavedScan:
    """A scan whose services are gone: its run, its config file and the snapshot it saved."""

    run: PytestRun
    config: Path
    snapshot: Path
    scenario: Scenario


@pytest.fixture(scope="session")
def mixed_scan(tmp_path_factory: pytest.TempPathFactory) -> SavedScan:
    """A scan of a tenant after a bad year: non-compliant results, one waived, one whose waiver expired, one
    error (a refused read), manual ones; saved as a snapshot, and its fake services stopped afterwards."""
    scenario = with_error(
        with_secret(with_exchange_and_dns(noncompliant_tenant(USERS))),
        REFUSED_PATH,
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
    out = tmp_path_factory.mktemp("mixed-scan")
    config = write_config(out.parent / f"{out.name}-config.yaml", mixed_config(dt.date.today()))
    snapshot = out.parent / f"{out.name}-snapshot.json"
    with fake_cloud([scenario]) as services:
        run = live_scan(services, scenario, out, [f"--cis-config={config}", f"--snapshot-save={snapshot}"])
    assert run.json_path.is_file(), run.describe()
    return SavedScan(run, config, snapshot, scenario)
