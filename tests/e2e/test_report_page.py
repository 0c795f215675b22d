"""The demo's HTML report as a reader uses it, in real headless Chromium driven by Playwright.

Each test opens the self-contained file a `pytest --demo` run wrote, at laptop size (1366×768), and asserts
on what the page shows: visible text, visible rows, where things sit on the first screen. Screenshots go to
the test's tmp folder. The browser is Debian's chromium (no download); without it (or without Playwright)
the tests skip, unless O365CIS_REQUIRE_BROWSER=1 makes that a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reporting.headless_browser import chromium_for_tests, unavailable

from .conftest import DEMO_BASELINE, PytestRun, benchmark_key, report_options, run_concurrently, run_pytest

LAPTOP = {"width": 1366, "height": 768}
#: The launch flags every browser run here uses: headless, no sandbox (root in containers), no background traffic.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: The tile label of each status, in the page's order.
STATUS_LABELS = {
    "compliant": "Compliant",
    "non_compliant": "Non-compliant",
    "manual": "Manual",
    "not_applicable": "Not applicable",
    "error": "Error",
    "waived": "Waived",
}
#: The order the Status column sorts in: what needs attention first.
ATTENTION = ("error", "non_compliant", "waived", "manual", "not_applicable", "compliant")


def demo_recorded_at() -> str:
    """When the bundled demo snapshot was recorded, as the page's header writes it."""
    snapshot = Path(__file__).resolve().parents[2] / "o365cis" / "demo" / "demo_tenant.json"
    created = dt.datetime.fromisoformat(json.loads(snapshot.read_text())["created"]).astimezone(dt.UTC)
    return created.strftime("%Y-%m-%d %H:%M UTC")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PytestRun]:
    """The HTML reports of `pytest --demo`, with and without the committed baseline."""
    root = tmp_path_factory.mktemp("report-page")

    def job(name: str, *args: str) -> Any:
        out = root / name
        return lambda: run_pytest(["--demo", *report_options(out), *args], out=out)

    runs: dict[str, PytestRun] = run_concurrently(
        {"plain": job("plain"), "baseline": job("baseline", f"--cis-baseline={DEMO_BASELINE}")}
    )
    for run in runs.values():
        assert run.html_path.is_file(), run.describe()
    return runs


@pytest.fixture(scope="module")
def counts(runs: dict[str, PytestRun]) -> dict[str, int]:
    """The demo's count of each status, as its results document states them (the page must agree)."""
    return dict(runs["plain"].document()["summary"])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, launched by Playwright."""
    executable = chromium_for_tests()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_report(browser: Any, runs: dict[str, PytestRun]) -> Iterator[Any]:
    """Open a report at laptop size; every request the page makes is recorded (none may leave the file)."""
    pages: list[Any] = []

    def open_page(name: str = "plain", color_scheme: str = "light") -> Any:
        page = browser.new_page(viewport=LAPTOP, color_scheme=color_scheme)
        page.requests = []  # type: ignore[attr-defined]
        page.on("request", lambda request: page.requests.append(request.url))
        page.goto(runs[name].html_path.as_uri())
        page.wait_for_selector("#results-table tbody.results-table-row")
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()


def visible_ids(page: Any) -> list[str]:
    """The CIS ids of the rows the reader can see, top to bottom."""
    return [cell.inner_text() for cell in page.locator("td.col-cisId").all() if cell.is_visible()]


def visible_column(page: Any, column: str) -> list[str]:
    return [cell.inner_text() for cell in page.locator(f"td.col-{column}").all() if cell.is_visible()]


def in_first_screen(locator: Any) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"]


def tile(page: Any, label: str) -> Any:
    return page.locator(".cis-count-tile", has_text=label).filter(has=page.get_by_text(label, exact=True))


# The first screen -------------------------------------------------------------------------------------------------


def test_first_screen_shows_score_counts_and_chart(open_report: Any, counts: dict[str, int], tmp_path: Path) -> None:
    page = open_report()
    page.screenshot(path=str(tmp_path / "first-screen-1366x768.png"))
    header = page.locator(".cis-header")
    decided = counts["compliant"] + counts["non_compliant"]

    assert page.locator("h1").inner_text() == "CIS Microsoft 365 Foundations v1.3.0 – Northwind Traders"
    assert in_first_screen(page.get_by_text(f"{counts['compliant'] / decided:.0%}", exact=True))
    assert f"score: {counts['compliant']} compliant of {decided} decided" in header.inner_text()
    for status, label in STATUS_LABELS.items():
        assert tile(page, label).inner_text().split() == [str(counts[status]), *label.split()]
        assert in_first_screen(tile(page, label))
    assert in_first_screen(page.locator("svg.cis-chart"))
    text = header.inner_text()
    assert "Northwind Traders · northwindtraders.onmicrosoft.com · 76b578af-7142-45f6-87e5-691253ee57d0" in text
    assert f"demo tenant (a saved snapshot), data recorded {demo_recorded_at()}" in text
    assert "CIS Microsoft 365 Foundations Benchmark v1.3.0" in text
    assert "Levels 1 and 2, E5 licence" in text and "o365-cis 0.1.0" in text


def test_pytest_scaffolding_is_not_shown(open_report: Any) -> None:
    page = open_report()
    body = page.locator("body").inner_text()

    for words in ("Environment", "Expected failures", "Reruns", "tests took", "Packages", "Platform"):
        assert words not in body
    headings = [th.inner_text() for th in page.locator("#results-table-head th").all() if th.is_visible()]
    assert headings == ["CIS id", "Recommendation", "Level", "Status", "Source"]
    assert "test_admins_require_mfa" not in body and "cis_tests/" not in body


# The table --------------------------------------------------------------------------------------------------------


def test_rows_show_recommendations_in_benchmark_order(open_report: Any) -> None:
    page = open_report()
    ids = visible_ids(page)

    assert len(ids) == 84 and ids == sorted(ids, key=benchmark_key)
    assert ids.index("1.1.9") + 1 == ids.index("1.1.10")
    first = page.locator("tbody.results-table-row").first.locator("tr.collapsible").inner_text()
    assert first.split("\t") == [
        "1.1.1",
        "Ensure multifactor authentication is enabled for all users in administrative roles",
        "1",
        "non_compliant",
        "Microsoft Graph",
    ]


def test_sorting_by_header(open_report: Any, counts: dict[str, int]) -> None:
    page = open_report()

    page.get_by_role("columnheader", name="Recommendation").click()
    titles = visible_column(page, "cisTitle")
    assert titles == sorted(titles)
    page.get_by_role("columnheader", name="Status").click()
    assert visible_column(page, "cisStatus") == [status for status in ATTENTION for _ in range(counts[status])]
    page.get_by_role("columnheader", name="CIS id").click()
    assert visible_ids(page) == sorted(visible_ids(page), key=benchmark_key)


def test_status_tiles_filter_the_rows(open_report: Any, counts: dict[str, int], tmp_path: Path) -> None:
    page = open_report()

    tile(page, "Non-compliant").click()
    assert len(visible_ids(page)) == counts["non_compliant"]
    assert set(visible_column(page, "cisStatus")) == {"non_compliant"}
    assert page.locator("#cis-shown").inner_text() == f"{counts['non_compliant']} of 84 recommendations shown"
    tile(page, "Waived").click()
    assert set(visible_column(page, "cisStatus")) == {"non_compliant", "waived"}
    page.screenshot(path=str(tmp_path / "filtered-1366x768.png"))
    tile(page, "Not applicable").click()
    tile(page, "Non-compliant").click()
    tile(page, "Waived").click()
    assert counts["not_applicable"] == 0  # the demo has none: the filter shows nothing, and says so
    assert page.get_by_text("No recommendation matches these filters.").is_visible()
    page.get_by_role("button", name="Clear filters").click()
    assert len(visible_ids(page)) == 84


def test_section_and_level_filters(open_report: Any) -> None:
    page = open_report()

    page.get_by_label("Section", exact=True).select_option(label="4 Email Security / Exchange Online")
    ids = visible_ids(page)
    assert len(ids) == 15 and all(i.startswith("4.") for i in ids)
    page.get_by_label("Level", exact=True).select_option(label="Level 2")
    assert set(visible_column(page, "cisLevel")) == {"2"}
    assert all(i.startswith("4.") for i in visible_ids(page))


def test_search_matches_id_title_and_reason(open_report: Any) -> None:
    page = open_report()
    search = page.get_by_placeholder("id, title or reason")

    search.fill("DMARC")
    assert visible_column(page, "cisTitle") == ["Ensure DMARC Records for all Exchange Online domains are published"]
    search.fill("1.1.1")  # ids are text too: 1.1.1 and 1.1.10 to 1.1.15
    assert visible_ids(page) == ["1.1.1", "1.1.10", "1.1.11", "1.1.12", "1.1.13", "1.1.14", "1.1.15"]
    search.fill("OwaMailboxPolicy-Default")  # only in a reason
    assert visible_ids(page) == ["6.4"]
    # Sorting rebuilds pytest-html's table; the filter holds.
    page.get_by_role("columnheader", name="Level").click()
    assert visible_ids(page) == ["6.4"]


def test_detail_shows_reason_evidence_with_portal_links_and_remediation(open_report: Any) -> None:
    page = open_report()

    page.locator("td.col-cisTitle", has_text="administrative roles").click()
    detail = page.locator(".cis-detail[data-cis-id='1.1.1']")
    text = detail.inner_text()
    assert text.startswith("Reason: 1 admin user of 7 in scope not MFA capable")
    assert "Remediation: In the Entra admin center open Protection > Conditional Access" in text
    assert ".py" not in text and "('" not in text and "No log output captured" not in text
    link = detail.get_by_role("link", name="CA001: Require MFA for administrators")
    assert link.get_attribute("href") == (
        "https://entra.microsoft.com/#view/Microsoft_AAD_ConditionalAccess/PolicyBlade/policyId/"
        "474487e0-d211-4180-933e-566672fb8c47"
    )
    user = detail.get_by_role("link", name="isaiah.langer@northwindtraders.com")
    assert re.fullmatch(
        r"https://entra\.microsoft\.com/#view/Microsoft_AAD_UsersAndTenants/.*/userId/[0-9a-f-]{36}",
        user.get_attribute("href") or "",
    )
    # One block per detail: no log box repeating the reason.
    assert page.locator("tbody.results-table-row", has=detail).inner_text().count("1 admin user of 7") == 1


def test_waived_detail_shows_the_waiver(open_report: Any) -> None:
    page = open_report()

    page.locator("td.col-cisId", has_text="6.1").first.click()
    text = page.locator(".cis-detail[data-cis-id='6.1']").inner_text()
    assert "Waiver: Partner extranet migration: domain allow list goes live in Q1 (expires 2027-03-31)" in text


# With a baseline --------------------------------------------------------------------------------------------------


def test_baseline_column_and_change_summary(open_report: Any, tmp_path: Path) -> None:
    page = open_report("baseline")
    page.screenshot(path=str(tmp_path / "baseline-1366x768.png"))

    summary = page.locator(".cis-changes").inner_text()
    assert summary == "Since 2026-10-30 08:15 UTC: 2 regressed, 2 new, 2 fixed, 1 changed, 77 unchanged"
    assert in_first_screen(page.locator(".cis-changes"))
    assert page.get_by_role("columnheader", name="Since 2026-10-30").is_visible()
    changes = dict(zip(visible_ids(page), visible_column(page, "cisChange"), strict=True))
    assert changes["1.1.1"] == "regressed was compliant"
    assert changes["1.1.4"] == "fixed was non_compliant"
    assert changes["2.11"] == "new"
    assert changes["1.3"] == "changed was error"
    assert changes["1.2"] == "unchanged"

    page.get_by_role("columnheader", name="Since 2026-10-30").click()
    assert visible_column(page, "cisChange")[:2] == ["regressed was compliant"] * 2


def test_plain_report_has_no_baseline_column(open_report: Any) -> None:
    page = open_report()

    assert page.locator("td.col-cisChange").count() == 0
    assert "Since" not in page.locator("#results-table-head").inner_text()


# Offline, dark ----------------------------------------------------------------------------------------------------


def test_page_works_offline(open_report: Any) -> None:
    page = open_report()
    tile(page, "Manual").click()

    assert [url for url in page.requests if not url.startswith(("file:", "data:"))] == []


def test_dark_mode_follows_the_browser(open_report: Any, tmp_path: Path) -> None:
    page = open_report(color_scheme="dark")
    page.screenshot(path=str(tmp_path / "dark-1366x768.png"))

    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.querySelector('h1')).color")
    assert background == "rgb(13, 17, 23)" and text == "rgb(230, 237, 243)"
