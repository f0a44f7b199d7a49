"""Azure's own classic mistakes, each planted in the Azure reference provider.

Both come from treating Azure as api.openai.com at a different host: the OpenAI habit of
`Authorization: Bearer` for the key, and a URL built without the mandatory `api-version`.
"""

from __future__ import annotations

from reference_providers.azure_openai import AzureOpenAIProvider


class BearerInsteadOfApiKey(AzureOpenAIProvider):
    """RQ-2: the key is sent as `Authorization: Bearer <key>` instead of the `api-key` header.

    Azure takes a Bearer token only from Entra ID; an API key there is rejected with 401.
    """

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        headers.pop("api-key", None)
        headers["Authorization"] = f"Bearer {self._api_key}"
        return headers


class MissingApiVersion(AzureOpenAIProvider):
    """RQ-1: the URL has no `?api-version=`, the step OpenAI's URLs never needed.

    Azure answers 404 "Resource not found", which sends people hunting for a wrong deployment.
    """

    def _endpoint_url(self) -> str:
        return super()._endpoint_url().split("?", 1)[0]
