"""The inline SVG chart: well-formed, self-contained, accessible, escaped, drawn to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from o365cis.findings import STATUS_ORDER, Status
from plugins.reporting.chart import CHART_TITLE, status_chart_svg
from plugins.reporting.palette import STATUS_COLOURS, STATUS_LABELS, attention_rank
from plugins.reporting.records import ScanRecords

from .samples import SCRIPT_NAME, make_record

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """The chart as XML: parsing fails on any unescaped markup."""
    return ET.fromstring(svg)


def title_of(element: ET.Element) -> str | None:
    """The text of the element's <title> child (its tooltip)."""
    title = element.find(f"{SVG}title")
    return None if title is None else title.text


def texts(element: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in element.iter(f"{SVG}text")]


def test_chart_is_one_accessible_svg_element(sample_scan: ScanRecords) -> None:
    svg = status_chart_svg(sample_scan)

    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == (
        f"{CHART_TITLE}: 1 compliant, 2 non-compliant, 1 manual, 1 not applicable, 1 error, 1 waived"
    )
    assert title_of(root) == CHART_TITLE
    assert "\n" not in svg


def test_chart_is_self_contained(sample_scan: ScanRecords) -> None:
    svg = status_chart_svg(sample_scan)

    root = parse(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter(f"{SVG}image"))
    assert not list(root.iter(f"{SVG}a"))
    assert all(not name.endswith("href") for node in root.iter() for name in node.attrib)
    assert "url(" not in svg


def test_one_bar_per_section_with_one_segment_per_status_present(sample_scan: ScanRecords) -> None:
    root = parse(status_chart_svg(sample_scan))

    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cis-chart-section"]
    assert [texts(g)[0] for g in groups] == [
        "1 Account / Authentication",
        "2 Application Permissions",
        "4 Email Security / Exchange Online",
        "5 Auditing",
    ]
    first = [r for r in groups[0].iter(f"{SVG}rect")]
    assert [r.get("data-status") for r in first] == ["compliant", "non_compliant", "manual"]
    assert [r.get("fill") for r in first] == [
        STATUS_COLOURS[Status.COMPLIANT],
        STATUS_COLOURS[Status.NON_COMPLIANT],
        STATUS_COLOURS[Status.MANUAL],
    ]
    assert title_of(first[1]) == "1 Account / Authentication – Non-compliant: 1"
    # Each bar ends with its section's total.
    assert texts(groups[0])[-1] == "3"


def test_bars_are_drawn_to_one_scale(sample_scan: ScanRecords) -> None:
    root = parse(status_chart_svg(sample_scan))

    widths: dict[str, float] = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "cis-chart-section":
            widths[texts(group)[0]] = sum(float(r.get("width", "0")) for r in group.iter(f"{SVG}rect"))
    assert widths["1 Account / Authentication"] == pytest.approx(400, abs=0.05)
    assert widths["2 Application Permissions"] == pytest.approx(400 / 3, abs=0.05)
    assert widths["4 Email Security / Exchange Online"] == pytest.approx(800 / 3, abs=0.05)


def test_legend_gives_the_total_of_every_status(sample_scan: ScanRecords) -> None:
    root = parse(status_chart_svg(sample_scan))

    legend = {node.get("data-status"): node.text for node in root.iter(f"{SVG}text") if node.get("data-status")}
    assert legend == {
        "compliant": "Compliant: 1",
        "non_compliant": "Non-compliant: 2",
        "manual": "Manual: 1",
        "not_applicable": "Not applicable: 1",
        "error": "Error: 1",
        "waived": "Waived: 1",
    }


def test_section_names_are_escaped() -> None:
    scan = ScanRecords(records=[make_record("1.1.1", Status.ERROR, section=SCRIPT_NAME + ' & "x"')])

    svg = status_chart_svg(scan)

    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert texts(parse(svg))[0] == SCRIPT_NAME + ' & "x"'


def test_an_empty_scan_says_so() -> None:
    root = parse(status_chart_svg(ScanRecords()))

    assert "No recommendations were selected" in texts(root)
    assert not [r for r in root.iter(f"{SVG}rect") if r.get("class") == "cis-chart-segment"]


def test_palette_covers_every_status_once() -> None:
    assert set(STATUS_COLOURS) == set(STATUS_ORDER) == set(STATUS_LABELS)
    assert len(set(STATUS_COLOURS.values())) == len(STATUS_ORDER)
    assert sorted(attention_rank(s) for s in STATUS_ORDER) == list(range(len(STATUS_ORDER)))
    assert attention_rank(Status.ERROR) < attention_rank(Status.NON_COMPLIANT) < attention_rank(Status.COMPLIANT)
