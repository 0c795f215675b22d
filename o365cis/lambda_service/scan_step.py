"""The scan itself: the product's pytest suite (o365cis.runner.run_scan) run in a fresh child process.

The handler only sees `ScanStep`: a callable from a job, a folder and a time allowance to a `ScanReport`.
Tests swap it for a fake; production uses `PytestScanStep`.

Why a child process: a scan that overruns must be stopped, and a thread cannot be. The child is spawned (not
forked, so it inherits no lock or client of the warm handler), redirects its own file descriptors 1 and 2 into
the scan folder, and is killed at the deadline; the handler's stdout, stderr, logging and module globals are
never touched. The client secret reaches the child over a pipe, never through argv or the environment, and the
reports come back as files under TEMP_PATH, with only their counts and paths sent back over the same pipe.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from o365cis.lambda_service.events import ScanJob

#: The function the child calls, as "module:attribute"; tests may name a stand-in with the same signature.
RUNNER_ENTRY = "o365cis.runner:run_scan"
#: The runner is asked to stop this long before the child is killed, so it can still write partial reports.
STOP_BEFORE_KILL_SECONDS = 10.0
#: How long a killed or finished child may take to be reaped.
REAP_SECONDS = 5.0
OUTPUT_FILE = "pytest-output.txt"


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


def _outcome_message(outcome: Any) -> dict[str, Any]:
    """o365cis.runner.ScanOutcome as plain values for the pipe, without depending on its class."""
    summary = getattr(outcome, "summary", None)
    json_path = getattr(outcome, "json_path", None)
    html_path = getattr(outcome, "html_path", None)
    return {
        "summary": dict(summary) if summary is not None else None,
        "json_path": str(json_path) if json_path is not None else None,
        "html_path": str(html_path) if html_path is not None else None,
        "error": getattr(outcome, "error", None),
        "exit_code": getattr(outcome, "exit_code", None),
    }


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


def _child_main(connection: Connection, entry: str, fields: dict[str, Any], workdir: str, limit: float | None) -> None:
    """The child process: pytest's output into the scan folder, the secret from the pipe, one result back."""
    # fd-level redirection catches what C extensions and subprocesses write too; this process is ours alone.
    sink = os.open(os.path.join(workdir, OUTPUT_FILE), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    os.close(sink)
    try:
        secret = connection.recv()
        from o365cis.runner import ScanRequest  # imported in the child: the handler never loads pytest

        module_name, _, attribute = entry.partition(":")
        run_scan = getattr(importlib.import_module(module_name), attribute)
        request = ScanRequest(client_secret=secret, **fields)
        message = _outcome_message(run_scan(request, Path(workdir), time_limit=limit))
    except Exception as exc:  # noqa: BLE001 - a scan failure is a status, not a crash
        message = {"error": f"the scan stopped: {type(exc).__name__}: {exc}"}
    connection.send(message)
    connection.close()


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        # SIGKILL from outside is what the kernel's out-of-memory killer sends.
        hint = " (killed, e.g. out of memory)" if exitcode == -signal.SIGKILL else ""
        return f"the scan process ended by signal {name}{hint} without a result"
    return f"the scan process exited with code {exitcode} without a result"


class PytestScanStep:
    """The production scan: run_scan in a spawned child with the job's credentials and the function's rate cap."""

    def __init__(self, rate_limit: float | None, entry: str = RUNNER_ENTRY) -> None:
        self.rate_limit = rate_limit
        self.entry = entry

    def __call__(self, job: ScanJob, workdir: Path, allowance: float | None) -> ScanReport:
        """Run the suite in a child; kill it after `allowance` seconds; pytest's output stays in `workdir`."""
        # The runner stops itself a little before the child is killed, so a slow scan still leaves reports.
        limit = None if allowance is None else max(allowance - STOP_BEFORE_KILL_SECONDS, 1.0)
        fields = {"tenant_id": job.tenant_id, "client_id": job.client_id, "rate_limit": self.rate_limit}
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe()
        child = context.Process(
            target=_child_main,
            args=(child_end, self.entry, fields, str(workdir), limit),
            name=f"o365cis-scan-{job.request_id}",
            daemon=True,
        )
        # Spawn hands the child the handler's sys.path, so it imports this package from the same place.
        child.start()
        child_end.close()
        try:
            parent_end.send(str(job.client_secret))
            if not parent_end.poll(allowance):
                child.kill()
                return ScanReport(error=f"timeout: the scan did not finish within {allowance:.4g} s and was stopped")
            try:
                return _report_from_message(parent_end.recv())
            except (EOFError, OSError):
                child.join(REAP_SECONDS)
                return ScanReport(error=_exit_reason(child.exitcode))
        except (BrokenPipeError, ConnectionError):
            child.join(REAP_SECONDS)
            return ScanReport(error=_exit_reason(child.exitcode))
        finally:
            parent_end.close()
            if child.is_alive():
                child.kill()
            child.join(REAP_SECONDS)
            child.close()
