"""Flask CLI: each command group lives in its own module here and calls the use cases."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register_commands(app: Flask) -> None:
    """Add the ``group`` of every module in this package to ``flask --app service``."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "group"):
            app.cli.add_command(module.group)
