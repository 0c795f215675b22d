"""The HTML pieces the pytest-html hooks add: columns, badges, detail rows, summary; all escaped."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from o365cis.findings import STATUS_ORDER, Status
from plugins.reporting import html_fragments
from plugins.reporting.palette import STATUS_COLOURS
from plugins.reporting.records import ScanRecords

from .samples import IMG_NAME, SCRIPT_NAME, make_record, sample_records

SAFE_TAGS = {"div", "p", "strong", "em", "span", "table", "thead", "tbody", "tr", "th", "td", "br", "a"}


class TagCollector(HTMLParser):
    """Every start tag (with attributes) and the text, as a browser's parser would see them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    def handlers(self) -> list[str]:
        return [name for _, attrs in self.tags for name in attrs if name.startswith("on")]


@pytest.mark.parametrize("status", STATUS_ORDER)
def test_badge_names_the_status_in_its_colour(status: Status) -> None:
    parsed = TagCollector(html_fragments.status_badge(status))

    tag, attrs = parsed.tags[0]
    assert tag == "span"
    assert f"cis-badge--{status.value}" in (attrs["class"] or "")
    assert STATUS_COLOURS[status] in (attrs["style"] or "")
    assert "".join(parsed.text) == status.value


def test_header_cells_are_sortable_like_the_built_in_ones() -> None:
    cells = html_fragments.header_cells()

    parsed = [TagCollector(cell).tags[0] for cell in cells]
    assert [(tag, attrs["class"], attrs["data-column-type"]) for tag, attrs in parsed] == [
        ("th", "sortable", "cisId"),
        ("th", "sortable", "cisTitle"),
        ("th", "sortable", "cisLevel"),
        ("th", "sortable", "cisStatus"),
        ("th", "sortable", "cisSource"),
    ]
    assert ["".join(TagCollector(cell).text) for cell in cells] == [
        "CIS id",
        "Recommendation",
        "Level",
        "Status",
        "Source",
    ]


def test_a_baseline_adds_its_since_column() -> None:
    cells = html_fragments.header_cells("Since 2026-10-30")

    assert TagCollector(cells[-1]).tags[0][1]["data-column-type"] == "cisChange"
    assert "".join(TagCollector(cells[-1]).text) == "Since 2026-10-30"


def test_row_cells_carry_id_level_and_badge() -> None:
    record = make_record("1.1.10", Status.NON_COMPLIANT, level=2)

    cells = html_fragments.row_cells(record)

    classes = [TagCollector(c).tags[0][1]["class"] for c in cells]
    assert classes == ["col-cisId", "col-cisTitle", "col-cisLevel", "col-cisStatus", "col-cisSource"]
    assert ["".join(TagCollector(c).text) for c in cells] == [
        "1.1.10",
        record.title,
        "2",
        "non_compliant",
        "Microsoft Graph",
    ]
    assert all("\n" not in cell for cell in cells)
    # What the page's filters match on.
    facts = TagCollector(cells[0]).tags[0][1]
    assert (facts["data-status"], facts["data-section"], facts["data-level"]) == ("non_compliant", "1", "2")
    assert facts["data-search"] == f"1.1.10 {record.title} {record.reason}".lower()


def test_change_cell_names_the_change_and_the_earlier_status() -> None:
    record = make_record("1.1.1", Status.NON_COMPLIANT)
    record.change, record.baseline_status = "regressed", "compliant"

    cell = html_fragments.row_cells(record, with_change=True)[-1]

    assert "".join(TagCollector(cell).text) == "regressed was compliant"
    assert inner_html(cell).startswith("<!--0-->")


def test_row_cells_without_a_record_keep_the_columns_aligned() -> None:
    cells = html_fragments.row_cells(None)

    assert cells == [
        '<td class="col-cisId"></td>',
        '<td class="col-cisTitle"></td>',
        '<td class="col-cisLevel"></td>',
        '<td class="col-cisStatus"></td>',
        '<td class="col-cisSource"></td>',
    ]


def inner_html(cell: str) -> str:
    """What pytest-html 4.x sorts a column on: the cell's inner HTML."""
    return cell[cell.index(">") + 1 : cell.rindex("</td>")]


def test_id_column_sorts_numerically_as_text() -> None:
    ids = ["1.1.10", "2.1", "1.1.9", "1.10", "1.1.1", "10.1", "1.2"]
    records = [make_record(i, Status.COMPLIANT) for i in ids]

    ordered = sorted(records, key=lambda r: inner_html(html_fragments.row_cells(r)[0]))

    assert [r.id for r in ordered] == ["1.1.1", "1.1.9", "1.1.10", "1.2", "1.10", "2.1", "10.1"]


def test_status_column_sorts_by_attention_needed() -> None:
    records = [make_record(f"1.{i}", status) for i, status in enumerate(STATUS_ORDER)]

    ordered = sorted(records, key=lambda r: inner_html(html_fragments.row_cells(r)[3]))

    assert [r.status.value for r in ordered] == [
        "error",
        "non_compliant",
        "waived",
        "manual",
        "not_applicable",
        "compliant",
    ]


def test_detail_shows_reason_evidence_and_remediation_escaped() -> None:
    record = sample_records()[2]  # non-compliant, a hostile policy name, a two-line reason

    detail = html_fragments.detail_html(record)

    parsed = TagCollector(detail)
    assert parsed.names() <= SAFE_TAGS
    assert parsed.handlers() == []
    text = "".join(parsed.text)
    assert IMG_NAME in text
    assert 'Policy "Block legacy auth", report-only' in text and "no enforcement" in text
    assert "Fix 1.1.10 in the admin center." in text
    assert "\n" not in detail  # pytest-html's log script rewrites lines that start with "E"
    rows = [attrs for tag, attrs in parsed.tags if tag == "tr"]
    assert len(rows) == 3  # header and two evidence items
    assert "<td>conditionalAccessPolicy</td><td>p-2</td>" in detail


def test_detail_without_evidence_says_so() -> None:
    detail = html_fragments.detail_html(make_record("1.1.9", Status.MANUAL, remediation=""))

    assert "No evidence recorded." in detail
    assert "Remediation" not in detail


def test_script_in_any_field_stays_text() -> None:
    record = make_record(
        SCRIPT_NAME,
        Status.ERROR,
        title=SCRIPT_NAME,
        reason=SCRIPT_NAME,
        remediation=IMG_NAME,
        source=SCRIPT_NAME,
        evidence=[{"type": SCRIPT_NAME, "id": IMG_NAME, "name": SCRIPT_NAME, "detail": IMG_NAME}],
    )

    markup = html_fragments.detail_html(record) + "".join(html_fragments.row_cells(record))

    parsed = TagCollector(markup)
    assert "script" not in parsed.names() and "img" not in parsed.names()
    assert parsed.handlers() == []
    assert SCRIPT_NAME in "".join(parsed.text)


def test_title_names_the_benchmark_and_the_tenant(sample_scan: ScanRecords) -> None:
    assert html_fragments.report_title(sample_scan) == "CIS Microsoft 365 Foundations v1.3.0 – Contoso <b>Ltd</b> & Co"
    assert html_fragments.report_title(ScanRecords(tenant_id="t-1")) == "CIS Microsoft 365 Foundations v1.3.0 – t-1"
    assert html_fragments.report_title(None) == "CIS Microsoft 365 Foundations v1.3.0 – unknown tenant"


def test_evidence_naming_a_directory_object_links_to_the_entra_admin_center() -> None:
    guid = "474487e0-d211-4180-933e-566672fb8c47"
    evidence = [
        {"type": "policy", "id": guid, "name": SCRIPT_NAME, "detail": "report-only"},
        {"type": "user", "id": guid, "name": "zoë@contoso.com", "detail": ""},
        {"type": "group", "id": guid, "name": "Sales", "detail": ""},
        {"type": "policy", "id": "not-an-object-id", "name": "Legacy", "detail": ""},
        {"type": "setting", "id": guid, "name": "Password Rule Settings", "detail": ""},
    ]
    record = make_record("1.1.6", Status.NON_COMPLIANT, evidence=evidence)

    links = [attrs for tag, attrs in TagCollector(html_fragments.detail_html(record)).tags if tag == "a"]

    assert [link["href"] for link in links] == [
        f"https://entra.microsoft.com/#view/Microsoft_AAD_ConditionalAccess/PolicyBlade/policyId/{guid}",
        f"https://entra.microsoft.com/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/{guid}",
        f"https://entra.microsoft.com/#view/Microsoft_AAD_IAM/GroupDetailsMenuBlade/~/Overview/groupId/{guid}",
    ]
    assert all(link["rel"] == "noopener noreferrer" for link in links)
    assert html_fragments.admin_portal_link("user", "../../evil") is None
