"""The ER-1 status table, loaded from `fixtures/errors/http_status.yaml`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import yaml

from conformance.vocabulary.canonical import ExpectedError
from conformance.vocabulary.data_files import fixtures_dir
from conformance.vocabulary.retry_after import retry_after_seconds


@cache
def status_table() -> dict[int, tuple[str, bool]]:
    path = fixtures_dir() / "errors" / "http_status.yaml"
    raw: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {int(status): (row["category"], bool(row["retryable"])) for status, row in raw.items()}


def category_for_status(status: int) -> tuple[str, bool]:
    table = status_table()
    if status in table:
        return table[status]
    if 400 <= status < 500:
        return ("invalid_request", False)
    if 500 <= status < 600:
        return ("server", True)
    return ("unknown", False)


def expected_error(status: int, headers: Mapping[str, str], message: str | None) -> ExpectedError:
    category, retryable = category_for_status(status)
    return ExpectedError(
        status=status,
        category=category,
        retryable=retryable,
        retry_after=retry_after_seconds(headers),
        message=message,
    )
