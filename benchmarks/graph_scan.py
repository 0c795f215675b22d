"""Graph requests and wall time of a scan against the fake tenant, by tenant size.

    python benchmarks/graph_scan.py                 # section 1 at 1,000 and 10,000 users
    python benchmarks/graph_scan.py --all 10000     # the whole suite at 10,000 users

Starts the fake identity platform + Graph + Exchange + DNS on loopback (page size 999, as Graph gives for
$top=999), runs the real suite once per size, and prints the request count by path from the server's log.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.harness.scan import fake_cloud, scan_command, statuses, write_config  # noqa: E402
from tests.harness.tenants import full_golden_config, full_golden_tenant  # noqa: E402


def run(users: int, whole_suite: bool) -> None:
    """One scan of a golden tenant with `users` accounts; prints requests, pages and time."""
    built = time.perf_counter()
    scenario = full_golden_tenant(users)
    build_seconds = time.perf_counter() - built
    with fake_cloud([scenario], page_size=999) as cloud, tempfile.TemporaryDirectory() as work:
        out = Path(work)
        config = write_config(out / "config.yaml", full_golden_config())
        extra = [f"--cis-config={config}", "-q"] + ([] if whole_suite else ["-m", "section1"])
        cloud.server.reset_log()
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *scan_command(cloud, scenario, out, extra)],
            cwd=work,
            env={**os.environ, **cloud.env(scenario)},
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        log = cloud.server.requests
        graph = [r for r in log if r.path.startswith(("/v1.0/", "/beta/"))]
        by_path = collections.Counter(r.path for r in graph)
        counts = collections.Counter(statuses(out / "results.json").values())
        scope = "all 84" if whole_suite else "section 1"
        print(
            f"\n{scope}, {users:,} users (tenant built in {build_seconds:.1f} s): exit {result.returncode}, "
            f"{seconds:.2f} s wall, {len(graph)} Graph requests, {len(log) - len(graph)} other "
            f"(token, Exchange), {len(cloud.dns.queries)} DNS queries; verdicts {dict(counts)}"
        )
        for path, n in by_path.most_common(8):
            print(f"  {n:4d}  {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000, 10_000])
    parser.add_argument("--all", action="store_true", help="run all 84 recommendations, not only section 1")
    args = parser.parse_args()
    for size in args.sizes:
        run(size, args.all)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
