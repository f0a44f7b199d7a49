"""Hypothesis settings profiles for the suite's properties: `dev`, `ci` (the default), `thorough`.

`ci` runs from a fixed seed, so two runs of the same code draw the same examples and a red CI can
be replayed exactly; `dev` and `thorough` draw from a fresh seed each run (printed, and settable
with --property-seed) to keep finding new examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.vocabulary.errors import UsageError

if TYPE_CHECKING:  # imported where a property runs: hypothesis is slow to import (start-up)
    from hypothesis import settings


@dataclass(frozen=True)
class PropertyProfile:
    name: str
    description: str
    max_examples: int
    #: Whether the seed is fixed (reproducible runs) or drawn afresh each run.
    derandomize: bool

    def settings(self) -> settings:
        from hypothesis import HealthCheck, Phase, Verbosity, settings

        return settings(
            max_examples=self.max_examples,
            derandomize=self.derandomize,
            # Each example is a real HTTP exchange: time is judged by the checks, not by hypothesis.
            deadline=None,
            # Failures are kept as regression files (fixtures/regressions), not in a database.
            database=None,
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        )


PROFILES: dict[str, PropertyProfile] = {
    profile.name: profile
    for profile in (
        PropertyProfile("dev", "a quick look while writing a provider", 8, derandomize=False),
        PropertyProfile("ci", "reproducible, the default", 20, derandomize=True),
        PropertyProfile("thorough", "a long search before a release", 300, derandomize=False),
    )
}
DEFAULT_PROFILE = "ci"


def property_profile(name: str) -> PropertyProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UsageError(
            f"--property-profile {name}: unknown profile; choose one of {', '.join(PROFILES)}"
        ) from None
