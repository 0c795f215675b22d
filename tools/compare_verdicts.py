"""Record (with --write) or compare the verdicts of the demo and of the fake tenants against tests/data/verdicts/.

Each golden file maps a recommendation id to the status, reason and evidence of the scan's results document, so a
restructuring that must not change a verdict can be checked byte for byte. `python tools/compare_verdicts.py`
compares and prints the ids that differ; `python tools/compare_verdicts.py --write` records the current verdicts
(after a deliberate verdict change). tests/test_verdict_identity.py runs the comparison.
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.e2e.exchange_cases import USERS, ScanCase, noncompliant_case, run_scans  # noqa: E402
from tests.fake_tenant.named import noncompliant_tenant, unlicensed_tenant  # noqa: E402
from tests.harness.tenants import full_golden_tenant, with_exchange_and_dns  # noqa: E402

GOLDEN_DIR = REPO / "tests" / "data" / "verdicts"
#: The fields of a results-document entry a restructuring must leave untouched.
VERDICT_FIELDS = ("status", "reason", "evidence")
#: The fake tenants scanned (besides the demo): compliant, Graph violations, Exchange and DNS violations, no
#: Entra ID P1/P2 or Intune licence. Between them every recommendation is decided by each of its sources once.
SCENARIOS: dict[str, Callable[[], ScanCase]] = {
    "golden": lambda: ScanCase("golden", full_golden_tenant(USERS)),
    "noncompliant_graph": lambda: ScanCase("noncompliant_graph", with_exchange_and_dns(noncompliant_tenant(USERS))),
    "noncompliant_exchange": lambda: ScanCase("noncompliant_exchange", noncompliant_case().scenario),
    "unlicensed": lambda: ScanCase("unlicensed", with_exchange_and_dns(unlicensed_tenant(USERS))),
}
DEMO = "demo"
#: The fake tenants date their objects relative to the day of the scan (sign-ins, Secure Score syncs, expiries),
#: so dates and times are masked; the figures derived from them ("90 days") stay in.
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
#: Ages in hours move with the clock: the fake Secure Score snapshot is dated at a fixed time of day ("7 hours old"
#: at noon, "6 hours" later), and "password hash sync ran 0.3 hours ago" with the seconds between building the fake
#: tenant and scanning it.
HOURS = re.compile(r"\b\d+(?:\.\d+)? hours\b")


def verdicts(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """id -> {status, reason, evidence} of a results document's entries."""
    return {rec_id: {key: result.get(key) for key in VERDICT_FIELDS} for rec_id, result in results.items()}


def render(verdicts_by_id: dict[str, dict[str, Any]]) -> str:
    """The golden file text: stable key order, one field per line (a diff names the recommendation), dates masked."""
    text = json.dumps(verdicts_by_id, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return HOURS.sub("<n> hours", TIMESTAMP.sub("<date>", text))


def _demo_results(workdir: Path) -> dict[str, dict[str, Any]]:
    out = workdir / DEMO
    out.mkdir(parents=True, exist_ok=True)
    results_json = out / "results.json"
    subprocess.run(
        [
            sys.executable, "-m", "pytest", str(REPO / "cis_tests"), "--demo", "-q",
            "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark",
            f"--cis-json={results_json}", f"--junitxml={out / 'junit.xml'}", f"--html={out / 'report.html'}",
            f"--cis-csv={out / 'results.csv'}",
        ],
        cwd=out, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    document = json.loads(results_json.read_text(encoding="utf-8"))
    return {r["id"]: r for r in document["results"]}


def current_verdicts() -> dict[str, str]:
    """Scan the demo and every scenario now: golden file name -> its text."""
    with tempfile.TemporaryDirectory(prefix="verdicts-") as tmp:
        workdir = Path(tmp)
        outcomes = run_scans([build() for build in SCENARIOS.values()], workdir, parallel=3)
        texts = {f"{name}.json": render(verdicts(outcome.results)) for name, outcome in outcomes.items()}
        texts[f"{DEMO}.json"] = render(verdicts(_demo_results(workdir)))
    return texts


def differences(texts: dict[str, str]) -> list[str]:
    """A unified diff per golden file that differs from (or is missing for) the given texts."""
    diffs: list[str] = []
    for name, text in sorted(texts.items()):
        path = GOLDEN_DIR / name
        recorded = path.read_text(encoding="utf-8") if path.exists() else ""
        if recorded != text:
            diffs.append(
                "".join(difflib.unified_diff(recorded.splitlines(True), text.splitlines(True), str(path), "now"))
            )
    return diffs


def main(argv: list[str]) -> int:
    texts = current_verdicts()
    if "--write" in argv:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            (GOLDEN_DIR / name).write_text(text, encoding="utf-8")
        print(f"recorded {', '.join(sorted(texts))} in {GOLDEN_DIR.relative_to(REPO)}")
        return 0
    diffs = differences(texts)
    for diff in diffs:
        print(diff)
    print("verdicts identical" if not diffs else f"{len(diffs)} golden file(s) differ")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
