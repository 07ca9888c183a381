"""Settings: defaults here, overridden by FLASK_* environment variables, then by test overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask


class Config:
    """Defaults that are safe on a development machine."""

    # database: None means SQLite in the instance folder (filled in by load_config)
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}

    # security: keys left unset are generated once into the instance folder (see service.keys)
    SECRET_KEY: str | None = None
    DATA_KEY: str | None = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # people see Asia/Shanghai; storage is UTC
    TIMEZONE = "Asia/Shanghai"

    # where attachments (recordings, screenshots, signed paper forms) live; None = instance/evidence
    EVIDENCE_DIR: str | None = None

    # sending: channels, outbox, WeChat and SMS providers (service.notify)

    # member side: WeChat callback, SMS inbound, card pages, binding, mini-program (service.bot)

    # reminders and the scheduler (service.scheduler, service.campaign.reminders)
    # A run missed while the scheduler was down is made once on restart within this many
    # seconds; later than that the next run catches up anyway (jobs decide from the database).
    SCHEDULER_MISFIRE_GRACE_SECONDS = 1800
    # Tests only: one trigger for every job instead of JOBS' cron, e.g.
    # {"trigger": "interval", "seconds": 0.3}, so a subprocess test needn't wait for 10:00.
    SCHEDULER_TRIGGER: dict[str, Any] | None = None
    # Tests only: `flask scheduler run` reads "now" (Asia/Shanghai wall time) from this file.
    REMINDER_CLOCK_FILE: str | None = None
    # Notices to admins and branch secretaries are outbox rows the admin pages list; this
    # channel only marks them posted (the console page shows them in the demo).
    REMINDER_NOTICE_CHANNEL = "console"

    # admin web: sign-in, sessions, uploads (service.admin)


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Load defaults, then FLASK_* variables, then explicit overrides, and fill derived values."""
    app.config.from_object(Config)
    app.config.from_prefixed_env("FLASK")
    if overrides:
        app.config.update(overrides)

    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'member_confirm.db'}"
    if not app.config["EVIDENCE_DIR"]:
        app.config["EVIDENCE_DIR"] = str(instance / "evidence")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    # Behind a TLS proxy in production the session cookie must not travel in clear text.
    if not app.debug and not app.testing and os.environ.get("FLASK_INSECURE_COOKIES") != "1":
        app.config.setdefault("SESSION_COOKIE_SECURE", True)


def engine_options(uri: str) -> dict[str, Any]:
    """Return engine options suited to the database behind ``uri``."""
    if uri.startswith("mysql"):
        # READ COMMITTED keeps SKIP LOCKED claims and concurrent confirmations from
        # seeing stale snapshots; pre-ping survives the server's idle disconnects.
        return {"pool_pre_ping": True, "pool_recycle": 3600, "isolation_level": "READ COMMITTED"}
    if uri.startswith("sqlite"):
        # Several processes (web, worker, scheduler) share one file: wait for locks instead
        # of failing at once.
        return {"connect_args": {"timeout": 30}}
    return {}
