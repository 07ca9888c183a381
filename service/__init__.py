"""Application factory: assembles config, extensions, blueprints and CLI; nothing else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Create and configure an instance of the application.

    :param config: settings applied last, over the defaults and FLASK_* variables (tests).
    :param instance_path: where keys, the SQLite file and evidence live; default ./instance.
    """
    from service import admin, bot, crypto, csrf, keys, sqlite
    from service.cli import register_commands
    from service.config import load_config
    from service.errors import register_error_handlers
    from service.extensions import db, migrate

    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        instance_relative_config=True,
        static_folder=str(STATIC_DIR),
    )
    load_config(app, config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_FIX"]:
        # Trust that many proxies for the client's address, scheme and host.
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    keys.init_app(app)
    crypto.init_app(app)
    db.init_app(app)
    sqlite.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    import service.models  # noqa: F401  (every model registered before migrations look)
    from service.home import bp as home_bp
    from service.notify.console_page import bp as console_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(console_bp)
    bot.register_blueprints(app)
    admin.register_blueprints(app)
    csrf.init_app(app)  # after the admin's user lookup: a refusal page knows who is signed in
    register_error_handlers(app)
    register_commands(app)
    return app
