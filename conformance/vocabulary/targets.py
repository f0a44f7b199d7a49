"""Finding the provider under test from a `module:Class` string, with errors a person can act on."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import ProviderSpec


def check_target_syntax(spec: ProviderSpec) -> None:
    """A target that is not even written as `module:attr` is a typo: always a usage error, even
    in a run of many providers (where a target that does not import or build is only reported)."""
    if spec.factory is not None:
        return
    module_name, sep, attribute = spec.target.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(
            f"--provider {spec.target}: expected 'package.module:ClassName' "
            "(for example mypkg.llm:MyProvider)"
        )


def resolve_target(spec: ProviderSpec) -> Callable[..., Any]:
    if spec.factory is not None:
        return spec.factory
    check_target_syntax(spec)
    module_name, _, attribute = spec.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure is the user's to see, in one line
        raise UsageError(
            f"--provider {spec.target}: module {module_name!r} does not import "
            f"({type(exc).__name__}: {exc}); is it installed in this environment?"
        ) from None
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise UsageError(
                f"--provider {spec.target}: module {module_name!r} has no attribute {attribute!r}"
            ) from None
    if not callable(target):
        raise UsageError(f"--provider {spec.target}: {attribute!r} is not a class or factory")
    return target  # type: ignore[no-any-return]
