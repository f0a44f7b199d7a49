"""Draw the suite's examples without the constants Hypothesis reads from local source files.

Hypothesis mixes into its draws literals it finds in "local" modules: any imported module outside
site-packages and outside test folders. For this suite that means the harness itself when it is
installed editable (a checkout) but not when it is installed from a wheel (tox, CI images, users),
the provider under test and its project, and whatever else happens to be imported. The same seed
then draws different examples on different machines and installs, and a published verdict or a
minimal example could not be reproduced. The properties' strategies already aim at the wire's
edge cases themselves, so the suite draws with no local constants at all.

The switch is Hypothesis's internal seam (`_get_local_constants` in
`hypothesis.internal.conjecture.providers`, present since 6.131); if a Hypothesis release moves it,
drawing falls back to Hypothesis's default rather than failing the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def without_local_constants() -> Iterator[None]:
    """Within the block, Hypothesis draws no constant taken from local source files."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without the seam
        yield
        return
    original: Callable[[], Any] | None = getattr(providers, "_get_local_constants", None)
    cache: Any = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    constants_type = getattr(providers, "Constants", None)
    if original is None or constants_type is None or not hasattr(cache, "clear"):
        yield  # pragma: no cover - a Hypothesis without the seam
        return
    empty = constants_type()
    providers._get_local_constants = lambda: empty
    cache.clear()  # the permitted constants per draw kind, computed with the local ones
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.clear()
