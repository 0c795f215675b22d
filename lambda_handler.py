"""AWS Lambda entry points (deploy/README.md): `request_handler` queues a scan, `scan_handler` runs it,
`failure_handler` records FAILED what the platform stopped (the scan function's on-failure destination).

Both functions are deployed from one package (deploy/template.yaml). Nothing is kept at module level: every
invocation reads its environment and builds its clients afresh, so a warm process cannot leak one tenant's
scan into the next.
"""

from __future__ import annotations

from typing import Any

from o365cis.lambda_service.handlers import handle_failure, handle_request, handle_scan


def request_handler(event: Any, context: Any) -> dict[str, Any]:
    """Validate the request, check the app's permissions, record it QUEUED and start the scan asynchronously."""
    return handle_request(event, context)


def scan_handler(event: Any, context: Any) -> dict[str, Any]:
    """Run the scan, email the reports and record COMPLETED or FAILED."""
    return handle_scan(event, context)


def failure_handler(event: Any, context: Any) -> dict[str, Any]:
    """The scan function's on-failure destination: record FAILED a scan the platform stopped (timeout, memory)."""
    return handle_failure(event, context)
