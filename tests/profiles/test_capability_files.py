"""Capability files: schema, resolution order, specificity, mapping, and CF-2 in a run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import UsageError, bundled_scenarios
from conformance.capabilities import (
    CapabilityChecks,
    CapabilityFile,
    DeclaredByFile,
    specificity,
)
from conformance.judge.verdict import failed, passed
from conformance.profiles import get_profile

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "capabilities"
STANDINS = ROOT / "tests" / "standins"
SCENARIOS = bundled_scenarios()

#: Seed 002's example, as the seed prints it (its `# ...` elisions are YAML comments).
SEED_002 = """
schema_version: "0.2.0"
defaults:
  training:
    tool_calling: false
    thinking_mode: false
    code_generation: false
    vision: false
    reasoning: false
  provider_support:
    native_tool_calls: false
    streaming_tool_calls: false
    parallel_tool_calls: false
    tool_choice_param: false
  settings:
    recommended_max_tools: 15
    recommended_tool_budget: 10
    requires_strict_prompting: true
    argument_format: json
    exploration_multiplier: 1.0
    continuation_patience: 10
    timeout_multiplier: 1.0
    tool_reliability: medium
provider_defaults:
  anthropic:
    native_tool_calls: true
    streaming_tool_calls: true
    parallel_tool_calls: true
    tool_choice_param: true
    requires_strict_prompting: false
    recommended_max_tools: 50
    recommended_tool_budget: 20
  openai:
    native_tool_calls: true
    streaming_tool_calls: true
    parallel_tool_calls: true
    # ...
  ollama:
    native_tool_calls: false  # Must be enabled per-model
    timeout_multiplier: 2.0   # Local inference needs longer timeouts
    # ...
models:
  "claude-*":
    training:
      tool_calling: true
      code_generation: true
    providers:
      anthropic:
        native_tool_calls: true
        streaming_tool_calls: true
        parallel_tool_calls: true
    settings:
      recommended_max_tools: 50
      recommended_tool_budget: 25
      argument_format: json
"""


def parse(text: str) -> CapabilityFile:
    return CapabilityFile.parse(text, Path("caps.yaml"))


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_bundled_examples_validate(path: Path) -> None:
    assert CapabilityFile.load(path).problems == []


def test_seed_002s_own_example_validates() -> None:
    loaded = parse(SEED_002)
    assert loaded.problems == []
    assert loaded.provider_names() == ["anthropic", "ollama", "openai"]


#: (text to replace in seed 002's example, its replacement, a substring of the problem).
INVALID = {
    "wrong-type": (
        "native_tool_calls: false  # Must",
        'native_tool_calls: "no"  # Must',
        "is not of type",
    ),
    "version": ('schema_version: "0.2.0"', 'schema_version: "1.0"', "/schema_version"),
    "top-level-typo": (
        "provider_defaults:",
        "provider_defualts:\n  x: {}\nprovider_defaults:",
        "provider_defualts",
    ),
    "section-typo": (
        "    settings:\n      recommended_max_tools: 50",
        "    setings: {x: 1}\n    settings:\n      recommended_max_tools: 50",
        "setings",
    ),
    "enum": (
        "    tool_reliability: medium",
        "    tool_reliability: great",
        "/defaults/settings/tool_reliability",
    ),
    "duplicate": (
        "  openai:\n",
        "  anthropic:\n    native_tool_calls: false\n  openai:\n",
        "duplicate key 'anthropic'",
    ),
    "misspelt": (
        "    parallel_tool_calls: true\n    # ...",
        "    parallel_tool_call: true\n    # ...",
        "did you mean 'parallel_tool_calls'",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_an_invalid_file_says_where(case: str) -> None:
    old, new, problem = INVALID[case]
    assert old in SEED_002
    problems = parse(SEED_002.replace(old, new, 1)).problems
    assert any(problem in p for p in problems), problems


def test_unreadable_files_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read it"):
        CapabilityFile.load(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("models: [unclosed", encoding="utf-8")
    with pytest.raises(UsageError, match="not valid YAML"):
        CapabilityFile.load(broken)


# -- resolution ----------------------------------------------------------------------------------

LAYERED = """
schema_version: "0.2"
defaults:
  training: {tool_calling: false, marker: defaults}
  provider_support:
    native_tool_calls: false
    streaming_tool_calls: false
    parallel_tool_calls: false
  settings: {recommended_max_tools: 1, argument_format: json}
provider_defaults:
  acme: {native_tool_calls: true, recommended_max_tools: 2, marker: provider_defaults}
models:
  "m-*":
    training: {tool_calling: true, marker: training}
    providers:
      acme: {streaming_tool_calls: true, recommended_max_tools: 4, marker: providers}
    settings: {recommended_max_tools: 5}
  "m-large*":
    providers:
      acme: {parallel_tool_calls: true, marker: specific}
"""


def test_each_layer_overrides_the_one_before() -> None:
    resolved = parse(LAYERED).resolve("acme", "m-large-2")
    values = {key: setting.value for key, setting in resolved.values.items()}
    # defaults -> provider_defaults -> training -> providers -> settings, per pattern, the most
    # specific pattern last.
    assert values["recommended_max_tools"] == 5
    assert values["tool_calling"] is True
    assert values["marker"] == "specific"
    assert values["argument_format"] == "json"
    assert resolved.patterns == ("m-*", "m-large*")
    assert (
        resolved.values["recommended_max_tools"].source
        == "/models/m-*/settings/recommended_max_tools"
    )
    declared = {cap: (s.value, s.source) for cap, s in resolved.declared().items()}
    assert declared == {
        "tools": (True, "/provider_defaults/acme/native_tool_calls"),
        "streaming_tool_calls": (True, "/models/m-*/providers/acme/streaming_tool_calls"),
        "parallel_tool_calls": (True, "/models/m-large*/providers/acme/parallel_tool_calls"),
    }


@pytest.mark.parametrize(
    ("provider", "model", "marker", "tools"),
    [
        ("acme", "other", "provider_defaults", True),  # no pattern matches
        ("other", "m-1", "training", False),  # the pattern has nothing for this provider
        ("other", "other", "defaults", False),
        ("acme", "M-1", "providers", True),  # patterns match case-insensitively
    ],
)
def test_layers_apply_only_where_they_match(
    provider: str, model: str, marker: str, tools: bool
) -> None:
    resolved = parse(LAYERED).resolve(provider, model)
    assert resolved.values["marker"].value == marker
    assert resolved.declared()["tools"].value is tools


MINI = ["gpt-4o-mini*", "gpt-4*", "*", "gpt-4o*"]


@pytest.mark.parametrize(
    ("patterns", "model", "order"),
    [
        # More literal characters is more specific.
        (MINI, "gpt-4o-mini-2024", ["*", "gpt-4*", "gpt-4o*", "gpt-4o-mini*"]),
        # An exact name beats the same text with a star.
        (["gpt-4o", "gpt-4o*"], "gpt-4o", ["gpt-4o*", "gpt-4o"]),
        # Equal literals: a single-character wildcard is more specific than a star.
        (["qwen3*b", "qwen3?b", "qwen3[0-9]b"], "qwen3:b", ["qwen3*b", "qwen3?b"]),
        (["qwen3*", "qwen3?"], "qwen3x", ["qwen3*", "qwen3?"]),
        # Equally specific: the file order decides, the later one last.
        (["*-mini", "gpt-m*"], "gpt-mini", ["*-mini", "gpt-m*"]),
        (["gpt-m*", "*-mini"], "gpt-mini", ["gpt-m*", "*-mini"]),
    ],
)
def test_the_most_specific_pattern_applies_last(
    patterns: list[str], model: str, order: list[str]
) -> None:
    models = "\n".join(f'  "{p}": {{settings: {{argument_format: x}}}}' for p in patterns)
    text = f'schema_version: "0.2.0"\ndefaults: {{}}\nmodels:\n{models}\n'
    assert parse(text).matching_patterns(model) == order


def test_specificity_is_literals_then_single_wildcards_then_fewer_stars() -> None:
    assert specificity("gpt-4o*") == (6, 0, -1)
    assert specificity("qwen3?b") == (6, 1, 0)
    assert specificity("qwen[23]*") == (4, 1, -1)
    assert specificity("*") < specificity("a*") < specificity("a?") < specificity("ab")


def test_equally_specific_patterns_that_disagree_are_ambiguous() -> None:
    text = """
schema_version: "0.2.0"
defaults: {}
models:
  "*-mini": {providers: {acme: {parallel_tool_calls: false}}}
  "gpt-m*": {providers: {acme: {parallel_tool_calls: true}}}
"""
    resolved = parse(text).resolve("acme", "gpt-mini")
    assert resolved.declared()["parallel_tool_calls"].value is True  # the later one
    assert any("equally specific and disagree" in p for p in resolved.problems)


def test_tool_calls_over_a_stream_without_tool_calls_is_a_contradiction() -> None:
    text = SEED_002.replace("  ollama:\n", "  ollama:\n    streaming_tool_calls: true\n")
    resolved = parse(text).resolve("ollama", "llama3")
    problems = resolved.problems
    assert any("streaming_tool_calls is true" in p for p in problems), problems


# -- declarations in a run ------------------------------------------------------------------------


class _Victorish:
    def __init__(self, name: str, tools: bool = True, streaming: bool = True) -> None:
        self.name = name
        self._tools, self._streaming = tools, streaming

    def supports_tools(self) -> bool:
        return self._tools

    def supports_streaming(self) -> bool:
        return self._streaming


def _wrapper(provider: Any, profile: str = "victor", model: str = "claude-3") -> DeclaredByFile:
    options = {"types_module": "victor.providers.base"} if profile == "victor" else {}
    return DeclaredByFile(get_profile(profile, options), parse(SEED_002), model)


def test_the_wrapped_profiles_resilience_offer_is_kept() -> None:
    """Profile.resilience is a method of every profile: the wrapper must pass it on, not offer
    the base class's nothing."""
    from victor.providers.openai_compat_provider import OpenAICompatProvider

    from conformance.profiles import Connection, ProviderSpec, ResilienceBuild

    spec = ProviderSpec("x:Y", "openai-chat", "victor")
    build = ResilienceBuild(
        OpenAICompatProvider, spec, Connection("http://127.0.0.1:9/v1", "k", 3.0), {}, 3
    )
    offer = _wrapper(None).resilience(build)
    assert offer.retry is not None and offer.breaker is not None


def test_the_file_replaces_what_it_states_and_keeps_the_rest() -> None:
    wrapper = _wrapper(None)
    declared = wrapper.declared_capabilities(_Victorish("ollama"))
    # ollama: no native tool calls in the file, whatever the class says; streaming and usage are
    # not in the file's vocabulary, so the class's own word holds.
    assert declared == {"streaming", "usage"}
    assert wrapper.declarations.own >= {"tools", "streaming_tool_calls"}
    assert _wrapper(None).declared_capabilities(_Victorish("anthropic", tools=False)) == {
        "tools",
        "streaming_tool_calls",
        "parallel_tool_calls",
        "streaming",
        "usage",
    }


def test_what_the_interface_cannot_express_is_set_aside() -> None:
    from orchestrator.providers.base import ProviderConfig
    from orchestrator.providers.openai_like import OpenAILikeProvider

    wrapper = _wrapper(None, profile="orchestrator")
    declared = wrapper.declared_capabilities(OpenAILikeProvider(ProviderConfig(name="anthropic")))
    assert declared == {"streaming"}
    inexpressible = {"tools", "streaming_tool_calls", "parallel_tool_calls"}
    assert wrapper.declarations.inexpressible == inexpressible


def test_a_probe_becomes_not_applicable_with_its_result() -> None:
    checks = CapabilityChecks(parse(SEED_002))
    wrapper = checks.wrap(get_profile("victor"), SCENARIOS["tool_call_single"], "chat")
    wrapper.declared_capabilities(_Victorish("ollama"))
    works, reason, facts = checks.case_verdicts(
        wrapper,
        SCENARIOS["tool_call_single"],
        "chat",
        [passed("CH-2"), passed("SE-1")],
    )
    assert reason is not None and "works-but-undeclared" in reason and "'ollama'" in reason
    assert {(v.clause, v.outcome) for v in works} == {
        ("SE-1", "pass"),
        ("CH-2", "not-applicable"),
        ("CF-2", "not-applicable"),
    }
    probe = {"capabilities": ["tools"], "works": True, "failed_clauses": []}
    assert facts["capability_probe"] == probe
    broken, reason, _ = checks.case_verdicts(
        wrapper, SCENARIOS["tool_call_single"], "chat", [failed("CH-2", "call 0: id ''")]
    )
    assert reason is not None and "broken too (CH-2 failed: call 0: id '')" in reason
    assert not [v for v in broken if v.failed]


def test_a_declared_capability_that_fails_fails_cf2_naming_the_line() -> None:
    checks = CapabilityChecks(parse(SEED_002), model="claude-3-opus")
    wrapper = checks.wrap(get_profile("victor"), SCENARIOS["tool_call_single"], "stream")
    wrapper.declared_capabilities(_Victorish("anthropic"))
    verdicts, reason, _ = checks.case_verdicts(
        wrapper,
        SCENARIOS["tool_call_single"],
        "stream",
        [failed("ST-3", "tool call(s) ['call_w1'] reported twice"), failed("ST-2", "2 finals")],
    )
    assert reason is None
    (cf2,) = [v for v in verdicts if v.clause == "CF-2"]
    assert cf2.failed
    line = "/models/claude-*/providers/anthropic/streaming_tool_calls"
    assert f"streaming_tool_calls at {line}" in cf2.message
    assert "but ST-3 failed" in cf2.message  # ST-2 is streaming, which the file does not state


def test_the_file_itself_is_judged_at_identity() -> None:
    checks = CapabilityChecks(parse(SEED_002))
    wrapper = checks.wrap(get_profile("victor"), None, None)
    wrapper.declared_capabilities(_Victorish("custom_llm"))
    verdicts, facts = checks.identity_verdicts(wrapper)
    # A file that says nothing about a provider declares nothing for it: not a failure.
    assert [v.outcome for v in verdicts] == ["not-applicable"]
    assert "says nothing about provider 'custom_llm'" in verdicts[0].message
    assert facts["capabilities"]["provider"] == "custom_llm"
    assert wrapper.declarations.declared == wrapper.declarations.own
    wrapper.declared_capabilities(_Victorish("anthropic"))
    verdicts, facts = checks.identity_verdicts(wrapper)
    assert [v.outcome for v in verdicts] == ["pass"]
    assert facts["capabilities"]["declared"] == sorted(wrapper.declarations.declared)


# -- end to end -----------------------------------------------------------------------------------

PROVIDERS_FILE = """
providers:
  - id: openai-compat
    target: victor.providers.openai_compat_provider:OpenAICompatProvider
    dialect: openai-chat
    profile: victor
  - id: seed-custom-llm
    target: seed_custom_llm:CustomLLMProvider
    dialect: openai-chat
    profile: victor
  - id: conservative
    target: victor.providers.openai_compat_provider:OpenAICompatProvider
    dialect: openai-chat
    profile: victor
    options: {provider_name: openai_compat_conservative}
"""


def test_the_report_shows_declared_against_observed(tmp_path: Path) -> None:
    providers = tmp_path / "providers.yaml"
    providers.write_text(PROVIDERS_FILE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(STANDINS), str(ROOT)])}
    command = [sys.executable, "-m", "conformance.cli", "run", "--providers-file", str(providers)]
    capabilities = str(FIXTURES / "standins.yaml")
    command += ["--capabilities", capabilities, "--model", "conformance-model-1"]
    command += ["--scenario", "tool_calls_parallel", "--scenario", "tool_call_single"]
    command += ["--no-provider-coverage"]
    command += ["--report-dir", str(tmp_path / "report"), "--progress", "off"]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((tmp_path / "report" / "compatibility.json").read_text(encoding="utf-8"))
    rows = {p["id"]: p for p in report["providers"]}
    assert rows["openai-compat"]["conforms"], rows["openai-compat"]["failures"]
    assert rows["openai-compat"]["clauses"]["CF-2"] == "pass"
    seed = rows["seed-custom-llm"]
    assert seed["clauses"]["ST-3"] == "declared-but-broken"
    assert seed["clauses"]["CF-2"] == "fail"
    conservative = rows["conservative"]
    assert conservative["conforms"]
    assert "parallel_tool_calls" not in conservative["declared_capabilities"]
    probes = [s["reason"] for s in conservative["skipped"]]
    assert probes and all("works-but-undeclared" in reason for reason in probes), probes
    markdown = (tmp_path / "report" / "compatibility.md").read_text(encoding="utf-8")
    assert "declared-but-broken" in markdown and "works-but-undeclared" in markdown

    # Declared against observed: one capability declared but broken, one working undeclared.
    broken = {r["capability"]: r for r in seed["capabilities"]["rows"]}["streaming_tool_calls"]
    assert (broken["verdict"], broken["declared_by"]) == ("declared but broken", "file")
    assert broken["source"] == "/provider_defaults/custom_llm/streaming_tool_calls"
    assert broken["failed_clauses"] == ["ST-3"]
    assert seed["capabilities"]["declared_but_broken"]["streaming_tool_calls"] == ["ST-3"]
    block = conservative["capabilities"]
    assert block["provider"] == "openai_compat_conservative"
    assert block["works_but_undeclared"] == ["parallel_tool_calls"]
    works = {r["capability"]: r for r in block["rows"]}["parallel_tool_calls"]
    assert (works["declared"], works["observed"], works["probes"]) == (False, "works", 2)
    assert works["source"] == "/defaults/provider_support/parallel_tool_calls"
    assert rows["openai-compat"]["capabilities"]["declared_but_broken"] == {}
    table = markdown.split("## Declared against observed (CF-2)", 1)[1]
    assert (
        "| parallel\\_tool\\_calls | no | file, defaults: "
        "`/defaults/provider_support/parallel_tool_calls` | works (2 probes) "
        "| ➕ works but undeclared |"
    ) in table
    assert (
        "| streaming\\_tool\\_calls | yes | file, provider\\_defaults: "
        "`/provider_defaults/custom_llm/streaming_tool_calls` "
        "| broken: ST-3 (2 of 2 checks failed) | 💥 declared but broken |"
    ) in table
    page = (tmp_path / "report" / "compatibility.html").read_text(encoding="utf-8")
    assert "<h2>Capabilities: declared against observed</h2>" in page
    assert '<span class="word">works but undeclared</span>' in page
    assert '<span class="word">declared but broken</span>' in page

    # Each failure reproduces with the capability file and model the run had.
    # (After the PYTHONPATH the run had, and into a report folder of its own.)
    # The provider came from a providers file: the command rebuilds it from there.
    for failure in seed["failures"]:
        assert (
            "-k '[seed-custom-llm' "
            f"--capabilities {capabilities} "
            "--model conformance-model-1 --report-dir reports/reproduce-seed-custom-llm --scenario "
        ) in failure["reproduce"], failure["reproduce"]
        assert "provider-conformance run --providers-file " in failure["reproduce"]


def test_an_invalid_file_fails_cf2_and_declares_nothing() -> None:
    old, new, _ = INVALID["wrong-type"]
    checks = CapabilityChecks(parse(SEED_002.replace(old, new)))
    wrapper = checks.wrap(get_profile("victor"), None, None)
    assert wrapper.declared_capabilities(_Victorish("ollama")) == wrapper.declarations.own
    (verdict,) = checks.identity_verdicts(wrapper)[0]
    assert verdict.failed and "is not of type 'boolean'" in verdict.message
    assert "caps.yaml: invalid at /provider_defaults/ollama/native_tool_calls" in verdict.message
