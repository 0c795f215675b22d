"""The reports written from the scan's records: results JSON, CSV, and the pytest-html additions."""

from plugins.reporting.chart import status_chart_svg
from plugins.reporting.csv_report import write_csv
from plugins.reporting.document import build_document, counts_by_section, summary_counts, write_json

__all__ = ["build_document", "counts_by_section", "status_chart_svg", "summary_counts", "write_csv", "write_json"]
