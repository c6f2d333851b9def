"""The drill simulator: a loopback fake of StratusConnect and its providers, playing scenarios.

- :mod:`.files`: where a scenario is and its title, without loading it (the cockpit's start-up)
- :mod:`.scenario`: scenario files (``resources/drills/*.toml``), their loader and the drill clock
- :mod:`.faults`: the fault catalogue scenarios switch on and off
- :mod:`.server`: :class:`Simulator`, the HTTP server (127.0.0.1 only)
- :mod:`.platform`, :mod:`.stripe_api`, :mod:`.providers`: the fake endpoints
- :mod:`.config`: the probe config pointing at a running simulator, and the drill's fake keys

The names below load their module when first used: the drill's cockpit paints its first frame
with :mod:`.files` alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stratus_commander.drill.config import drill_secrets, probe_config_toml
    from stratus_commander.drill.files import available_scenarios
    from stratus_commander.drill.scenario import Scenario, load_scenario
    from stratus_commander.drill.server import Simulator

__all__ = [
    "Scenario",
    "Simulator",
    "available_scenarios",
    "drill_secrets",
    "load_scenario",
    "probe_config_toml",
]

_HOME = {
    "Scenario": "scenario",
    "Simulator": "server",
    "available_scenarios": "files",
    "drill_secrets": "config",
    "load_scenario": "scenario",
    "probe_config_toml": "config",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
