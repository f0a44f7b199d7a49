"""What every resilience wrapper shares: it is a native provider that delegates to another one.

A wrapper must be usable wherever the provider it wraps is (the harness drives it through the same
`native` profile), so identity, capabilities and lifecycle pass straight through and only `chat`
and `stream` change.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from reference_providers.contract import Capabilities, ChatProvider


class DelegatingProvider:
    """Passes identity, capabilities and lifecycle through to `inner`."""

    def __init__(self, inner: ChatProvider, *, name: str | None = None) -> None:
        self._inner = inner
        self._name = name

    @property
    def inner(self) -> ChatProvider:
        return self._inner

    @property
    def name(self) -> str:
        return self._name if self._name is not None else self._inner.name

    def capabilities(self) -> Capabilities:
        return self._inner.capabilities()

    def __repr__(self) -> str:
        # The inner provider's repr is already free of credentials (SE-1); ours adds nothing else.
        return f"{type(self).__name__}({self._inner!r})"

    async def close(self) -> None:
        await self._inner.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
