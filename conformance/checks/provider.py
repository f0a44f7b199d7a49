"""The provider under test, resolved and built once before any check, off every check's clock.

A target that does not import or cannot be built is found here, once (`BuildError`), instead of
as a clause failure in every check.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.checks.deadline import DEFAULT_PROVIDER_TIMEOUT, run_with_deadline
from conformance.dialects import Dialect, get_dialect
from conformance.profiles import Connection, Profile, ProviderSpec, get_profile
from conformance.secrets.log_collection import install as _redact_logs
from conformance.server import redact
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.redaction import register_secret
from conformance.vocabulary.targets import check_target_syntax, resolve_target


def new_api_key() -> str:
    """An obviously fake key, unique per check, so a leak is traced to the check that leaked it.

    Registered, so that every output of the process is scrubbed of it
    (conformance/vocabulary/redaction.py),
    log records of every logger included, from the first key on (the identity check's too).
    """
    _redact_logs()
    return register_secret(f"sk-conformance-fake-{secrets.token_hex(12)}")


#: How long building a provider once, before any check, may take: a package that imports lazily
#: on a loaded machine can take many seconds, which no check's clock should pay for.
WARM_TIMEOUT = 60.0


class BuildError(UsageError):
    """The provider's target does not import, or cannot be built: no check of it can run.

    With one provider that is a usage error; in a run of many, only that provider's report entry
    says so (`build_error`) and the others are judged.
    """


_BUILD_HINT = (
    "give a factory that builds it (--provider module:function, or `factory:` in a providers "
    "file), or pass what its constructor needs with --profile-option KEY=VALUE"
)


@dataclass
class ProviderUnderTest:
    """A provider spec resolved once: its class or factory, profile and dialect."""

    spec: ProviderSpec
    target: Callable[..., Any]
    profile: Profile
    dialect: Dialect

    @classmethod
    def load(cls, spec: ProviderSpec) -> ProviderUnderTest:
        """Raises UsageError for a bad dialect or profile, BuildError for a bad target."""
        dialect = get_dialect(spec.dialect)
        profile = get_profile(spec.profile, spec.options)
        check_target_syntax(spec)
        try:
            target = resolve_target(spec)
            profile.check_target(target, spec)
        except UsageError as exc:
            raise BuildError(str(exc)) from None
        return cls(spec, target, profile, dialect)

    def warm(self, base_url: str, timeout: float = WARM_TIMEOUT) -> None:
        """Build the provider once and close it, before any check and off every check's clock.

        The first build imports what the target imports lazily (a registry's create function),
        so the first check of each process is not the one to pay for it; and a target that cannot
        be built is found here, once, instead of as a clause failure in every check.
        """
        api_key = new_api_key()
        connection = Connection(base_url, api_key, DEFAULT_PROVIDER_TIMEOUT)

        built = False

        async def probe() -> None:
            nonlocal built
            provider = self.profile.build(self.target, self.spec, connection)
            built = True
            await self.profile.close(provider)

        try:
            run_with_deadline(probe, timeout)
        except TimeoutError:
            raise BuildError(
                f"--provider {self.spec.target}: building it did not finish within "
                f"{timeout:g} s; {_BUILD_HINT}"
            ) from None
        except Exception as exc:
            error = redact(" ".join(f"{type(exc).__name__}: {exc}".split()), (api_key,))
            if built:  # the constructor worked: the factory hint would send the user astray
                raise BuildError(
                    f"--provider {self.spec.target}: built, but closing it failed ({error})"
                ) from None
            raise BuildError(
                f"--provider {self.spec.target}: cannot be built ({error}); {_BUILD_HINT}"
            ) from None

    def facts(self) -> dict[str, Any]:
        return {
            "target": self.spec.target,
            "dialect": self.dialect.name,
            "profile": self.profile.name,
        }
