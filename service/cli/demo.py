"""`flask demo …`: synthetic demo data."""

from __future__ import annotations

import click
from flask.cli import AppGroup

group = AppGroup("demo", help="演示数据。")


@group.command("seed")
@click.option("--members", default=200, show_default=True, help="党员人数")
@click.option("--seed", default=1, show_default=True, help="随机种子")
def seed(members: int, seed: int) -> None:
    """Generate a synthetic committee with branches and members."""
    raise click.ClickException("尚未实现")
