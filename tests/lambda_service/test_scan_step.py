"""The scan step: o365cis.runner.run_scan's stand-in in a real child process, killed at its deadline.

The child is `python -m o365cis.lambda_service.scan_child` in its own process group. The handler's process
state (stdout, stderr, logging, module globals) is never touched, the secret reaches the child on its stdin
(not argv or environment), and every way the child can end gives a one-line report.
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
from o365cis.lambda_service.scan_step import (
    CHILD_MODULE,
    CODE_DIR,
    OUTPUT_FILE,
    RUNNER_ENTRY,
    PytestScanStep,
    child_environment,
)
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


def test_child_gets_credentials_on_stdin_and_reports_through_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-of-the-handler")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "aws-session-of-the-handler")
    report = PytestScanStep(rate_limit=4.0, entry=STANDIN)(job(), tmp_path, 60.0)
    seen = witness(tmp_path)
    assert seen["pid"] != os.getpid()
    # A plain interpreter running the child module (not multiprocessing re-importing the runtime's __main__),
    # leading its own process group, with no AWS credential of the handler.
    assert seen["module"] == CHILD_MODULE and seen["process_group"] == seen["pid"]
    assert seen["aws_in_environ"] == []
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
    seen = witness(tmp_path / "a")
    pid, grandchild = seen["pid"], seen["grandchild"]
    assert isinstance(pid, int) and isinstance(grandchild, int)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert gone(grandchild), "the process group was not killed: the scan's own child lives on"
    healthy = PytestScanStep(rate_limit=None, entry=STANDIN)(job(), tmp_path / "b", 60.0)
    assert healthy.error is None and healthy.has_reports


def gone(pid: int) -> bool:
    """True when `pid` no longer runs (absent, or a zombie waiting for a reaper that is not us)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_the_child_environment_holds_no_credential_and_imports_this_package() -> None:
    env = child_environment(
        {
            "PATH": "/usr/bin",
            "PYTHONPATH": "/var/runtime",
            "O365CIS_CA_BUNDLE": "/ca.pem",
            "AWS_ACCESS_KEY_ID": "AKIA",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_SESSION_TOKEN": "t",
            "AZURE_CLIENT_SECRET": "c",
            "MAIL_PASSWORD": "p",
        }
    )
    assert env == {"PATH": "/usr/bin", "O365CIS_CA_BUNDLE": "/ca.pem", "PYTHONPATH": f"{CODE_DIR}:/var/runtime"}
    assert (CODE_DIR / "o365cis" / "lambda_service" / "scan_child.py").is_file()


def test_a_child_that_cannot_start_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("o365cis.lambda_service.scan_step.CHILD_MODULE", "o365cis.no_such_module")
    report = PytestScanStep(rate_limit=None, entry=STANDIN)(job(), tmp_path, 60.0)
    assert report.error == "the scan process exited with code 1 without a result"
    assert "No module named" in (tmp_path / OUTPUT_FILE).read_text()


def test_a_child_killed_from_outside_is_named(tmp_path: Path) -> None:
    report = PytestScanStep(rate_limit=None, entry=STANDIN)(job(standin_runner.OOM), tmp_path, 60.0)
    assert report.error == "the scan process ended by signal SIGKILL (killed, e.g. out of memory) without a result"


@pytest.fixture(autouse=True)
def _scan_folder(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
