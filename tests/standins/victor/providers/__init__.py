"""Stand-in for `victor.providers`."""
