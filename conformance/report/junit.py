"""JUnit entries for checks that never reported, so a CI test tab sees them too.

A planned check whose worker crashed, or that an interrupt or the run's deadline kept from
running, has no test report of its own and would be absent from junit.xml; so has a provider that
could not be built. The plugin adds, before pytest writes the file, a failing test case for each,
and the run's status as properties of the suite.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from _pytest.junitxml import xml_key
from _pytest.reports import TestReport

from conformance.report.plan import Plan


def add_junit_entries(config: pytest.Config, report: Mapping[str, Any], plan: Plan | None) -> None:
    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    run = report.get("run")
    if run is not None:
        xml.add_global_property("conformance_run_status", run["status"])
        xml.add_global_property("conformance_planned", str(run["planned"]))
        xml.add_global_property("conformance_judged", str(run["judged"]))
    plan = plan or Plan()
    nodeids = {(c.provider, c.check): nodeid for nodeid, c in plan.nodeids.items()}
    for provider in report["providers"]:
        if provider.get("build_error"):
            xml.add_global_property(
                f"conformance_build_error[{provider['id']}]", provider["build_error"]
            )
            build = f"provider-conformance::build[{provider['id']}]"
            xml.pytest_runtest_logreport(
                _failed(build, f"could not be built: {provider['build_error']}")
            )
        for entry in provider.get("incomplete", []):
            nodeid = nodeids.get((provider["id"], entry["check"]))
            if nodeid is None or entry["kind"] == "harness-error":
                continue  # a harness error failed its own test case already
            if nodeid in plan.reported:
                continue  # its own test case is there already (a crash xdist reported, say)
            text = f"{entry['kind']} (not a provider failure): {entry['reason']}"
            xml.pytest_runtest_logreport(_failed(nodeid, text))


def _failed(nodeid: str, text: str) -> TestReport:
    return TestReport(
        nodeid=nodeid,
        location=(nodeid.split("::", 1)[0], None, nodeid),
        keywords={},
        outcome="failed",
        longrepr=text,
        when="call",
    )


_DOTTED_CLASSNAME = re.compile(r'classname="\.')


def tidy_classnames(path: Path) -> None:
    """Drop the leading dot of classnames pytest writes for the configured suite.

    That suite lives outside the rootdir, so its test ids start with `::` and pytest's classname
    with a dot (`.TestProviderConformance`), which CI test tabs show as an empty package.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return
    tidy = _DOTTED_CLASSNAME.sub('classname="', text)
    if tidy != text:
        path.write_text(tidy, encoding="utf-8")
