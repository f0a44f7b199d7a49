"""Reference providers: the native contract and the providers measured against it.

The harness reaches this package only by name (its `native` profile), so everything a user or a
profile may need is re-exported here and nowhere else is public.
"""

from reference_providers.anthropic_messages import AnthropicProvider
from reference_providers.azure_openai import AzureOpenAIProvider
from reference_providers.contract import (
    Capabilities,
    ChatProvider,
    CompletionResponse,
    Message,
    Role,
    StopReason,
    StreamChunk,
    ToolCall,
    ToolDefinition,
    Usage,
)
from reference_providers.error_mapping import (
    api_error_message,
    category_for_status,
    error_from_payload,
    error_from_status,
    error_from_transport,
    make_error,
    parse_retry_after,
    status_for_error_object,
)
from reference_providers.errors import (
    ERROR_CLASSES,
    AuthError,
    ErrorCategory,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
)
from reference_providers.gemini import GeminiProvider
from reference_providers.gemini_vertex import GeminiVertexProvider
from reference_providers.gigachat import GigaChatProvider
from reference_providers.http_provider import HttpProvider
from reference_providers.ollama_chat import OllamaProvider
from reference_providers.openai_compatible import OpenAICompatibleProvider
from reference_providers.openai_responses import OpenAIResponsesProvider
from reference_providers.sse import ServerSentEvent, SSEDecoder
from reference_providers.tool_call_accumulator import ToolCallAccumulator
from reference_providers.yandexgpt import YandexGPTProvider

__all__ = [
    "ERROR_CLASSES",
    "AnthropicProvider",
    "AuthError",
    "AzureOpenAIProvider",
    "Capabilities",
    "ChatProvider",
    "CompletionResponse",
    "ErrorCategory",
    "GeminiProvider",
    "GeminiVertexProvider",
    "GigaChatProvider",
    "HttpProvider",
    "InvalidRequestError",
    "InvalidResponseError",
    "Message",
    "NotFoundError",
    "OllamaProvider",
    "OpenAICompatibleProvider",
    "OpenAIResponsesProvider",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeoutError",
    "RateLimitError",
    "Role",
    "SSEDecoder",
    "ServerError",
    "ServerSentEvent",
    "StopReason",
    "StreamChunk",
    "ToolCall",
    "ToolCallAccumulator",
    "ToolDefinition",
    "Usage",
    "YandexGPTProvider",
    "api_error_message",
    "category_for_status",
    "error_from_payload",
    "error_from_status",
    "error_from_transport",
    "make_error",
    "parse_retry_after",
    "status_for_error_object",
]
