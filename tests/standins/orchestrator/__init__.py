"""Stand-in for the Multi-LLM Orchestrator package (seed 001): providers and a small Router."""

from orchestrator.router import Router

__all__ = ["Router"]
