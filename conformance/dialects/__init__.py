"""Dialects: wire protocols the fake server speaks, by name.

The registry maps names to import paths and imports a dialect only when it is used. Users add one
by entry point (group `provider_conformance.dialects`) or by `--dialect module:Class`.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.targets import resolve_subclass

BUILTIN: dict[str, str] = {
    "openai-chat": "conformance.dialects.openai_chat:OpenAIChatDialect",
    "azure-openai": "conformance.dialects.azure_openai:AzureOpenAIDialect",
    "openai-gateway": "conformance.dialects.azure_openai:OpenAIGatewayDialect",
    "openai-responses": "conformance.dialects.openai_responses:OpenAIResponsesDialect",
    "anthropic-messages": "conformance.dialects.anthropic_messages:AnthropicMessagesDialect",
    "ollama-chat": "conformance.dialects.ollama_chat:OllamaChatDialect",
    "gemini": "conformance.dialects.gemini:GeminiDialect",
    "gemini-vertex": "conformance.dialects.gemini_vertex:GeminiVertexDialect",
    "gigachat": "conformance.dialects.gigachat:GigaChatDialect",
    "gigachat-token-errors": "conformance.dialects.gigachat:GigaChatTokenErrorsDialect",
    "yandexgpt": "conformance.dialects.yandexgpt:YandexGPTDialect",
}

ENTRY_POINT_GROUP = "provider_conformance.dialects"


def available_dialects() -> dict[str, str]:
    """Dialect names and where each lives, built-in ones first, then installed entry points."""
    found = dict(BUILTIN)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.value)
    return found


def _load(reference: str, shown_as: str) -> type[Dialect]:
    return resolve_subclass(reference, f"--dialect {shown_as}", Dialect, "conformance.Dialect")


def get_dialect(name: str) -> Dialect:
    """A dialect by registered name, or by `module:Class` for one the user wrote.

    "auto" gives a dialect that answers every registered dialect's paths at once;
    "oauth+NAME" (and "oauth-token-errors+NAME") puts a client-credentials token endpoint in front
    of dialect NAME.
    """
    if name.partition("+")[0] in ("oauth", "oauth-token-errors"):
        from conformance.dialects.oauth_token import oauth_dialect

        return oauth_dialect(name)
    if name == "auto":
        from conformance.dialects.auto import AutoDialect

        return AutoDialect([get_dialect(n) for n in available_dialects()])
    if ":" in name:
        return _load(name, name)()
    dialects = available_dialects()
    if name not in dialects:
        known = ", ".join(sorted(dialects))
        raise UsageError(f"--dialect {name}: unknown dialect; known dialects: {known}")
    return _load(dialects[name], name)()


__all__ = [
    "BUILTIN",
    "CanonicalRequest",
    "Dialect",
    "Endpoint",
    "available_dialects",
    "get_dialect",
]
