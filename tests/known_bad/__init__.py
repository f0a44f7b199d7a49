"""Known-bad providers: one planted bug per contract clause.

A check that cannot fail is a defect, so every clause has a provider here that the suite must
catch; tests/test_known_bad_providers.py runs each one and demands the right clause fails.
"""
