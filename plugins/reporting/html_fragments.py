"""HTML pieces for the pytest-html report: CIS columns, status badges, detail rows and the summary.

Every piece is one line (no newline): pytest-html 4.x puts the detail HTML in the log box, whose
script wraps each line starting with "E" in a span. All text from the tenant is escaped here.
"""

from __future__ import annotations

import re
from html import escape

from o365cis.findings import STATUS_ORDER, Status
from plugins.reporting.chart import status_chart_svg
from plugins.reporting.document import benchmark_info, counts_by_section, summary_counts
from plugins.reporting.evidence import EVIDENCE_KEYS, evidence_rows
from plugins.reporting.palette import STATUS_COLOURS, STATUS_LABELS, attention_rank
from plugins.reporting.records import CisRecord, ScanRecords

#: The `data-column-type` names of the three CIS columns (pytest-html sorts on them).
CIS_COLUMNS: tuple[str, ...] = ("cisId", "cisLevel", "cisStatus")

_HEADINGS = {"cisId": "CIS id", "cisLevel": "Level", "cisStatus": "Status"}

# Styles for the classes below; the report's own stylesheet knows nothing of them. Badge colours
# are inline as well, so a report rendered before this block exists still shows them.
STYLE_BLOCK = (
    "<style>"
    ".cis-badge{display:inline-block;padding:1px 6px;border-radius:3px;color:#fff;font-weight:bold;"
    "pointer-events:none}"
    ".cis-detail{white-space:normal;font-family:Helvetica,Arial,sans-serif;font-size:12px;color:#222;"
    "margin-bottom:8px}"
    ".cis-detail table,.cis-summary table{border-collapse:collapse;margin:4px 0;background:#fff}"
    # The id selector outranks pytest-html's own `#results-table td` rule inside the detail row.
    "#results-table .cis-detail th,#results-table .cis-detail td,.cis-detail th,.cis-detail td,"
    ".cis-summary th,.cis-summary td{border:1px solid #bbb;padding:2px 6px;text-align:left;color:#222}"
    ".cis-summary{color:#222;margin:8px 0}"
    "</style>"
)


def text_html(value: object) -> str:
    """Escape text for HTML, line breaks kept as <br> (so the fragment stays on one line)."""
    escaped = escape("" if value is None else str(value), quote=True)
    return re.sub(r"\r\n|\r|\n", "<br>", escaped)


def report_title(scan: ScanRecords | None) -> str:
    """`CIS Microsoft 365 Foundations v1.3.0 – <tenant name>` (plain text: pytest-html escapes it)."""
    tenant = None
    if scan is not None:
        tenant = scan.tenant_name or scan.tenant_id
    return f"CIS Microsoft 365 Foundations v{benchmark_info()['version']} – {tenant or 'unknown tenant'}"


def status_badge(status: Status | str) -> str:
    """A coloured badge naming the contract status."""
    member = Status(status)
    return (
        f'<span class="cis-badge cis-badge--{member.value}" title="{STATUS_LABELS[member]}" '
        f'style="background-color:{STATUS_COLOURS[member]};color:#fff;padding:1px 6px;'
        f'border-radius:3px;pointer-events:none">{member.value}</span>'
    )


def header_cells() -> list[str]:
    """The sortable header cells of the three CIS columns."""
    return [f'<th class="sortable" data-column-type="{name}">{_HEADINGS[name]}</th>' for name in CIS_COLUMNS]


def row_cells(record: CisRecord | None) -> list[str]:
    """The three CIS cells of a result row (empty cells for a report without a record).

    pytest-html 4.x sorts a column on the cell's inner HTML as a string, so each cell starts with an
    HTML comment holding a key that sorts right: ids by number (1.1.10 after 1.1.9), statuses by
    how much they need attention.
    """
    if record is None:
        return [f'<td class="col-{name}"></td>' for name in CIS_COLUMNS]
    status = Status(record.status)
    return [
        f'<td class="col-cisId"><!--{_id_sort_key(record.id)}-->{text_html(record.id)}</td>',
        f'<td class="col-cisLevel">{text_html(record.level)}</td>',
        f'<td class="col-cisStatus"><!--{attention_rank(status)}-->{status_badge(status)}</td>',
    ]


def detail_html(record: CisRecord) -> str:
    """The detail-row block of one recommendation: reason, evidence table and remediation."""
    parts = [
        f'<div class="cis-detail" data-cis-id="{text_html(record.id)}">',
        (
            f"<p><strong>{text_html(record.id)}</strong> {text_html(record.title)} "
            f"{status_badge(record.status)} <em>source: {text_html(_plain(record.source))}</em></p>"
        ),
        f'<p class="cis-reason"><strong>Reason:</strong> {text_html(record.reason)}</p>',
        _evidence_table(record),
    ]
    if record.remediation:
        parts.append(f'<p class="cis-remediation"><strong>Remediation:</strong> {text_html(record.remediation)}</p>')
    parts.append("</div>")
    return "".join(parts)


def summary_fragments(scan: ScanRecords) -> tuple[str, str]:
    """The two summary blocks: counts by status (beside the run counts), then the chart and section table."""
    totals = summary_counts(scan.records)
    status_items = "".join(
        f"<tr><td>{status_badge(status)}</td><td>{STATUS_LABELS[status]}</td>"
        f'<td class="cis-count" data-status="{status.value}">{totals[status.value]}</td></tr>'
        for status in STATUS_ORDER
    )
    by_status = (
        f'{STYLE_BLOCK}<div class="cis-summary cis-summary--status"><h3>CIS results</h3>'
        f"<p>{text_html(report_title(scan))}: {len(scan.records)} recommendations</p>"
        f"<table><tbody>{status_items}</tbody></table></div>"
    )
    by_section = (
        '<div class="cis-summary cis-summary--section"><h3>By section</h3>'
        f"{status_chart_svg(scan)}{_section_table(scan)}</div>"
    )
    return by_status, by_section


def _section_table(scan: ScanRecords) -> str:
    head = "".join(f"<th>{status_badge(status)}</th>" for status in STATUS_ORDER)
    rows = []
    for section, counts in counts_by_section(scan.records).items():
        cells = "".join(f"<td>{counts[status.value]}</td>" for status in STATUS_ORDER)
        rows.append(f"<tr><th>{text_html(section)}</th>{cells}<td>{sum(counts.values())}</td></tr>")
    totals = summary_counts(scan.records)
    total_cells = "".join(f"<td>{totals[status.value]}</td>" for status in STATUS_ORDER)
    rows.append(f"<tr><th>Total</th>{total_cells}<td>{len(scan.records)}</td></tr>")
    return (
        f'<table class="cis-sections"><thead><tr><th>Section</th>{head}<th>Total</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _evidence_table(record: CisRecord) -> str:
    rows = evidence_rows(record.evidence)
    if not rows:
        return '<p class="cis-evidence cis-evidence--empty"><em>No evidence recorded.</em></p>'
    head = "".join(f"<th>{key}</th>" for key in EVIDENCE_KEYS)
    body = "".join(
        "<tr>" + "".join(f"<td>{text_html(row[key])}</td>" for key in EVIDENCE_KEYS) + "</tr>" for row in rows
    )
    return f'<table class="cis-evidence"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _id_sort_key(recommendation_id: str) -> str:
    # Zero-padded numeric parts; the key holds only digits, letters and dots, so it cannot end the comment.
    parts = [
        part.zfill(4) if part.isdigit() else re.sub(r"[^0-9A-Za-z]", "", part) for part in recommendation_id.split(".")
    ]
    return ".".join(parts)


def _plain(value: object) -> str:
    return str(getattr(value, "value", value))
