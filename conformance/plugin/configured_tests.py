"""The suite for providers named on the command line (`--provider`, `--providers-file`).

The plugin adds this file to the collection when either option is given; it is not collected
otherwise. It holds no logic: the specs come from the plugin's options.
"""

from __future__ import annotations

import pytest

from conformance.plugin.suite import ProviderConformanceSuite
from conformance.vocabulary.spec import ProviderSpec


class TestProviderConformance(ProviderConformanceSuite):
    @classmethod
    def conformance_specs(cls, config: pytest.Config) -> list[ProviderSpec]:
        from conformance.plugin.state import configured_specs

        return configured_specs(config)

    @classmethod
    def conformance_scenarios(cls, config: pytest.Config) -> list[str] | None:
        return None  # --scenario filters apply to every suite class alike
