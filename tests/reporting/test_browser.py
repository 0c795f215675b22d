"""The pytest-html report as a browser renders it: CIS columns, badges, chart, details; no injected script ran."""

from __future__ import annotations

import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from . import headless_browser
from .fake_scan import FAKE_TENANT_NAME, run_fake_scan_subprocess
from .headless_browser import HeadlessChromium

TITLE = f"CIS Microsoft 365 Foundations v1.3.0 – {FAKE_TENANT_NAME}"
ORIGINAL_ORDER = ["1.1.1", "1.1.3", "1.1.10", "2.1", "4.2", "5.1"]


class DomElements(HTMLParser):
    """The serialised DOM as a flat list of (tag, attributes, text directly inside)."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[int, str] = {}
        self._open: list[int] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        if tag not in {"br", "img", "input", "meta", "link", "source", "rect"}:
            self._open.append(len(self.elements) - 1)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            index = self._open.pop()
            if self.elements[index][0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            index = self._open[-1]
            self.texts[index] = self.texts.get(index, "") + data

    def find(self, tag: str, **attrs: str) -> list[int]:
        """Indexes of elements with this tag whose attributes contain the given values (class_ for class)."""
        return [
            i
            for i, (name, found) in enumerate(self.elements)
            if name == tag
            and all(value in found.get(key.rstrip("_").replace("_", "-"), "") for key, value in attrs.items())
        ]

    def text(self, index: int) -> str:
        return self.texts.get(index, "")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-contained HTML report of the fake scan (one recommendation per status), run as a user would."""
    result, outputs = run_fake_scan_subprocess(tmp_path_factory.mktemp("fake-scan"), "--self-contained-html")
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout + result.stderr
    return outputs.html_path


@pytest.fixture(scope="module")
def dom(chromium: HeadlessChromium, report: Path) -> DomElements:
    """The report's DOM after pytest-html's script built the table (one browser run for the module)."""
    return DomElements(chromium.dump_dom(report))


def test_rendered_report_shows_the_cis_columns_and_badges(dom: DomElements) -> None:
    headers = [dom.elements[i][1]["data-column-type"] for i in dom.find("th", class_="sortable")]
    assert headers == ["result", "cisId", "cisTitle", "cisLevel", "cisStatus", "cisSource"]
    # pytest-html's script built one row per test from its JSON: the CIS cells are real DOM cells now.
    assert sorted(dom.text(i) for i in dom.find("td", class_="col-cisId")) == sorted(ORIGINAL_ORDER)
    badges = [dom.elements[i][1]["class"] for i in dom.find("span", class_="cis-badge cis-badge--")]
    for status in ["compliant", "non_compliant", "manual", "not_applicable", "error", "waived"]:
        assert f"cis-badge cis-badge--{status}" in badges


def test_rendered_report_has_the_chart_and_the_summary(dom: DomElements) -> None:
    charts = dom.find("svg", class_="cis-chart")
    assert len(charts) == 1
    assert dom.elements[charts[0]][1]["role"] == "img"
    assert len(dom.find("rect", class_="cis-chart-segment")) == 6
    assert [dom.text(i) for i in dom.find("span", class_="cis-count-tile__number")] == ["1"] * 6


def test_rendered_detail_row_holds_the_evidence_table(dom: DomElements) -> None:
    details = {dom.elements[i][1]["data-cis-id"]: i for i in dom.find("div", class_="cis-detail")}
    assert sorted(details) == sorted(ORIGINAL_ORDER)
    evidence_tables = dom.find("table", class_="cis-evidence")
    assert len(evidence_tables) == 2  # 1.1.1 and 1.1.3 carry evidence
    cells = [dom.text(i) for i in dom.find("td")]
    assert "zoë@contoso.com" in cells and "permanent assignment" in cells
    # The hostile policy names are cell text, exactly as the tenant spelled them.
    assert "<script>document.title='pwned'</script>" in cells
    assert "<img src=x onerror=\"document.title='pwned'\">" in cells


def test_no_script_from_the_data_ran(dom: DomElements) -> None:
    titles = dom.find("title", id="head-title")
    assert [dom.text(i) for i in titles] == [TITLE]
    assert "pwned" not in dom.text(titles[0])
    assert len(dom.find("script")) == 2  # pytest-html's own and the page's filter script
    assert not dom.find("img", src="x")
    with_handlers = [attrs.get("class", "") for _, attrs in dom.elements if any(a.startswith("on") for a in attrs)]
    # pytest-html's reload button is the only element of the page with an inline handler.
    assert with_handlers == ["summary__reload__button hidden"]
    assert [dom.text(i) for i in dom.find("h1", id="title")] == [TITLE]


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("cisId", ORIGINAL_ORDER),
        ("cisStatus", ["4.2", "1.1.3", "5.1", "1.1.10", "2.1", "1.1.1"]),
    ],
)
def test_cis_columns_sort_in_the_browser(
    chromium: HeadlessChromium, report: Path, column: str, expected: list[str]
) -> None:
    # pytest-html 4.x reads the sort column from the URL, as its header click does.
    dom = DomElements(chromium.dump_dom(report, query=f"sort={column}"))

    assert [dom.text(i) for i in dom.find("td", class_="col-cisId")] == expected


def test_screenshot_is_a_real_picture(chromium: HeadlessChromium, report: Path, tmp_path: Path) -> None:
    png = chromium.screenshot(report, tmp_path / "report.png", window_size=(1400, 2000))

    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    assert (width, height) == (1400, 2000)
    pixels = zlib.decompress(b"".join(_idat_chunks(data)))
    # A blank or single-colour page compresses to almost nothing and has few distinct byte values.
    assert len(data) > 20_000
    assert len(set(pixels)) > 100


def _idat_chunks(png: bytes) -> list[bytes]:
    chunks = []
    offset = 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks.append(png[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return chunks


def test_missing_browser_skips_unless_required(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(headless_browser, "find_chromium", lambda: None)

    monkeypatch.delenv(headless_browser.REQUIRE_BROWSER_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        HeadlessChromium.for_tests(tmp_path)

    monkeypatch.setenv(headless_browser.REQUIRE_BROWSER_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="O365CIS_REQUIRE_BROWSER=1 requires the browser"):
        HeadlessChromium.for_tests(tmp_path)
