"""The reference provider for Azure OpenAI: the OpenAI one with Azure's URL and credentials.

Azure speaks OpenAI Chat Completions byte for byte once a request has reached a deployment, so
everything but the address and the key header is inherited. The model argument of chat() and
stream() names the deployment, as it does in the official `AzureOpenAI` client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from reference_providers.contract import Capabilities, Message, ToolDefinition
from reference_providers.openai_compatible import OpenAICompatibleProvider

DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIProvider(OpenAICompatibleProvider):
    """A native `ChatProvider` for an Azure OpenAI resource, speaking the `azure-openai` dialect.

    `base_url` is the resource root (`https://NAME.openai.azure.com`); the deployment comes from
    each call's `model`.
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float = 60.0,
        max_retries: int = 0,
        name: str = "azure-openai",
        api_version: str = DEFAULT_API_VERSION,
        capabilities: Capabilities | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            name=name,
            capabilities=capabilities,
            default_headers=default_headers,
        )
        self.api_version = api_version
        self._deployment = ""

    def _build_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        if not model:
            raise self._invalid_request("the deployment name (the model argument) is empty")
        payload = super()._build_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=stream,
        )
        # The base class asks for the URL without arguments, right after building the payload
        # and with no await in between (in chat() and in stream()), so the deployment handed
        # over here cannot be overwritten by a concurrent call on the same provider first.
        self._deployment = model
        return payload

    def _endpoint_url(self) -> str:
        root = self._base_url.rstrip("/").removesuffix("/openai")
        deployment = quote(self._deployment, safe="")
        version = quote(self.api_version, safe="")
        return f"{root}/openai/deployments/{deployment}/chat/completions?api-version={version}"

    def _headers(self) -> dict[str, str]:
        ours = {"Content-Type": "application/json", "Accept": "application/json"}
        if (
            self._api_key
        ):  # without a key, a caller's own Authorization (Entra ID) is the credential
            ours["api-key"] = self._api_key
        return self._with_default_headers(ours)
