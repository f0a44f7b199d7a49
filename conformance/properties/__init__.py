"""Property-based conformance: generated answers and errors, every split and interleaving.

`PROPERTIES` is what the suite runs for each provider (`test_property`); `run_property` runs one
outside pytest. Settings profiles: conformance/properties/settings.py; the strategies they draw
from are public in `conformance.strategies`.
"""

from conformance.properties.catalogue import PROPERTIES, Property, get_property
from conformance.properties.run import run_property
from conformance.properties.settings import DEFAULT_PROFILE, PROFILES, PropertyProfile

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "PROPERTIES",
    "Property",
    "PropertyProfile",
    "get_property",
    "run_property",
]
