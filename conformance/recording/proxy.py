"""A recording reverse proxy: a client talks to a live API through it, and each answer becomes
a corpus recording (conformance/dialects/corpus.py) that replays, serves and judges like any.

The proxy listens on 127.0.0.1 only and forwards every request to the upstream unchanged but for
its hop-by-hop headers (and `Accept-Encoding: identity`, so the recorded bytes are the wire's
text, not gzip). The answer goes back to the client as it arrives, piece by piece, so a stream
stays a stream. Each exchange at a turn endpoint (chat, generate) is written as one `.http` file
with a provenance header (date, dialect, model, path, stream) and, when the request offered
tools, a request sidecar naming them. Credentials are scrubbed before anything is written
(conformance/recording/py); exchanges at other endpoints (model lists, OAuth tokens) are
forwarded and never written.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Self
from urllib.parse import urlsplit

import httpx
import yaml

from conformance.dialects.base import Dialect
from conformance.recording.scrub import (
    body_secrets,
    header_secrets,
    query_secrets,
    scrub_body,
    scrub_headers,
    scrub_target,
    scrub_text,
)
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.wire import RecordedRequest

#: Headers that belong to one connection, never forwarded either way.
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
        "content-encoding",
    }
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def check_upstream(url: str) -> str:
    """The upstream API root, or a UsageError saying what an upstream looks like."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--upstream {url}: give the API's root URL, e.g. https://api.openai.com "
            "(the dialect's paths, /v1/chat/completions, are appended)"
        )
    return url.rstrip("/")


def shown_upstream(url: str) -> str:
    """The upstream as messages show it: no user:password, no query (a key may ride in either)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


class RecordingProxy:
    """One proxy: `start()`, hand `base_url` to a client, `stop()`; `written` lists the files."""

    def __init__(
        self,
        upstream: str,
        dialect: Dialect,
        out: Path,
        *,
        port: int = 0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        log: IO[str] | None = None,
        timeout: float = 600.0,
    ) -> None:
        self.upstream = check_upstream(upstream)
        self.dialect = dialect
        self.folder = out / (dialect.corpus_folder or dialect.name)
        self._now = now
        self._log = log
        self._count = itertools.count(1)
        self._lock = threading.Lock()
        self._session = now().strftime("%Y%m%dT%H%M%S")
        self.written: list[Path] = []
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=30.0), follow_redirects=False, trust_env=False
        )
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                proxy._forward(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

            def log_message(self, format: str, *args: Any) -> None:
                """Request lines are not logged: a target may carry a key (`?key=`)."""

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.dialect.base_path}"

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="recording-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one exchange ------------------------------------------------------------------------

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        body = _request_body(handler)
        headers = [(k, v) for k, v in handler.headers.items() if k.lower() not in _HOP]
        headers.append(("Accept-Encoding", "identity"))
        received: list[bytes] = []
        answer: httpx.Response | None = None
        try:
            with self._client.stream(
                handler.command, self.upstream + handler.path, headers=headers, content=body
            ) as answer:
                answer_headers = [
                    (k, v) for k, v in answer.headers.multi_items() if k.lower() not in _HOP
                ]
                handler.send_response_only(answer.status_code, answer.reason_phrase)
                for name, value in answer_headers:
                    handler.send_header(name, value)
                handler.send_header("Transfer-Encoding", "chunked")
                handler.end_headers()
                for piece in answer.iter_raw():
                    received.append(piece)
                    handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    handler.wfile.flush()
                handler.wfile.write(b"0\r\n\r\n")
                handler.wfile.flush()
        except httpx.HTTPError as exc:
            shown = shown_upstream(self.upstream)
            message = f"recording proxy: upstream {shown} failed: {type(exc).__name__}"
            payload = json.dumps({"error": {"message": message, "type": "proxy"}}).encode()
            handler.send_response(502)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        except OSError:  # the client left mid-answer: what arrived is still recorded
            if answer is None:
                return
        request = RecordedRequest(
            method=handler.command,
            target=handler.path,
            path=urlsplit(handler.path).path,
            headers=tuple(handler.headers.items()),
            body=body,
            connection_id=0,
            sequence=0,
        )
        self._save(request, answer.status_code, answer.reason_phrase, answer_headers, received)

    def _save(
        self,
        request: RecordedRequest,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        pieces: list[bytes],
    ) -> None:
        endpoint = self.dialect.endpoint(request.method, request.path)
        secrets = [
            *header_secrets(request.headers),
            *query_secrets(request.target),
            *body_secrets(request.body),
            *header_secrets(headers),
        ]
        if endpoint is None or not endpoint.plays_turn:
            shown = scrub_text(scrub_target(request.target), secrets)
            self._say(f"not recorded: {request.method} {shown} (not a turn endpoint)")
            return
        stream = self.dialect.is_stream(request, endpoint)
        try:
            parsed = self.dialect.parse_request(request)
            model, tools = parsed.model, parsed.tools
        except Exception:  # a request the dialect cannot read is recorded all the same
            model, tools = None, ()
        with self._lock:
            number = next(self._count)
        what = "stream" if stream else "chat"
        if status >= 400:
            what += f"-{status}"
        stem = f"rec-{self._session}-{number:04d}-{_UNSAFE.sub('_', model or 'model')}-{what}"
        provenance = {
            "recorded": self._now().isoformat(timespec="seconds"),
            "dialect": self.dialect.name,
            "model": model or "",
            "path": f"{request.method} {scrub_target(request.target)}",
            "stream": str(stream).lower(),
            "upstream": urlsplit(self.upstream).hostname or "",
        }
        head = [f"# {key}: {value}" for key, value in provenance.items()]
        head.append(f"HTTP/1.1 {status} {reason}".rstrip())
        head += [f"{name}: {value}" for name, value in scrub_headers(headers)]
        text = scrub_text("\n".join(head), secrets)
        body = scrub_body(b"".join(pieces), secrets)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{stem}.http"
        path.write_bytes(text.encode("utf-8") + b"\n\n" + body)
        if tools:
            sidecar = {
                "model": model,
                "tools": [tool.as_json() for tool in tools],
            }
            sidecar_text = scrub_text(yaml.safe_dump(sidecar, sort_keys=False), secrets)
            path.with_name(stem + ".request.yaml").write_text(sidecar_text, encoding="utf-8")
        self.written.append(path)
        self._say(f"recorded {path}")

    def _say(self, line: str) -> None:
        stream = self._log if self._log is not None else sys.stderr
        print(line, file=stream, flush=True)


def _request_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, sent with a Content-Length or chunked (clients that stream uploads)."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        parts: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""
