"""Stand-in for the `victor` package: just its provider interface (see tests/standins/README.md)."""
