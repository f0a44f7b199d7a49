"""The kinds of checks, as the plugin plans and runs them: one row each, one path for all.

A kind says which fixture of the suite class carries its checks, which checks a run plans
(each with its test id and the clauses it judges, which become its markers) and how one of them
runs (a `PlannedCheck`, whose life is conformance/checks/lifecycle.py's). `parametrize` is the one
parametrization of the suite; a new kind of check is a new row here and a test method on the
suite class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.checks.harness_errors import IDENTITY_CLAUSES
from conformance.checks.lifecycle import PlannedCheck
from conformance.checks.runner import Case
from conformance.plugin.selection import clause_param
from conformance.plugin.state import ConformanceState, state_of
from conformance.properties import Property
from conformance.resilience import ResilienceCheck, run_resilience_check
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import ProviderSpec

#: One planned check as parametrize takes it: the fixture's value, its id, its clauses.
Param = tuple[Any, str, Sequence[str]]
#: The checks of a kind that a run plans: (state, suite class, config, providers) -> params.
Planner = Callable[[ConformanceState, Any, pytest.Config, list[ProviderSpec]], list[Param]]


@dataclass(frozen=True)
class CheckKind:
    fixture: str
    params: Planner
    #: The check a fixture value stands for, ready to run.
    plan: Callable[[ConformanceState, Any], PlannedCheck]


def _identity_params(
    state: ConformanceState, cls: Any, config: pytest.Config, specs: list[ProviderSpec]
) -> list[Param]:
    return [(spec, spec.id, IDENTITY_CLAUSES) for spec in specs]


def _identity(state: ConformanceState, spec: ProviderSpec) -> PlannedCheck:
    return PlannedCheck(
        spec,
        "identity",
        "none",
        IDENTITY_CLAUSES,
        lambda: state.configuration.identity(state.provider(spec), state.server),
    )


def _case_params(
    state: ConformanceState, cls: Any, config: pytest.Config, specs: list[ProviderSpec]
) -> list[Param]:
    names = cls.conformance_scenarios(config)
    names = list(names) if names is not None else None
    try:
        pairs = state.case_checks(specs, names)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    return [((spec, case), f"{spec.id}:{case.id}", case.scenario.focus) for spec, case in pairs]


def _case(state: ConformanceState, value: tuple[ProviderSpec, Case]) -> PlannedCheck:
    spec, case = value
    option = state.config.option
    return PlannedCheck(
        spec,
        case.scenario.name,
        case.mode,
        tuple(case.scenario.focus),
        lambda: state.configuration.case(
            state.server,
            state.provider(spec),
            case,
            check_timeout=option.check_timeout,
            provider_timeout=option.provider_timeout,
        ),
    )


def _property_params(
    state: ConformanceState, cls: Any, config: pytest.Config, specs: list[ProviderSpec]
) -> list[Param]:
    chosen = cls.conformance_properties(config)
    return [
        ((spec, prop, mode), f"{spec.id}:{prop.id}-{mode}", prop.clauses[mode])
        for spec, prop, mode in state.property_checks(specs, chosen)
    ]


def _property(state: ConformanceState, value: tuple[ProviderSpec, Property, Any]) -> PlannedCheck:
    spec, prop, mode = value
    option = state.config.option
    save = state.report_dir / "regressions" if state.report_dir is not None else None
    from conformance.properties.run import run_property  # hypothesis: only where properties run

    return PlannedCheck(
        spec,
        prop.id,
        mode,
        tuple(prop.clauses[mode]),
        lambda: run_property(
            state.server,
            state.provider(spec),
            prop,
            mode,
            profile=state.property_profile,
            seed=option.property_seed,
            save_dir=save,
            replay_arguments=state.configuration.reproduce(spec),
            check_timeout=option.check_timeout,
            provider_timeout=option.provider_timeout,
        ),
    )


def _resilience_params(
    state: ConformanceState, cls: Any, config: pytest.Config, specs: list[ProviderSpec]
) -> list[Param]:
    return [
        ((spec, check, mode), f"{spec.id}:{check.name}-{mode}", (check.clause,))
        for spec, check, mode in state.resilience_checks(specs)
    ]


def _resilience(
    state: ConformanceState, value: tuple[ProviderSpec, ResilienceCheck, str]
) -> PlannedCheck:
    spec, check, mode = value
    option = state.config.option
    return PlannedCheck(
        spec,
        check.name,
        mode,
        (check.clause,),
        lambda: run_resilience_check(
            state.server,
            state.provider(spec),
            check,
            mode,  # type: ignore[arg-type]
            check_timeout=option.check_timeout,
            provider_timeout=option.provider_timeout,
        ),
    )


#: The suite's kinds of checks, in the order the suite runs them.
KINDS: dict[str, CheckKind] = {
    kind.fixture: kind
    for kind in (
        CheckKind("conformance_spec", _identity_params, _identity),
        CheckKind("conformance_check", _case_params, _case),
        CheckKind("conformance_property", _property_params, _property),
        CheckKind("conformance_resilience", _resilience_params, _resilience),
    )
}


def parametrize(metafunc: pytest.Metafunc, cls: Any) -> None:
    """Parametrize a test of suite class `cls` over every check of the kinds its fixtures ask
    for. (`cls` is a ProviderConformanceSuite; not imported here, which would close a circle:
    the suite's tests call the `conformance` fixture, which runs these kinds.)"""
    state = state_of(metafunc.config)
    specs = cls.conformance_specs(metafunc.config)
    for fixture, kind in KINDS.items():
        if fixture in metafunc.fixturenames:
            params = kind.params(state, cls, metafunc.config, specs)
            metafunc.parametrize(fixture, [clause_param(*param) for param in params])


__all__ = ["KINDS", "CheckKind", "PlannedCheck", "parametrize"]
