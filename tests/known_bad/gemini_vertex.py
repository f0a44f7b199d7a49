"""Bugs real Vertex AI Gemini provider classes have, planted in the Vertex reference provider."""

from __future__ import annotations

from reference_providers.gemini import GeminiProvider
from reference_providers.gemini_vertex import GeminiVertexProvider


class ApiKeyHeader(GeminiVertexProvider):
    """RQ-2: the Gemini API's `x-goog-api-key` header sent to Vertex, which wants a bearer token."""

    def _headers(self) -> dict[str, str]:
        return GeminiProvider._headers(self)


class GeminiApiPath(GeminiVertexProvider):
    """RQ-1: the Gemini API's `/v1beta/models/{model}` path at the Vertex endpoint (a 404)."""

    def _endpoint_url(self, model: str, *, stream: bool) -> str:
        return GeminiProvider._endpoint_url(self, model, stream=stream)
