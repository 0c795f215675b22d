"""Peak memory of a whole scan of a large fake tenant: N users, N registration rows and N mailboxes.

    python benchmarks/memory_scan.py                  # 10,000 and 100,000 users
    python benchmarks/memory_scan.py 100000           # one size

The fake identity platform, Graph, Exchange and DNS run in a process of their own; the scan (all 84
recommendations, `pytest` as a user runs it) runs in a child of this small process, and its peak resident set size
is what is reported (os.wait4's rusage of that child alone: the fake servers and their data are not counted).

The tenant is the golden one at N users, with Get-Mailbox serving N mailboxes of about two hundred properties
each, paged by 1,000 as the InvokeCommand API pages it (built lazily per page, tests/fake_exchange/wide.py).
Graph pages are 999 items ($top=999); users carry the real user object's properties and the fake honours $select
as Graph does; registration rows carry every property of userRegistrationDetails.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fake_exchange.wide import WideMailboxes  # noqa: E402
from tests.fake_tenant import paths  # noqa: E402
from tests.harness.scan import fake_cloud, scan_command, statuses, write_config  # noqa: E402
from tests.harness.tenants import full_golden_config, full_golden_tenant  # noqa: E402


def _serve(users: int, out: str, conn: Connection) -> None:
    """The fake cloud in its own process: builds the tenant, serves it, and reports what it was asked."""
    built = time.perf_counter()
    scenario = full_golden_tenant(users)
    scenario.extra["exchange"]["cmdlets"]["Get-Mailbox"] = WideMailboxes(
        scenario.graph[paths.USERS], users, scenario.initial_domain or "contoso.onmicrosoft.com"
    )
    build_seconds = time.perf_counter() - built
    with fake_cloud([scenario], page_size=999) as cloud:
        config = write_config(Path(out) / "config.yaml", full_golden_config())
        command = scan_command(cloud, scenario, Path(out), [f"--cis-config={config}", "-q"])
        conn.send((command, {**cloud.env(scenario), "O365CIS_RETRY_BUDGET": "120"}, build_seconds))
        conn.recv()  # the scan has ended
        log = cloud.server.requests
        conn.send(
            {
                "requests": len(log),
                "graph": sum(1 for r in log if r.path.startswith(("/v1.0/", "/beta/"))),
                "exchange": len(cloud.exchange.calls),
                "mailbox_pages": len(cloud.exchange.calls_for("Get-Mailbox")),
                "server_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )


def run(users: int) -> dict[str, object]:
    """One whole scan of the golden tenant at `users` users and as many mailboxes; returns its figures.

    The fake cloud runs in a separate process, so this one stays small: Linux carries the memory a process had
    when it started a child over into that child's peak (ru_maxrss survives exec), and a parent holding the fake
    tenant would have that counted as the scanner's.
    """
    with tempfile.TemporaryDirectory() as work:
        out = Path(work)
        ours, theirs = multiprocessing.Pipe()
        server = multiprocessing.Process(target=_serve, args=(users, work, theirs), daemon=True)
        server.start()
        command, env, build_seconds = ours.recv()
        started = time.perf_counter()
        with open(out / "scan.log", "w", encoding="utf-8") as log_file:
            child = subprocess.Popen(
                [sys.executable, "-m", "pytest", *command],
                cwd=work,
                env={**os.environ, **env},
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            # wait4 gives this child's own rusage: its peak RSS (in kilobytes on Linux), not the fake cloud's.
            _, wait_status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(wait_status)
        seconds = time.perf_counter() - started
        ours.send("done")
        served = ours.recv()
        server.join()
        counts = collections.Counter(statuses(out / "results.json").values()) if (out / "results.json").exists() else {}
        if child.returncode not in (0, 1):
            print((out / "scan.log").read_text(encoding="utf-8")[-3000:])
    peak_mb = usage.ru_maxrss / 1024
    print(
        f"{users:,} users, {users:,} mailboxes (tenant built in {build_seconds:.1f} s): exit {child.returncode}, "
        f"{served['requests']} requests ({served['graph']} Graph, {served['exchange']} Exchange of which "
        f"{served['mailbox_pages']} Get-Mailbox pages), {seconds:.1f} s wall, scanner peak RSS {peak_mb:.0f} MB "
        f"(fake cloud {served['server_mb']:.0f} MB); verdicts {dict(counts)}",
        flush=True,
    )
    return {"users": users, "mailboxes": users, "wall": seconds, "peak_mb": peak_mb, **served}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    args = parser.parse_args()
    rows = [run(size) for size in args.sizes]
    print("\n| users | mailboxes | requests | wall time | peak RSS (scanner) |")
    print("|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['users']:,} | {row['mailboxes']:,} | {row['requests']:,} | {row['wall']:.0f} s "
            f"| {row['peak_mb']:.0f} MB |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
