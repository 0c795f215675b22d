"""The command line of CONTRACT.md section 1 as a user meets it: bad input, file options, credentials from options,
variables and certificates, selection, config waivers, snapshots and exit statuses; scans in child processes
against the fake tenants over HTTPS."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fake_tenant.certificates import AppCertificate
from tests.fake_tenant.model import Scenario
from tests.harness.scan import FakeCloud, write_config

from .conftest import (
    CERTIFICATE_PASSWORD,
    CIS_TESTS,
    EXPIRED_WAIVER_ID,
    EXPIRED_WAIVER_REASON,
    REFUSED_ID,
    REPO_ROOT,
    SECRET,
    STATUSES,
    WAIVED_ID,
    WAIVER_REASON,
    WRONG_PASSWORD,
    WRONG_SECRET,
    PytestRun,
    SavedScan,
    benchmark_key,
    client_id_of,
    ids_where,
    leaked_secrets,
    report_options,
    run_concurrently,
    run_pytest,
    write_unencrypted_pem,
)

UNKNOWN_TENANT = "99999999-9999-4999-8999-999999999999"
UNKNOWN_CLIENT = "99999999-9999-4999-8999-999999999998"
#: A loopback port nothing listens on: where the losing environment variables point.
DEAD_URL = "https://127.0.0.1:9"
SECTION1 = ids_where(lambda r: r["section"].startswith("1 "))
SECTIONS_1_AND_4 = ids_where(lambda r: r["section"].split()[0] in {"1", "4"})
CIS_MODULES = frozenset(path.stem for path in CIS_TESTS.glob("test_*.py"))


def connection_options(
    cloud: FakeCloud, scenario: Scenario, *, tenant: str | None = None, client: str | None = None
) -> list[str]:
    """--tenant-id ... --dns-server: everything but the credential and the CA bundle."""
    return [
        "--tenant-id",
        tenant or scenario.tenant_id,
        "--client-id",
        client or client_id_of(scenario),
        "--authority-url",
        cloud.server.url,
        "--graph-url",
        cloud.server.url,
        "--exchange-url",
        cloud.server.url,
        "--teams-url",
        cloud.teams_url,
        "--sharepoint-admin-url",
        cloud.sharepoint_admin_url,
        f"--dns-server={cloud.dns.address}",
    ]


def file_option(name: str, path: Path, spelling: str) -> list[str]:
    """`--name PATH` (spelling "space") or `--name=PATH` (spelling "equals")."""
    return [name, str(path)] if spelling == "space" else [f"{name}={path}"]


def junit_cases(run: PytestRun) -> list[ET.Element]:
    """The <testcase> elements of the run's JUnit XML (none when it wrote no file)."""
    if not run.junit_path.is_file():
        return []
    return list(ET.parse(run.junit_path).iter("testcase"))


def api_requests(cloud: FakeCloud, since: int) -> list[str]:
    """Paths of Graph and Exchange requests the server answered after the first `since` requests."""
    return [
        r.path
        for r in cloud.server.requests[since:]
        if r.path.startswith(("/v1.0", "/beta", "/adminapi", "/compliance"))
    ]


# 1. Bad input: one line, exit status 4, before any recommendation runs, no secret anywhere ----------------------

#: What the line for a run without tenant or credentials names: every missing option and its variable.
MISSING_CREDENTIALS = tuple(
    "--tenant-id AZURE_TENANT_ID --client-id AZURE_CLIENT_ID AZURE_CLIENT_SECRET --client-certificate "
    "AZURE_CLIENT_CERTIFICATE_PATH".split()
)
#: Each bad input and what its one line must say.
BAD_INPUTS: dict[str, tuple[str, ...]] = {
    "no credentials, at the repository root": MISSING_CREDENTIALS,
    "no credentials, elsewhere": MISSING_CREDENTIALS,
    "malformed tenant id": ("--tenant-id", "contoso..com!"),
    "malformed client id": ("--client-id", "GUID", "my-scanner-app"),
    "wrong secret": ("AADSTS7000215", "secret"),
    "unknown tenant": (UNKNOWN_TENANT, "not found"),
    "unknown client id": ("AADSTS700016", UNKNOWN_CLIENT),
    "no admin consent": ("consent",),
    "wrong certificate password": ("private key", "password"),
    "unreadable --cis-config": ("config", "missing.yaml"),
    "invalid config key": ("break_glass_acounts", "unknown key"),
    "invalid config value": ("phs_max_age_hours",),
    "bad --cloud": ("--cloud", "mars"),
    "bad --rate-limit": ("--rate-limit", "fast"),
    "bad --dns-server": ("--dns-server", "dns.example"),
    "not a snapshot": ("snapshot", "not-a-snapshot.json"),
}


@dataclass
class BadInputBatch:
    """Every bad-input run, and the Graph/Exchange requests the server answered while they ran."""

    runs: dict[str, PytestRun]
    api_requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def bad_inputs(
    cloud: FakeCloud,
    golden: Scenario,
    no_consent: Scenario,
    app_certificate: AppCertificate,
    tmp_path_factory: pytest.TempPathFactory,
) -> BadInputBatch:
    """Run every bad input once (a few at a time); the secret is on the command line or in the environment."""
    root = tmp_path_factory.mktemp("bad-input")
    files = root / "files"
    files.mkdir()
    typo = write_config(files / "typo.yaml", {"break_glass_acounts": []})
    negative = write_config(files / "negative.yaml", {"phs_max_age_hours": -1})
    not_snapshot = files / "not-a-snapshot.json"
    not_snapshot.write_text('{"value": []}', encoding="utf-8")
    golden_connection = [*connection_options(cloud, golden), f"--ca-bundle={cloud.server.ca_pem_path}"]
    on_command_line = ["--client-secret", SECRET]
    in_environment = {"AZURE_CLIENT_SECRET": SECRET}
    commands: dict[str, tuple[list[str], Mapping[str, str], Path | None]] = {
        "no credentials, at the repository root": ([], {}, REPO_ROOT),
        "no credentials, elsewhere": (["--cis-level", "2"], {}, None),
        "malformed tenant id": (
            ["--tenant-id", "contoso..com!", "--client-id", client_id_of(golden), *on_command_line],
            {},
            None,
        ),
        "malformed client id": (
            ["--tenant-id", golden.tenant_id, "--client-id", "my-scanner-app"],
            in_environment,
            None,
        ),
        "wrong secret": ([*golden_connection, "--client-secret", WRONG_SECRET], {}, None),
        "unknown tenant": (
            [
                *connection_options(cloud, golden, tenant=UNKNOWN_TENANT),
                f"--ca-bundle={cloud.server.ca_pem_path}",
                *on_command_line,
            ],
            {},
            None,
        ),
        "unknown client id": (
            [*connection_options(cloud, golden, client=UNKNOWN_CLIENT), f"--ca-bundle={cloud.server.ca_pem_path}"],
            in_environment,
            None,
        ),
        "no admin consent": (
            [*connection_options(cloud, no_consent), f"--ca-bundle={cloud.server.ca_pem_path}", *on_command_line],
            {},
            None,
        ),
        "wrong certificate password": (
            [
                *golden_connection,
                "--client-certificate",
                str(app_certificate.pem_path),
                "--client-certificate-password",
                WRONG_PASSWORD,
            ],
            {},
            None,
        ),
        "unreadable --cis-config": (
            [*golden_connection, "--cis-config", str(files / "missing.yaml")],
            in_environment,
            None,
        ),
        "invalid config key": ([*golden_connection, f"--cis-config={typo}", *on_command_line], {}, None),
        "invalid config value": ([*golden_connection], {**in_environment, "O365CIS_CONFIG": str(negative)}, None),
        "bad --cloud": ([*golden_connection, "--cloud", "mars"], in_environment, None),
        "bad --rate-limit": ([*golden_connection, "--rate-limit", "fast", *on_command_line], {}, None),
        "bad --dns-server": ([*golden_connection, "--dns-server", "dns.example"], in_environment, None),
        "not a snapshot": (["--snapshot", str(not_snapshot)], in_environment, None),
    }
    assert set(commands) == set(BAD_INPUTS)

    def job(name: str, args: list[str], env: Mapping[str, str], cwd: Path | None) -> Callable[[], PytestRun]:
        out = root / re.sub(r"[^a-z0-9]+", "-", name)
        return lambda: run_pytest([*report_options(out), *args], out=out, cwd=cwd, env=env)

    before = len(cloud.server.requests)
    runs = run_concurrently({name: job(name, *command) for name, command in commands.items()})
    return BadInputBatch(runs, api_requests(cloud, before))


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_naming_the_problem_with_exit_status_4(bad_inputs: BadInputBatch, case: str) -> None:
    run = bad_inputs.runs[case]

    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.describe()
    lines = run.error_lines()
    assert len(lines) == 1, run.describe()
    assert lines[0].startswith("ERROR: o365-cis: ")
    for fragment in BAD_INPUTS[case]:
        assert fragment in lines[0]


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_stops_before_any_recommendation_runs(bad_inputs: BadInputBatch, case: str) -> None:
    run = bad_inputs.runs[case]

    assert "collected" not in run.stdout and "PASSED" not in run.stdout, run.describe()
    assert junit_cases(run) == []
    assert not run.json_path.exists() and not run.csv_path.exists()


def test_bad_input_never_reached_graph_or_exchange(bad_inputs: BadInputBatch) -> None:
    # Sign-in failures talk to the identity endpoints only; no recommendation asked Graph or Exchange anything.
    assert bad_inputs.api_requests == []


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_output_holds_no_secret(bad_inputs: BadInputBatch, case: str) -> None:
    assert leaked_secrets(bad_inputs.runs[case]) == {}


# 2. File-valued options, in both spellings, from outside the repository and from its root ------------------------

FILE_RUNS = {
    "space-separated, from elsewhere": ("space", "elsewhere"),
    "space-separated, from the repository root": ("space", "repo"),
    "with '=', from elsewhere": ("equals", "elsewhere"),
    "with '=', from the repository root": ("equals", "repo"),
}


@pytest.fixture(scope="module")
def file_option_runs(
    cloud: FakeCloud, golden: Scenario, golden_config_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, PytestRun]:
    """Section 1 scans whose CA bundle, config and every report live outside the repository."""
    root = tmp_path_factory.mktemp("file-options")
    elsewhere = root / "files"
    elsewhere.mkdir()
    ca_bundle = Path(shutil.copy(cloud.server.ca_pem_path, elsewhere / "corporate-ca.pem"))
    config = Path(shutil.copy(golden_config_file, elsewhere / "cis config.yaml"))  # a space in the name, too

    def job(name: str, spelling: str, where: str) -> Callable[[], PytestRun]:
        out = root / re.sub(r"[^a-z0-9]+", "-", name)
        args = [
            *connection_options(cloud, golden),
            *file_option("--ca-bundle", ca_bundle, spelling),
            *file_option("--cis-config", config, spelling),
            *file_option("--cis-json", out / "results.json", spelling),
            *file_option("--cis-csv", out / "results.csv", spelling),
            *file_option("--html", out / "report.html", spelling),
            *file_option("--junitxml", out / "junit.xml", spelling),
            "-m",
            "section1",
        ]
        cwd = REPO_ROOT if where == "repo" else None
        return lambda: run_pytest(args, out=out, cwd=cwd, env=cloud.env(golden))

    return run_concurrently({name: job(name, *how) for name, how in FILE_RUNS.items()})


@pytest.mark.parametrize("case", list(FILE_RUNS))
def test_file_options_are_accepted_in_both_spellings(
    file_option_runs: dict[str, PytestRun], golden_scan: PytestRun, case: str
) -> None:
    run = file_option_runs[case]

    assert run.returncode == pytest.ExitCode.OK, run.describe()
    expected = {rec_id: golden_scan.statuses()[rec_id] for rec_id in SECTION1}
    assert run.statuses() == expected
    assert run.csv_path.is_file() and run.html_path.is_file()


@pytest.mark.parametrize("case", list(FILE_RUNS))
def test_scan_collects_cis_tests_only(file_option_runs: dict[str, PytestRun], case: str) -> None:
    run = file_option_runs[case]

    # The 84 recommendations and nothing else: none of the product's own tests/ was collected.
    deselected = 84 - len(SECTION1)
    assert f"collected 84 items / {deselected} deselected / {len(SECTION1)} selected" in run.stdout, run.describe()
    modules = {case.get("classname", "").split(".")[-1] for case in junit_cases(run)}
    assert modules and modules <= CIS_MODULES
    assert len(junit_cases(run)) == len(SECTION1)


@pytest.mark.parametrize("case", list(FILE_RUNS))
def test_file_option_runs_hold_no_secret(file_option_runs: dict[str, PytestRun], case: str) -> None:
    assert leaked_secrets(file_option_runs[case]) == {}


# 2b. Variables instead of options, and the option winning over the variable ----------------------------------


def all_variables(cloud: FakeCloud, scenario: Scenario, config: Path) -> dict[str, str]:
    """Every setting of a scan as environment variables (CONTRACT.md section 1)."""
    return {
        "AZURE_TENANT_ID": scenario.tenant_id,
        "AZURE_CLIENT_ID": client_id_of(scenario),
        "AZURE_CLIENT_SECRET": SECRET,
        "O365CIS_CA_BUNDLE": cloud.server.ca_pem_path,
        "O365CIS_AUTHORITY_URL": cloud.server.url,
        "O365CIS_GRAPH_URL": cloud.server.url,
        "O365CIS_EXCHANGE_URL": cloud.server.url,
        "O365CIS_TEAMS_URL": cloud.teams_url,
        "O365CIS_SHAREPOINT_ADMIN_URL": cloud.sharepoint_admin_url,
        "O365CIS_DNS_SERVERS": cloud.dns.address,
        "O365CIS_CONFIG": str(config),
    }


@pytest.fixture(scope="module")
def credential_runs(
    cloud: FakeCloud,
    golden: Scenario,
    golden_config_file: Path,
    app_certificate: AppCertificate,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, PytestRun]:
    """Scans configured by variables only, by options against wrong variables, and by certificate."""
    root = tmp_path_factory.mktemp("credentials")
    losing = root / "losing"
    losing.mkdir()
    other_ca = losing / "other-ca.pem"
    other_ca.write_text(app_certificate.certificate_pem, encoding="ascii")  # a CA that signed nothing here
    losing_variables = {
        "AZURE_TENANT_ID": UNKNOWN_TENANT,
        "AZURE_CLIENT_ID": UNKNOWN_CLIENT,
        "AZURE_CLIENT_SECRET": WRONG_SECRET,
        "O365CIS_CA_BUNDLE": str(other_ca),
        "O365CIS_AUTHORITY_URL": DEAD_URL,
        "O365CIS_GRAPH_URL": DEAD_URL,
        "O365CIS_EXCHANGE_URL": DEAD_URL,
        "O365CIS_TEAMS_URL": DEAD_URL,
        "O365CIS_DNS_SERVERS": "127.0.0.1:9",
        "O365CIS_CONFIG": str(write_config(losing / "typo.yaml", {"break_glass_acounts": []})),
        "O365CIS_RATE_LIMIT": "not-a-number",
        "O365CIS_RETRY_BUDGET": "20",
    }
    plain_pem = write_unencrypted_pem(app_certificate, root / "scanner-plain.pem")
    no_secret = {"O365CIS_RETRY_BUDGET": "20"}
    ca = cloud.server.ca_pem_path
    jobs: dict[str, tuple[list[str], Mapping[str, str], Path | None]] = {
        "variables only": (["-m", "section1 or section4"], all_variables(cloud, golden, golden_config_file), REPO_ROOT),
        "options beat variables": (
            [
                *connection_options(cloud, golden),
                "--client-secret",
                SECRET,
                "--ca-bundle",
                ca,
                "--cis-config",
                str(golden_config_file),
                "--rate-limit",
                "200",
                "-m",
                "section1 or section4",
            ],
            losing_variables,
            None,
        ),
        "certificate with password": (
            [
                *connection_options(cloud, golden),
                f"--ca-bundle={ca}",
                f"--cis-config={golden_config_file}",
                "--client-certificate",
                str(app_certificate.pem_path),
                "--client-certificate-password",
                CERTIFICATE_PASSWORD,
                "-m",
                "section1",
            ],
            no_secret,
            None,
        ),
        "certificate without password": (
            [
                *connection_options(cloud, golden),
                f"--ca-bundle={ca}",
                f"--cis-config={golden_config_file}",
                f"--client-certificate={plain_pem}",
                "-m",
                "section1",
            ],
            no_secret,
            REPO_ROOT,
        ),
        "certificate from variables": (
            [
                *connection_options(cloud, golden),
                f"--ca-bundle={ca}",
                f"--cis-config={golden_config_file}",
                "-m",
                "section1",
            ],
            {
                **no_secret,
                "AZURE_CLIENT_CERTIFICATE_PATH": str(app_certificate.pem_path),
                "AZURE_CLIENT_CERTIFICATE_PASSWORD": CERTIFICATE_PASSWORD,
            },
            None,
        ),
    }

    def job(name: str, args: list[str], env: Mapping[str, str], cwd: Path | None) -> Callable[[], PytestRun]:
        out = root / re.sub(r"[^a-z0-9]+", "-", name)
        return lambda: run_pytest([*report_options(out), *args], out=out, cwd=cwd, env=env)

    return run_concurrently({name: job(name, *command) for name, command in jobs.items()})


@pytest.mark.parametrize(
    ("case", "expected_ids"),
    [
        ("variables only", SECTIONS_1_AND_4),
        ("options beat variables", SECTIONS_1_AND_4),
        ("certificate with password", SECTION1),
        ("certificate without password", SECTION1),
        ("certificate from variables", SECTION1),
    ],
)
def test_scan_configured_by_variables_options_or_certificate(
    credential_runs: dict[str, PytestRun], golden_scan: PytestRun, case: str, expected_ids: list[str]
) -> None:
    run = credential_runs[case]

    assert run.returncode == pytest.ExitCode.OK, run.describe()
    assert run.statuses() == {rec_id: golden_scan.statuses()[rec_id] for rec_id in expected_ids}
    # The config's break-glass account was honoured, and Exchange and DNS answered (section 4 compliant).
    assert set(run.statuses().values()) <= {"compliant", "manual"}


@pytest.mark.parametrize("case", ["options beat variables", "certificate with password", "certificate from variables"])
def test_credentials_never_reach_the_output(credential_runs: dict[str, PytestRun], case: str) -> None:
    assert leaked_secrets(credential_runs[case]) == {}


# 4. Selection, order and exit status -------------------------------------------------------------------------

SELECTIONS: dict[str, tuple[tuple[str, ...], list[str]]] = {
    "--cis-level 1": (("--cis-level", "1"), ids_where(lambda r: r["level"] == 1)),
    "--cis-license E3": (("--cis-license", "E3"), ids_where(lambda r: r["license"] == "E3")),
    "-m 'level1 and not e5'": (
        ("-m", "level1 and not e5"),
        ids_where(lambda r: r["level"] == 1 and r["license"] != "E5"),
    ),
    "-m section4": (("-m", "section4"), ids_where(lambda r: r["section"].startswith("4 "))),
    "-k 'dkim or spf or dmarc'": (
        ("-k", "dkim or spf or dmarc"),
        ids_where(lambda r: any(word in r["title"] for word in ("DKIM", "SPF", "DMARC"))),
    ),
}


@pytest.fixture(scope="module")
def selection_runs(
    cloud: FakeCloud, golden: Scenario, golden_config_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, PytestRun]:
    """One golden-tenant scan per selection, plus section 1 without the config that names the break-glass account."""
    root = tmp_path_factory.mktemp("selection")
    connection = [*connection_options(cloud, golden), f"--ca-bundle={cloud.server.ca_pem_path}"]

    def job(name: str, args: Sequence[str]) -> Callable[[], PytestRun]:
        out = root / re.sub(r"[^a-z0-9]+", "-", name)
        return lambda: run_pytest([*report_options(out), *connection, *args], out=out, env=cloud.env(golden))

    jobs = {name: job(name, [f"--cis-config={golden_config_file}", *args]) for name, (args, _) in SELECTIONS.items()}
    jobs["no config"] = job("no config", ["-m", "section1"])
    return run_concurrently(jobs)


@pytest.mark.parametrize("case", list(SELECTIONS))
def test_selection_runs_exactly_the_selected_recommendations(
    selection_runs: dict[str, PytestRun], golden_scan: PytestRun, case: str
) -> None:
    run = selection_runs[case]
    expected_ids = SELECTIONS[case][1]

    assert expected_ids, "the catalogue selects nothing: the expectation is wrong"
    assert run.returncode == pytest.ExitCode.OK, run.describe()
    assert list(run.statuses()) == expected_ids
    assert run.statuses() == {rec_id: golden_scan.statuses()[rec_id] for rec_id in expected_ids}
    assert sum(run.document()["summary"].values()) == len(expected_ids)


@pytest.mark.parametrize("case", [*SELECTIONS, "no config"])
def test_selection_runs_hold_no_secret(selection_runs: dict[str, PytestRun], case: str) -> None:
    assert leaked_secrets(selection_runs[case]) == {}


def test_level_1_scan_has_no_level_2_recommendation(selection_runs: dict[str, PytestRun]) -> None:
    levels = {r["level"] for r in selection_runs["--cis-level 1"].results().values()}
    assert levels == {1}


def test_e3_scan_has_no_e5_recommendation(selection_runs: dict[str, PytestRun]) -> None:
    licences = {r["license"] for r in selection_runs["--cis-license E3"].results().values()}
    assert licences == {"E3"}


def test_results_are_in_benchmark_order(golden_scan: PytestRun) -> None:
    ids = list(golden_scan.statuses())

    assert ids == sorted(ids, key=benchmark_key)
    assert ids[:3] == ["1.1.1", "1.1.2", "1.1.3"] and "1.1.10" in ids and ids.index("1.1.9") < ids.index("1.1.10")
    assert ids.index("1.1.15") < ids.index("1.2")
    assert len(ids) == 84


def test_all_compliant_or_manual_scan_exits_0(golden_scan: PytestRun) -> None:
    assert set(golden_scan.statuses().values()) == {"compliant", "manual"}
    assert golden_scan.returncode == pytest.ExitCode.OK, golden_scan.describe()


def test_non_compliant_or_error_scan_exits_1(mixed_scan: SavedScan) -> None:
    statuses = set(mixed_scan.run.statuses().values())

    assert {"non_compliant", "error"} <= statuses
    assert mixed_scan.run.returncode == pytest.ExitCode.TESTS_FAILED, mixed_scan.run.describe()


# 5. Config: break-glass exclusions and waivers -----------------------------------------------------------------


def test_break_glass_exclusions_in_the_config_are_accepted(
    selection_runs: dict[str, PytestRun], golden_scan: PytestRun
) -> None:
    without = selection_runs["no config"].results()
    with_config = golden_scan.results()

    # The golden MFA policies exclude only the break-glass account: fine when the config names it, not otherwise.
    for rec_id in ("1.1.1", "1.1.2"):
        assert with_config[rec_id]["status"] == "compliant"
        assert without[rec_id]["status"] == "non_compliant", without[rec_id]
    assert selection_runs["no config"].returncode == pytest.ExitCode.TESTS_FAILED


def test_active_waiver_turns_non_compliant_into_waived(mixed_scan: SavedScan) -> None:
    result = mixed_scan.run.results()[WAIVED_ID]

    assert result["status"] == "waived"
    assert WAIVER_REASON in result["reason"]
    assert result["waiver"]["reason"] == WAIVER_REASON
    assert dt.date.fromisoformat(result["waiver"]["expires"]) >= dt.date.today()
    assert result["evidence"], "a waived result keeps the evidence of what fails"
    assert mixed_scan.run.document()["summary"]["waived"] == 1
    assert re.search(r"\b1 waived\b", mixed_scan.run.stdout)


def test_expired_waiver_leaves_the_result_non_compliant_and_says_so(mixed_scan: SavedScan) -> None:
    result = mixed_scan.run.results()[EXPIRED_WAIVER_ID]

    assert result["status"] == "non_compliant"
    assert "expired" in result["reason"]
    assert result["waiver"]["reason"] == EXPIRED_WAIVER_REASON
    assert dt.date.fromisoformat(result["waiver"]["expires"]) < dt.date.today()


def test_summary_counts_every_status(mixed_scan: SavedScan) -> None:
    document = mixed_scan.run.document()
    counted = {status: 0 for status in STATUSES}
    for result in document["results"]:
        counted[result["status"]] += 1

    assert document["summary"] == counted
    assert counted["error"] == 1 and mixed_scan.run.results()[REFUSED_ID]["status"] == "error"
    # The terminal's closing line carries the same counts.
    assert ", ".join(f"{n} {status}" for status, n in counted.items()) in mixed_scan.run.stdout


# 6. Snapshots --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replayed(mixed_scan: SavedScan, tmp_path_factory: pytest.TempPathFactory) -> PytestRun:
    """The mixed tenant's snapshot evaluated offline (its services stopped; no tenant option, no variable)."""
    out = tmp_path_factory.mktemp("replayed")
    return run_pytest(
        [*report_options(out), "--snapshot", str(mixed_scan.snapshot), "--cis-config", str(mixed_scan.config)],
        out=out,
    )


def comparable(run: PytestRun) -> dict[str, tuple[Any, ...]]:
    """id -> (status, reason, source, evidence) of a run."""
    return {rec_id: (r["status"], r["reason"], r["source"], r["evidence"]) for rec_id, r in run.results().items()}


def test_snapshot_replay_gives_the_same_results_offline(mixed_scan: SavedScan, replayed: PytestRun) -> None:
    assert replayed.returncode == mixed_scan.run.returncode, replayed.describe()
    assert comparable(replayed) == comparable(mixed_scan.run)
    assert replayed.document()["tenant"] == mixed_scan.run.document()["tenant"]
    assert replayed.document()["summary"] == mixed_scan.run.document()["summary"]


def test_snapshot_holds_no_token_and_no_secret(mixed_scan: SavedScan) -> None:
    text = mixed_scan.snapshot.read_text(encoding="utf-8")

    assert '"format": "o365cis-snapshot"' in text
    assert "eyJ" not in text  # every JWT (header and payload) starts with base64url of '{"'
    assert "Bearer" not in text and "bearer" not in text
    assert SECRET not in text
    assert "client_assertion" not in text


def test_reports_of_live_and_replayed_scans_hold_no_secret(mixed_scan: SavedScan, replayed: PytestRun) -> None:
    assert leaked_secrets(mixed_scan.run) == {}
    assert leaked_secrets(replayed) == {}
