"""The drill simulator: a loopback fake of StratusConnect and its providers, playing scenarios.

- :mod:`.scenario`: scenario files (``resources/drills/*.toml``), their loader and the drill clock
- :mod:`.faults`: the fault catalogue scenarios switch on and off
- :mod:`.server`: :class:`Simulator`, the HTTP server (127.0.0.1 only)
- :mod:`.platform`, :mod:`.stripe_api`, :mod:`.providers`: the fake endpoints
- :mod:`.config`: the probe config pointing at a running simulator, and the drill's fake keys
"""

from stratus_commander.drill.config import drill_secrets, probe_config_toml
from stratus_commander.drill.scenario import Scenario, available_scenarios, load_scenario
from stratus_commander.drill.server import Simulator

__all__ = [
    "Scenario",
    "Simulator",
    "available_scenarios",
    "drill_secrets",
    "load_scenario",
    "probe_config_toml",
]
