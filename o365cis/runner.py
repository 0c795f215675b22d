"""The suite run programmatically (the Lambda scan function): in-process, into one folder, secret-free argv."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CIS_TESTS = REPO_ROOT / "cis_tests"


@dataclass(frozen=True)
class ScanRequest:
    """What to scan and how; unset URLs fall back to the O365CIS_* variables, as on the command line."""

    tenant_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    client_certificate: str | None = None
    client_certificate_password: str | None = field(default=None, repr=False)
    rate_limit: float | None = None
    ca_bundle: str | None = None
    authority_url: str | None = None
    graph_url: str | None = None
    exchange_url: str | None = None
    compliance_url: str | None = None
    cloud: str | None = None
    dns_servers: tuple[str, ...] = ()
    level: int = 2
    license: str = "E5"


@dataclass
class ScanOutcome:
    """How the run ended and where its reports are."""

    exit_code: int
    summary: dict[str, int]
    json_path: Path | None
    html_path: Path | None
    junit_path: Path | None
    csv_path: Path | None
    error: str | None = None


@dataclass
class ScanHandover:
    """What run_scan hands the cis plugin inside the process (never in argv), and the error it hands back."""

    values: dict[str, Any] = field(repr=False)
    error: str | None = None

    def report_error(self, message: str) -> None:
        """Keep the first error: a later one is usually a consequence of it."""
        if self.error is None:
            self.error = message


#: config.stash key under which a programmatic run's ScanHandover reaches the cis plugin.
SCAN_HANDOVER = pytest.StashKey[ScanHandover]()


class RequestPlugin:
    """Puts the request in the config's stash, and stops a run at its time limit so that a Lambda
    invocation can still record and email what was evaluated."""

    def __init__(self, request: ScanRequest, time_limit: float | None = None) -> None:
        self.time_limit = time_limit
        self._session: pytest.Session | None = None
        self._started = time.monotonic()
        values: dict[str, Any] = {
            f.name: getattr(request, f.name) for f in fields(request) if f.name not in ("level", "license")
        }
        values["dns_servers"] = list(request.dns_servers) or None
        self.handover = ScanHandover(values)

    def __repr__(self) -> str:
        return "RequestPlugin(***)"

    @pytest.hookimpl(tryfirst=True)
    def pytest_cmdline_main(self, config: pytest.Config) -> None:
        # pytest runs its main after parsing the command line and before any plugin's pytest_configure,
        # where the cis plugin opens the scan; returning None lets the run go on.
        config.stash[SCAN_HANDOVER] = self.handover

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._session = session
        self._started = time.monotonic()

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if self.time_limit is None or self._session is None:
            return
        if time.monotonic() - self._started > self.time_limit and not self._session.shouldstop:
            self._session.shouldstop = f"time limit of {self.time_limit:g} s reached"
            self.handover.report_error(
                f"timeout: the scan reached its time limit of {self.time_limit:g} s after {nodeid.split('::')[-1]}"
            )


def run_scan(request: ScanRequest, workdir: Path, *, time_limit: float | None = None) -> ScanOutcome:
    """Run cis_tests against the tenant, writing report.html, results.json, results.csv and junit.xml to workdir.

    With `time_limit` (seconds), no recommendation starts after it has passed; the reports then hold those
    evaluated so far and `error` says so. A sign-in that fails mid-scan is also reported in `error`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": workdir / "results.json",
        "html": workdir / "report.html",
        "junit": workdir / "junit.xml",
        "csv": workdir / "results.csv",
    }
    args = [
        str(CIS_TESTS),
        f"--rootdir={REPO_ROOT}",
        f"-c={REPO_ROOT / 'pytest.ini'}",
        "-p",
        "plugins.cis_plugin",
        "-p",
        "no:cacheprovider",  # the code directory is read-only in Lambda
        "-q",
        f"--cis-level={request.level}",
        f"--cis-license={request.license}",
        f"--cis-json={paths['json']}",
        f"--cis-csv={paths['csv']}",
        f"--html={paths['html']}",
        "--self-contained-html",
        f"--junitxml={paths['junit']}",
    ]
    plugin = RequestPlugin(request, time_limit)
    previous = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ beside read-only test modules
    try:
        exit_code = int(pytest.main(args, plugins=[plugin]))
    finally:
        sys.dont_write_bytecode = previous
    summary: dict[str, int] = {}
    if paths["json"].is_file():
        summary = json.loads(paths["json"].read_text(encoding="utf-8")).get("summary", {})
    error = plugin.handover.error
    if error is None and exit_code not in (0, 1):
        error = f"the scan ended with pytest exit status {exit_code}"
    return ScanOutcome(
        exit_code=exit_code,
        summary=summary,
        json_path=paths["json"] if paths["json"].is_file() else None,
        html_path=paths["html"] if paths["html"].is_file() else None,
        junit_path=paths["junit"] if paths["junit"].is_file() else None,
        csv_path=paths["csv"] if paths["csv"].is_file() else None,
        error=error,
    )
