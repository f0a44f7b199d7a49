"""Log lines of every logger are collected for SE-1 and reach no handler unredacted."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator

import pytest

from conformance.checks.runner import new_api_key
from conformance.secrets.log_collection import collect_logs
from conformance.vocabulary.redaction import REDACTED


@pytest.fixture
def private_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger that does not propagate and writes with its own handler, as libraries do."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.log_collection.private")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def test_a_non_propagating_logger_is_collected_and_redacted(
    private_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = private_logger
    key = new_api_key()
    with collect_logs((key,)) as logs:
        logger.info("key=%s", key)
        logger.debug("upper %s b64 %s", key.upper(), base64.b64encode(key.encode()).decode())
    assert logs.lines[0] == f"key={key}"  # SE-1 judges what the provider wrote
    written = stream.getvalue()
    assert key not in written and key.upper() not in written
    assert written.count(REDACTED) == 3


def test_a_traceback_with_the_key_is_redacted(
    private_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = private_logger
    key = new_api_key()
    with collect_logs((key,)):
        try:
            raise ValueError(f"bad key {key}")
        except ValueError:
            logger.exception("request failed")
    written = stream.getvalue()
    assert "ValueError: bad key " + REDACTED in written
    assert key not in written


def test_keys_are_redacted_outside_a_check_too(caplog: pytest.LogCaptureFixture) -> None:
    """A thread the provider left behind logs after its check ended: still no key."""
    key = new_api_key()
    with collect_logs((key,)):
        pass
    logging.getLogger("tests.log_collection.late").warning("late %s", key)
    assert key not in caplog.text and REDACTED in caplog.text


def test_collection_ends_with_the_check_and_restores_the_root_level() -> None:
    root = logging.getLogger()
    before = root.level
    with collect_logs(()) as logs:
        assert root.level == logging.DEBUG
        logging.getLogger("tests.log_collection.x").debug("inside")
    logging.getLogger("tests.log_collection.x").warning("outside")
    assert root.level == before
    assert logs.lines == ["inside"]
