"""The production entry point: `gunicorn service.wsgi:app` (see `make serve` and deploy/).

Unlike `flask --app service …`, this refuses demo mode: it would generate keys per host,
open /console (every card link it sent) and let the session cookie travel over plain http.
"""

from __future__ import annotations

import sys

from flask import Flask

from service import create_app
from service.keys import MissingKeys

# gunicorn halts on a worker exiting with this code ("App failed to load") instead of booting
# the worker again and again.
APP_LOAD_ERROR = 4
DEMO_REFUSED = (
    "已设置 FLASK_DEMO：演示模式（自动生成密钥、/console 消息页、非 Secure 会话 Cookie）"
    "不能用于生产服务，拒绝启动。请从环境中删除 FLASK_DEMO；本机演示请用 `make demo`。"
)


class DemoRefused(RuntimeError):
    """FLASK_DEMO set where production starts."""


def production_app() -> Flask:
    """Create the app with production settings only, refusing demo mode."""
    app = create_app()
    if app.config["DEMO"]:
        raise DemoRefused(DEMO_REFUSED)
    return app


try:
    app = production_app()
except (MissingKeys, DemoRefused) as refusal:
    print(refusal, file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR)
