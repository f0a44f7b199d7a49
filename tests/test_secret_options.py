"""Credential-like profile options are read from the environment and never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.capabilities.run import provider_arguments
from conformance.plugin.provider_files import load_entry_point_providers, load_providers_file
from conformance.secrets.options import (
    redact_arguments,
    resolve_options,
    secret_name,
    secret_value,
    shown_value,
)
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.redaction import REDACTED_SECRET, redact_known
from conformance.vocabulary.spec import ProviderSpec

TARGET = "reference_providers.openai_compatible:OpenAICompatibleProvider"


@pytest.mark.parametrize(
    "name",
    ["token", "api_key", "apiKey", "password", "client_secret", "auth_header", "Authorization"],
)
def test_credential_names_are_secret(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize(
    "name", ["max_tokens", "types_module", "base_url", "create_name", "model", "set_region"]
)
def test_ordinary_names_are_not(name: str) -> None:
    assert not secret_name(name)


@pytest.mark.parametrize(
    "value",
    [
        "sk-proj-abcdefghijklmnop",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "Z3kF9qL2mN8pR4tV7wX1yA6bC0dE5",
        "proj_4f9c2a7eb81d0e6a5c3f",
    ],
)
def test_credential_shaped_values_are_secret(value: str) -> None:
    assert secret_value(value)


@pytest.mark.parametrize(
    "value",
    [
        "reference_providers.types",
        "https://example.com/v1/abc123def456",
        "gpt-4o-mini",
        "claude-3-5-sonnet-20241022",
        "123e4567-e89b-12d3-a456-426614174000",
        "10",
    ],
)
def test_ordinary_values_are_not(value: str) -> None:
    assert not secret_value(value)


def test_an_env_reference_is_read_registered_and_shown_as_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONFORMANCE_TEST_TOKEN", "value-from-the-env-4471")
    options = resolve_options({"token": "env:CONFORMANCE_TEST_TOKEN"}, "--profile-option")
    assert options == {"token": "value-from-the-env-4471"}
    assert shown_value("token", options["token"]) == "env:CONFORMANCE_TEST_TOKEN"
    # The value itself is scrubbed from any output of the process from now on.
    assert redact_known("got VALUE-FROM-THE-ENV-4471") == f"got {REDACTED_SECRET}"


def test_a_missing_variable_names_the_option_and_the_variable() -> None:
    with pytest.raises(UsageError, match=r"--profile-option token=env:NO_SUCH_VAR_8812: .*NO_SUCH"):
        resolve_options({"token": "env:NO_SUCH_VAR_8812"}, "--profile-option")


def test_the_reproduce_arguments_carry_no_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFORMANCE_TEST_PASSWORD", "pw-from-env-0193")
    options = resolve_options(
        {
            "token": "literal-token-5521",
            "password": "env:CONFORMANCE_TEST_PASSWORD",
            "max_tokens": "5",
            "region": "sk-ant-fake.0000.not.a.real.key",
        },
        "--profile-option",
    )
    arguments = provider_arguments(ProviderSpec(TARGET, "openai-chat", options=options))
    shown = " ".join(arguments)
    assert "--profile-option token=<redacted>" in shown
    assert "--profile-option password=env:CONFORMANCE_TEST_PASSWORD" in shown
    assert "--profile-option max_tokens=5" in shown
    assert "--profile-option region=<redacted>" in shown
    for value in ("literal-token-5521", "pw-from-env-0193", "sk-ant-api03"):
        assert value not in shown


def test_the_run_command_in_reports_carries_no_credential() -> None:
    arguments = [
        "run",
        "--provider",
        TARGET,
        "--profile-option",
        "token=typed-on-the-line-33",
        "--profile-option=password=hunter22",
        "--profile-option",
        "key=env:SOME_VAR",
        "--profile-option",
        "max_tokens=5",
    ]
    assert redact_arguments(arguments) == [
        "run",
        "--provider",
        TARGET,
        "--profile-option",
        "token=<redacted>",
        "--profile-option=password=<redacted>",
        "--profile-option",
        "key=env:SOME_VAR",
        "--profile-option",
        "max_tokens=5",
    ]


def test_a_providers_file_option_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFORMANCE_TEST_FILE_TOKEN", "file-token-7781")
    path = tmp_path / "providers.yaml"
    path.write_text(
        f"providers:\n  - target: {TARGET}\n    dialect: openai-chat\n"
        "    options:\n      token: env:CONFORMANCE_TEST_FILE_TOKEN\n",
        encoding="utf-8",
    )
    (spec,) = load_providers_file(path)
    assert spec.options == {"token": "file-token-7781"}
    assert "token=env:CONFORMANCE_TEST_FILE_TOKEN" in provider_arguments(spec)
    monkeypatch.delenv("CONFORMANCE_TEST_FILE_TOKEN")
    with pytest.raises(UsageError, match=r"providers\.yaml: /providers/0 token="):
        load_providers_file(path)


def test_a_published_provider_may_take_its_credential_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "acme_secret_llm.py").write_text(
        "from reference_providers.openai_compatible import OpenAICompatibleProvider\n\n\n"
        "class Published(OpenAICompatibleProvider):\n"
        '    conformance_dialect = "openai-chat"\n'
        '    conformance_options = {"token": "env:CONFORMANCE_TEST_EP_TOKEN"}\n',
        encoding="utf-8",
    )
    dist = tmp_path / "acme_secret_llm-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-secret-llm\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[acme.secret_providers]\npublished = acme_secret_llm:Published\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("CONFORMANCE_TEST_EP_TOKEN", "ep-token-value-5150")
    (spec,) = load_entry_point_providers("acme.secret_providers")
    assert spec.options == {"token": "ep-token-value-5150"}
    assert "token=env:CONFORMANCE_TEST_EP_TOKEN" in provider_arguments(spec)
