"""The scan process: `python -m o365cis.lambda_service.scan_child`, started by scan_step.PytestScanStep.

It reads one JSON request on stdin (the client secret included: never argv or the environment), keeps its
stdout for the one JSON line of the outcome, points file descriptor 1 at its stderr (the scan folder's
output file, opened by the parent) so pytest's output and anything a C extension or subprocess writes land
there, runs the runner, and writes the outcome line: counts, report paths, a one-line error.

A plain interpreter, not a multiprocessing child: nothing of the Lambda runtime's bootstrap script is imported
again, and no /dev/shm primitive is needed.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any


def outcome_message(outcome: Any) -> dict[str, Any]:
    """o365cis.runner.ScanOutcome as plain JSON values, without depending on its class."""
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


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Run the scan the request describes; any failure becomes the outcome's one-line error."""
    try:
        from o365cis.runner import ScanRequest  # here, not at import: the handler itself never loads pytest

        module_name, _, attribute = str(request["entry"]).partition(":")
        run_scan = getattr(importlib.import_module(module_name), attribute)
        scan = ScanRequest(client_secret=request["client_secret"], **request["fields"])
        limit = request.get("time_limit")
        return outcome_message(run_scan(scan, Path(request["workdir"]), time_limit=limit))
    except Exception as exc:  # noqa: BLE001 - a scan failure is a status, not a crash
        return {"error": f"the scan stopped: {type(exc).__name__}: {exc}"}


def main() -> int:
    # The outcome goes to a private duplicate of stdout (not inherited by anything the scan starts); fd 1
    # itself then joins fd 2 in the output file, so a stray print can never corrupt the outcome line.
    outcome = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        request = json.loads(sys.stdin.read())
    except ValueError:
        message: dict[str, Any] = {"error": "the scan process received an unreadable request"}
    else:
        sys.stdin.close()
        message = run(request)
    outcome.write(json.dumps(message) + "\n")
    outcome.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
