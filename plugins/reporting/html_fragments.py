"""HTML pieces for the pytest-html report: CIS columns, status badges and detail rows.

Every piece is one line (no newline): pytest-html 4.x puts the detail HTML in the log box, whose
script wraps each line starting with "E" in a span. All text from the tenant is escaped here.
"""

from __future__ import annotations

import re
from html import escape

from o365cis.findings import Status
from o365cis.settings import GUID_PATTERN
from plugins.reporting.document import benchmark_info
from plugins.reporting.evidence import EVIDENCE_KEYS, evidence_rows
from plugins.reporting.palette import STATUS_COLOURS, STATUS_LABELS, attention_rank
from plugins.reporting.records import CisRecord, ScanRecords

#: The `data-column-type` names of the CIS columns (pytest-html sorts on them), and of the baseline's column.
CIS_COLUMNS: tuple[str, ...] = ("cisId", "cisTitle", "cisLevel", "cisStatus", "cisSource")
CHANGE_COLUMN = "cisChange"

_HEADINGS = {
    "cisId": "CIS id",
    "cisTitle": "Recommendation",
    "cisLevel": "Level",
    "cisStatus": "Status",
    "cisSource": "Source",
}
_SOURCE_LABELS = {
    "graph": "Microsoft Graph",
    "exchange": "Exchange Online",
    "dns": "DNS",
    "securescore": "Secure Score",
    "teams": "Teams",
    "sharepoint": "SharePoint",
    "config": "config file",
    "none": "–",
}
#: How the change column sorts: what got worse first.
_CHANGE_RANK = {"regressed": 0, "new": 1, "fixed": 2, "changed": 3, "unchanged": 4}

# Entra admin center deep links (entra.microsoft.com: the blade addresses the admin center itself shows) for
# the evidence types that name a directory object by its object id. Other evidence (Exchange policies, settings,
# Secure Score controls, sign-in summaries of Microsoft's own apps) has no per-object page to open.
ADMIN_PORTAL_LINKS: dict[str, str] = {
    "policy": "https://entra.microsoft.com/#view/Microsoft_AAD_ConditionalAccess/PolicyBlade/policyId/{id}",
    "user": "https://entra.microsoft.com/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/{id}",
    "group": "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/GroupDetailsMenuBlade/~/Overview/groupId/{id}",
}


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


def header_cells(since: str | None = None) -> list[str]:
    """The sortable header cells of the CIS columns; with a baseline, its `Since <date>` column too."""
    cells = [f'<th class="sortable" data-column-type="{name}">{_HEADINGS[name]}</th>' for name in CIS_COLUMNS]
    if since is not None:
        cells.append(f'<th class="sortable" data-column-type="{CHANGE_COLUMN}">{text_html(since)}</th>')
    return cells


def row_cells(record: CisRecord | None, with_change: bool = False) -> list[str]:
    """The CIS cells of a result row (empty cells for a report without a record).

    pytest-html 4.x sorts a column on the cell's inner HTML as a string, so sortable cells start with an
    HTML comment holding a key that sorts right: ids by number (1.1.10 after 1.1.9), statuses by how much
    they need attention, changes worst first. The id cell carries what the page's filters match on.
    """
    names = [*CIS_COLUMNS, CHANGE_COLUMN] if with_change else list(CIS_COLUMNS)
    if record is None:
        return [f'<td class="col-{name}"></td>' for name in names]
    status = Status(record.status)
    search = " ".join((record.id, record.title, record.reason)).lower()
    cells = [
        (
            f'<td class="col-cisId" data-status="{status.value}" data-section="{text_html(record.id.split(".")[0])}" '
            f'data-level="{record.level}" data-search="{text_html(search)}">'
            f"<!--{_id_sort_key(record.id)}-->{text_html(record.id)}</td>"
        ),
        f'<td class="col-cisTitle">{text_html(record.title)}</td>',
        f'<td class="col-cisLevel">{text_html(record.level)}</td>',
        f'<td class="col-cisStatus"><!--{attention_rank(status)}-->{status_badge(status)}</td>',
        f'<td class="col-cisSource">{text_html(_SOURCE_LABELS.get(_plain(record.source), _plain(record.source)))}</td>',
    ]
    if with_change:
        cells.append(_change_cell(record))
    return cells


def detail_html(record: CisRecord) -> str:
    """The detail-row block of one recommendation: reason, evidence table and remediation."""
    parts = [
        f'<div class="cis-detail" data-cis-id="{text_html(record.id)}">',
        f'<p class="cis-reason"><strong>Reason:</strong> {text_html(record.reason)}</p>',
    ]
    if record.waiver:
        parts.append(
            f'<p class="cis-waiver"><strong>Waiver:</strong> {text_html(record.waiver.get("reason"))} '
            f"(expires {text_html(record.waiver.get('expires'))})</p>"
        )
    parts.append(_evidence_table(record))
    if record.remediation:
        parts.append(f'<p class="cis-remediation"><strong>Remediation:</strong> {text_html(record.remediation)}</p>')
    parts.append(
        f'<p class="cis-source"><em>Decided by: {text_html(_SOURCE_LABELS.get(_plain(record.source)))}</em></p>'
    )
    parts.append("</div>")
    return "".join(parts)


def admin_portal_link(evidence_type: str, object_id: str) -> str | None:
    """The Entra admin center page of the object this evidence names, when it has one."""
    template = ADMIN_PORTAL_LINKS.get(evidence_type)
    if template is None or not GUID_PATTERN.fullmatch(object_id):
        return None
    return template.format(id=object_id)


def _evidence_table(record: CisRecord) -> str:
    rows = evidence_rows(record.evidence)
    if not rows:
        return '<p class="cis-evidence cis-evidence--empty"><em>No evidence recorded.</em></p>'
    head = "".join(f"<th>{key}</th>" for key in EVIDENCE_KEYS)
    body = "".join("<tr>" + "".join(_evidence_cell(row, key) for key in EVIDENCE_KEYS) + "</tr>" for row in rows)
    return f'<table class="cis-evidence"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _evidence_cell(row: dict[str, str], key: str) -> str:
    link = admin_portal_link(row["type"], row["id"]) if key == "name" else None
    if link is None or not row["name"]:
        return f"<td>{text_html(row[key])}</td>"
    return (
        f'<td><a href="{text_html(link)}" target="_blank" rel="noopener noreferrer" '
        f'title="Open in the Entra admin center">{text_html(row[key])}</a></td>'
    )


def _change_cell(record: CisRecord) -> str:
    change = record.change or "unchanged"
    was = (
        f' <span class="cis-change__was">was {text_html(record.baseline_status)}</span>'
        if change != "unchanged" and record.baseline_status
        else ""
    )
    return (
        f'<td class="col-{CHANGE_COLUMN}"><!--{_CHANGE_RANK.get(change, 9)}-->'
        f'<span class="cis-change cis-change--{text_html(change)}">{text_html(change)}</span>{was}</td>'
    )


def _id_sort_key(recommendation_id: str) -> str:
    # Zero-padded numeric parts; the key holds only digits, letters and dots, so it cannot end the comment.
    parts = [
        part.zfill(4) if part.isdigit() else re.sub(r"[^0-9A-Za-z]", "", part) for part in recommendation_id.split(".")
    ]
    return ".".join(parts)


def _plain(value: object) -> str:
    return str(getattr(value, "value", value))
