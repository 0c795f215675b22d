"""The scan itself: the product's pytest suite run programmatically (o365cis.runner) into one fresh folder.

The handler only sees `ScanStep`: a callable from a job, a folder and a time allowance to a `ScanReport`.
Tests swap it for a fake; production uses `PytestScanStep`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from o365cis.lambda_service.events import ScanJob
from o365cis.lambda_service.status import one_line


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


def _report_from_outcome(outcome: Any) -> ScanReport:
    """Translate o365cis.runner.ScanOutcome without depending on its class."""
    summary = getattr(outcome, "summary", None)
    return ScanReport(
        summary=dict(summary) if summary is not None else None,
        json_path=getattr(outcome, "json_path", None),
        html_path=getattr(outcome, "html_path", None),
        error=getattr(outcome, "error", None),
        exit_code=getattr(outcome, "exit_code", None),
    )


def run_with_allowance(work: Callable[[], ScanReport], allowance: float | None) -> ScanReport:
    """Run `work` in a worker thread and stop waiting after `allowance` seconds.

    Lambda kills a function at its timeout without a word; waiting less than that leaves time to record
    a FAILED status and tell the recipient. The worker cannot be killed: it is a daemon thread, and the
    runner's own retry budget bounds how long it can go on.
    """
    if allowance is None:
        return work()
    result: list[ScanReport] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failure.append(exc)

    worker = threading.Thread(target=target, name="o365cis-scan", daemon=True)
    worker.start()
    worker.join(max(allowance, 0.0))
    if worker.is_alive():
        return ScanReport(error=f"timeout: the scan did not finish within {allowance:.4g} s")
    if failure:
        raise failure[0]
    return result[0]


class PytestScanStep:
    """The production scan: o365cis.runner.run_scan with the job's credentials and the function's rate cap."""

    def __init__(self, rate_limit: float | None) -> None:
        self.rate_limit = rate_limit

    def __call__(self, job: ScanJob, workdir: Path, allowance: float | None) -> ScanReport:
        """Run the suite; pytest's terminal output goes to a file in `workdir`, never to the function's log."""
        # Imported here: the request function never needs pytest, and its cold start stays short.
        from o365cis.runner import ScanRequest, run_scan

        request = ScanRequest(
            tenant_id=job.tenant_id,
            client_id=job.client_id,
            client_secret=str(job.client_secret),
            rate_limit=self.rate_limit,
        )

        def work() -> ScanReport:
            # The terminal report lists every finding: it is report content, so it stays out of CloudWatch.
            with (
                open(workdir / "pytest-output.txt", "w", encoding="utf-8") as sink,
                contextlib.redirect_stdout(sink),
                contextlib.redirect_stderr(sink),
            ):
                try:
                    # The run stops itself a little before the handler stops waiting for it.
                    limit = None if allowance is None else max(allowance - 10.0, 1.0)
                    return _report_from_outcome(run_scan(request, workdir, time_limit=limit))
                except Exception as exc:  # noqa: BLE001 - a scan failure is a status, not a crash
                    return ScanReport(error=one_line(f"the scan stopped: {type(exc).__name__}: {exc}"))

        return run_with_allowance(work, allowance)
