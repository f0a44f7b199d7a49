"""API errors: any 4xx or 5xx status, any Retry-After form (or garbage), any body shape."""

from __future__ import annotations

import functools
from dataclasses import replace

from hypothesis import strategies as st

from conformance.scenarios.model import ErrorReply
from conformance.strategies.text import unicode_text
from conformance.vocabulary.status_table import status_table


def error_statuses() -> st.SearchStrategy[int]:
    """The ER-1 table's statuses often, any other 4xx or 5xx too."""
    return st.one_of(st.sampled_from(sorted(status_table())), st.integers(400, 599))


#: Values no reading of Retry-After accepts: a provider must report no retry-after for them.
GARBAGE_RETRY_AFTER = ("soon", "", "later", "tomorrow at noon", "1 minute", "Wed, 99 Foo 2026")


def _retry_after_status(status: int) -> bool:
    """Statuses a server states a delay with (RFC 9110 names 503; every LLM API sends it on 429)."""
    return status in (429, 503)


def error_replies(*, large_body: int = 32_768) -> st.SearchStrategy[ErrorReply]:
    """An HTTP error as servers send it, in the dialect's error shape or in none at all."""
    return error_statuses().flatmap(functools.partial(_error_reply, large_body=large_body))


@functools.cache
def _error_reply(status: int, *, large_body: int) -> st.SearchStrategy[ErrorReply]:
    """Built once per status: drawn inside `flatmap`, where hypothesis validates every strategy
    object it has not seen before."""
    message = unicode_text(min_size=1, max_size=60).filter(lambda m: m.strip() != "")
    shaped = st.builds(ErrorReply, status=st.just(status), message=message)
    not_json = st.builds(
        lambda text, kind: ErrorReply(
            status, None, body=text, content_type=f"text/{kind}; charset=utf-8"
        ),
        st.sampled_from(
            [
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
                "upstream connect error or disconnect/reset before headers",
                "Internal Server Error",
            ]
        ),
        st.sampled_from(["html", "plain"]),
    )
    empty = st.just(ErrorReply(status, None, body=""))
    large = st.just(ErrorReply(status, "x" * large_body))
    body = st.one_of(shaped, not_json, empty, large)
    if not _retry_after_status(status):
        garbage = st.sampled_from(GARBAGE_RETRY_AFTER).map(lambda v: {"Retry-After": v})
        headers: st.SearchStrategy[dict[str, str]] = st.one_of(st.just({}), garbage)
        return st.builds(lambda e, h: replace(e, headers=h), body, headers)
    delay = st.one_of(
        st.builds(
            lambda e, s, form: replace(e, retry_after=s, retry_after_form=form),
            body,
            st.integers(0, 120).map(float),
            st.sampled_from(["seconds", "http-date"]),
        ),
        st.builds(
            lambda e, ms: replace(e, retry_after=ms / 1000, retry_after_form="ms"),
            body,
            st.integers(0, 120_000),
        ),
    )
    garbled = st.builds(
        lambda e, v: replace(e, headers={"Retry-After": v}),
        body,
        st.sampled_from(GARBAGE_RETRY_AFTER),
    )
    return st.one_of(body, delay, garbled)
