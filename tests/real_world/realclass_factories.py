"""Factories for real third-party provider classes whose constructor is not the profile's.

The `victor` profile builds `target(api_key=, base_url=, timeout=, max_retries=, ...)`; victor's
Azure and Vertex classes take the endpoint under another name (and build their own `base_url`
from it), so calling them the profile's way fails with "got multiple values for keyword argument
'base_url'". Each factory here translates the profile's arguments into the class's own, exactly
as a user of the package would write them, and builds through `ProviderRegistry.create`, which is
how victor itself builds providers. The packages are imported inside the functions: this module is
imported by the providers files only in an environment that has the package.

`use_circuit_breaker` defaults to victor's own default (True): the profile passes False for the
ordinary checks and leaves the breaker on for the RE-2 checks (`circuit_breaker=keep`); a False
default here would hide the breaker from RE-2 ("no circuit breaker the suite can read").
"""

from __future__ import annotations

from typing import Any

#: Vertex AI's model path below the base URL (project and region are placeholders).
VERTEX_PROJECT = "conformance-project"
VERTEX_LOCATION = "us-central1"


def victor_azure(
    *,
    api_key: str,
    base_url: str,
    timeout: float,
    max_retries: int = 0,
    use_circuit_breaker: bool = True,
    **options: Any,
) -> Any:
    """victor's AzureOpenAIProvider: the resource root is `endpoint`, the model the deployment."""
    from victor.providers.registry import ProviderRegistry

    return ProviderRegistry.create(
        "azure",
        api_key=api_key,
        endpoint=base_url,
        timeout=timeout,
        max_retries=max_retries,
        use_circuit_breaker=use_circuit_breaker,
        non_interactive=True,
        **options,
    )


def victor_vertex(
    *,
    api_key: str,
    base_url: str,
    timeout: float,
    max_retries: int = 0,
    use_circuit_breaker: bool = True,
    **options: Any,
) -> Any:
    """victor's VertexAIProvider, pointed at `base_url` instead of `{region}-aiplatform...`.

    The class builds its URL from project and region and has no option for the host, so the
    factory builds it as published and then sets `base_url` to the same path on the fake server.
    It authenticates as the class does with Application Default Credentials (a bearer access
    token), the way the gemini-vertex dialect and Vertex AI's own examples do; the API-key branch
    (`x-goog-api-key`) is not what that dialect accepts, so the factory stands in for google-auth.
    """
    from victor.providers.registry import ProviderRegistry

    provider = ProviderRegistry.create(
        "vertex",
        api_key=api_key,
        project_id=VERTEX_PROJECT,
        location=VERTEX_LOCATION,
        timeout=timeout,
        max_retries=max_retries,
        use_circuit_breaker=use_circuit_breaker,
        non_interactive=True,
        **options,
    )
    provider.base_url = (
        f"{base_url.rstrip('/')}/v1/projects/{VERTEX_PROJECT}/locations/{VERTEX_LOCATION}"
        "/publishers/google/models"
    )

    async def application_default_credentials() -> dict[str, str]:
        # What the class's ADC branch sends (victor/providers/vertex_provider.py:194-206) once
        # google-auth has a token: here the token is the suite's key, as no Google login exists.
        return {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}

    provider._api_key = ""
    provider._get_auth_headers = application_default_credentials
    return provider
