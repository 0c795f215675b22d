#!/usr/bin/env python3
"""Figures for the Lambda deployment: package size, cold-start import time, peak memory of one scan.

    python benchmarks/lambda_figures.py [--runs 7] [--zip build/o365cis-lambda.zip] [--skip-scan]
    python benchmarks/lambda_figures.py --from-zip --python python3.13 --extra-path DIR_WITH_BOTO3 --skip-scan

* zip size: of the deployment package (built with deploy/build_zip.py when missing), and its unpacked size;
* cold start: `python -X importtime -c "import lambda_handler"` in a fresh interpreter, N times; the median of
  the cumulative import time Python reports for lambda_handler, and of the whole process's wall time;
* peak memory: one scan of the fake golden tenant (10,000 users by default) by `lambda_handler.scan_handler` in a child
  process: the handler's own peak (`RUSAGE_SELF`) and the peak of the scan process it spawns (`RUSAGE_CHILDREN`,
  the largest child it waited for); the function needs about their sum. The fake tenant, DNS, moto and the SMTP
  server run in this process, so they do not count.

Not a test: the figures depend on the machine. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ZIP = REPO / "build" / "o365cis-lambda.zip"

_CHILD_SCAN = """
import json, resource, sys
sys.path.insert(0, {repo!r})
import lambda_handler
result = lambda_handler.scan_handler(json.loads(sys.stdin.read()), None)
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
scan_peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({{"status": result.get("status"), "summary": result.get("summary"),
                  "error": result.get("error"), "peak_kb": peak_kb, "scan_peak_kb": scan_peak_kb}}),
      file=sys.__stderr__)
"""


def zip_figures(path: Path) -> dict[str, Any]:
    """Compressed and unpacked size of the deployment package."""
    if not path.is_file():
        subprocess.run([sys.executable, str(REPO / "deploy" / "build_zip.py"), "--output", str(path)], check=True)
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        entries = len(archive.infolist())
    return {"zip_bytes": path.stat().st_size, "unpacked_bytes": unpacked, "entries": entries}


def import_time_once(python: str, path: Path, extra_path: str | None = None) -> tuple[float, float]:
    """(cumulative import µs of lambda_handler as -X importtime reports it, process wall seconds)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if extra_path:
        # What the Lambda runtime adds itself (boto3/botocore), for an interpreter that lacks it.
        env["PYTHONPATH"] = extra_path
    started = time.perf_counter()
    result = subprocess.run(
        [python, "-X", "importtime", "-c", "import lambda_handler"],
        cwd=path,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    wall = time.perf_counter() - started
    # Lines look like "import time:   self [us] | cumulative | imported package".
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+\s+\|\s+(\d+)\s+\|\s*lambda_handler\s*$", line)
        if match:
            return float(match.group(1)), wall
    raise RuntimeError("lambda_handler not found in -X importtime output")


def cold_start_figures(runs: int, python: str, path: Path, extra_path: str | None = None) -> dict[str, Any]:
    """Median over `runs` fresh interpreters (one warm-up run first, so the OS file cache is warm)."""
    import_time_once(python, path, extra_path)
    samples = [import_time_once(python, path, extra_path) for _ in range(runs)]
    return {
        "runs": runs,
        "python": python,
        "import_ms_median": round(statistics.median(s[0] for s in samples) / 1000, 1),
        "process_ms_median": round(statistics.median(s[1] for s in samples) * 1000, 1),
    }


def scan_peak_memory(users: int = 10_000) -> dict[str, Any]:
    """Run one scan of the golden fake tenant (`users` accounts) in a child process and report its peak RSS."""
    sys.path.insert(0, str(REPO))
    import boto3
    from aiosmtpd.controller import Controller
    from moto.server import ThreadedMotoServer

    from tests.fake_exchange.dns_server import FakeDnsServer
    from tests.fake_exchange.exchange_handler import mount_exchange
    from tests.fake_exchange.scenarios import golden_dns_zone, golden_exchange_data
    from tests.fake_tenant.golden import GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET, GOLDEN_TENANT_ID, golden_tenant
    from tests.fake_tenant.server import FakeTenantServer

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    dynamodb.create_table(
        TableName="figures",
        AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        smtp_port = sock.getsockname()[1]
    smtp = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        domains, initial = ["contoso.com", "fabrikam.com"], "contoso.onmicrosoft.com"
        scenario = golden_tenant(users)
        scenario.extra["exchange"] = golden_exchange_data(domains, initial)
        with (
            FakeTenantServer([scenario]) as tenant,
            FakeDnsServer(golden_dns_zone(domains, initial)) as dns,
            tempfile.TemporaryDirectory() as temp,
        ):
            mount_exchange(tenant)
            env = {
                **os.environ,
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "x",
                "AWS_SECRET_ACCESS_KEY": "x",
                "DB_TABLE_NAME": "figures",
                "TEMP_PATH": temp,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(smtp_port),
                # The sink speaks plain SMTP on loopback: the one case MAIL_ALLOW_PLAINTEXT is for.
                "MAIL_ALLOW_PLAINTEXT": "True",
                "FROM_ADDR": "figures@example.org",
                "O365CIS_AUTHORITY_URL": tenant.url,
                "O365CIS_GRAPH_URL": tenant.url,
                "O365CIS_EXCHANGE_URL": tenant.url,
                "O365CIS_CA_BUNDLE": tenant.ca_pem_path,
                # Every look-up goes to the fake zone: nothing leaves 127.0.0.1.
                "O365CIS_DNS_SERVERS": dns.address,
            }
            event = {
                "requestId": "figures-1",
                "access_type": "credentials",
                "access_input": {
                    "client_id": GOLDEN_CLIENT_ID,
                    "client_secret": GOLDEN_CLIENT_SECRET,
                    "tenant_id": GOLDEN_TENANT_ID,
                },
                "email": "figures@example.org",
            }
            started = time.perf_counter()
            child = subprocess.run(
                [sys.executable, "-c", _CHILD_SCAN.format(repo=str(REPO))],
                input=json.dumps(event),
                capture_output=True,
                text=True,
                env=env,
                cwd=REPO,
                check=True,
            )
            wall = time.perf_counter() - started
    finally:
        smtp.stop()
        moto.stop()
    figures = json.loads(child.stderr.strip().splitlines()[-1])
    figures["handler_peak_mb"] = round(figures.pop("peak_kb") / 1024, 1)
    figures["scan_process_peak_mb"] = round(figures.pop("scan_peak_kb") / 1024, 1)
    figures["scan_seconds"] = round(wall, 1)
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the figures as one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters for the import-time median")
    parser.add_argument("--zip", type=Path, default=DEFAULT_ZIP, help="deployment package (built when missing)")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the import timing")
    parser.add_argument("--from-zip", action="store_true", help="time the import from the unpacked package")
    parser.add_argument("--skip-scan", action="store_true", help="leave out the peak-memory scan")
    parser.add_argument("--users", type=int, default=10_000, help="accounts in the scanned fake tenant")
    parser.add_argument("--extra-path", help="PYTHONPATH for the timed interpreter (e.g. a boto3 for its version)")
    args = parser.parse_args(argv)

    figures: dict[str, Any] = {"package": zip_figures(args.zip)}
    with tempfile.TemporaryDirectory() as unpacked:
        where = REPO
        if args.from_zip:
            with zipfile.ZipFile(args.zip) as archive:
                archive.extractall(unpacked)
            where = Path(unpacked)
        figures["cold_start"] = cold_start_figures(args.runs, args.python, where, args.extra_path)
        figures["cold_start"]["from"] = "package" if args.from_zip else "repository"
    if not args.skip_scan:
        figures["scan"] = scan_peak_memory(args.users)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
