"""Tests of plugins/reporting: the results document, the CSV, the SVG chart and the pytest-html report."""
