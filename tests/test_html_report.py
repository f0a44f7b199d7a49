"""compatibility.html: escaped, offline, every verdict distinct, and rendered by a real browser.

The browser is headless Chromium from the distribution's packages, driven by its command line
only (`--dump-dom` for the DOM after the page's script ran, `--screenshot` for a picture,
`--enable-logging=stderr` for the console). Screenshots are kept under reports/test-artifacts/.
Without Chromium the browser tests are skipped, except in CI (the CI variable set), where a
missing browser is a failure: .ci/run installs it.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.report import ProviderInfo, build_report, validate_report
from conformance.report.baseline import evaluate_gate, load_baseline
from conformance.report.html import render_html

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "reports" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

HOSTILE = (
    '</pre><script>alert("x")</script><img src=x onerror=alert(1)> "quoted" & more\n'
    "NUL \x00 ESC \x1b[31m CR\r\n RLO \u202eevil\u202c ZWSP [\u200b] lone \udcff BOM \ufeff "
    "emoji 🧑\u200d💻 日本語"
)


def _outcome(
    provider: str, scenario: str, verdicts: list[tuple[str, str]], **extra: Any
) -> dict[str, Any]:
    return {
        "provider": provider,
        "scenario": scenario,
        "mode": "stream" if scenario.startswith("st") else "chat",
        "verdicts": [
            {"clause": c, "outcome": o, "message": f"{c}: {o} in {scenario}" if o != "pass" else ""}
            for c, o in verdicts
        ],
        "transcript": extra.pop(
            "transcript", f"--- request 1 ---\nPOST /v1/chat/completions\n{scenario}"
        ),
        **extra,
    }


def sample_report(tmp_path: Path) -> dict[str, Any]:
    """Three providers that between them show every verdict, an error, a skip and a gate."""
    infos = [
        ProviderInfo("reference", "pkg.ref:Reference", "openai-chat", "native", "ref",
                     ("streaming", "tools", "usage")),
        ProviderInfo("strips-content", "pkg.bad:StripsContent", "openai-chat", "native", "bad",
                     ("streaming",)),
        ProviderInfo("tools-broken", "pkg.bad:ToolsBroken", "anthropic-messages", "native",
                     None, ("tools",)),
    ]  # fmt: skip
    common = [("RQ-1", "pass"), ("RQ-2", "pass"), ("SE-1", "pass")]
    outcomes = [
        _outcome("reference", "identity", [("ID-1", "pass")]),
        _outcome("reference", "text_plain", [*common, ("CH-1", "pass"), ("CH-3", "pass")]),
        _outcome("reference", "st_text", [*common, ("ST-1", "pass"), ("ST-2", "pass")]),
        _outcome("reference", "tools", [("CH-2", "pass"), ("RQ-4", "pass")]),
        _outcome("reference", "errors", [("ER-1", "pass"), ("ER-3", "pass")]),
        _outcome("strips-content", "identity", [("ID-1", "pass")]),
        _outcome("strips-content", "text_plain", [*common, ("CH-1", "pass"), ("CH-3", "pass")]),
        _outcome("strips-content", "text_unicode_long", [*common, ("CH-1", "fail")],
                 transcript=HOSTILE),
        _outcome("strips-content", "st_text", [*common, ("ST-1", "fail"), ("ST-2", "pass")]),
        _outcome("strips-content", "tools", [("CH-2", "not-applicable"), ("RQ-4", "pass")],
                 not_applicable="the provider does not declare tools"),
        _outcome("tools-broken", "identity", [("ID-1", "pass")]),
        _outcome("tools-broken", "tools", [("CH-2", "fail"), ("RQ-4", "pass"), ("CH-1", "pass")]),
        _outcome("tools-broken", "errors", [("ER-1", "fail")], error=f"TypeError: {HOSTILE}"),
    ]  # fmt: skip
    outcomes[7]["verdicts"][-1]["message"] = f"CH-1 differs: {HOSTILE}"
    report = build_report(infos, outcomes, command="provider-conformance run --providers-file x")
    known = tmp_path / "known.yaml"
    known.write_text(
        yaml.safe_dump(
            {"known_failures": [{"provider": "strips-content", "clause": "ST-1", "reason": "#7"}]}
        ),
        encoding="utf-8",
    )
    report["gate"] = evaluate_gate(report, load_baseline(known))
    validate_report(report)
    return report


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def _first(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, (pattern, text)
    return match[1]


def test_every_verdict_has_its_own_shape_and_word_in_the_grid(tmp_path: Path) -> None:
    page = render_html(sample_report(tmp_path))
    cells = re.findall(r'<td class="v v-(\w+)"[^>]*>(.*?)</td>', page)
    words = {css: _first(r'<span class="word">([^<]+)</span>', cell) for css, cell in cells}
    assert words == {
        "pass": "pass",
        "fail": "fail",
        "dbb": "declared but broken",
        "na": "not applicable",
        "nr": "not run",
    }
    symbols = {css: _first(r'<span class="sym"[^>]*>([^<]+)</span>', c) for css, c in cells}
    assert len(set(symbols.values())) == 5
    # 3 providers × every clause of the catalogue.
    assert len(cells) == 3 * 36


def test_failing_cells_link_to_messages_transcript_and_reproduction(tmp_path: Path) -> None:
    page = render_html(sample_report(tmp_path))
    links = re.findall(r'<a class="open" href="#(f-\d+-[A-Z]{2}-\d+)"', page)
    assert sorted(links) == ["f-1-CH-1", "f-1-ST-1", "f-2-CH-2", "f-2-ER-1"]
    for anchor in links:
        block = page.split(f'id="{anchor}"', 1)[1].split("</details>", 1)[0]
        assert '<ul class="msgs">' in block
        assert '<pre class="transcript">' in block
        assert "provider-conformance run --provider pkg.bad:" in block


def test_hostile_text_is_shown_never_run(tmp_path: Path) -> None:
    page = render_html(sample_report(tmp_path))
    tags = _tags(page)
    assert [t for t, _ in tags].count("script") == 1  # the page's own
    assert not [t for t, _ in tags if t == "img"]
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert "&lt;/pre&gt;&lt;script&gt;alert(&quot;x&quot;)" in page or (
        '&lt;/pre&gt;&lt;script&gt;alert("x")' in page
    )
    for raw in ("\x00", "\x1b", "\u202e", "\u202c", "\u200b", "\ufeff", "\r"):
        assert raw not in page, repr(raw)
    for shown in ("\\x00", "\\x1b", "\\u202e", "\\u200b", "\\udcff", "\\ufeff", "\\r"):
        assert f">{shown}</span>" in page, shown
    assert "🧑\u200d💻 日本語" in page  # joiners inside emoji stay: they reorder nothing
    page.encode("utf-8")  # no lone surrogate left


def test_the_page_needs_nothing_from_outside(tmp_path: Path) -> None:
    page = render_html(sample_report(tmp_path))
    assert "default-src 'none'" in page
    for _, attrs in _tags(page):
        for name in ("src", "href", "action", "srcset"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (name, value)
    assert not re.search(r"url\(|@import|https?://|//[a-z]", page.split("<main>")[0])


# -- a real browser --------------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (apt-get install -y chromium); CI installs it",
)


def _chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.fail("CI must run the browser tests: chromium is not installed (see .ci/run)")
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        # Any request that leaves the machine fails, and a failed load is a console error.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _console(stderr: str) -> list[str]:
    """Every console message and uncaught error: the page's script writes none when it works."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _screenshot(page: Path, name: str, profile: Path, height: int = 2400) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / name
    result = _chromium(
        page.as_uri(), profile, f"--window-size=1400,{height}", f"--screenshot={target}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert not _console(result.stderr), _console(result.stderr)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {target}")
    return target


@needs_chromium
def test_the_console_scan_sees_errors(tmp_path: Path) -> None:
    """The check below would pass vacuously if console output never reached stderr."""
    probe = tmp_path / "probe.html"
    probe.write_text(
        "<!doctype html><meta charset=utf-8><script>console.error('probe');nope();</script>",
        encoding="utf-8",
    )
    messages = _console(_chromium(probe.as_uri(), tmp_path / "profile", "--dump-dom").stderr)
    assert any('"probe"' in m for m in messages), messages
    assert any("Uncaught ReferenceError" in m for m in messages), messages


@needs_chromium
def test_chromium_renders_the_grid_without_console_errors(tmp_path: Path) -> None:
    report = sample_report(tmp_path)
    page = tmp_path / "compatibility.html"
    page.write_text(render_html(report), encoding="utf-8")
    result = _chromium(page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not _console(result.stderr), _console(result.stderr)
    dom = result.stdout
    assert 'data-ready="true"' in dom  # the page's script ran to its end
    assert '<table class="grid" id="grid">' in dom
    assert len(re.findall(r'<td class="v v-', dom)) == 3 * 36
    assert "Gate failed" in dom

    # A failing cell's link (its #anchor) opens that cell's details.
    anchored = _chromium(f"{page.as_uri()}#f-1-CH-1", tmp_path / "profile2", "--dump-dom")
    assert not _console(anchored.stderr), _console(anchored.stderr)
    assert re.search(r'<details class="fail" id="f-1-CH-1"[^>]* open="">', anchored.stdout)
    assert not re.search(r'<details class="fail" id="f-1-ST-1"[^>]* open="">', anchored.stdout)

    _screenshot(page, "compatibility-sample.png", tmp_path / "profile3")
    opened = tmp_path / "opened.html"
    opened.write_text(
        page.read_text(encoding="utf-8").replace(
            '<details class="fail"', '<details open class="fail"'
        ),
        encoding="utf-8",
    )
    _screenshot(opened, "compatibility-sample-failures.png", tmp_path / "profile4", height=4200)


@needs_chromium
def test_chromium_renders_a_real_run(tmp_path: Path) -> None:
    providers = tmp_path / "providers.yaml"
    providers.write_text(
        yaml.safe_dump(
            {
                "providers": [
                    {
                        "id": "openai-compatible",
                        "target": "reference_providers.openai_compatible:OpenAICompatibleProvider",
                        "dialect": "openai-chat",
                    },
                    {"target": "known_bad.providers:StripsContent", "dialect": "openai-chat"},
                ]
            }
        ),
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")]),
    )
    run = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--providers-file", str(providers),
         "--scenario", "text_unicode_long", "--scenario", "tool_calls_parallel",
         "--scenario", "error_429", "--report-dir", "out", "--no-provider-coverage"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    page = tmp_path / "out" / "compatibility.html"
    result = _chromium(page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert not _console(result.stderr), _console(result.stderr)
    assert 'data-ready="true"' in result.stdout
    report = json.loads((tmp_path / "out" / "compatibility.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in report["providers"]] == ["StripsContent", "openai-compatible"]
    _screenshot(page, "compatibility-real-run.png", tmp_path / "profile2")


# -- many providers, filters, clause docs ---------------------------------------------------------

EIGHT = [
    "openai-compatible", "anthropic-messages", "LosesToolCallIdOnNull", "StripsContent",
    "gemini-generate-content", "ollama-chat", "azure-openai-deployment", "victor-OpenAIProvider",
]  # fmt: skip


def eight_provider_report() -> dict[str, Any]:
    infos = [
        ProviderInfo(pid, f"pkg.mod:{pid.title()}", "openai-chat", "native", pid, ("tools",))
        for pid in EIGHT
    ]
    outcomes = []
    for n, pid in enumerate(EIGHT):
        outcomes += [
            _outcome(pid, "identity", [("ID-1", "pass")]),
            _outcome(pid, "text_plain", [("RQ-1", "pass"), ("CH-1", "fail" if n % 3 else "pass")]),
            _outcome(pid, "st_tools", [("ST-3", "fail" if n % 2 else "pass"), ("ST-1", "pass")]),
            _outcome(pid, "errors", [("ER-1", "pass"), ("ER-2", "fail" if n == 5 else "pass")]),
        ]
    return build_report(infos, outcomes, command="provider-conformance run --providers-file x")


def _with_probe(page: str, probe: str) -> str:
    """The page plus a script of the test's, run after the page's own (inline, as CSP allows)."""
    return page.replace("</body>", f"<script>{probe}</script></body>")


def test_counts_agree_in_header_cards_grid_and_failures() -> None:
    report = eight_provider_report()
    page = render_html(report)
    header = page[page.index("<header>") : page.index("</header>")]
    failing_cells = len(re.findall(r'<td class="v v-(?:fail|dbb)"', page))
    cards = sum(
        p["clause_counts"]["fail"] + p["clause_counts"]["declared-but-broken"]
        for p in report["providers"]
    )
    details = len(re.findall(r'<details class="fail"', page))
    assert failing_cells == cards == details == 10
    assert f"{cards} failing clauses" in header
    chips = re.findall(r'<span class="word">(\d+) (?:fail|broken)</span>', page)
    assert sum(int(c) for c in chips) == cards


def test_each_clause_title_links_to_how_it_is_judged_and_how_to_fix_it() -> None:
    page = render_html(eight_provider_report())
    links = set(re.findall(r'<a class="ctitle" href="#(doc-[A-Z]{2}-\d)"', page))
    assert len(links) == 36
    for anchor in links:
        assert f'id="{anchor}"' in page
    doc = page.split('id="doc-ST-3"', 1)[1].split("</details>", 1)[0]
    assert "How it is judged (<code>docs/contract.md</code>)" in doc
    assert "How to fix it (<code>docs/guide-native.md#fix-st-3</code>)" in doc
    assert "accumulate fragments by <code>index</code>" in doc
    assert "<code>provider-conformance docs guide-native</code>" in doc
    failing = page.split('id="f-1-ST-3"', 1)[1].split("</summary>", 1)[0]
    assert '<a href="#doc-ST-3">how to fix it</a>' in failing


@needs_chromium
def test_eight_providers_fit_1400_pixels_and_the_filters_work(tmp_path: Path) -> None:
    page = render_html(eight_provider_report())
    assert '<table class="grid compact" id="grid">' in page
    measure = (
        "var w = document.querySelector('#matrix .table-wrap');"
        "document.documentElement.setAttribute('data-overflow', w.scrollWidth - w.clientWidth);"
    )
    path = tmp_path / "eight.html"
    path.write_text(_with_probe(page, measure), encoding="utf-8")
    result = _chromium(path.as_uri(), tmp_path / "p1", "--window-size=1400,1000", "--dump-dom")
    assert not _console(result.stderr), _console(result.stderr)
    assert 'data-overflow="0"' in result.stdout, re.findall(r'data-overflow="[^"]*"', result.stdout)
    _screenshot(path, "compatibility-eight-providers.png", tmp_path / "p2", height=1400)

    def shown_after(script: str, profile: str) -> tuple[int, str]:
        probed = tmp_path / f"{profile}.html"
        probed.write_text(_with_probe(page, script), encoding="utf-8")
        dom = _chromium(probed.as_uri(), tmp_path / profile, "--dump-dom")
        assert not _console(dom.stderr), _console(dom.stderr)
        return int(_first(r'data-shown="(\d+)"', dom.stdout)), dom.stdout

    def choose(control: str, value: str) -> str:
        return (
            f"var c = document.getElementById('{control}'); c.value = '{value}';"
            f"c.dispatchEvent(new Event('{'input' if control == 'f-search' else 'change'}'));"
        )

    assert shown_after("", "p3")[0] == 36
    failing, dom = shown_after(choose("f-verdict", "failing"), "p4")
    assert failing == 3  # CH-1, ST-3, ER-2
    assert shown_after(choose("f-group", "ST"), "p5")[0] == 7
    shown, dom = shown_after(choose("f-provider", "5"), "p6")
    assert shown == 36
    assert len(re.findall(r'<td class="v[^"]*" data-p="\d"[^>]*hidden', dom)) == 7 * 36
    assert shown_after(choose("f-search", "retry-after"), "p7")[0] == 1  # ER-2's title
    both = choose("f-provider", "5") + choose("f-verdict", "failing")
    assert shown_after(both, "p8")[0] == 3  # provider 5 fails CH-1, ST-3 and ER-2
