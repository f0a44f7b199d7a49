"""SE-1 asks whether each log line of a check mentions the check's key: the key's encoded forms
(base64 at three alignments, percent- and JSON-escaped) are worked out once, not per line."""

from __future__ import annotations

import pytest

from conformance.vocabulary import redaction


def test_forms_of_a_secret_are_computed_once_for_many_texts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = redaction.secret_forms

    def counting(secret: str) -> tuple[set[str], set[str]]:
        calls.append(secret)
        return real(secret)

    monkeypatch.setattr(redaction, "secret_forms", counting)
    secret = "sk-once-per-secret-0123456789"
    lines = [f"line {n}: nothing here" for n in range(50)] + [f"Bearer {secret.upper()}"]
    assert sum(redaction.mentions(line, secret) for line in lines) == 1
    assert calls == [secret]
