"""YandexGPT: both credential forms, modelUri, cumulative NDJSON streams, gRPC-gateway errors,
and the reference provider and planted bugs judged through it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from known_bad import harness
from known_bad import yandexgpt as bad
from known_bad.harness import Row, assert_caught, assert_passes

from conformance import FakeServer, bundled_scenarios, get_dialect
from conformance.dialects.yandexgpt import CHAT_PATH, _model
from reference_providers.yandexgpt import YandexGPTProvider

SCENARIOS = bundled_scenarios()
DIALECT = get_dialect("yandexgpt")
BODY = {
    "modelUri": "gpt://b1gfolder/conformance-model-1/latest",
    "completionOptions": {"stream": True, "temperature": 0.25, "maxTokens": "321"},
    "messages": [{"role": "user", "text": "Hello?"}],
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.mark.parametrize("scheme", ["Api-Key", "Bearer"])
def test_an_api_key_and_an_iam_token_are_both_accepted(server: FakeServer, scheme: str) -> None:
    with (
        server.session(SCENARIOS["text_plain"], DIALECT, "k1") as session,
        httpx.Client() as client,
    ):
        ok = client.post(
            session.base_url + CHAT_PATH, json=BODY, headers={"Authorization": f"{scheme} k1"}
        )
        wrong = client.post(
            session.base_url + CHAT_PATH, json=BODY, headers={"Authorization": "Token k1"}
        )
    assert ok.status_code == 200
    lines = bad.lines_of(ok.content)
    texts = [line["result"]["alternatives"][0]["message"]["text"] for line in lines]
    # Cumulative: each line repeats the text so far; only the last one is final.
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(texts))
    assert texts[-1] == SCENARIOS["text_plain"].final_reply.text
    assert lines[-1]["result"]["alternatives"][0]["status"] == "ALTERNATIVE_STATUS_FINAL"
    assert wrong.status_code == 401
    assert wrong.json()["error"]["grpcCode"] == 16


def test_the_model_is_read_from_the_model_uri() -> None:
    assert _model("gpt://b1g/yandexgpt-lite/latest") == "yandexgpt-lite"
    assert _model("gpt://b1g/conformance-model-1") == "conformance-model-1"
    assert _model("yandexgpt-lite") is None


class IamProvider(YandexGPTProvider):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(credential="iam", folder_id="b1gfolder", **kwargs)


@pytest.mark.parametrize(
    ("provider", "scenario", "mode"),
    [
        (YandexGPTProvider, "tool_conversation", "chat"),
        (YandexGPTProvider, "tool_calls_parallel", "stream"),
        (YandexGPTProvider, "error_429", "stream"),
        (IamProvider, "text_plain", "stream"),
    ],
)
def test_the_reference_provider_passes(
    server: FakeServer, provider: type[Any], scenario: str, mode: str
) -> None:
    run = harness.run_check(server, provider, "yandexgpt", scenario, mode)
    assert_passes(run.outcome)


ROWS = (
    Row(bad.YieldsCumulativeText, "ST-1", "text_plain", "stream", ("texts differ",)),
    Row(bad.FirstUsageWins, "ST-5", "usage_reporting", "stream", ("final chunk's usage",)),
    Row(
        bad.ModelField,
        "RQ-1",
        "text_plain",
        "chat",
        ("YandexGPT reads 'modelUri'",),
        frozenset({"RQ-3"}),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_yandexgpt_provider_is_caught(server: FakeServer, row: Row) -> None:
    assert_caught(row, harness.run_check(server, row.provider, "yandexgpt", row.scenario, row.mode))
