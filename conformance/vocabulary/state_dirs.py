"""Where a run keeps state between runs: a cache directory, never the user's working directory.

A run used to leave `.hypothesis/` (Hypothesis's storage: the constants it read from local source
files, the provider's included) and `.provider-conformance/` (regressions found without a report
directory) wherever it was started. Both now live under the cache directory:
`$PROVIDER_CONFORMANCE_CACHE_DIR`, else `$XDG_CACHE_HOME/provider-conformance`, else
`~/.cache/provider-conformance`. Hypothesis keeps no examples there (the properties run without
an example database, conformance/properties/settings.py), so no key a check was given is stored.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CACHE_ENV = "PROVIDER_CONFORMANCE_CACHE_DIR"


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "provider-conformance"


def hypothesis_dir() -> Path:
    return cache_dir() / "hypothesis"


def regressions_dir() -> Path:
    """Where a failing property's minimal example goes when the run has no report directory."""
    return cache_dir() / "regressions"


_private_storage_wanted = False


def use_private_storage() -> None:
    """Point Hypothesis's storage at the cache directory, unless the user chose one.

    Hypothesis is imported only where a property runs (start-up time): until then this only
    records the wish, which `apply_private_storage` carries out there.
    """
    global _private_storage_wanted
    _private_storage_wanted = True
    if "hypothesis.configuration" in sys.modules:
        apply_private_storage()


def apply_private_storage() -> None:
    """Called where Hypothesis is about to run: the storage `use_private_storage` asked for."""
    if _private_storage_wanted and not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(hypothesis_dir())
