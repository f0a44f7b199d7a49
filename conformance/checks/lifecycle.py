"""One check's life, whatever its kind: run it, and give it an outcome even when nothing judged it.

Scenario cases, identity, properties, resilience and capability checks differ only in what they
play and judge (`PlannedCheck.run`). What every kind shares is decided once: the provider is
loaded and warmed once per process (`ConformanceState.provider`, conformance/checks/provider.py);
inside a check it is built, used and closed under the check's deadline, and its ending (a hang,
an escape, a failed build) read alike, by conformance/checks/guarded.py; and here a provider that
cannot be built is an error of that provider, not a verdict, and a fault of the harness leaves
the check incomplete ("harness-error"), never a pass and never the provider's failure.
And whatever a kind judged, a clause the profile declares not applicable for its interface
(`Profile.not_applicable`) is reported not applicable here: no kind can pass or fail it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from conformance.checks.guarded import as_profile_allows
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
    check: PlannedCheck,
    facts: Callable[[ProviderSpec], dict[str, Any]] = spec_facts,
    inexpressible: Callable[[ProviderSpec], Mapping[str, str]] | None = None,
) -> CaseOutcome:
    """The check's outcome; `facts` says what the report shows of the provider after a harness
    fault (it may itself fail: then what the run was told of the provider), `inexpressible` the
    clauses its profile declares not applicable, with the reason."""
    spec = check.spec
    try:
        outcome = check.run()
        if inexpressible is None:
            return outcome
        try:
            reasons = inexpressible(spec)
        except BuildError:  # the check's own outcome already says so
            return outcome
        return outcome_as_profile_allows(outcome, reasons)
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


def outcome_as_profile_allows(outcome: CaseOutcome, reasons: Mapping[str, str]) -> CaseOutcome:
    """The outcome with every verdict on a clause in `reasons` made not applicable.

    Each kind's runner used to apply the profile's map itself, and one that forgot (the
    properties' "held for N examples") passed a clause the profile had declared not applicable;
    applied here, after every kind, no runner can forget it. A check left with nothing but such
    clauses is not applicable as a whole, so pytest skips it as it skips the other ones.
    """
    if not reasons or not any(v.clause in reasons for v in outcome.verdicts):
        return outcome
    # The runners' own per-verdict filter (secrets: theirs already scrubbed the messages).
    verdicts = [as_profile_allows(reasons, v, ()) for v in outcome.verdicts]
    whole = outcome.not_applicable
    if whole is None and all(v.outcome == "not-applicable" for v in verdicts):
        whole = "; ".join(dict.fromkeys(v.message for v in verdicts))
    return replace(outcome, verdicts=verdicts, not_applicable=whole)


__all__ = ["PlannedCheck", "outcome_as_profile_allows", "run_planned"]
