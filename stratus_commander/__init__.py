"""Stratus Commander: the incident commander's cockpit for the StratusConnect runbook.

Everything in this package except :mod:`stratus_commander.qt` is Qt-free and runs headless.
"""

__version__ = "0.1.0"
