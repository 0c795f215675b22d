"""Run-to-run comparison (`--cis-baseline`) and the exit status it allows (`--cis-fail-on`).

The baseline is an earlier results document (docs/CONCEPTS.md) of the same tenant and benchmark version;
anything else is refused in one line, since comparing two tenants' results would report nonsense as changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from o365cis.findings import Status
from plugins.reporting.records import CisRecord

FAIL_ON_CHOICES: tuple[str, ...] = ("non-compliant", "regression", "error")
#: The changes a result can have (docs/CONCEPTS.md), in the order a reader wants them.
CHANGES: tuple[str, ...] = ("regressed", "new", "fixed", "changed", "unchanged")

_FAILING = {Status.NON_COMPLIANT.value, Status.ERROR.value}
_PASSING = {Status.COMPLIANT.value, Status.WAIVED.value}


class BaselineError(Exception):
    """The baseline cannot be used: its one-line message says why."""


@dataclass(frozen=True)
class Baseline:
    """What the comparison needs of an earlier results document."""

    path: str
    started: str | None
    tenant_id: str | None
    benchmark_version: str | None
    statuses: dict[str, str]


def load_baseline(path: str | Path) -> Baseline:
    """Read an earlier results document; BaselineError when it is missing or is not one."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise BaselineError(f"--cis-baseline {path}: cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise BaselineError(f"--cis-baseline {path}: not JSON ({exc})") from None
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        raise BaselineError(f"--cis-baseline {path}: not an o365-cis results document (no results list)")
    statuses = {}
    for result in results:
        if isinstance(result, dict) and isinstance(result.get("id"), str) and isinstance(result.get("status"), str):
            statuses[result["id"]] = result["status"]
    tenant = document.get("tenant") or {}
    benchmark = document.get("benchmark") or {}
    return Baseline(
        path=str(path),
        started=document.get("started"),
        tenant_id=tenant.get("id") if isinstance(tenant, dict) else None,
        benchmark_version=benchmark.get("version") if isinstance(benchmark, dict) else None,
        statuses=statuses,
    )


def check_benchmark(baseline: Baseline, version: str) -> None:
    """Refuse a baseline of another benchmark version (its ids and titles mean other things)."""
    if baseline.benchmark_version != version:
        raise BaselineError(
            f"--cis-baseline {baseline.path} is of benchmark version {baseline.benchmark_version}, "
            f"this scan of {version}: compare results of one benchmark version only"
        )


def check_tenant(baseline: Baseline, tenant_id: str | None) -> None:
    """Refuse a baseline of another tenant (compared case-insensitively: GUIDs come in both cases)."""
    if (baseline.tenant_id or "").lower() != (tenant_id or "").lower():
        raise BaselineError(
            f"--cis-baseline {baseline.path} is of tenant {baseline.tenant_id}, this scan of {tenant_id}: "
            "compare results of one tenant only"
        )


def change_of(before: str | None, now: str) -> str:
    """new, fixed, regressed, changed or unchanged (docs/CONCEPTS.md, "The results document")."""
    if before is None:
        return "new"
    if before == now:
        return "unchanged"
    if before in _FAILING and now in _PASSING:
        return "fixed"
    if before == Status.COMPLIANT.value and now in _FAILING:
        return "regressed"
    return "changed"


def apply_baseline(records: Iterable[CisRecord], baseline: Baseline) -> None:
    """Give each record its change and its status in the baseline."""
    for record in records:
        before = baseline.statuses.get(record.id)
        record.baseline_status = before
        record.change = change_of(before, Status(record.status).value)


def baseline_block(baseline: Baseline, fail_on: str) -> dict[str, Any]:
    """The results document's `baseline` object."""
    return {"path": baseline.path, "started": baseline.started, "fail_on": fail_on}


def change_counts(records: Iterable[CisRecord]) -> dict[str, int]:
    """How many results have each change (all five present), for the summaries."""
    counts = dict.fromkeys(CHANGES, 0)
    for record in records:
        if record.change in counts:
            counts[record.change] += 1
    return counts


def fails_run(records: Iterable[CisRecord], fail_on: str) -> bool:
    """Whether the results make the exit status 1 under --cis-fail-on (README.md, "Statuses and exit status")."""
    if fail_on == "regression":
        return any(record.change == "regressed" for record in records)
    if fail_on == "error":
        return any(Status(record.status) is Status.ERROR for record in records)
    return any(Status(record.status).value in _FAILING for record in records)


#: config.stash key of the run's baseline (set by plugins.cis_plugin when --cis-baseline is given).
BASELINE = pytest.StashKey[Baseline]()


def configure_baseline(config: pytest.Config, benchmark_version: str) -> None:
    """Load --cis-baseline (if given) into the stash; a bad baseline or option pair is a usage error (exit 4)."""
    path = getattr(config.option, "cis_baseline", None)
    if config.option.cis_fail_on == "regression" and not path:
        raise pytest.UsageError("o365-cis: --cis-fail-on regression needs --cis-baseline (an earlier results.json)")
    if not path:
        return
    try:
        baseline = load_baseline(path)
        check_benchmark(baseline, benchmark_version)
    except BaselineError as exc:
        raise pytest.UsageError(f"o365-cis: {exc}") from None
    config.stash[BASELINE] = baseline


def compare(config: pytest.Config, records: list[CisRecord]) -> dict[str, Any] | None:
    """Apply the run's baseline (if any) to the records; the results document's `baseline` block, or None."""
    baseline = config.stash.get(BASELINE, None)
    if baseline is None:
        return None
    apply_baseline(records, baseline)
    return baseline_block(baseline, config.option.cis_fail_on)


def gate_exit_status(session: pytest.Session, records: list[CisRecord]) -> None:
    """Set the exit status --cis-fail-on asks for (README.md, "Statuses and exit status").

    Only a run that completed is re-judged: an interrupted run or an internal error keeps pytest's status, and
    under the default (non-compliant) pytest's own status stands, since it already fails on both statuses.
    """
    fail_on = session.config.option.cis_fail_on
    if fail_on != "non-compliant" and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        failed = fails_run(records, fail_on)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED if failed else pytest.ExitCode.OK
