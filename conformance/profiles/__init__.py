"""Profiles: the programming interfaces the harness can drive, by name.

Users add one by entry point (group `provider_conformance.profiles`) or `--profile module:Class`.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from conformance.profiles.base import Profile, accepts, check_buildable
from conformance.profiles.execute import ExecuteProfile
from conformance.profiles.langchain import LangChainProfile
from conformance.profiles.litellm import LiteLLMProfile
from conformance.profiles.native import NativeProfile
from conformance.profiles.orchestrator import OrchestratorProfile
from conformance.profiles.pydantic_ai import PydanticAIProfile
from conformance.profiles.resilience import (
    BreakerOffer,
    Composite,
    ResilienceBuild,
    ResilienceOffer,
    RetryOffer,
)
from conformance.profiles.victor import VictorProfile
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import Connection, ProviderSpec
from conformance.vocabulary.targets import resolve_subclass

BUILTIN: dict[str, type[Profile]] = {
    NativeProfile.name: NativeProfile,
    VictorProfile.name: VictorProfile,
    OrchestratorProfile.name: OrchestratorProfile,
    ExecuteProfile.name: ExecuteProfile,
    LangChainProfile.name: LangChainProfile,
    LiteLLMProfile.name: LiteLLMProfile,
    PydanticAIProfile.name: PydanticAIProfile,
}

ENTRY_POINT_GROUP = "provider_conformance.profiles"


def available_profiles() -> dict[str, type[Profile]]:
    found = dict(BUILTIN)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.load())
    return found


def get_profile(name: str, options: Mapping[str, Any] | None = None) -> Profile:
    cls: type[Profile]
    if ":" in name:
        cls = resolve_subclass(name, f"--profile {name}", Profile, "conformance.profiles.Profile")
    else:
        profiles = available_profiles()
        if name not in profiles:
            known = ", ".join(sorted(profiles))
            raise UsageError(f"--profile {name}: unknown profile; known profiles: {known}")
        cls = profiles[name]
    return cls(options)


__all__ = [
    "BUILTIN",
    "BreakerOffer",
    "Composite",
    "Connection",
    "ExecuteProfile",
    "LangChainProfile",
    "LiteLLMProfile",
    "NativeProfile",
    "OrchestratorProfile",
    "Profile",
    "ProviderSpec",
    "PydanticAIProfile",
    "ResilienceBuild",
    "ResilienceOffer",
    "RetryOffer",
    "VictorProfile",
    "accepts",
    "available_profiles",
    "check_buildable",
    "get_profile",
]
