"""The one resolver of `module:attribute` references, with errors a person can act on.

Providers, factories, dialects, profiles, registries and profile options all name code the user
wrote as `package.module:Name`. Each used to carry its own copy of split, import and getattr, with
its own wording of what went wrong; here is the one copy. Every error is one `UsageError` line
that starts with `where` (the option or file entry at fault) and says what to do.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import ProviderSpec

#: What to do when a module does not import, unless the caller knows better.
INSTALL_HINT = "is it installed in this environment (or its folder on PYTHONPATH)?"


def split_reference(
    reference: str,
    where: str,
    *,
    form: str = "'package.module:attribute'",
    example: str = "mypkg.llm:MyProvider",
) -> tuple[str, str]:
    """`reference` as (module, attribute); a reference without both is a typo, named as such."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(f"{where}: expected {form} (for example {example})")
    return module_name, attribute


def import_named(
    name: str, where: str, *, what: str = "module", hint: str = INSTALL_HINT
) -> ModuleType:
    """Import module `name`; any import-time failure is the user's to see, in one line."""
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise UsageError(
            f"{where}: {what} {name!r} does not import ({type(exc).__name__}: {exc}); {hint}"
        ) from None


def resolve_reference(
    reference: str,
    where: str,
    *,
    form: str = "'package.module:attribute'",
    example: str = "mypkg.llm:MyProvider",
    hint: str = INSTALL_HINT,
) -> Any:
    """The object `module:attr` names (dots after the colon walk attributes: `mod:Outer.Inner`)."""
    module_name, attribute = split_reference(reference, where, form=form, example=example)
    target: Any = import_named(module_name, where, hint=hint)
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise UsageError(
                f"{where}: module {module_name!r} has no attribute {attribute!r}; check the "
                "spelling after the ':'"
            ) from None
    return target


def resolve_callable(reference: str, where: str, *, what: str = "a class or factory") -> Any:
    """`resolve_reference`, for something that will be called (a provider class, a factory)."""
    target = resolve_reference(reference, where)
    if not callable(target):
        attribute = reference.partition(":")[2]
        raise UsageError(f"{where}: {attribute!r} is not {what}")
    return target


def resolve_subclass(reference: str, where: str, base: type, shown_base: str) -> type[Any]:
    """`resolve_reference`, for a class that must derive from `base` (dialects, profiles)."""
    cls = resolve_reference(reference, where, example=f"mypkg.module:My{base.__name__}")
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise UsageError(f"{where}: {reference} is not a {shown_base} subclass")
    return cls


def check_target_syntax(spec: ProviderSpec) -> None:
    """A target that is not even written as `module:attr` is a typo: always a usage error, even
    in a run of many providers (where a target that does not import or build is only reported)."""
    if spec.factory is None:
        split_reference(spec.target, f"--provider {spec.target}", form="'package.module:ClassName'")


def resolve_target(spec: ProviderSpec) -> Callable[..., Any]:
    if spec.factory is not None:
        return spec.factory
    check_target_syntax(spec)
    return resolve_callable(spec.target, f"--provider {spec.target}")  # type: ignore[no-any-return]


__all__ = [
    "INSTALL_HINT",
    "check_target_syntax",
    "import_named",
    "resolve_callable",
    "resolve_reference",
    "resolve_subclass",
    "resolve_target",
    "split_reference",
]
