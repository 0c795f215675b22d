"""A stand-in for o365cis.runner.run_scan, run by the real scan step in its real child process.

The tenant id picks the behaviour: a scan that prints and writes results, one that hangs past the deadline
(with a grandchild process of its own), one that raises, one that is killed as the out-of-memory killer would.
`witness.json` in the scan folder records what the child saw (the request, its argv, whether the secret or an
AWS credential was in its environment, its process group).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HANG = "hang.example.com"
BOOM = "boom.example.com"
OOM = "oom.example.com"


@dataclass
class Outcome:
    """Shaped like o365cis.runner.ScanOutcome."""

    exit_code: int
    summary: dict[str, int]
    json_path: Path | None
    html_path: Path | None
    error: str | None = None


def run_scan(request: Any, workdir: Path, *, time_limit: float | None = None) -> Outcome:
    """Behave as the tenant id says; the real runner's signature."""
    secret = request.client_secret
    grandchild = None
    if request.tenant_id == HANG:  # something the scan started must die with it
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]).pid
    (workdir / "witness.json").write_text(
        json.dumps(
            {
                "grandchild": grandchild,
                "process_group": os.getpgid(0),
                "aws_in_environ": sorted(k for k in os.environ if k.startswith("AWS_") and "SECRET" in k),
                "module": sys.modules["__main__"].__spec__.name if sys.modules["__main__"].__spec__ else None,
                "tenant_id": request.tenant_id,
                "client_id": request.client_id,
                "secret_type": type(secret).__name__,
                "secret_received": bool(secret),
                "rate_limit": request.rate_limit,
                "time_limit": time_limit,
                "secret_in_argv": any(secret in arg for arg in sys.argv),
                "secret_in_environ": any(secret in value for value in os.environ.values()),
                "pid": os.getpid(),
            }
        )
    )
    # What the old in-thread scan did to the whole process: here it can only reach the child's own state.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - deliberately left open, then closed
    logging.basicConfig(level=logging.DEBUG, force=True)
    print("cis_tests/test_1.py::test_admin_mfa FAILED - 3 admins without MFA", file=sys.__stdout__, flush=True)
    print("E   assert report detail", file=sys.__stderr__, flush=True)
    sys.stdout.close()
    if request.tenant_id == HANG:
        time.sleep(600)
    if request.tenant_id == BOOM:
        raise RuntimeError(f"collector exploded with {secret}")
    if request.tenant_id == OOM:
        os.kill(os.getpid(), signal.SIGKILL)
    results = workdir / "results.json"
    results.write_text(json.dumps({"summary": {"compliant": 1, "non_compliant": 1}}))
    return Outcome(1, {"compliant": 1, "non_compliant": 1}, results, None)
