"""The life of one check: build the provider, play a scenario on the fake server, judge, record.

Every kind of check (scenarios, properties, resilience, capability checks) runs through
`runner`; the kinds themselves live in their own packages above this one.
"""

from conformance.checks.runner import (
    Case,
    CaseOutcome,
    Incomplete,
    ProviderUnderTest,
    run_case,
    run_identity,
)

__all__ = ["Case", "CaseOutcome", "Incomplete", "ProviderUnderTest", "run_case", "run_identity"]
