"""Errors the harness raises at its users: bad options, bad files, bad targets.

A `UsageError` is always one line that names the option, file or target at fault and says what to
do; the CLI prints it and exits 2, the pytest plugin turns it into a pytest usage error.
"""

from __future__ import annotations


class UsageError(Exception):
    """A mistake in how the harness was invoked or configured, not a provider failure."""


class ScenarioError(UsageError):
    """A scenario file that does not load or validate; the message names file and JSON pointer."""


class ScenarioRenderError(Exception):
    """A scenario the server cannot play as written, found only when a dialect renders it (a
    fault's piece count beyond the reply's pieces). A harness error: the check is incomplete,
    never a verdict on the provider."""
