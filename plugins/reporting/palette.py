"""One colour and one label per contract status, shared by the chart and the HTML report."""

from __future__ import annotations

from o365cis.findings import Status

# Dark enough for white text (WCAG AA contrast against #fff), and distinct in hue so the chart
# legend and the table badges read the same way.
STATUS_COLOURS: dict[Status, str] = {
    Status.COMPLIANT: "#2e7d32",
    Status.NON_COMPLIANT: "#c62828",
    Status.MANUAL: "#1565c0",
    Status.NOT_APPLICABLE: "#616161",
    Status.ERROR: "#bf360c",
    Status.WAIVED: "#6a1b9a",
}

STATUS_LABELS: dict[Status, str] = {
    Status.COMPLIANT: "Compliant",
    Status.NON_COMPLIANT: "Non-compliant",
    Status.MANUAL: "Manual",
    Status.NOT_APPLICABLE: "Not applicable",
    Status.ERROR: "Error",
    Status.WAIVED: "Waived",
}

# What needs attention first when a reader sorts the HTML table by status.
_ATTENTION_ORDER: tuple[Status, ...] = (
    Status.ERROR,
    Status.NON_COMPLIANT,
    Status.WAIVED,
    Status.MANUAL,
    Status.NOT_APPLICABLE,
    Status.COMPLIANT,
)


def attention_rank(status: Status) -> int:
    """0 for the status that most needs a reader's attention (error), 5 for compliant."""
    return _ATTENTION_ORDER.index(status)
