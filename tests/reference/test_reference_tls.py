"""Reference providers share one TLS context: building one loads the CA bundle, per client."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest

from reference_providers import tls
from reference_providers.openai_compatible import OpenAICompatibleProvider


def test_clients_of_many_providers_build_the_tls_context_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[object] = []
    real = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    tls.shared_tls_context.cache_clear()

    async def build_and_use(count: int) -> None:
        for _ in range(count):
            provider = OpenAICompatibleProvider(
                api_key="sk-test-tls", base_url="http://127.0.0.1:9/v1", timeout=1.0
            )
            provider._client()
            await provider.close()

    asyncio.run(build_and_use(3))
    assert len(built) == 1
    tls.shared_tls_context.cache_clear()
