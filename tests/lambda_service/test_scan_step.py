"""The scan step around o365cis.runner: what it passes in, where pytest's output goes, and the time allowance."""

from __future__ import annotations

import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from o365cis.lambda_service.events import ScanJob
from o365cis.lambda_service.scan_step import PytestScanStep, ScanReport, run_with_allowance
from o365cis.settings import Secret

from .fakes import CLIENT, SECRET, TENANT

JOB = ScanJob("req-1", TENANT, CLIENT, Secret(SECRET), "a@b.co")


@dataclass
class _Request:
    tenant_id: str
    client_id: str
    client_secret: str | None = None
    rate_limit: float | None = None


@dataclass
class _Outcome:
    exit_code: int
    summary: dict[str, int]
    json_path: Path | None
    html_path: Path | None
    junit_path: Path | None = None
    csv_path: Path | None = None
    error: str | None = None


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Path]]:
    """A stand-in o365cis.runner that prints like pytest and writes a results file; returns its calls."""
    calls: list[tuple[Any, Path]] = []

    def run_scan(request: Any, workdir: Path, *, time_limit: float | None = None) -> _Outcome:
        calls.append((request, workdir))
        print("cis_tests/test_1.py::test_admin_mfa FAILED - 3 admins without MFA")
        print("E   assert report detail", file=sys.stderr)
        if request.tenant_id == "boom.example.com":
            raise RuntimeError("collector exploded")
        results = workdir / "results.json"
        results.write_text("{}")
        return _Outcome(1, {"compliant": 1, "non_compliant": 1}, results, None)

    module = types.ModuleType("o365cis.runner")
    module.ScanRequest = _Request  # type: ignore[attr-defined]
    module.run_scan = run_scan  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "o365cis.runner", module)
    return calls


def test_request_carries_credentials_and_rate_cap(runner: list[tuple[Any, Path]], tmp_path: Path) -> None:
    report = PytestScanStep(rate_limit=4.0)(JOB, tmp_path, None)
    ((request, workdir),) = runner
    assert (request.tenant_id, request.client_id, request.client_secret, request.rate_limit) == (
        TENANT,
        CLIENT,
        SECRET,
        4.0,
    )
    assert type(request.client_secret) is str and workdir == tmp_path
    assert report.summary == {"compliant": 1, "non_compliant": 1} and report.exit_code == 1
    assert report.json_path == tmp_path / "results.json" and report.has_reports


def test_pytest_output_stays_in_the_scan_folder(
    runner: list[tuple[Any, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    PytestScanStep(rate_limit=None)(JOB, tmp_path, 30.0)
    captured = capsys.readouterr()
    assert "admin_mfa" not in captured.out + captured.err
    assert "3 admins without MFA" in (tmp_path / "pytest-output.txt").read_text()
    assert sys.stdout is not None and "pytest-output" not in str(getattr(sys.stdout, "name", ""))


def test_runner_exception_becomes_a_one_line_error(runner: list[tuple[Any, Path]], tmp_path: Path) -> None:
    job = ScanJob("req-2", "boom.example.com", CLIENT, Secret(SECRET), "a@b.co")
    report = PytestScanStep(rate_limit=None)(job, tmp_path, None)
    assert report.error == "the scan stopped: RuntimeError: collector exploded" and not report.has_reports


def test_allowance_returns_the_work_result() -> None:
    assert run_with_allowance(lambda: ScanReport(error="done"), 5.0) == ScanReport(error="done")


def test_allowance_passes_on_exceptions() -> None:
    def fail() -> ScanReport:
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        run_with_allowance(fail, 5.0)


def test_allowance_stops_waiting() -> None:
    release = threading.Event()
    try:
        report = run_with_allowance(lambda: (release.wait(30), ScanReport())[1], 0.05)
    finally:
        release.set()
    assert report.error == "timeout: the scan did not finish within 0.05 s"
