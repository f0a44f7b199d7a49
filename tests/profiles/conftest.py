"""The stand-in packages (tests/standins: victor, orchestrator, llm_providers, seed_custom_llm)
are importable by their seed module names in these tests, as PYTHONPATH=tests/standins makes
them for the command line."""

from __future__ import annotations

import sys
from pathlib import Path

STANDINS = Path(__file__).resolve().parents[1] / "standins"
if str(STANDINS) not in sys.path:
    sys.path.insert(0, str(STANDINS))
