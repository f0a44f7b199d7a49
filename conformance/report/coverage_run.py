"""Coverage of the provider's own code, as the suite exercised it (coverage.py).

Measuring only the provider's modules tells its author which branches of their SSE parsing and
error mapping the suite never reached. Under pytest-xdist each worker writes its own data file
and the controller combines them.
"""

from __future__ import annotations

from pathlib import Path

import coverage


class ProviderCoverage:
    def __init__(self, report_dir: Path, modules: list[str], *, worker: bool) -> None:
        self.directory = report_dir / "coverage"
        self.modules = sorted(set(modules))
        self.worker = worker
        self._data_file = self.directory / ".coverage"
        self._coverage: coverage.Coverage | None = None

    def _new(self) -> coverage.Coverage:
        return coverage.Coverage(
            data_file=str(self._data_file),
            data_suffix=True,
            source_pkgs=self.modules,
            branch=True,
        )

    def start(self) -> None:
        if not self.modules:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.worker:
            for stale in self.directory.glob(".coverage*"):
                stale.unlink()
        self._coverage = self._new()
        self._coverage.start()

    def stop(self) -> None:
        if self._coverage is not None:
            self._coverage.stop()
            self._coverage.save()
            self._coverage = None

    def discard(self) -> None:
        if self._coverage is not None:
            self._coverage.stop()
            self._coverage = None

    def report(self) -> list[Path]:
        """Combine the data files and write HTML and XML; returns what was written."""
        if not self.modules or not any(self.directory.glob(".coverage.*")):
            return []
        combined = self._new()
        combined.combine([str(self.directory)])
        combined.save()
        html = self.directory / "html"
        xml = self.directory / "coverage.xml"
        try:
            combined.html_report(directory=str(html), title="Provider coverage")
            combined.xml_report(outfile=str(xml))
        except coverage.exceptions.NoDataError:
            return []
        return [html / "index.html", xml]
