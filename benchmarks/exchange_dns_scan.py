#!/usr/bin/env python3
"""Request counts and wall time of one full scan of a golden tenant with many custom mail domains.

    python benchmarks/exchange_dns_scan.py [--domains 20] [--users 300]

Builds the golden tenant (Graph + Exchange cmdlets + DNS zone) with `--domains` verified custom mail domains,
serves it from the fake tenant server (identity platform, Graph, Exchange admin API over HTTPS) and the fake
DNS server, runs the whole suite against it in a child `pytest` process, and prints:

* Exchange InvokeCommand requests the fake answered (its call log: pages and host fallbacks count, and so do
  retries), with the distinct cmdlets behind them;
* DNS queries the fake DNS server received (its query log, TCP repeats included), with the distinct names;
* Graph requests (paths under /v1.0 and /beta; token requests are not counted);
* the wall time of the scan process, and its verdict counts.

Not a test: the time depends on the machine. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e.exchange_cases import many_domains_tenant, write_scan_config  # noqa: E402
from tests.harness.scan import fake_cloud, scan_command  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=20, help="custom mail domains (default 20)")
    parser.add_argument("--users", type=int, default=300, help="users in the tenant (default 300)")
    args = parser.parse_args()

    scenario = many_domains_tenant(args.domains, users=args.users)
    custom = [d for d in scenario.domains if not d.endswith(".onmicrosoft.com")]
    with tempfile.TemporaryDirectory(prefix="o365cis-bench-") as tmp, fake_cloud([scenario]) as cloud:
        out = Path(tmp)
        config = write_scan_config(out)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "O365CIS_", "PYTEST_"))}
        env.update(cloud.env(scenario))
        command = [
            sys.executable,
            "-m",
            "pytest",
            *scan_command(cloud, scenario, out, [f"--cis-config={config}", "-q"]),
        ]
        started = time.perf_counter()
        completed = subprocess.run(command, env=env, cwd=out, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        results_path = out / "results.json"
        if not results_path.exists():
            print(completed.stdout[-3000:], completed.stderr[-3000:], file=sys.stderr)
            return 1
        summary = json.loads(results_path.read_text(encoding="utf-8"))["summary"]
        calls = list(cloud.exchange.calls)
        queries = list(cloud.dns.queries)
        graph = [r for r in cloud.server.requests if r.path.startswith(("/v1.0/", "/beta/"))]

    transports = Counter(transport for _, _, transport in queries)
    print(f"tenant: {args.users} users, {len(custom)} custom mail domains")
    print(f"exit status: {completed.returncode}; verdicts: {', '.join(f'{n} {s}' for s, n in summary.items() if n)}")
    print(f"Exchange InvokeCommand requests: {len(calls)} ({len({c.cmdlet for c in calls})} distinct cmdlets)")
    print(
        f"DNS queries: {len(queries)} ({len({name for name, _, _ in queries})} distinct names; "
        + ", ".join(f"{n} {t}" for t, n in sorted(transports.items()))
        + ")"
    )
    print(f"Graph requests: {len(graph)}")
    print(f"wall time of the scan: {wall:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
