"""The whole benchmark is in the suite: one test per catalogue id, and a broken marker is a usage error naming it."""

from __future__ import annotations

import collections
import re
import shutil
from pathlib import Path

import pytest

from .conftest import CIS_TESTS, DEV_PLUGINS_OFF, PytestRun, catalogue, run_pytest

CATALOGUE_IDS = [r["id"] for r in catalogue()]


@pytest.fixture(scope="module", params=["--demo", "no credentials"])
def collected(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> PytestRun:
    """`pytest --collect-only -q cis_tests` from outside the repository, with --demo or with nothing at all."""
    out = tmp_path_factory.mktemp("collect")
    extra = ["--demo"] if request.param == "--demo" else []
    return run_pytest(["--collect-only", "-q", str(CIS_TESTS), *extra], out=out)


def node_ids(run: PytestRun) -> list[str]:
    """The test ids a `--collect-only -q` run listed."""
    return [line.strip() for line in run.stdout.splitlines() if "::" in line]


def test_collect_only_lists_84_tests_once_each(collected: PytestRun) -> None:
    ids = node_ids(collected)

    assert collected.returncode == pytest.ExitCode.OK, collected.describe()
    assert "84 tests collected" in collected.stdout
    assert len(ids) == len(CATALOGUE_IDS) == 84
    assert len(set(ids)) == 84
    assert all(Path(node.split("::")[0]).name.startswith("test_") for node in ids)


def test_every_catalogue_id_has_exactly_one_test(pytester: pytest.Pytester) -> None:
    items, _ = pytester.inline_genitems(str(CIS_TESTS), "--demo", *DEV_PLUGINS_OFF)
    marker_ids = [item.get_closest_marker("cis").args[0] for item in items]  # type: ignore[union-attr]

    duplicates = [rec_id for rec_id, n in collections.Counter(marker_ids).items() if n > 1]
    assert duplicates == []
    assert sorted(marker_ids) == sorted(CATALOGUE_IDS)
    assert all(Path(str(item.path)).parent == CIS_TESTS for item in items)


# A broken marker in a copy of the suite ------------------------------------------------------------------------

BROKEN_MARKERS = {
    "unknown id": ('@pytest.mark.cis("9.9.9")', ["9.9.9", "not one of the benchmark's 84 recommendations"]),
    "duplicate id": ('@pytest.mark.cis("1.1.1")', ["1.1.1", "already used by", "test_admins_require_mfa"]),
    "malformed id": ('@pytest.mark.cis("1.x")', ["'1.x'", "is not a recommendation id"]),
    "no id": ("@pytest.mark.cis()", ["takes the recommendation id alone"]),
    "metadata beside the id": (
        '@pytest.mark.cis("1.1.1", title="Ensure admins use MFA")',
        ["takes the recommendation id alone"],
    ),
}


@pytest.fixture
def suite_copy(pytester: pytest.Pytester) -> Path:
    """A copy of cis_tests/ in pytester's temporary folder (the real suite is never touched)."""
    copy = pytester.path / "cis_tests"
    shutil.copytree(CIS_TESTS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def run_copy(pytester: pytest.Pytester, copy: Path, *args: str) -> pytest.RunResult:
    """`pytest -q ARGS COPY` in a child process."""
    return pytester.runpytest_subprocess("-q", *DEV_PLUGINS_OFF, *args, str(copy))


def test_unchanged_copy_collects_the_84(pytester: pytest.Pytester, suite_copy: Path) -> None:
    result = run_copy(pytester, suite_copy, "--collect-only")

    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    assert "84 tests collected" in result.stdout.str()


@pytest.mark.parametrize("case", list(BROKEN_MARKERS))
def test_broken_marker_is_a_usage_error_naming_it(pytester: pytest.Pytester, suite_copy: Path, case: str) -> None:
    marker, fragments = BROKEN_MARKERS[case]
    (suite_copy / "test_9_broken.py").write_text(
        f"import pytest\n\n\n{marker}\ndef test_broken_marker(cis):\n    cis.evaluate()\n", encoding="utf-8"
    )

    result = run_copy(pytester, suite_copy, "--demo")

    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    lines = [line for line in result.stderr.lines if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ERROR: o365-cis: invalid cis marker")
    assert re.search(r"test_9_broken\.py::test_broken_marker", lines[0])
    for fragment in fragments:
        assert fragment in lines[0]
    # Stopped at collection: not one recommendation ran.
    assert "no tests ran" in result.stdout.str()
    assert not re.search(r"\d+ (passed|failed|skipped|error)", result.stdout.str())
