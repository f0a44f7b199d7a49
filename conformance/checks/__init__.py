"""The life of one check: build the provider, play a scenario on the fake server, judge, record.

`deadline` is a check's clock, `provider` builds the provider under test once, `guarded` runs
provider code under that clock and says how it ended (for every kind), `outcome` is what a check
ends with, `runner` plays and judges a scenario case and the identity check, and
`lifecycle` gives every planned check of any kind an outcome. The kinds themselves (properties,
resilience, capability checks) live in their own packages above this one.
"""

from conformance.checks.guarded import Ended, run_guarded, with_provider
from conformance.checks.runner import (
    Case,
    CaseOutcome,
    Incomplete,
    ProviderUnderTest,
    run_case,
    run_identity,
)

__all__ = [
    "Case",
    "CaseOutcome",
    "Ended",
    "Incomplete",
    "ProviderUnderTest",
    "run_case",
    "run_guarded",
    "run_identity",
    "with_provider",
]
