"""One TLS context for every reference provider's httpx client.

httpx builds a fresh `ssl.SSLContext` for each client it creates, and building one loads the whole
CA bundle: about 15 ms of CPU. A provider creates its client when it is first used, so a program
(or a conformance run) that builds a provider per request or per check pays that again and again
for a context that never changes. The context is built on first use and shared: an `SSLContext`
may serve many connections and threads at once.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """httpx's own default (certifi's CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR if set), once."""
    return httpx.create_ssl_context()
