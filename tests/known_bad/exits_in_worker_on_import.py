"""A provider module that ends any pytest-xdist worker importing it: every worker dies while
starting, before any check. The run must stop restarting them and end (never hang, never pass)."""

from __future__ import annotations

import os

from reference_providers.openai_compatible import OpenAICompatibleProvider

if "PYTEST_XDIST_WORKER" in os.environ:
    os._exit(7)


class ImportedProvider(OpenAICompatibleProvider):
    pass
