"""The scan step: o365cis.runner.run_scan's stand-in in a real spawned child, killed at its deadline.

The handler's process state (stdout, stderr, logging, module globals) is never touched, the secret reaches
the child over the pipe (not argv or environment), and every way the child can end gives a one-line report.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

import pytest

from o365cis.lambda_service.events import ScanJob
from o365cis.lambda_service.scan_step import OUTPUT_FILE, RUNNER_ENTRY, PytestScanStep
from o365cis.settings import Secret

from . import standin_runner
from .fakes import CLIENT, SECRET, TENANT

STANDIN = "tests.lambda_service.standin_runner:run_scan"


def job(tenant: str = TENANT) -> ScanJob:
    return ScanJob("req-1", tenant, CLIENT, Secret(SECRET), "a@b.co")


def witness(workdir: Path) -> dict[str, object]:
    return json.loads((workdir / "witness.json").read_text())  # type: ignore[no-any-return]


def test_production_entry_is_the_runner() -> None:
    assert RUNNER_ENTRY == "o365cis.runner:run_scan" and PytestScanStep(None).entry == RUNNER_ENTRY


def test_child_gets_credentials_over_the_pipe_and_reports_through_the_folder(tmp_path: Path) -> None:
    report = PytestScanStep(rate_limit=4.0, entry=STANDIN)(job(), tmp_path, 60.0)
    seen = witness(tmp_path)
    assert seen["pid"] != os.getpid()
    assert (seen["tenant_id"], seen["client_id"], seen["rate_limit"], seen["secret_type"]) == (
        TENANT,
        CLIENT,
        4.0,
        "str",
    )
    assert seen["secret_received"] and not seen["secret_in_argv"] and not seen["secret_in_environ"]
    assert seen["time_limit"] == 50.0  # the runner is asked to stop 10 s before the kill
    assert report.summary == {"compliant": 1, "non_compliant": 1} and report.exit_code == 1
    assert report.json_path == tmp_path / "results.json" and report.has_reports


def test_pytest_output_stays_in_the_scan_folder_and_handler_state_is_untouched(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    stdout, stderr, handlers = sys.stdout, sys.stderr, list(logging.getLogger().handlers)
    PytestScanStep(rate_limit=None, entry=STANDIN)(job(), tmp_path, 60.0)
    captured = capfd.readouterr()
    assert "admin_mfa" not in captured.out + captured.err
    assert "3 admins without MFA" in (tmp_path / OUTPUT_FILE).read_text()
    assert (sys.stdout, sys.stderr, logging.getLogger().handlers) == (stdout, stderr, handlers)
    print("still writable")  # the child closed its own stdout, not ours
    assert "still writable" in capfd.readouterr().out


def test_runner_exception_becomes_a_one_line_error(tmp_path: Path) -> None:
    report = PytestScanStep(rate_limit=None, entry=STANDIN)(job(standin_runner.BOOM), tmp_path, 60.0)
    assert report.error == f"the scan stopped: RuntimeError: collector exploded with {SECRET}"  # masked by the handler
    assert not report.has_reports


def test_a_scan_past_its_deadline_is_killed_and_the_next_one_runs(tmp_path: Path) -> None:
    started = time.monotonic()
    report = PytestScanStep(rate_limit=None, entry=STANDIN)(job(standin_runner.HANG), tmp_path / "a", 3.0)
    elapsed = time.monotonic() - started
    assert report.error == "timeout: the scan did not finish within 3 s and was stopped"
    assert elapsed < 3.0 + 6.0  # the allowance, plus reaping the killed child
    pid = witness(tmp_path / "a")["pid"]
    assert isinstance(pid, int)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    healthy = PytestScanStep(rate_limit=None, entry=STANDIN)(job(), tmp_path / "b", 60.0)
    assert healthy.error is None and healthy.has_reports


def test_a_child_killed_from_outside_is_named(tmp_path: Path) -> None:
    report = PytestScanStep(rate_limit=None, entry=STANDIN)(job(standin_runner.OOM), tmp_path, 60.0)
    assert report.error == "the scan process ended by signal SIGKILL (killed, e.g. out of memory) without a result"


@pytest.fixture(autouse=True)
def _scan_folder(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
