"""Settings: defaults here, overridden by FLASK_* variables, then by create_app(config)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask


class Config:
    """Defaults that are safe on a development machine."""

    # database: None means SQLite in the instance folder (filled in by load_config)
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}

    # Demo mode (`make demo`): keys may be generated into the instance folder, /console shows
    # what the console channel "sent" with every card link in it, and the session cookie may
    # travel over plain http. Never in production: the wsgi entry point refuses to start.
    DEMO = False
    # Behind this many reverse proxies, trust that many X-Forwarded-For/-Proto/-Host entries
    # (0 = none): otherwise throttling sees every member as the proxy's address.
    PROXY_FIX = 0

    # security: both keys are shared by every host and process and must be set in production
    # (service.keys refuses to start without them; the demo and tests may generate them).
    SECRET_KEY: str | None = None
    DATA_KEY: str | None = None
    # The previous data key while `flask keys rotate-data` re-encrypts under DATA_KEY: values
    # and look-ups still work under it until the command says it may be removed.
    DATA_KEY_OLD: str | None = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # CSRF (Flask-WTF): every form post carries the session's token in ``csrf_token``; scripts
    # send it in this header. The token lives as long as the browser session, so a member who
    # reads a card for an hour is not refused. The HTTPS Referer check is off: member pages
    # send no Referer (the card link must not leak), and the session-bound token plus
    # SameSite=Lax cookies already stop cross-site posts.
    WTF_CSRF_HEADERS = ["X-CSRF-Token"]
    WTF_CSRF_TIME_LIMIT: int | None = None
    WTF_CSRF_SSL_STRICT = False
    # None: Secure everywhere but in the demo and the tests (plain http there); see load_config.
    SESSION_COOKIE_SECURE: bool | None = None

    # people see Asia/Shanghai; storage is UTC
    TIMEZONE = "Asia/Shanghai"

    # where attachments (recordings, screenshots, signed paper forms) live; None = instance/evidence
    EVIDENCE_DIR: str | None = None
    # where evidence blobs, import uploads and error reports are stored (service.storage):
    # "local" = EVIDENCE_DIR and ADMIN_IMPORT_DIR; "s3" = one S3-compatible bucket (MinIO,
    # Aliyun OSS, Tencent COS) that every host sees, with keys given here, never looked up.
    STORAGE_BACKEND = "local"
    S3_ENDPOINT_URL: str | None = None
    S3_BUCKET: str | None = None
    S3_ACCESS_KEY: str | None = None
    S3_SECRET_KEY: str | None = None
    S3_REGION = "us-east-1"

    # sending: channels, outbox, WeChat and SMS providers (service.notify)
    # The channel ladder, best first; a member is skipped past rungs they have no address
    # on, and NotReachable moves a message down (e.g. "wechat_oa,wechat_mp,sms_aliyun").
    NOTIFY_CHANNELS = "console"
    # Origin of the member card links put in messages (https in production).
    PUBLIC_BASE_URL: str | None = None
    # SMS provider HTTP timeout, seconds (a timed-out send is retried with backoff).
    NOTIFY_HTTP_TIMEOUT = 5.0
    # Messages one worker has with providers at once (threads): providers answer in
    # 50-200 ms, so sending one at a time would leave a worker mostly waiting.
    NOTIFY_SEND_CONCURRENCY = 8
    # How long a worker's claim on a batch lasts; a worker that dies loses it after this.
    NOTIFY_LEASE_SECONDS = 60
    # No card or reminder reaches a member in these hours (Asia/Shanghai, "start-end";
    # empty = none): whatever queued it (a campaign started at night, a retry's backoff),
    # it waits for the morning. One-time codes the member asked for are not held.
    NOTIFY_QUIET_HOURS = "21-8"
    # Messages per second per provider, shared by all workers (service.notify.ratelimit);
    # 0 = unlimited. Over the limit a worker waits up to NOTIFY_RATE_MAX_WAIT seconds,
    # then defers the message a moment without counting an attempt.
    NOTIFY_RATE_WECHAT_OA = 50
    NOTIFY_RATE_WECHAT_MP = 50
    NOTIFY_RATE_SMS_ALIYUN = 1000
    NOTIFY_RATE_SMS_TENCENT = 1000
    NOTIFY_RATE_MAX_WAIT = 0.2
    # WeChat API root, token endpoint included (WeChat's backup domains, or an egress
    # proxy, may stand in for it), and the OAuth page's root (open.weixin.qq.com); timeout
    # in seconds for every WeChat call.
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
    # is configurable (another region's, or an egress proxy).
    ALIYUN_ACCESS_KEY_ID: str | None = None
    ALIYUN_ACCESS_KEY_SECRET: str | None = None
    ALIYUN_SMS_SIGN_NAME: str | None = None
    ALIYUN_SMS_TEMPLATE_CARD: str | None = None
    ALIYUN_SMS_TEMPLATE_REMINDER: str | None = None
    ALIYUN_SMS_TEMPLATE_OTP: str | None = None  # verification-code template, ${code} only
    ALIYUN_SMS_TEMPLATE_NOTICE: str | None = None  # member notice: ${name} ${token}
    ALIYUN_SMS_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
    # Tencent Cloud SMS (2021-01-11): explicit SecretId/Key, SmsSdkAppId, signature,
    # template ids, endpoint and region.
    TENCENT_SECRET_ID: str | None = None
    TENCENT_SECRET_KEY: str | None = None
    TENCENT_SMS_APP_ID: str | None = None
    TENCENT_SMS_SIGN_NAME: str | None = None
    TENCENT_SMS_TEMPLATE_CARD: str | None = None
    TENCENT_SMS_TEMPLATE_REMINDER: str | None = None
    TENCENT_SMS_TEMPLATE_OTP: str | None = None  # verification-code template: {1} code, {2} minutes
    TENCENT_SMS_TEMPLATE_NOTICE: str | None = None  # a member notice: {1} name, {2} link slug
    TENCENT_SMS_ENDPOINT = "https://sms.tencentcloudapi.com/"
    TENCENT_SMS_REGION = "ap-guangzhou"

    # member side: WeChat callback, SMS inbound, card pages, binding, mini-program (service.bot)
    # WeChat server settings (公众号 → 基本配置 → 服务器配置). The Token signs every callback;
    # /wechat/callback answers 404 until it is set. With an EncodingAESKey (43 characters)
    # only safe-mode (AES) pushes are accepted and the AppID inside each is checked.
    # (The AppID checked inside each push is WECHAT_APPID, set with the sending settings.)
    WECHAT_TOKEN: str | None = None
    WECHAT_AES_KEY: str | None = None
    # WeChat stamps each push with the time; older (or future) ones are refused, which bounds
    # how long a signed address (the plain signature does not cover the body) can be replayed.
    WECHAT_MAX_CLOCK_SKEW = 300
    # A callback is a few hundred bytes; refuse anything bigger before parsing it.
    WECHAT_CALLBACK_MAX_BYTES = 64 * 1024
    # SMS providers do not sign their pushes: they must call /sms/<provider>/<receipt|reply>
    # with ?token=<SMS_PUSH_TOKEN>; the endpoints answer 404 until it is set.
    SMS_PUSH_TOKEN: str | None = None
    # Aliyun batches receipts (hundreds per push), so this is larger than the WeChat limit.
    SMS_PUSH_MAX_BYTES = 1024 * 1024
    # card pages: how long a member's link works (a campaign runs for weeks; the card's hash
    # check refuses outdated content anyway), and how many wrong short links one address may
    # try per window before /s/ asks it to wait (brute-force guessing of slugs)
    MEMBER_LINK_MAX_AGE = 60 * 24 * 3600
    MEMBER_LINK_MISS_LIMIT = 20
    MEMBER_LINK_MISS_WINDOW = 600
    # A member's proof of identity (SMS code or WeChat OAuth) shows the full ID number on the
    # card it was made for, for this long; then the page asks again (a phone left unlocked).
    MEMBER_VERIFIED_MINUTES = 30
    # -- one-time SMS codes (service.identity.otp): short-lived, few sends, few guesses, then a lock
    OTP_TTL_SECONDS = 600  # a code is good for 10 minutes
    OTP_RESEND_SECONDS = 60  # an elderly member may tap "send" twice; one SMS a minute
    OTP_MAX_PER_HOUR = 5  # codes per phone per hour (Aliyun's own verification-code limit)
    OTP_MAX_FAILURES = 5  # wrong codes (or binding details) before the subject is locked
    OTP_LOCK_SECONDS = 1800  # how long a lock lasts
    # -- WeChat OAuth and QR codes (service.bot.wechat.oauth, service.cli.qr; the app and its
    #    bases are the WECHAT_* settings of service.notify.wechat_client)
    OAUTH_STATE_SECONDS = 600  # an OAuth round trip left unfinished this long is refused
    WECHAT_OA_NAME = "党员信息确认"  # the official account's name as printed on posters
    WECHAT_QR_EXPIRE_SECONDS = 30 * 24 * 3600  # a member's own QR: temporary, WeChat's maximum
    # -- mini-program API (service.bot.mini.api): our own bearer token after code2session
    MINI_SESSION_SECONDS = 7 * 24 * 3600

    # reminders and the scheduler (service.scheduler, service.campaign.reminders)
    # A run missed while the scheduler was down is made once on restart within this many
    # seconds; later than that the next run catches up anyway (jobs decide from the database).
    SCHEDULER_MISFIRE_GRACE_SECONDS = 1800
    # Only the `scheduler run` process holding this database lease runs jobs; it renews it
    # every quarter of this time, and a standby takes over within it after the holder dies.
    SCHEDULER_LEASE_SECONDS = 30
    # Notices to admins and branch secretaries are outbox rows the admin pages list; this
    # channel only marks them posted (the console page shows them in the demo).
    REMINDER_NOTICE_CHANNEL = "console"

    # admin web: sign-in, sessions, uploads (service.admin)
    # sign-in throttling. An account locks after this many failures in a row, for
    # this long; one address may fail this many times per window across all accounts.
    ADMIN_LOGIN_MAX_FAILURES = 5
    ADMIN_LOGIN_LOCK_MINUTES = 15
    ADMIN_IP_MAX_FAILURES = 20
    ADMIN_IP_WINDOW_MINUTES = 15
    # a session ends after this much inactivity, and in any case after the hard limit.
    ADMIN_SESSION_IDLE_MINUTES = 30
    ADMIN_SESSION_MAX_HOURS = 12
    # full phone numbers one staff account may reveal per hour (collectors' calls); the
    # next is refused until the hour is over.
    ADMIN_PHONE_REVEALS_PER_HOUR = 30
    # shortest password `flask users create/passwd` accepts.
    ADMIN_PASSWORD_MIN_LENGTH = 10
    # rows per page in admin lists (members, queues); bigger pages slow 100k rosters.
    ADMIN_PAGE_SIZE = 50
    # largest request body (uploads: recordings up to 50MB, see evidence.attachments).
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024
    # where web imports keep the upload (deleted when the job ends: it holds ID
    # numbers) and the error report; None = instance/imports.
    ADMIN_IMPORT_DIR: str | None = None
    # days an import's error report (a copy of the upload, ID numbers and all) is kept.
    IMPORT_REPORT_RETENTION_DAYS = 7
    # largest roster workbook the import page accepts (a 100k-member 附件4 is ~15MB).
    ADMIN_IMPORT_MAX_BYTES = 30 * 1024 * 1024
    # checked from the zip directory and each sheet's <dimension> before any row is parsed, on
    # the web and the CLI: a small file that unpacks to gigabytes, or claims millions of rows,
    # is refused in seconds (a 100k-member 附件4 unpacks to ~150MB).
    IMPORT_MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
    IMPORT_MAX_ROWS = 200_000
    IMPORT_MAX_COLUMNS = 200
    # an import that would rename more existing members than this (matched by ID number) is
    # refused unless confirmed (--accept-changes, the checkbox on the import page).
    IMPORT_MAX_IDENTITY_CHANGES = 3
    # a web import still "checking"/"writing" with no progress for this long was left by a
    # process that died; it is marked failed.
    IMPORT_STALE_MINUTES = 30
    # Who runs a web import: "thread" (the web process that took the upload, as on one
    # machine and in the demo) or "worker" (the web only queues it; `flask imports work`
    # processes, any number on any hosts, claim it).
    IMPORT_RUNNER = "thread"
    # A running import renews its claim every third of this time; a job whose claim has run
    # out (its process died) is claimed again and run from the start, as it wrote nothing.
    IMPORT_LEASE_SECONDS = 120
    # Claims a job gets before it is failed with a message instead of run again.
    IMPORT_MAX_ATTEMPTS = 3
    # rows per page in the audit log viewer.
    ADMIN_AUDIT_PAGE_SIZE = 50


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
    # (Flask's own default is False, so an unset value is told apart by None, not by absence.)
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = not (app.config["DEMO"] or app.testing)


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
