"""The scan itself: the product's pytest suite (o365cis.runner.run_scan) run in a fresh child process.

The handler only sees `ScanStep`: a callable from a job, a folder and a time allowance to a `ScanReport`.
Tests swap it for a fake; production uses `PytestScanStep`.

Why a child process: a scan that overruns must be stopped, and a thread cannot be. The child is a plain
`python -m o365cis.lambda_service.scan_child` in its own process group (not a multiprocessing child: on Lambda
that would re-import the runtime's bootstrap script as __main__, and its primitives want /dev/shm, which Lambda
lacks). It inherits no lock or client of the warm handler, writes pytest's output to a file in the scan folder,
and the whole group is killed at the deadline; the handler's stdout, stderr, logging and module globals are never
touched. The client secret reaches the child on its stdin, never through argv or the environment (secret-looking
variables are left out of its environment too); the reports come back as files under TEMP_PATH, with only
their counts and paths sent back as one JSON line on the child's stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import o365cis
from o365cis.lambda_service.events import ScanJob

#: The function the child calls, as "module:attribute"; tests may name a stand-in with the same signature.
RUNNER_ENTRY = "o365cis.runner:run_scan"
#: The module the child process runs.
CHILD_MODULE = "o365cis.lambda_service.scan_child"
#: The runner is asked to stop this long before the child is killed, so it can still write partial reports.
STOP_BEFORE_KILL_SECONDS = 10.0
#: How long a killed or finished child may take to be reaped.
REAP_SECONDS = 5.0
OUTPUT_FILE = "pytest-output.txt"
#: The folder holding the o365cis package: /var/task in the deployed zip, the repository's root in a checkout.
CODE_DIR = Path(o365cis.__file__).resolve().parent.parent
#: Environment variables never handed to the scan process: it needs no AWS access, no SMTP password, and its
#: client secret comes on stdin. Names containing these words are left out as well.
_WITHHELD = frozenset({"AWS_ACCESS_KEY_ID"})
_WITHHELD_WORDS = ("SECRET", "PASSWORD", "TOKEN", "CREDENTIAL")


@dataclass(frozen=True)
class ScanReport:
    """What a scan left behind: counts and report files when it ran, a one-line error when it did not."""

    summary: dict[str, int] | None = None
    json_path: Path | None = None
    html_path: Path | None = None
    error: str | None = None
    exit_code: int | None = None
    attachments: tuple[Path, ...] = field(default=())

    @property
    def has_reports(self) -> bool:
        return self.summary is not None and self.json_path is not None and self.json_path.is_file()


class ScanStep(Protocol):
    """Runs one scan into `workdir` within `allowance` seconds (None: no limit)."""

    def __call__(self, job: ScanJob, workdir: Path, allowance: float | None) -> ScanReport: ...


def _report_from_message(message: Any) -> ScanReport:
    if not isinstance(message, dict):
        return ScanReport(error="the scan process sent an unreadable result")
    summary = message.get("summary")
    json_path, html_path = message.get("json_path"), message.get("html_path")
    return ScanReport(
        summary={str(k): int(v) for k, v in summary.items()} if isinstance(summary, dict) else None,
        json_path=Path(json_path) if isinstance(json_path, str) else None,
        html_path=Path(html_path) if isinstance(html_path, str) else None,
        error=str(message["error"]) if message.get("error") else None,
        exit_code=message.get("exit_code") if isinstance(message.get("exit_code"), int) else None,
    )


def child_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The scan process's environment: the handler's, without credentials, with the code folder importable."""
    source = dict(os.environ if environ is None else environ)
    env = {
        name: value
        for name, value in source.items()
        if name not in _WITHHELD and not any(word in name.upper() for word in _WITHHELD_WORDS)
    }
    # First on the path, so the child imports the very package the handler runs (the zip's, or this checkout's).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_DIR), source.get("PYTHONPATH", "")]))
    return env


def _report_from_output(output: bytes) -> ScanReport | None:
    """The report the child's outcome line describes; None when it wrote none."""
    lines = output.decode("utf-8", errors="replace").strip().splitlines()
    if not lines:
        return None
    try:
        message = json.loads(lines[-1])
    except ValueError:
        return ScanReport(error="the scan process sent an unreadable result")
    return _report_from_message(message)


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        # SIGKILL from outside is what the kernel's out-of-memory killer sends.
        hint = " (killed, e.g. out of memory)" if exitcode == -signal.SIGKILL else ""
        return f"the scan process ended by signal {name}{hint} without a result"
    return f"the scan process exited with code {exitcode} without a result"


class PytestScanStep:
    """The production scan: run_scan in a child process with the job's credentials and the function's rate cap."""

    def __init__(self, rate_limit: float | None, entry: str = RUNNER_ENTRY) -> None:
        self.rate_limit = rate_limit
        self.entry = entry

    def __call__(self, job: ScanJob, workdir: Path, allowance: float | None) -> ScanReport:
        """Run the suite in a child; kill it after `allowance` seconds; pytest's output stays in `workdir`."""
        # The runner stops itself a little before the child is killed, so a slow scan still leaves reports.
        limit = None if allowance is None else max(allowance - STOP_BEFORE_KILL_SECONDS, 1.0)
        request = {
            "entry": self.entry,
            "fields": {"tenant_id": job.tenant_id, "client_id": job.client_id, "rate_limit": self.rate_limit},
            "workdir": str(workdir),
            "time_limit": limit,
            "client_secret": str(job.client_secret),
        }
        try:
            sink = os.open(workdir / OUTPUT_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            return ScanReport(error=f"the scan folder cannot be written: {type(exc).__name__}")
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", CHILD_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=sink,  # the child points its fd 1 here too; an import failure lands here as well
                cwd=CODE_DIR,
                env=child_environment(),
                start_new_session=True,  # its own process group, so the kill takes whatever it started
            )
        finally:
            os.close(sink)
        try:
            output, _ = child.communicate(json.dumps(request).encode(), timeout=allowance)
        except subprocess.TimeoutExpired:
            _kill_group(child)
            return ScanReport(error=f"timeout: the scan did not finish within {allowance or 0:.4g} s and was stopped")
        except BaseException:
            _kill_group(child)  # the handler is being torn down: leave no scan behind
            raise
        report = _report_from_output(output)
        if report is None:
            return ScanReport(error=_exit_reason(child.returncode))
        return report


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (it leads it) and reap the child."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        child.kill()
    try:
        child.communicate(timeout=REAP_SECONDS)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        pass
