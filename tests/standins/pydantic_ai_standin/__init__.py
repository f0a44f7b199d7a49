"""A stand-in with pydantic-ai's module layout (`direct`, `messages`, `models`, `tools`,
`exceptions`, `providers.openai`), for the `pydantic-ai` profile's tests without pydantic-ai.

Its `OpenAIChatModel` talks through the official `openai` SDK and answers as pydantic-ai does:
`ModelResponse` parts, part events while streaming, `ModelAPIError` category classes. Use it with
`--profile-option package=pydantic_ai_standin`. Known-bad variants:
tests/known_bad/pydantic_ai_style.py.
"""
