"""The pytest face of the harness, at the top of the house.

`hooks` is the plugin pytest loads (entry point `pytest11`); `state` is what one session keeps;
`options` is the one table of the run's options (the CLI's `run` is built from it too);
`checks` is the `conformance` fixture's object; `suite` is the subclassable test class;
`matrix`, `gate`, `shards` and `progress` serve runs over many providers and machines;
`scrubbing` and `quiet_logs` shape what pytest prints. Nothing below this package imports it.

Importing this package does not load the hooks: pytest registers them through the entry point.
"""

__all__: list[str] = []
