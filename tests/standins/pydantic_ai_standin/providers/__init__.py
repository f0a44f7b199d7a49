"""pydantic-ai's providers: what a model talks through."""
