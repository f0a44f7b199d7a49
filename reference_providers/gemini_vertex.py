"""The reference provider for Gemini on Vertex AI: the Gemini one at Vertex's address, with a
bearer token.

Vertex AI speaks the Gemini wire byte for byte once a request has reached a model; only the
path (`/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:…`) and the
credential differ. `api_key` is an OAuth 2 access token here (from `gcloud auth
print-access-token` or a service account's credentials); refreshing it is the caller's part.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from reference_providers.contract import Capabilities
from reference_providers.gemini import GeminiProvider


class GeminiVertexProvider(GeminiProvider):
    """A native `ChatProvider` speaking the `gemini-vertex` dialect."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        project: str = "conformance-project",
        location: str = "us-central1",
        timeout: float = 60.0,
        max_retries: int = 0,
        name: str = "gemini-vertex",
        capabilities: Capabilities | None = None,
        api_version: str = "v1",
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url or f"https://{location}-aiplatform.googleapis.com",
            timeout=timeout,
            max_retries=max_retries,
            name=name,
            capabilities=capabilities,
            api_version=api_version,
            default_headers=default_headers,
        )
        self._project = project
        self._location = location

    def _headers(self) -> dict[str, str]:
        ours = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            ours["Authorization"] = f"Bearer {self._api_key}"
        return self._with_default_headers(
            ours, reserved=frozenset({"x-goog-api-key", "authorization"})
        )

    def _endpoint_url(self, model: str, *, stream: bool) -> str:
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        resource = (
            f"projects/{quote(self._project, safe='')}/locations/{quote(self._location, safe='')}"
            f"/publishers/google/models/{quote(model.removeprefix('models/'), safe='')}"
        )
        return f"{self._base_url.rstrip('/')}/{self._api_version}/{resource}:{method}"
