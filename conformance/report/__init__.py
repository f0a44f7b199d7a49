"""Report building and writing: compatibility.json / .md, and provider coverage."""

from conformance.report.markdown import render_markdown
from conformance.report.model import ProviderInfo, ProviderReport, build_report
from conformance.report.writers import (
    providers_from_outcomes,
    validate_report,
    verdict_lines,
    write_reports,
)

__all__ = [
    "ProviderInfo",
    "ProviderReport",
    "build_report",
    "providers_from_outcomes",
    "render_markdown",
    "validate_report",
    "verdict_lines",
    "write_reports",
]
