"""How check outcomes become one verdict per clause: honest verdicts, never a hidden skip."""

from __future__ import annotations

from typing import Any

from conformance.report import ProviderInfo, build_report, render_markdown, validate_report


def _outcome(scenario: str, verdicts: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "provider": "p",
        "scenario": scenario,
        "mode": "chat",
        "verdicts": [{"clause": c, "outcome": o, "message": f"{c} {o}"} for c, o in verdicts],
        "transcript": "POST /v1/chat/completions",
        **extra,
    }


def _provider(report: dict[str, Any]) -> dict[str, Any]:
    provider: dict[str, Any] = report["providers"][0]
    return provider


INFO = ProviderInfo("p", "pkg:P", "openai-chat", "native", "p", ("tools", "streaming"))


def test_one_failing_check_fails_the_clause() -> None:
    report = build_report(
        [INFO],
        [_outcome("a", [("CH-1", "pass")]), _outcome("b", [("CH-1", "fail")])],
    )
    validate_report(report)
    provider = _provider(report)
    assert provider["clauses"]["CH-1"] == "fail"
    assert provider["clause_details"]["CH-1"] == {
        "verdict": "fail",
        "checks": 2,
        "passed": 1,
        "failed": 1,
        "not_applicable": 0,
        "inconclusive": 0,
        "incomplete": 0,
        "reasons": [],
    }
    assert provider["conforms"] is False
    assert provider["failures"][0]["clauses"] == ["CH-1"]
    assert "--scenario b" in provider["failures"][0]["reproduce"]


def test_a_failing_clause_of_a_declared_capability_is_declared_but_broken() -> None:
    report = build_report([INFO], [_outcome("t", [("CH-2", "fail"), ("CH-4", "fail")])])
    clauses = _provider(report)["clauses"]
    assert clauses["CH-2"] == "declared-but-broken"  # tools: declared
    assert clauses["CH-4"] == "fail"  # usage: not declared


def test_not_applicable_everywhere_is_not_applicable_and_never_a_pass() -> None:
    report = build_report(
        [INFO],
        [_outcome("t", [("CH-2", "not-applicable")], not_applicable="does not declare tools")],
    )
    provider = _provider(report)
    assert provider["clauses"]["CH-2"] == "not-applicable"
    assert provider["skipped"] == [{"check": "t[chat]", "reason": "does not declare tools"}]
    assert provider["conforms"] is True


def test_clauses_without_checks_are_listed_as_not_checked() -> None:
    report = build_report([INFO], [_outcome("a", [("CH-1", "pass")])])
    provider = _provider(report)
    assert "CH-1" not in provider["not_checked"]
    assert "ST-4" in provider["not_checked"]
    assert "ST-4" not in provider["clauses"]


def test_markdown_marks_verdicts_with_words_not_only_colour() -> None:
    report = build_report(
        [INFO],
        [_outcome("a", [("CH-1", "pass"), ("CH-2", "fail"), ("CH-3", "not-applicable")])],
    )
    text = render_markdown(report)
    assert "| **CH-1** content equals the text the server sent | ✅ pass (1) |" in text
    assert "💥 declared-but-broken" in text
    assert "➖ n/a" in text
    assert "does not conform" in text


def test_cells_that_fail_say_how_many_of_their_checks_failed_and_not_run_is_shown() -> None:
    other = ProviderInfo("q", "pkg:Q", "openai-chat", "native")
    report = build_report(
        [INFO, other],
        [
            _outcome("a", [("CH-1", "pass")]),
            _outcome("b", [("CH-1", "fail")]),
            {**_outcome("a", [("CH-3", "pass")]), "provider": "q"},
        ],
    )
    text = render_markdown(report)
    assert (
        "| **CH-1** content equals the text the server sent | ❌ fail (1 of 2) | · not run |"
        in (text)
    )
    assert "| `p` | openai-chat | native | ❌ does not conform | 2 of 2 | 1 of 36 |" in text


def test_markdown_shows_messages_literally() -> None:
    """A message is text, never markup: GitHub would drop `<redacted-api-key>` as an HTML tag."""
    report = build_report(
        [INFO],
        [
            {
                **_outcome("a", [("CH-1", "fail")]),
                "verdicts": [
                    {
                        "clause": "CH-1",
                        "outcome": "fail",
                        "message": "got 'Bearer <redacted-api-key>' | *x* `y`\nsecond line",
                    }
                ],
            }
        ],
    )
    text = render_markdown(report)
    assert "Bearer &lt;redacted-api-key\\>' \\| \\*x\\* \\`y\\` ↵ second line" in text


def test_report_lists_are_ordered_whatever_order_the_checks_finished_in() -> None:
    infos = [ProviderInfo(pid, f"pkg:{pid}", "openai-chat", "native") for pid in ("zeta", "alpha")]
    outcomes = [
        {**_outcome(name, [("CH-1", "fail"), ("CH-3", "not-applicable")]), "provider": pid}
        for pid in ("zeta", "alpha")
        for name in ("c", "a", "b")
    ]
    forward = build_report(infos, outcomes)
    backward = build_report(list(reversed(infos)), list(reversed(outcomes)))
    forward.pop("generated_at"), backward.pop("generated_at")
    assert forward == backward
    assert [p["id"] for p in forward["providers"]] == ["alpha", "zeta"]
    assert [f["check"] for f in forward["providers"][0]["failures"]] == [
        "a[chat]",
        "b[chat]",
        "c[chat]",
    ]


def test_run_specific_values_are_replaced_so_two_runs_compare_equal() -> None:
    transcript = (
        "POST /c/0123456789abcdef/v1/chat/completions HTTP/1.1\nHost: 127.0.0.1:54321\n"
        "error from http://localhost:8080/x and <Foo object at 0x7f3a2b1c0d90>"
    )
    report = build_report([INFO], [_outcome("a", [("CH-1", "fail")], transcript=transcript)])
    shown = _provider(report)["failures"][0]["transcript"]
    assert shown == (
        "POST /c/<session>/v1/chat/completions HTTP/1.1\nHost: 127.0.0.1:<port>\n"
        "error from http://localhost:<port>/x and <Foo object at 0x…>"
    )


def test_clause_counts_add_up_to_the_catalogue() -> None:
    report = build_report(
        [INFO],
        [_outcome("a", [("CH-1", "pass"), ("CH-2", "fail"), ("CH-3", "not-applicable")])],
    )
    counts = _provider(report)["clause_counts"]
    assert counts == {
        "pass": 1,
        "fail": 0,
        "declared-but-broken": 1,
        "not-applicable": 1,
        "inconclusive": 0,
        "incomplete": 0,
        "not-run": 33,
    }
    assert sum(counts.values()) == len(report["clauses"])
