"""A failure's transcript in the terminal: the part that matters, and where the whole one is."""

from __future__ import annotations

from conformance.vocabulary.transcript_excerpt import SHOWN_WHOLE, excerpt, transcript_anchor

WHERE = "reports/compatibility.html#t-p--s-stream"


def _event(n: int, delta: str) -> str:
    padding = '"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m-1",' * 2
    return f'data: {{{padding}"choices":[{{"index":0,"delta":{delta}}}]}} #{n}'


def _stream_transcript(events: int = 30) -> str:
    body = [f'  "line {n}": {n},' for n in range(40)]
    lines = [
        "--- request 1 ---",
        "POST /v1/chat/completions HTTP/1.1",
        "Host: 127.0.0.1:<port>",
        "User-Agent: python-httpx/0.28",
        "Authorization: Bearer <redacted-api-key>",
        "Content-Type: application/json",
        "",
        "{",
        *body,
        "}",
        "--- response 1 ---",
        "HTTP/1.1 200 OK",
        "Content-Type: text/event-stream",
        "Cache-Control: no-cache",
        "",
    ]
    for n in range(events):
        delta = '{"tool_calls":[{"index":0,"id":"call_n1"}]}' if n == 17 else '{"content":"x"}'
        lines += [_event(n, delta), ""]
    lines.append("data: [DONE]")
    return "\n".join(lines)


def test_a_short_transcript_is_shown_whole() -> None:
    text = "\n".join(f"line {n}" for n in range(SHOWN_WHOLE))
    assert excerpt(text, ["ST-3: wrong"], full_at=WHERE) == text


def test_a_long_transcript_keeps_request_line_first_and_last_events_and_the_quoted_one() -> None:
    text = _stream_transcript()
    messages = ["ST-3: turn 0: call 0: id 'call_0', expected 'call_n1'"]
    shown = excerpt(text, messages, full_at=WHERE, clauses=["ST-3"]).splitlines()
    assert len(shown) < len(text.splitlines()) / 2
    assert shown[:2] == ["--- request 1 ---", "POST /v1/chat/completions HTTP/1.1"]
    assert "Authorization: Bearer <redacted-api-key>" in shown
    assert "User-Agent: python-httpx/0.28" not in shown
    assert "HTTP/1.1 200 OK" in shown
    for n in (0, 1, 2, 16, 17, 18, 29):  # first events, the quoted one with its neighbours, last
        assert any(line.endswith(f"#{n}") for line in shown), n
    assert not any(line.endswith("#10") for line in shown)
    assert shown[-2] == "data: [DONE]"
    assert shown[-1] == f"[{len(text.splitlines()) - len(shown) + 1 + _gaps(shown)} of " + (
        f"{len(text.splitlines())} lines left out; the whole transcript: {WHERE}]"
    )
    assert any(
        line.strip().startswith("… ") and line.strip().endswith(" lines …") for line in shown
    )


def _gaps(shown: list[str]) -> int:
    return sum(1 for line in shown if line.startswith("    … "))


def test_a_long_event_keeps_its_start_its_end_and_the_value_the_verdict_quotes() -> None:
    text = _stream_transcript()
    shown = excerpt(text, ["ST-3: expected 'call_n1'"], full_at=WHERE, clauses=["ST-3"])
    quoted = next(line for line in shown.splitlines() if line.endswith("#17"))
    assert '"id":"call_n1"' in quoted and quoted.startswith("data: {")
    assert len(quoted) < len(_event(17, '{"tool_calls":[{"index":0,"id":"call_n1"}]}'))


def test_a_request_clause_looks_for_its_values_in_the_request() -> None:
    text = _stream_transcript()
    request = excerpt(text, ["RQ-3: got '\"line 20\"'"], full_at=WHERE, clauses=["RQ-3"])
    assert '  "line 20": 20,' in request.splitlines()
    response = excerpt(text, ["ST-1: got '\"line 20\"'"], full_at=WHERE, clauses=["ST-1"])
    assert '  "line 20": 20,' not in response.splitlines()


def test_a_value_found_everywhere_points_nowhere() -> None:
    text = _stream_transcript()
    shown = excerpt(text, ["CH-1: model 'chatcmpl-1'"], full_at=WHERE, clauses=["CH-1"])
    assert not any(line.endswith("#10") for line in shown.splitlines())


def test_the_server_note_where_it_cut_the_stream_is_kept_with_the_events_before_it() -> None:
    lines = _stream_transcript().splitlines()
    cut = lines.index(_event(20, '{"content":"x"}')) + 1
    lines.insert(cut, "--- connection cut by the server here (fault cut_after_pieces=21) ---")
    shown = excerpt("\n".join(lines), ["ER-7: no error"], full_at=WHERE, clauses=["ER-7"])
    at = shown.splitlines().index(lines[cut])
    assert shown.splitlines()[at - 1].endswith("#20")


def test_many_retries_show_the_middle_exchanges_by_their_first_lines() -> None:
    exchanges = []
    for n in range(1, 7):
        exchanges += [
            f"--- request {n} ---",
            "POST /v1/chat/completions HTTP/1.1",
            "Content-Type: application/json",
            "",
            *(f"body line {k} of {n}" for k in range(8)),
            f"--- response {n} ---",
            "HTTP/1.1 429 Too Many Requests",
            "Retry-After: 1",
            "",
            f'{{"error": "slow down {n}"}}',
        ]
    shown = excerpt("\n".join(exchanges), ["RE-1: 6 attempts"], full_at=WHERE).splitlines()
    assert "--- request 4 ---" in shown and "--- response 4 ---" in shown
    assert "body line 0 of 4" not in shown and "body line 0 of 5" in shown
    assert "body line 0 of 1" in shown and '{"error": "slow down 6"}' in shown


def test_the_anchor_is_readable_for_plain_ids_and_unique_for_others() -> None:
    assert transcript_anchor("StripsContent", "text_plain[chat]") == (
        "t-StripsContent--text_plain-chat"
        + transcript_anchor("StripsContent", "text_plain[chat]")[-7:]
    )
    assert transcript_anchor("p", "a_b") == "t-p--a_b"
    assert transcript_anchor("a b", "c") != transcript_anchor("a-b", "c")
    assert " " not in transcript_anchor("a b", "c")
