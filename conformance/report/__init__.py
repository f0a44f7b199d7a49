"""Report building and writing: compatibility.json / .md / .html, merging, provider coverage."""

from conformance.report.assemble import ProviderInfo, build_report
from conformance.report.exit_codes import report_exit_code
from conformance.report.html import render_html
from conformance.report.markdown import render_markdown
from conformance.report.merge import merge_reports
from conformance.report.model import ProviderReport
from conformance.report.plan import Plan, PlannedCheck
from conformance.report.writers import (
    providers_from_outcomes,
    validate_report,
    verdict_lines,
    write_report_files,
    write_reports,
)

__all__ = [
    "Plan",
    "PlannedCheck",
    "ProviderInfo",
    "ProviderReport",
    "build_report",
    "merge_reports",
    "providers_from_outcomes",
    "render_html",
    "render_markdown",
    "report_exit_code",
    "validate_report",
    "verdict_lines",
    "write_report_files",
    "write_reports",
]
