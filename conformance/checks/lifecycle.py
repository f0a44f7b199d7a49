"""One check's life, whatever its kind: run it, and give it an outcome even when nothing judged it.

Scenario cases, identity, properties, resilience and capability checks differ only in what they
play and judge (`PlannedCheck.run`). What every kind shares is decided once: the provider is
loaded and warmed once per process (`ConformanceState.provider`, conformance/checks/provider.py);
inside a check it is built, used and closed under the check's deadline, and its ending (a hang,
an escape, a failed build) read alike, by conformance/checks/guarded.py; and here a provider that
cannot be built is an error of that provider, not a verdict, and a fault of the harness leaves
the check incomplete ("harness-error"), never a pass and never the provider's failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.checks.harness_errors import harness_error_text, spec_facts
from conformance.checks.runner import BuildError, CaseOutcome, Incomplete
from conformance.vocabulary.spec import ProviderSpec


@dataclass(frozen=True)
class PlannedCheck:
    """One check as a run plans it: whose, what (scenario, property or check name), which mode,
    the clauses it is meant to judge (counted even without verdicts) and how it runs."""

    spec: ProviderSpec
    name: str
    mode: str
    clauses: tuple[str, ...]
    run: Callable[[], CaseOutcome]


def run_planned(
    check: PlannedCheck, facts: Callable[[ProviderSpec], dict[str, Any]] = spec_facts
) -> CaseOutcome:
    """The check's outcome; `facts` says what the report shows of the provider after a harness
    fault (it may itself fail: then what the run was told of the provider)."""
    spec = check.spec
    try:
        return check.run()
    except BuildError as exc:  # a suite class's provider that cannot be built: not a verdict
        return CaseOutcome(spec.id, check.name, check.mode, facts=spec_facts(spec), error=str(exc))
    except Exception as exc:  # the harness's own fault: the check still gets an outcome
        try:
            known = facts(spec)
        except Exception:  # the provider itself is what broke
            known = spec_facts(spec)
        return CaseOutcome(
            spec.id,
            check.name,
            check.mode,
            facts=known,
            incomplete=Incomplete("harness-error", harness_error_text(exc, spec)),
        )


__all__ = ["PlannedCheck", "run_planned"]
