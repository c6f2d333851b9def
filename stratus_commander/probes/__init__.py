"""Async probes of the real services (Qt-free). See :mod:`stratus_commander.probes.base`."""
