"""Flask CLI: each command group lives in its own module and calls the use cases."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Add every command group to ``flask --app service``."""
    from service.cli import demo

    for module in (demo,):
        app.cli.add_command(module.group)
