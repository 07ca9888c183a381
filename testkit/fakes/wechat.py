"""Fake WeChat server API on 127.0.0.1: tokens, template/subscribe/custom sends, QR, OAuth, login.

It checks what WeChat checks: appid/secret, a currently valid ``access_token`` (a token from
``/cgi-bin/token`` invalidates the previous one after ``overlap`` seconds; ``stable_token``
tokens are a separate family that a plain call leaves alone and ``force_refresh`` replaces),
UTF-8 JSON bodies with the required fields, template ids, openids of this app, followers
(43004), one-time grants (43101), field values (≤20 characters, no line breaks), and
single-use codes (40029). Tests register users, grants and codes, and script faults per
path (``fail(path, 40001)``, ``fail(path, 40001, forever=True)``, ``fail(path, status=500)``,
``fail(path, delay=…)``). Every request is recorded in ``calls``; accepted sends in
``requests`` (the field the SMS fakes use too).

Usage::

    fake = FakeWeChat().start()
    fake.follower("o-member-1")               # an OA follower
    fake.grant("o-member-1", fake.SUB_CARD)   # one bizsend allowed
    fake.mini_user("m-member-1", grants={fake.MP_CARD: 1})
    app config: wechat_config(fake.url)
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from testkit.fakes.base import FakeServer, Fault

OA_APPID, OA_SECRET = "wx-oa-test-appid", "oa-secret-for-loopback"
MP_APPID, MP_SECRET = "wx-mp-test-appid", "mp-secret-for-loopback"
TPL_CARD, TPL_REMINDER, TPL_NOTICE = "TPL-CARD-1", "TPL-REMIND-1", "TPL-NOTICE-1"
SUB_CARD, SUB_REMINDER = "SUB-CARD-1", "SUB-REMIND-1"
MP_CARD, MP_REMINDER = "MP-CARD-1", "MP-REMIND-1"
TOKEN_TTL = 7200
FIELD_LIMIT = 20


def err(code: int, msg: str) -> dict[str, Any]:
    """Return a WeChat error body."""
    return {"errcode": code, "errmsg": f"{msg} rid: {secrets.token_hex(4)}"}


ERRMSG = {40001: "invalid credential, access_token is invalid or not latest",
          42001: "access_token expired", 43004: "require subscribe",
          43101: "user refuse to accept the msg", 45009: "reach max api daily quota limit",
          45011: "api minute-quota reach limit", 40003: "invalid openid",
          40037: "invalid template_id", 47003: "argument invalid!",
          47001: "data format error", 40029: "invalid code", 40163: "code been used",
          40013: "invalid appid", 40125: "invalid appsecret", 41001: "access_token missing"}


@dataclass
class Issued:
    appid: str
    family: str  # "normal" or "stable"
    expires: float
    dies: float | None = None  # set when a newer token of the family replaced it


@dataclass
class User:
    appid: str
    following: bool = True
    grants: Counter[str] = field(default_factory=Counter)  # template id → one-time grants


class FakeWeChat(FakeServer):
    """api.weixin.qq.com and open.weixin.qq.com (OAuth page) in one loopback server."""

    OA_APPID, MP_APPID = OA_APPID, MP_APPID
    SUB_CARD, SUB_REMINDER, MP_CARD, MP_REMINDER = SUB_CARD, SUB_REMINDER, MP_CARD, MP_REMINDER

    def __init__(self, overlap: float = 300.0, token_ttl: int = TOKEN_TTL) -> None:
        super().__init__()
        self.overlap, self.token_ttl = overlap, token_ttl
        self.apps = {OA_APPID: OA_SECRET, MP_APPID: MP_SECRET}
        self.templates = {OA_APPID: {TPL_CARD, TPL_REMINDER, TPL_NOTICE, SUB_CARD, SUB_REMINDER},
                          MP_APPID: {MP_CARD, MP_REMINDER}}
        self.tokens: dict[str, Issued] = {}
        self.users: dict[str, User] = {}
        self.oauth_codes: dict[str, tuple[str, float]] = {}  # code → (openid, expiry)
        self.js_codes: dict[str, str] = {}
        self.used_codes: set[str] = set()
        self.oauth_next: str | None = None  # the member the next authorize page "is"
        self.qrcodes: dict[str, dict[str, Any]] = {}  # ticket → the create request
        self.path_faults: dict[str, deque[Fault]] = {}
        self.path_always: dict[str, Fault] = {}
        self.calls: list[dict[str, Any]] = []  # every request, as received, with the answer
        self.server.RequestHandlerClass = self._handler_class()
        # A client that timed out has gone when the slow answer is written: not an error.
        self.server.handle_error = lambda request, client_address: None  # type: ignore

    # ---- test set-up ----------------------------------------------------------------------

    def follower(self, openid: str, *, following: bool = True) -> None:
        """Register an openid of the official account (following it, or not)."""
        with self.lock:
            self.users[openid] = User(OA_APPID, following)

    def grant(self, openid: str, template_id: str, times: int = 1) -> None:
        """Give ``openid`` one-time subscription grants for ``template_id``."""
        with self.lock:
            self.users[openid].grants[template_id] += times

    def mini_user(self, openid: str, grants: dict[str, int] | None = None) -> None:
        """Register a mini-program openid with its subscription grants."""
        with self.lock:
            self.users[openid] = User(MP_APPID, True, Counter(grants or {}))

    def js_code(self, code: str, openid: str) -> None:
        """Register a ``wx.login`` code for ``openid`` (single use)."""
        with self.lock:
            self.js_codes[code] = openid

    def oauth_code(self, code: str, openid: str, ttl: float = 300.0) -> None:
        """Register a web-OAuth code for ``openid`` (single use, ``ttl`` seconds)."""
        with self.lock:
            self.oauth_codes[code] = (openid, time.time() + ttl)

    def fail(self, path: str, errcode: int | None = None, *, status: int = 200,
             delay: float = 0.0, forever: bool = False, times: int = 1) -> None:
        """Script a fault on ``path``: a WeChat errcode, an HTTP status, or a slow answer."""
        body = err(errcode, ERRMSG.get(errcode, "error")) if errcode is not None else None
        fault = Fault(status if errcode is None else 200, body, delay)
        with self.lock:
            if forever:
                self.path_always[path] = fault
            else:
                self.path_faults.setdefault(path, deque()).extend([fault] * times)

    def clear_faults(self) -> None:
        with self.lock:
            self.path_faults.clear()
            self.path_always.clear()

    def expire_tokens(self) -> None:
        """Make every issued access token invalid now (as after a forced refresh elsewhere)."""
        with self.lock:
            for issued in self.tokens.values():
                issued.dies = time.time() - 1

    def token_fetches(self) -> list[dict[str, Any]]:
        """Return the recorded token requests (both endpoints)."""
        return [c for c in self.calls
                if c["path"] in ("/cgi-bin/token", "/cgi-bin/stable_token")]

    def sent(self, path: str) -> list[dict[str, Any]]:
        """Return the accepted requests to ``path``."""
        return [r for r in self.requests if r["path"] == path]

    # ---- HTTP ------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802
                self._serve(b"")

            def do_POST(self) -> None:  # noqa: N802
                self._serve(self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def _serve(self, body: bytes) -> None:
                status, answer, headers = fake.dispatch(self.command, self.path, body)
                data = b"" if answer is None else json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def dispatch(self, method: str, target: str, body: bytes
                 ) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(target)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        record: dict[str, Any] = {"method": method, "path": path, "query": query,
                                  "body": body, "at": time.time()}
        with self.lock:
            self.calls.append(record)
            queue = self.path_faults.get(path)
            fault = queue.popleft() if queue else self.path_always.get(path)
        if fault is not None:
            time.sleep(fault.delay)
            if not fault.proceed:
                record["answer"] = fault.body or {"status": fault.status}
                return fault.status, fault.body, {}
        status, answer, headers = self.route(method, path, query, body)
        record["answer"] = answer
        return status, answer, headers

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any]:
        raise NotImplementedError  # dispatch() serves every request

    def route(self, method: str, path: str, query: dict[str, str], body: bytes
              ) -> tuple[int, Any, dict[str, str]]:
        gets = {"/cgi-bin/token": self._token, "/sns/oauth2/access_token": self._oauth_token,
                "/sns/jscode2session": self._jscode2session,
                "/connect/oauth2/authorize": self._authorize}
        posts = {"/cgi-bin/stable_token": self._stable_token,
                 "/cgi-bin/message/template/send": self._template_send,
                 "/cgi-bin/message/subscribe/bizsend": self._bizsend,
                 "/cgi-bin/message/subscribe/send": self._mini_send,
                 "/cgi-bin/message/custom/send": self._custom_send,
                 "/cgi-bin/qrcode/create": self._qrcode}
        if method == "GET" and path in gets:
            return gets[path](query)
        if method == "POST" and path in posts:
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return 200, err(47001, ERRMSG[47001]), {}
            if not isinstance(data, dict):
                return 200, err(47001, ERRMSG[47001]), {}
            if path == "/cgi-bin/stable_token":
                return self._stable_token(data)
            appid, problem = self._caller(query)
            if problem is not None:
                return 200, problem, {}
            return posts[path]((appid, data))
        return 404, {"errcode": 404, "errmsg": "not found"}, {}

    # ---- tokens ----------------------------------------------------------------------------

    def _issue(self, appid: str, family: str) -> dict[str, Any]:
        now = time.time()
        with self.lock:
            for issued in self.tokens.values():
                if issued.appid == appid and issued.family == family and issued.dies is None:
                    issued.dies = now + (self.overlap if family == "normal" else 0)
            token = f"{family[0]}{secrets.token_urlsafe(48)}"
            self.tokens[token] = Issued(appid, family, now + self.token_ttl)
        return {"access_token": token, "expires_in": self.token_ttl}

    def _credentials(self, appid: str | None, secret: str | None) -> dict[str, Any] | None:
        if not appid or appid not in self.apps:
            return err(40013, ERRMSG[40013])
        if secret != self.apps[appid]:
            return err(40125, ERRMSG[40125])
        return None

    def _token(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if query.get("grant_type") != "client_credential":
            return 200, err(40002, "invalid grant_type"), {}
        problem = self._credentials(query.get("appid"), query.get("secret"))
        return 200, problem or self._issue(query["appid"], "normal"), {}

    def _stable_token(self, data: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if data.get("grant_type") != "client_credential":
            return 200, err(40002, "invalid grant_type"), {}
        problem = self._credentials(data.get("appid"), data.get("secret"))
        if problem is not None:
            return 200, problem, {}
        if not isinstance(data.get("force_refresh", False), bool):
            return 200, err(47001, ERRMSG[47001]), {}
        appid, now = data["appid"], time.time()
        if not data.get("force_refresh"):
            with self.lock:
                alive = [(t, i) for t, i in self.tokens.items() if i.appid == appid
                         and i.family == "stable" and i.dies is None and i.expires > now]
            if alive:  # normal mode: the current stable token, with what is left of its life
                token, issued = alive[-1]
                return 200, {"access_token": token, "expires_in": int(issued.expires - now)}, {}
        return 200, self._issue(appid, "stable"), {}

    def valid(self, token: str | None, appid: str | None = None) -> str | None:
        """Return the appid ``token`` belongs to if it is valid now, else None."""
        issued = self.tokens.get(token or "")
        now = time.time()
        if issued is None or issued.expires <= now or (issued.dies and issued.dies <= now):
            return None
        return issued.appid if appid in (None, issued.appid) else None

    def _caller(self, query: dict[str, str]) -> tuple[str, dict[str, Any] | None]:
        token = query.get("access_token")
        if not token:
            return "", err(41001, ERRMSG[41001])
        with self.lock:
            issued = self.tokens.get(token)
            appid = self.valid(token)
        if appid is None:
            expired = issued is not None and issued.dies is None
            return "", err(42001 if expired else 40001, ERRMSG[42001 if expired else 40001])
        return appid, None

    # ---- sends -----------------------------------------------------------------------------

    def _check_send(self, appid: str, data: dict[str, Any], *, needs_follow: bool,
                    grant: bool) -> dict[str, Any] | None:
        for key in ("touser", "template_id", "data"):
            if not data.get(key):
                return err(47001, f"data format error hint: [{key}] missing")
        with self.lock:
            user = self.users.get(data["touser"])
            if user is None or user.appid != appid:
                return err(40003, ERRMSG[40003])
            if data["template_id"] not in self.templates[appid]:
                return err(40037, ERRMSG[40037])
            if not isinstance(data["data"], dict):
                return err(47001, ERRMSG[47001])
            for key, item in data["data"].items():
                value = item.get("value") if isinstance(item, dict) else None
                if not isinstance(value, str) or not value or len(value) > FIELD_LIMIT \
                        or "\n" in value or "\r" in value:
                    return err(47003, f"argument invalid! data.{key}.value invalid")
            if needs_follow and not user.following:
                return err(43004, ERRMSG[43004])
            if grant:
                if user.grants[data["template_id"]] <= 0:
                    return err(43101, ERRMSG[43101])
                user.grants[data["template_id"]] -= 1
        return None

    def _accept(self, path: str, appid: str, data: dict[str, Any]) -> dict[str, Any]:
        msgid = int.from_bytes(secrets.token_bytes(7), "big")
        with self.lock:
            self.requests.append({"path": path, "appid": appid, "touser": data.get("touser"),
                                  "template_id": data.get("template_id"), "data": data.get("data"),
                                  "url": data.get("url"), "page": data.get("page"),
                                  "body": data, "msgid": msgid})
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    def _template_send(self, call: tuple[str, dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
        appid, data = call
        problem = self._check_send(appid, data, needs_follow=True, grant=False)
        return 200, problem or self._accept("/cgi-bin/message/template/send", appid, data), {}

    def _bizsend(self, call: tuple[str, dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
        appid, data = call
        problem = self._check_send(appid, data, needs_follow=False, grant=True)
        return 200, problem or self._accept("/cgi-bin/message/subscribe/bizsend", appid, data), {}

    def _mini_send(self, call: tuple[str, dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
        appid, data = call
        if "page" in data and (not isinstance(data["page"], str) or data["page"].startswith("/")):
            return 200, err(41030, "invalid page"), {}
        problem = self._check_send(appid, data, needs_follow=False, grant=True)
        return 200, problem or self._accept("/cgi-bin/message/subscribe/send", appid, data), {}

    def _custom_send(self, call: tuple[str, dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
        appid, data = call
        user = self.users.get(str(data.get("touser")))
        if user is None or user.appid != appid:
            return 200, err(40003, ERRMSG[40003]), {}
        if data.get("msgtype") != "text" or not (data.get("text") or {}).get("content"):
            return 200, err(47001, ERRMSG[47001]), {}
        return 200, self._accept("/cgi-bin/message/custom/send", appid, data), {}

    def _qrcode(self, call: tuple[str, dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
        appid, data = call
        action = data.get("action_name")
        scene = (data.get("action_info") or {}).get("scene") or {}
        if action in ("QR_STR_SCENE", "QR_LIMIT_STR_SCENE"):
            s = scene.get("scene_str")
            if not isinstance(s, str) or not 1 <= len(s) <= 64:
                return 200, err(40097, "invalid args: scene_str"), {}
        elif action in ("QR_SCENE", "QR_LIMIT_SCENE"):
            if not isinstance(scene.get("scene_id"), int) or scene["scene_id"] <= 0:
                return 200, err(40097, "invalid args: scene_id"), {}
        else:
            return 200, err(40097, "invalid args: action_name"), {}
        expire = int(data.get("expire_seconds") or 60) if "LIMIT" not in action else 0
        if expire > 2592000:
            return 200, err(40097, "invalid args: expire_seconds"), {}
        ticket = secrets.token_urlsafe(24)
        with self.lock:
            self.qrcodes[ticket] = data
            self.requests.append({"path": "/cgi-bin/qrcode/create", "appid": appid,
                                  "body": data, "ticket": ticket})
        answer: dict[str, Any] = {"ticket": ticket, "url": f"http://weixin.qq.com/q/{ticket}"}
        if expire:
            answer["expire_seconds"] = expire
        return 200, answer, {}

    # ---- OAuth and mini-program login ------------------------------------------------------

    def _authorize(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", "")
        if query.get("appid") != OA_APPID or query.get("response_type") != "code" \
                or query.get("scope") not in ("snsapi_base", "snsapi_userinfo") \
                or not query.get("redirect_uri") or len(state) > 128 \
                or not all(c.isascii() and c.isalnum() for c in state):
            return 400, err(10003, "redirect_uri or params invalid"), {}
        with self.lock:
            openid = self.oauth_next
        if openid is None:
            return 400, err(10003, "no member set: fake.oauth_next"), {}
        code = secrets.token_urlsafe(16)
        self.oauth_code(code, openid)
        sep = "&" if "?" in query["redirect_uri"] else "?"
        location = f"{query['redirect_uri']}{sep}{urlencode({'code': code, 'state': state})}"
        return 302, None, {"Location": location}

    def _use_code(self, table: dict[str, Any], code: str) -> Any:
        with self.lock:
            if code in self.used_codes:
                return None
            value = table.pop(code, None)
            if value is not None:
                self.used_codes.add(code)
            return value

    def _oauth_token(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        problem = self._credentials(query.get("appid"), query.get("secret"))
        if problem is not None:
            return 200, problem, {}
        if query.get("grant_type") != "authorization_code":
            return 200, err(40002, "invalid grant_type"), {}
        found = self._use_code(self.oauth_codes, query.get("code", ""))
        if found is None or found[1] < time.time():
            return 200, err(40029, ERRMSG[40029]), {}
        return 200, {"access_token": secrets.token_urlsafe(32), "expires_in": 7200,
                     "refresh_token": secrets.token_urlsafe(32), "openid": found[0],
                     "scope": "snsapi_base"}, {}

    def _jscode2session(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        problem = self._credentials(query.get("appid"), query.get("secret"))
        if problem is not None:
            return 200, problem, {}
        if query.get("grant_type") != "authorization_code":
            return 200, err(40002, "invalid grant_type"), {}
        openid = self._use_code(self.js_codes, query.get("js_code", ""))
        if openid is None:
            return 200, err(40029, ERRMSG[40029]), {}
        return 200, {"openid": openid, "session_key": secrets.token_urlsafe(16)}, {}


def wechat_config(url: str, **extra: Any) -> dict[str, Any]:
    """Return app settings pointing both WeChat apps at the fake at ``url``."""
    return {
        "WECHAT_API_BASE": url, "WECHAT_OPEN_BASE": url, "WECHAT_TIMEOUT": 2.0,
        "WECHAT_APPID": OA_APPID, "WECHAT_SECRET": OA_SECRET,
        "WECHAT_MP_APPID": MP_APPID, "WECHAT_MP_SECRET": MP_SECRET,
        "WECHAT_TEMPLATE_CARD": TPL_CARD, "WECHAT_TEMPLATE_REMINDER": TPL_REMINDER,
        "WECHAT_TEMPLATE_NOTICE": TPL_NOTICE,
        "WECHAT_SUBSCRIBE_CARD": SUB_CARD, "WECHAT_SUBSCRIBE_REMINDER": SUB_REMINDER,
        "WECHAT_MP_TEMPLATE_CARD": MP_CARD, "WECHAT_MP_TEMPLATE_REMINDER": MP_REMINDER,
        **extra,
    }
