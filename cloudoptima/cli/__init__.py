"""The ``cloudoptima`` command line: a thin layer over :class:`cloudoptima.Workspace`.

Each ``*_commands`` module registers its commands on :data:`main` when imported.
"""

from __future__ import annotations

from cloudoptima.cli import (
    account_commands,
    analysis_commands,
    app_commands,
    ask_commands,
    azure_commands,
    data_commands,
    insight_commands,
    report_commands,
)
from cloudoptima.cli.base import main

__all__ = [
    "account_commands",
    "analysis_commands",
    "app_commands",
    "ask_commands",
    "azure_commands",
    "data_commands",
    "insight_commands",
    "main",
    "report_commands",
]
