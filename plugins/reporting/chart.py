"""An inline SVG of the scan: one stacked bar per section, one colour per status, and a legend."""

from __future__ import annotations

from html import escape

from o365cis.findings import STATUS_ORDER
from plugins.reporting.document import counts_by_section, summary_counts
from plugins.reporting.palette import STATUS_COLOURS, STATUS_LABELS
from plugins.reporting.records import ScanRecords

CHART_TITLE = "CIS recommendations by section and status"

_WIDTH = 720
_LABEL_WIDTH = 250
_BAR_AREA = 400
_ROW_HEIGHT = 26
_BAR_HEIGHT = 16
_TOP = 8
_LEGEND_ITEM_WIDTH = _WIDTH // len(STATUS_ORDER)
_LEGEND_HEIGHT = 30
_FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'
# The smallest segment wide enough to carry its own count in white.
_MIN_LABELLED_SEGMENT = 18.0


def status_chart_svg(scan: ScanRecords) -> str:
    """A self-contained SVG element (no scripts, no external assets); all text is escaped."""
    sections = counts_by_section(scan.records)
    totals = summary_counts(scan.records)
    description = ", ".join(f"{totals[s.value]} {STATUS_LABELS[s].lower()}" for s in STATUS_ORDER)
    aria = f"{CHART_TITLE}: {description}"
    height = _TOP + _ROW_HEIGHT * max(len(sections), 1) + _LEGEND_HEIGHT
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="cis-chart" role="img" width="{_WIDTH}" '
            f'height="{height}" viewBox="0 0 {_WIDTH} {height}" aria-label="{escape(aria)}">'
        ),
        f"<title>{escape(CHART_TITLE)}</title>",
        f"<desc>{escape(description)}</desc>",
    ]
    if sections:
        widest = max(sum(counts.values()) for counts in sections.values())
        for row, (section, counts) in enumerate(sections.items()):
            parts.extend(_section_bar(row, section, counts, _BAR_AREA / widest))
    else:
        parts.append(f'<text x="0" y="{_TOP + 16}" {_FONT} fill="#333">No recommendations were selected</text>')
    parts.extend(_legend(height - _LEGEND_HEIGHT + 8, totals))
    parts.append("</svg>")
    return "".join(parts)


def _section_bar(row: int, section: str, counts: dict[str, int], scale: float) -> list[str]:
    top = _TOP + row * _ROW_HEIGHT
    text_y = top + _BAR_HEIGHT - 4
    parts = [
        '<g class="cis-chart-section">',
        f'<text x="0" y="{text_y}" {_FONT} fill="#222">{escape(section)}</text>',
    ]
    x = float(_LABEL_WIDTH)
    for status in STATUS_ORDER:
        count = counts[status.value]
        if not count:
            continue
        width = count * scale
        tooltip = f"{section} – {STATUS_LABELS[status]}: {count}"
        parts.append(
            f'<rect class="cis-chart-segment" data-status="{status.value}" x="{x:.2f}" y="{top}" '
            f'width="{width:.2f}" height="{_BAR_HEIGHT}" fill="{STATUS_COLOURS[status]}">'
            f"<title>{escape(tooltip)}</title></rect>"
        )
        if width >= _MIN_LABELLED_SEGMENT:
            parts.append(
                f'<text x="{x + width / 2:.2f}" y="{text_y}" {_FONT} fill="#fff" text-anchor="middle">{count}</text>'
            )
        x += width
    parts.append(f'<text x="{x + 6:.2f}" y="{text_y}" {_FONT} fill="#222">{sum(counts.values())}</text>')
    parts.append("</g>")
    return parts


def _legend(top: int, totals: dict[str, int]) -> list[str]:
    parts = ['<g class="cis-chart-legend">']
    for index, status in enumerate(STATUS_ORDER):
        x = index * _LEGEND_ITEM_WIDTH
        label = f"{STATUS_LABELS[status]}: {totals[status.value]}"
        parts.append(
            f'<rect x="{x}" y="{top}" width="12" height="12" fill="{STATUS_COLOURS[status]}"/>'
            f'<text class="cis-chart-legend-item" data-status="{status.value}" x="{x + 16}" '
            f'y="{top + 11}" {_FONT} fill="#222">{escape(label)}</text>'
        )
    parts.append("</g>")
    return parts
