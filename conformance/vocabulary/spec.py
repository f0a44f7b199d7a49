"""What the harness is told about one provider: where it is, how to build it, how to reach it.

Every layer names a provider by this spec (the plugin plans with it, the runner builds from it,
reports label rows with it), so it lives at the bottom, not in the profile seam.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Connection:
    """What a provider is built with: the fake server's base URL, a throwaway key, a timeout."""

    base_url: str
    api_key: str
    timeout: float


@dataclass(frozen=True)
class ProviderSpec:
    """One provider to judge: where to find it, how to build it, which dialect and profile."""

    target: str
    dialect: str
    profile: str = "native"
    #: An id for test ids and report rows; defaults to the target's last component.
    label: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    #: A callable (given directly, e.g. by a test class) that replaces importing `target`.
    factory: Callable[..., Any] | None = None

    @property
    def id(self) -> str:
        return self.label or self.target.rsplit(":", 1)[-1].rsplit(".", 1)[-1]

    @property
    def module_name(self) -> str | None:
        """The module holding the provider's code, for coverage."""
        if self.factory is not None:
            return getattr(self.factory, "__module__", None)
        return self.target.split(":", 1)[0] if ":" in self.target else None
