"""Gemini on Vertex AI: the Gemini wire at a project's regional endpoint, with OAuth bearer auth.

Vertex AI serves the same `generateContent` / `streamGenerateContent?alt=sse` bodies, chunks and
google.rpc errors as the Gemini API (conformance/dialects/gemini.py); what differs is where and
how a provider asks:

- the path names the project, the location and the publisher: `POST /v1/projects/{project}/
  locations/{location}/publishers/google/models/{model}:generateContent` (`v1beta1` too), on
  `https://{location}-aiplatform.googleapis.com`; the provider is given that root as its base
  URL, and RQ-3 reads the model from the path;
- the credential is an OAuth 2 access token, `Authorization: Bearer <token>` (a service
  account's or the user's), never an API key header or `?key=`;
- every content must state its role (`user` or `model`): Vertex answers 400 "Please use a valid
  role: user, model." to a content without one;
- there is no `GET models` listing at this path.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar
from urllib.parse import unquote

from conformance.dialects.base import CanonicalRequest, Endpoint
from conformance.dialects.gemini import GeminiDialect
from conformance.vocabulary.wire import RecordedRequest

CHAT_PATH = re.compile(
    r"^/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$"
)


class GeminiVertexDialect(GeminiDialect):
    name: ClassVar[str] = "gemini-vertex"
    title: ClassVar[str] = "Gemini on Vertex AI (projects/…/publishers/google/models, bearer token)"
    credential_description: ClassVar[str] = "the header 'Authorization: Bearer <access token>'"
    chat_path_description: ClassVar[str] = (
        "POST /v1/projects/{project}/locations/{location}/publishers/google/models/{model}"
        ":generateContent (streamed: …:streamGenerateContent?alt=sse)"
    )
    #: The Gemini corpus is generativelanguage.googleapis.com's traffic, not served here.
    corpus_folder: ClassVar[str | None] = None

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        match = CHAT_PATH.match(path)
        if match is None or method != "POST":
            return None
        return Endpoint("chat", stream=match["method"] == "streamGenerateContent")

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        return request.header("authorization") == f"Bearer {api_key}"

    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        parsed = super().parse_request(request)
        match = CHAT_PATH.match(request.path)
        problems = list(parsed.problems)
        body = request.json()
        contents = body.get("contents") if isinstance(body, dict) else None
        for position, content in enumerate(contents if isinstance(contents, list) else ()):
            if isinstance(content, dict) and "role" not in content:
                problems.append(
                    (
                        "RQ-1",
                        f"contents[{position}] has no role; Vertex AI answers 400 'Please use a "
                        "valid role: user, model.'",
                    )
                )
        return replace(
            parsed,
            model=unquote(match["model"]) if match else None,
            problems=tuple(problems),
            extras={
                **parsed.extras,
                "project": match["project"] if match else None,
                "location": match["location"] if match else None,
            },
        )
