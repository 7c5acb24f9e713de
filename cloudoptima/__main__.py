"""``python -m cloudoptima`` runs the command line."""

from __future__ import annotations

from cloudoptima.cli import main

main()
