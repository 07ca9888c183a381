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
    # The channel ladder, best first; a member is skipped past rungs they have no address
    # on, and NotReachable moves a message down (e.g. "wechat_oa,wechat_mp,sms_aliyun").
    NOTIFY_CHANNELS = "console"
    # Origin of the member card links put in messages (https in production).
    PUBLIC_BASE_URL: str | None = None
    # SMS provider HTTP timeout, seconds (a timed-out send is retried with backoff).
    NOTIFY_HTTP_TIMEOUT = 5.0
    # Messages per second per provider, shared by all workers (service.notify.ratelimit);
    # 0 = unlimited. Over the limit a worker waits up to NOTIFY_RATE_MAX_WAIT seconds,
    # then defers the message a moment without counting an attempt.
    NOTIFY_RATE_WECHAT_OA = 50
    NOTIFY_RATE_WECHAT_MP = 50
    NOTIFY_RATE_SMS_ALIYUN = 1000
    NOTIFY_RATE_SMS_TENCENT = 1000
    NOTIFY_RATE_MAX_WAIT = 0.2
    # WeChat API root, token endpoint included (tests: the loopback fake), and the OAuth
    # page's root (open.weixin.qq.com); timeout in seconds for every WeChat call.
    WECHAT_API_BASE = "https://api.weixin.qq.com/"
    WECHAT_OPEN_BASE = "https://open.weixin.qq.com/"
    WECHAT_TIMEOUT = 5.0
    # Refresh the shared access token this many seconds before WeChat's expiry.
    WECHAT_TOKEN_MARGIN = 300.0
    # Official account (service account): credentials and template ids. Template message
    # ids (类目模板, fields thing1 姓名, character_string2 身份证号, phone_number3 手机号,
    # character_string4 确认码, thing5 提示; notice: thing1 事项, time2 时间) and
    # subscription-notice ids (bizsend, same fields); unset = that route is not used.
    WECHAT_APPID: str | None = None
    WECHAT_SECRET: str | None = None
    WECHAT_TEMPLATE_CARD: str | None = None
    WECHAT_TEMPLATE_REMINDER: str | None = None
    WECHAT_TEMPLATE_NOTICE: str | None = None
    WECHAT_SUBSCRIBE_CARD: str | None = None
    WECHAT_SUBSCRIBE_REMINDER: str | None = None
    # Where an admin notice's link points (default: PUBLIC_BASE_URL + "/admin/").
    WECHAT_NOTICE_URL: str | None = None
    # Mini-program: credentials, subscribe template ids (thing1 姓名, character_string2 确认码,
    # thing3 提示), the card page opened from the message (?token=<card token> is appended)
    # and miniprogram_state (developer / trial / formal).
    WECHAT_MP_APPID: str | None = None
    WECHAT_MP_SECRET: str | None = None
    WECHAT_MP_TEMPLATE_CARD: str | None = None
    WECHAT_MP_TEMPLATE_REMINDER: str | None = None
    WECHAT_MP_CARD_PAGE = "pages/card/index"
    WECHAT_MP_STATE = "formal"
    # Aliyun SMS (dysmsapi): explicit AccessKey only (no credential chain), an approved
    # signature and templates (card, reminder; reminder falls back to card). The endpoint
    # is configurable so tests reach the loopback fake.
    ALIYUN_ACCESS_KEY_ID: str | None = None
    ALIYUN_ACCESS_KEY_SECRET: str | None = None
    ALIYUN_SMS_SIGN_NAME: str | None = None
    ALIYUN_SMS_TEMPLATE_CARD: str | None = None
    ALIYUN_SMS_TEMPLATE_REMINDER: str | None = None
    ALIYUN_SMS_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
    # Tencent Cloud SMS (2021-01-11): explicit SecretId/Key, SmsSdkAppId, signature,
    # template ids, endpoint and region.
    TENCENT_SECRET_ID: str | None = None
    TENCENT_SECRET_KEY: str | None = None
    TENCENT_SMS_APP_ID: str | None = None
    TENCENT_SMS_SIGN_NAME: str | None = None
    TENCENT_SMS_TEMPLATE_CARD: str | None = None
    TENCENT_SMS_TEMPLATE_REMINDER: str | None = None
    TENCENT_SMS_ENDPOINT = "https://sms.tencentcloudapi.com/"
    TENCENT_SMS_REGION = "ap-guangzhou"

    # member side: WeChat callback, SMS inbound, card pages, binding, mini-program (service.bot)

    # reminders and the scheduler (service.scheduler, service.campaign.reminders)

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
