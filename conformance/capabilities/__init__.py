"""Capability files (victor's model_capabilities.yaml form) and the CF-2 clause.

`CapabilityFile` loads, validates and resolves a file (conformance/capabilities/model.py);
`CapabilityChecks` makes a run take the file's declarations as the provider's and judges CF-2
(conformance/capabilities/checks.py). docs/capabilities.md describes the form, the resolution
order, the mapping to the suite's capabilities and what the report shows.
"""

from conformance.capabilities.checks import (
    CapabilityChecks,
    DeclaredByFile,
    FileDeclarations,
    replace_model,
)
from conformance.capabilities.model import (
    CAPABILITY_KEYS,
    NOT_OBSERVABLE_KEYS,
    CapabilityFile,
    Resolution,
    Setting,
    specificity,
)

__all__ = [
    "CAPABILITY_KEYS",
    "NOT_OBSERVABLE_KEYS",
    "CapabilityChecks",
    "CapabilityFile",
    "DeclaredByFile",
    "FileDeclarations",
    "Resolution",
    "Setting",
    "replace_model",
    "specificity",
]
