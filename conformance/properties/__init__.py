"""Property-based conformance: generated answers and errors, every split and interleaving.

`PROPERTIES` is what the suite runs for each provider (`test_property`); `run_property` runs one
outside pytest. Settings profiles: conformance/properties/settings.py; the strategies they draw
from are public in `conformance.strategies`.
"""

from typing import TYPE_CHECKING, Any

from conformance.properties.catalogue import PROPERTIES, Property, get_property
from conformance.properties.settings import DEFAULT_PROFILE, PROFILES, PropertyProfile

if TYPE_CHECKING:
    from conformance.properties.run import run_property


def __getattr__(name: str) -> Any:
    # `run_property` imports hypothesis, slow to import: only a run that runs a property pays.
    if name == "run_property":
        from conformance.properties.run import run_property

        return run_property
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "PROPERTIES",
    "Property",
    "PropertyProfile",
    "get_property",
    "run_property",
]
