"""Live probing for the cockpit: the probe engine, the recorder and, for a drill, the simulator.

    live = LiveProbes(config.probes, db_path, incidents, current_incident=lambda: cockpit_id)
    live = LiveProbes.drill("payment-processing-down", 1.0, db_path, incidents, current)
    live.start()            # on a running event loop (qasync in the GUI)
    ...
    await live.aclose()     # cancels the loops, flushes samples, closes the client, stops the drill

Qt-free: the GUI subscribes to ``live.engine`` through its Bus. A drill's probe config holds only
``env:`` references (as a real one does); they resolve to :func:`drill_secrets` in-process, through
the engine's resolver, so nothing is written to the process environment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path

from stratus_commander.clock import Clock
from stratus_commander.config import parse_config
from stratus_commander.drill import Simulator, drill_secrets, probe_config_toml
from stratus_commander.drill.scenario import Scenario
from stratus_commander.incident import Incidents
from stratus_commander.probes.base import ProbeSpec, StateChange
from stratus_commander.probes.engine import ProbeEngine
from stratus_commander.recorder import Recorder
from stratus_commander.secrets import register_secret, resolve_secret

__all__ = ["LiveProbes", "drill_resolver"]


def drill_resolver() -> Callable[[str], str | None]:
    """Resolve the drill's ``env:`` references to its fake keys (anything else as usual)."""
    secrets = drill_secrets()
    for value in secrets.values():
        register_secret(value)  # redacted like real keys wherever they might be written

    def resolve(ref: str) -> str | None:
        if ref.startswith("env:") and ref[4:] in secrets:
            return secrets[ref[4:]]
        return resolve_secret(ref)

    return resolve


class LiveProbes:
    """Everything that runs while the cockpit watches: started and closed as one."""

    def __init__(
        self,
        specs: Iterable[ProbeSpec],
        db_path: Path,
        incidents: Incidents,
        current_incident: Callable[[], int | None],
        *,
        simulator: Simulator | None = None,
        resolve: Callable[[str], str | None] = resolve_secret,
        clock: Clock | None = None,
        max_concurrency: int = 50,
        batch_interval_s: float = 1.0,
    ) -> None:
        self.engine = ProbeEngine.with_own_client(
            specs, resolve=resolve, clock=clock, max_concurrency=max_concurrency
        )
        self.recorder = Recorder(db_path, incidents, current_incident, batch_interval_s)
        self._detach = [
            self.engine.on_result(self.recorder.on_result),
            self.engine.on_state_change(self.recorder.on_state_change),
        ]
        self.simulator = simulator
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def drill(
        cls,
        scenario: Scenario | str,
        speed: float,
        db_path: Path,
        incidents: Incidents,
        current_incident: Callable[[], int | None],
        *,
        clock: Clock | None = None,
        simulator_clock: Clock | None = None,
    ) -> LiveProbes:
        """Start the simulator on 127.0.0.1 and probe it with the drill's probe config."""
        simulator = Simulator(scenario, speed=speed, clock=simulator_clock)
        base_url = simulator.start()
        try:
            config = parse_config(probe_config_toml(base_url, speed), source="drill probe config")
            return cls(
                config.probes,
                db_path,
                incidents,
                current_incident,
                simulator=simulator,
                resolve=drill_resolver(),
                clock=clock,
            )
        except BaseException:
            simulator.stop()
            raise

    @property
    def first_failure(self) -> StateChange | None:
        """The first probe flip to a failing state since start: the detection evidence."""
        return self.recorder.first_failure

    def start(self) -> None:
        """Run the probes and the recorder's batch writer on the running event loop."""
        if self._tasks:
            raise RuntimeError("already started")
        self._tasks = [
            asyncio.ensure_future(self.engine.run()),
            asyncio.ensure_future(self.recorder.run()),
        ]

    async def aclose(self) -> None:
        """Stop probing, write what is buffered, close the client and the simulator.

        The recorder lets go first: whatever the probes see while things shut down (a simulator
        that stopped answering) is not evidence and must not reach the store or the timeline.
        The simulator stops before the probes are cancelled, so it expects the cut connections.
        """
        for detach in self._detach:
            detach()
        try:
            if self.simulator is not None:
                self.simulator.stop()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
            await self.engine.aclose()
        finally:
            await self.recorder.aclose()
