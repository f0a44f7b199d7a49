"""Third-party libraries' chatter left out of a failure's captured log, unless the user asks.

In runs of SDK-based providers most of the output was httpx/httpcore/openai DEBUG and INFO
lines captured with every failure. Those records are still created (SE-1 reads every line a
provider's stack writes, conformance/secrets/log_collection.py); only pytest's capture for the
report
drops those below WARNING. `--log-level` (or the `log_level` ini setting) turns this off.
"""

from __future__ import annotations

import logging

import pytest

#: Top-level logger names of the libraries providers are built on, and of the harness's own.
THIRD_PARTY = frozenset(
    {
        "aiohttp",
        "anthropic",
        "asyncio",
        "backoff",
        "boto3",
        "botocore",
        "charset_normalizer",
        "cohere",
        "conformance",
        "filelock",
        "google",
        "grpc",
        "groq",
        "h11",
        "h2",
        "hpack",
        "httpcore",
        "httpx",
        "hyperframe",
        "hypothesis",
        "langchain",
        "langchain_anthropic",
        "langchain_core",
        "langchain_openai",
        "langsmith",
        "litellm",
        "mistralai",
        "multipart",
        "ollama",
        "openai",
        "requests",
        "tenacity",
        "urllib3",
        "websockets",
    }
)


class QuietThirdParty(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return record.name.split(".", 1)[0] not in THIRD_PARTY


def user_chose_level(config: pytest.Config) -> bool:
    return bool(config.getoption("log_level", None) or config.getini("log_level"))


def quiet_captured_logs(config: pytest.Config) -> None:
    """Filter pytest's report capture (what "Captured log call" shows) unless a level was given."""
    if user_chose_level(config):
        return
    plugin = config.pluginmanager.get_plugin("logging-plugin")
    handler = getattr(plugin, "report_handler", None)
    if isinstance(handler, logging.Handler) and not any(
        isinstance(f, QuietThirdParty) for f in handler.filters
    ):
        handler.addFilter(QuietThirdParty())
