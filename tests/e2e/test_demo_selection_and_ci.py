"""Selection by CIS id, the terminal's words, the documents for other tools and run-to-run comparison, on the demo.

The demo is a recorded snapshot evaluated offline (a second or two per run), so every scan here is the real
command line a user types, `pytest --demo ...`, in a child process.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import (
    DEMO_BASELINE,
    REPO_ROOT,
    PytestRun,
    benchmark_key,
    ids_where,
    report_options,
    run_concurrently,
    run_pytest,
)

DEMO_SNAPSHOT = REPO_ROOT / "o365cis" / "demo" / "demo_tenant.json"
DEMO_CONFIG = REPO_ROOT / "o365cis" / "demo" / "demo_config.yaml"
#: What the edits in DEMO_BASELINE make of today's demo results.
BASELINE_CHANGES = {
    "1.1.1": ("regressed", "compliant"),
    "4.13": ("regressed", "compliant"),
    "1.1.4": ("fixed", "non_compliant"),
    "1.1.10": ("fixed", "error"),
    "1.3": ("changed", "error"),
    "1.1.15": ("new", None),
    "2.11": ("new", None),
}
SECTION_1_1 = ids_where(lambda r: r["id"].startswith("1.1."))


def demo(out: Path, *args: str) -> Callable[[], PytestRun]:
    """A job running `pytest --demo ARGS` with every report under `out`."""
    return lambda: run_pytest(["--demo", *report_options(out), *args], out=out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PytestRun]:
    """The demo scans of this module, run a few at a time."""
    root = tmp_path_factory.mktemp("demo-ci")
    baseline = f"--cis-baseline={DEMO_BASELINE}"
    jobs: dict[str, Callable[[], PytestRun]] = {
        "full": demo(root / "full", f"--cis-csv-evidence={root / 'full' / 'evidence.csv'}"),
        "cis-id": demo(root / "cis-id", "--cis-id", "1.1.1, 4.*"),
        "section prefix": demo(root / "prefix", "--cis-id=1.1"),
        "unknown id": demo(root / "unknown", "--cis-id", "1.1.1,9.*,8"),
        "-k 1.1.1": demo(root / "k-dots", "-k", "1.1.1"),
        "-k 1_1_1": demo(root / "k-underscores", "-k", "1_1_1 and not 1_1_10"),
        "verbose": demo(root / "verbose", "-v", "--cis-id", "1.1.1,1.3,6.1,1.1.2"),
        "baseline": demo(root / "baseline", baseline),
        "fail on regression": demo(root / "regression", baseline, "--cis-fail-on", "regression"),
        "fail on error": demo(root / "error", "--cis-fail-on=error"),
        "regression without baseline": demo(root / "no-baseline", "--cis-fail-on", "regression"),
        "no regression": demo(root / "no-regression", baseline, "--cis-fail-on", "regression", "--cis-id", "2,3"),
    }
    return run_concurrently(jobs)


# Selection ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("cis-id", ["1.1.1", *ids_where(lambda r: r["section"].startswith("4 "))]),
        ("section prefix", SECTION_1_1),
        ("-k 1.1.1", ["1.1.1", *[i for i in SECTION_1_1 if i.startswith("1.1.1") and i != "1.1.1"]]),
        ("-k 1_1_1", ["1.1.1", *[i for i in SECTION_1_1 if re.fullmatch(r"1\.1\.1[1-9]", i)]]),
    ],
)
def test_selection_by_cis_id_and_keyword(runs: dict[str, PytestRun], case: str, expected: list[str]) -> None:
    run = runs[case]

    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.describe()  # the demo has findings in each
    assert list(run.statuses()) == sorted(expected, key=benchmark_key)
    assert run.document()["run"]["selected"] == sorted(expected, key=benchmark_key)


def test_a_full_run_lists_no_selection(runs: dict[str, PytestRun]) -> None:
    assert runs["full"].document()["run"]["selected"] is None
    assert len(runs["full"].statuses()) == 84


def test_unknown_cis_id_is_one_usage_line(runs: dict[str, PytestRun]) -> None:
    run = runs["unknown id"]

    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.describe()
    errors = [line for line in run.output.splitlines() if "o365-cis" in line]
    assert errors == [
        "ERROR: o365-cis: --cis-id 9.*, 8 matches no recommendation of the benchmark "
        "(use ids such as 1.1.1, section prefixes such as 4 or 1.1, or patterns such as 4.*)"
    ]
    assert not run.written_files()


def test_a_run_selecting_nothing_exits_5_and_leaves_the_reports_alone(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    earlier = {name: f"earlier {name}" for name in ("results.json", "results.csv", "report.html", "junit.xml")}
    for name, text in earlier.items():
        (out / name).write_text(text, encoding="utf-8")

    run = run_pytest(["--demo", *report_options(out), "-k", "no_such_recommendation"], out=out)

    assert run.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, run.describe()
    assert {p.name: p.read_text(encoding="utf-8") for p in run.written_files()} == earlier
    assert "no recommendation selected; existing reports left untouched" in run.stdout
    # Into an empty folder, such a run leaves nothing behind either.
    fresh = tmp_path / "fresh"
    run = run_pytest(["--demo", *report_options(fresh), "--cis-id", "6", "-m", "section1"], out=fresh)
    assert run.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, run.describe()
    assert run.written_files() == []


# Terminal ---------------------------------------------------------------------------------------------------------


def test_verbose_lines_name_the_recommendation(runs: dict[str, PytestRun]) -> None:
    lines = runs["verbose"].stdout.splitlines()

    expected = {
        "NON_COMPLIANT 1.1.1 Ensure multifactor authentication is enabled for all users in administrative roles",
        "COMPLIANT 1.1.2 Ensure multifactor authentication is enabled for all users in all roles",
        "MANUAL 1.3 Ensure modern authentication for Skype for Business Online is enabled",
        "WAIVED 6.1 Ensure document sharing is being controlled by domains with whitelist or blacklist",
    }
    for words in expected:
        assert any(words in line and "::test_" in line for line in lines), words


def test_short_summary_names_recommendations_without_source_paths(runs: dict[str, PytestRun]) -> None:
    output = runs["full"].stdout
    summary = output.split("CIS short summary: what needs attention", 1)[1].splitlines()[1:]
    counts = runs["full"].document()["summary"]

    # By attention: errors first, then non_compliant (each in benchmark order), ...
    assert [line.split(" ", 1)[0] for line in summary[: counts["error"] + 1]] == ["ERROR"] * counts["error"] + [
        "NON_COMPLIANT"
    ]
    assert summary[counts["error"]].startswith("NON_COMPLIANT 1.1.1 Ensure multifactor authentication is enabled")
    assert any(line.startswith("WAIVED 6.1 Ensure document sharing") for line in summary)
    assert any(line.startswith("MANUAL 1.3 Ensure modern authentication for Skype") for line in summary)
    assert "SKIPPED" not in output and "cis_plugin.py" not in output
    # The closing line counts manual and waived by name; the failures are headed by the recommendation.
    closing = output.rstrip().splitlines()[-1]
    assert f"{counts['manual']} manual" in closing and f"{counts['waived']} waived" in closing
    assert "skipped" not in closing
    assert re.search(
        r"_ 1\.1\.1 Ensure multifactor authentication is enabled for all users in administrative roles _", output
    )


def test_help_shows_the_o365_cis_options_first(tmp_path: Path) -> None:
    run = run_pytest(["--help"], out=tmp_path)
    groups = [line for line in run.stdout.splitlines() if line and not line.startswith(" ") and line.endswith(":")]

    assert groups[0] == "positional arguments:"
    assert groups[1].startswith(
        "o365-cis: CIS Microsoft 365 Foundations Benchmark v1.3.0 scan (try `pytest --demo`: no credentials needed)."
    )
    for option in ("--demo", "--cis-id", "--cis-baseline", "--cis-fail-on", "--cis-csv-evidence"):
        assert option in run.stdout


# Documents for other tools ---------------------------------------------------------------------------------------


def test_run_object_describes_the_demo(runs: dict[str, PytestRun]) -> None:
    run = runs["full"].document()["run"]

    snapshot_time = json.loads(DEMO_SNAPSHOT.read_text(encoding="utf-8"))["created"]
    assert run["mode"] == "demo"
    assert run["data_as_of"] == snapshot_time.replace("+00:00", "Z")  # when it was recorded, not replayed
    assert (run["level"], run["license"]) == (2, "E5")
    assert run["config_sha256"] == hashlib.sha256(DEMO_CONFIG.read_bytes()).hexdigest()
    assert re.fullmatch(r"1\.3\.0\+[0-9a-f]{12}", run["catalogue_version"])
    assert runs["full"].document()["tenant"]["initial_domain"] == "northwindtraders.onmicrosoft.com"


def test_waiver_is_structured(runs: dict[str, PytestRun]) -> None:
    results = runs["full"].results()

    assert results["6.1"]["status"] == "waived"
    assert results["6.1"]["waiver"] == {
        "reason": "Partner extranet migration: domain allow list goes live in Q1",
        "expires": "2027-03-31",
    }
    assert [i for i, r in results.items() if "waiver" in r] == ["6.1"]


def test_junit_names_testcases_by_id_and_title(runs: dict[str, PytestRun]) -> None:
    cases = {c.get("name"): c for c in ET.parse(runs["full"].junit_path).getroot().iter("testcase")}

    mfa = cases["1.1.1 Ensure multifactor authentication is enabled for all users in administrative roles"]
    failure = mfa.find("failure")
    assert failure is not None and failure.text is not None
    assert failure.text.startswith("non_compliant: 1 admin user of 7 in scope not MFA capable")
    assert "Remediation: In the Entra admin center open Protection > Conditional Access" in failure.text
    skipped = [c.find("skipped") for c in cases.values() if c.find("skipped") is not None]
    counts = runs["full"].document()["summary"]
    assert len(skipped) == counts["manual"] + counts["waived"] + counts["not_applicable"]
    assert all(s is not None and not re.search(r"\.py:\d+", s.text or "") for s in skipped)


def test_evidence_csv_has_one_row_per_evidence_item(runs: dict[str, PytestRun]) -> None:
    path = runs["full"].out / "evidence.csv"
    raw = path.read_bytes()
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))

    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(rows[0]) == ["id", "status", "evidence_type", "object_id", "name", "detail"]
    results = runs["full"].results()
    for rec_id, result in results.items():
        mine = [r for r in rows if r["id"] == rec_id]
        assert len(mine) == max(1, len(result["evidence"])), rec_id
        assert {r["status"] for r in mine} == {result["status"]}
    first = results["1.1.1"]["evidence"][0]
    assert {k: rows[0][k] for k in ("evidence_type", "object_id", "name")} == {
        "evidence_type": first["type"],
        "object_id": first["id"],
        "name": first["name"],
    }


# Run-to-run comparison ------------------------------------------------------------------------------------------


def test_baseline_gives_each_result_its_change(runs: dict[str, PytestRun]) -> None:
    document = runs["baseline"].document()
    results = document["results"]

    assert document["baseline"] == {
        "path": str(DEMO_BASELINE),
        "started": "2026-10-30T08:15:02Z",
        "fail_on": "non-compliant",
    }
    changed = {r["id"]: (r["change"], r["baseline_status"]) for r in results if r["change"] != "unchanged"}
    assert changed == BASELINE_CHANGES
    assert all(r["baseline_status"] == r["status"] for r in results if r["change"] == "unchanged")
    assert "baseline" not in runs["full"].document()
    assert all("change" not in r for r in runs["full"].document()["results"])


def test_terminal_lists_changes_and_regressions_first(runs: dict[str, PytestRun]) -> None:
    output = runs["fail on regression"].stdout

    assert "Since 2026-10-30T08:15:02Z: 2 regressed, 2 new, 2 fixed, 1 changed, 77 unchanged" in output
    assert "--cis-fail-on regression: 2 regressed, exit status 1" in output
    summary = output.split("CIS short summary: what needs attention", 1)[1].splitlines()[1:3]
    assert summary[0].startswith("NON_COMPLIANT 1.1.1 Ensure multifactor authentication is enabled for all users")
    assert summary[1].startswith("NON_COMPLIANT 4.13 Ensure DMARC Records for all Exchange Online domains")
    assert all("(regressed from compliant): " in line for line in summary)


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("full", pytest.ExitCode.TESTS_FAILED),  # non-compliant (the default): the demo has findings
        ("baseline", pytest.ExitCode.TESTS_FAILED),
        ("fail on regression", pytest.ExitCode.TESTS_FAILED),  # 1.1.1 and 4.13 regressed
        ("no regression", pytest.ExitCode.OK),  # sections 2 and 3 have findings, none of them new
        ("regression without baseline", pytest.ExitCode.USAGE_ERROR),
    ],
)
def test_fail_on_sets_the_exit_status(runs: dict[str, PytestRun], case: str, status: int) -> None:
    assert runs[case].returncode == status, runs[case].describe()


def test_fail_on_error_follows_the_error_results(runs: dict[str, PytestRun]) -> None:
    errors = runs["full"].document()["summary"]["error"]
    run = runs["fail on error"]

    expected = pytest.ExitCode.TESTS_FAILED if errors else pytest.ExitCode.OK
    assert run.returncode == expected, run.describe()
    assert f"--cis-fail-on error: {errors} error, exit status {int(expected)}" in run.stdout


def test_regression_gate_without_baseline_says_so(runs: dict[str, PytestRun]) -> None:
    assert "--cis-fail-on regression needs --cis-baseline" in runs["regression without baseline"].output


def _baseline_variant(tmp_path: Path, edit: Callable[[dict[str, object]], None]) -> Path:
    document = json.loads(DEMO_BASELINE.read_text(encoding="utf-8"))
    edit(document)
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["tenant"].update(id="00000000-0000-0000-0000-000000000001"), "is of tenant 00000000-"),
        (lambda d: d["benchmark"].update(version="3.0.0"), "is of benchmark version 3.0.0, this scan of 1.3.0"),
        (lambda d: d.pop("results"), "not an o365-cis results document"),
    ],
    ids=["other tenant", "other benchmark", "not a results document"],
)
def test_a_foreign_baseline_is_refused_in_one_line(
    tmp_path: Path, edit: Callable[[dict[str, object]], None], message: str
) -> None:
    path = _baseline_variant(tmp_path, edit)
    out = tmp_path / "out"

    run = run_pytest(["--demo", *report_options(out), "--cis-baseline", str(path)], out=out)

    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.describe()
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and message in errors[0], run.describe()
    assert not run.written_files()
