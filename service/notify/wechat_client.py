"""A thin WeChat server-API client (official account or mini-program) on the shared token store.

Why not wechatpy 1.8.18's ``WeChatClient`` for calling the API (wechatpy is left with the
callback's AES envelope and passive replies only): its token handling is wrong for us three ways:
it fetches from a hard-coded ``https://api.weixin.qq.com/cgi-bin/token`` whatever
``API_BASE_URL`` says (tests could not reach the fake through configuration), it has no
``stable_token`` (each process's fetch invalidates the others' tokens), and it keeps the
expiry on the client instance; ``auto_retry`` recurses without bound on 40001. What remains
is a JSON POST or GET with ``access_token`` in the query, which is this module. It uses
http.client, not requests, because urllib3 logs request URLs (and so the access token) at
DEBUG level; nothing here logs a URL, a token or a secret.

Call shapes (every call raises a ``service.notify.channel.SendError`` subclass on failure,
with WeChat's errcode as ``.code``, e.g. "40029" for a bad or reused code)::

    client = oa_client()                      # or mp_client(); LookupError if not configured
    client.post("cgi-bin/qrcode/create", {"expire_seconds": 2592000,
                "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": s}}})
    client.create_qrcode("c:42:ab12", 2592000)  # → {"ticket", "expire_seconds", "url"}
    client.authorize_url(redirect_uri, state)   # OA web OAuth (snsapi_base), 302 target
    client.oauth_access_token(code)             # → {"openid", "access_token", "scope", ...}
    mp_client().code2session(js_code)           # → {"openid", "session_key", "unionid"?}

The token lives in the database (``service.notify.tokens``), read and refreshed on short
connections of their own. On SQLite a refresh writes, so in a request make WeChat calls
before the request's own writes (or after its commit), not in between.

A token refused with 40001/40014/42001 is replaced once (see ``service.notify.tokens``)
and the call retried once; a second refusal raises ``TokenExpired``. Nothing else retries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import current_app

from service.notify import tokens, transport
from service.notify.channel import (
    Deferred,
    NotReachable,
    PermanentFailure,
    SendError,
    TokenExpired,
)

DEFAULT_API_BASE = "https://api.weixin.qq.com/"
DEFAULT_OPEN_BASE = "https://open.weixin.qq.com/"
DEFAULT_TIMEOUT = 5.0
TOKEN_REFUSED = {40001, 40014, 42001}
UNREACHABLE = {43004: "用户未关注公众号", 43101: "用户拒绝接收或没有订阅次数",
               43019: "用户在黑名单中", 48002: "用户拒收消息", 45015: "客服消息已超过回复时限"}
DEFERRED = {45009: ("接口调用已达当日上限", 3600.0), 45011: ("接口调用过于频繁", 60.0),
            45047: ("客服消息下行条数超过上限", 600.0), 45010: ("接口调用次数超过限制", 600.0),
            -1: ("微信系统繁忙", 30.0)}
PERMANENT = {40003: "openid无效", 40013: "AppID无效", 40125: "AppSecret无效",
             40164: "服务器IP不在白名单", 40037: "模板ID无效", 47003: "模板参数不合法",
             47001: "数据格式错误", 41030: "小程序页面路径无效", 48001: "接口未授权",
             40029: "code无效", 40163: "code已被使用", 41002: "缺少appid", 41004: "缺少secret"}



def error_for(errcode: int, errmsg: str) -> SendError:
    """Return the send error a WeChat errcode stands for (the dispatcher acts on its class)."""
    code, detail = str(errcode), (errmsg or "")[:80]
    if errcode in TOKEN_REFUSED:
        return TokenExpired(f"微信接口凭证无效（{detail}）", code=code)
    if errcode in UNREACHABLE:
        return NotReachable(f"微信：{UNREACHABLE[errcode]}", code=code)
    if errcode in DEFERRED:
        reason, wait = DEFERRED[errcode]
        return Deferred(f"微信：{reason}", code=code, retry_after=wait)
    if errcode in PERMANENT:
        return PermanentFailure(f"微信：{PERMANENT[errcode]}（{detail}）", code=code)
    return SendError(f"微信接口错误：{detail}", code=code)


@dataclass
class WeChatClient:
    """One WeChat app (appid + secret) reached at ``base`` (the API root, tests: a fake)."""

    appid: str
    secret: str
    base: str = DEFAULT_API_BASE
    open_base: str = DEFAULT_OPEN_BASE
    timeout: float = DEFAULT_TIMEOUT

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST JSON (UTF-8, unescaped) to ``path`` with the access token; return the answer."""
        return self._with_token("POST", path, {}, body)

    def get(self, path: str, query: Mapping[str, str] | None = None) -> dict[str, Any]:
        """GET ``path`` with the access token; return the answer."""
        return self._with_token("GET", path, dict(query or {}), None)

    def create_qrcode(self, scene_str: str, expire_seconds: int) -> dict[str, Any]:
        """Create a temporary parametric QR (scene 1-64 ASCII chars, ≤30 days)."""
        return self.post("cgi-bin/qrcode/create", {
            "expire_seconds": int(expire_seconds), "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene_str}}})

    def authorize_url(self, redirect_uri: str, state: str, scope: str = "snsapi_base") -> str:
        """Return the OA web-OAuth page to redirect a member to (state: ≤128 [A-Za-z0-9])."""
        query = urlencode({"appid": self.appid, "redirect_uri": redirect_uri,
                           "response_type": "code", "scope": scope, "state": state})
        return f"{self.open_base.rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect"

    def oauth_access_token(self, code: str) -> dict[str, Any]:
        """Exchange a web-OAuth ``code`` (single use, 5 minutes) for the member's openid."""
        return self._call("GET", "sns/oauth2/access_token", {
            "appid": self.appid, "secret": self.secret, "code": code,
            "grant_type": "authorization_code"}, None)

    def code2session(self, js_code: str) -> dict[str, Any]:
        """Exchange a mini-program ``wx.login`` code for openid and session_key (no token)."""
        return self._call("GET", "sns/jscode2session", {
            "appid": self.appid, "secret": self.secret, "js_code": js_code,
            "grant_type": "authorization_code"}, None)

    def fetch_token(self, force_refresh: bool) -> tuple[str, int]:
        """Ask ``/cgi-bin/stable_token`` for the app's token (tokens.py calls this)."""
        data = self._call("POST", "cgi-bin/stable_token", {}, {
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
            "force_refresh": force_refresh})
        if not data.get("access_token"):
            raise SendError("微信未返回接口凭证", code="no_token")
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def _with_token(self, method: str, path: str, query: dict[str, str],
                    body: Mapping[str, Any] | None) -> dict[str, Any]:
        token = tokens.current(self.appid, self.fetch_token)
        try:
            return self._call(method, path, {**query, "access_token": token.value}, body)
        except TokenExpired:
            token = tokens.replace(self.appid, self.fetch_token, token)
        # One retry with the replacement; a second refusal propagates as TokenExpired.
        return self._call(method, path, {**query, "access_token": token.value}, body)

    def _call(self, method: str, path: str, query: dict[str, str],
              body: Mapping[str, Any] | None) -> dict[str, Any]:
        url = f"{self.base.rstrip('/')}/{path.lstrip('/')}"
        if query:
            url = f"{url}?{urlencode(query)}"
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        status, answer = _request(method, url, data, self.timeout)
        if status >= 500:
            raise SendError(f"微信服务暂时不可用（HTTP {status}）", code=f"http_{status}")
        try:
            result = json.loads(answer)
        except ValueError:
            raise SendError(f"微信返回了无法解析的内容（HTTP {status}）",
                            code=f"http_{status}") from None
        errcode = int(result.get("errcode") or 0) if isinstance(result, dict) else 0
        if errcode:
            raise error_for(errcode, str(result.get("errmsg", "")))
        if status != 200 or not isinstance(result, dict):
            raise SendError(f"微信返回了意外的应答（HTTP {status}）", code=f"http_{status}")
        return result


def oa_client() -> WeChatClient:
    """Return the official account's client from WECHAT_APPID/WECHAT_SECRET."""
    return _client("WECHAT_APPID", "WECHAT_SECRET")


def mp_client() -> WeChatClient:
    """Return the mini-program's client from WECHAT_MP_APPID/WECHAT_MP_SECRET."""
    return _client("WECHAT_MP_APPID", "WECHAT_MP_SECRET")


def _client(appid_key: str, secret_key: str) -> WeChatClient:
    config = current_app.config
    appid, secret = config.get(appid_key), config.get(secret_key)
    if not appid or not secret:
        raise LookupError(f"未配置 {appid_key}/{secret_key}")
    return WeChatClient(
        appid=str(appid), secret=str(secret),
        base=str(config.get("WECHAT_API_BASE") or DEFAULT_API_BASE),
        open_base=str(config.get("WECHAT_OPEN_BASE") or DEFAULT_OPEN_BASE),
        timeout=float(config.get("WECHAT_TIMEOUT") or DEFAULT_TIMEOUT))


def _request(method: str, url: str, body: bytes | None, timeout: float) -> tuple[int, bytes]:
    # A WeChat call refused on a stale kept-alive connection never reached WeChat: retry it.
    headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
    return transport.request(method, url, body, headers, timeout, service="微信接口",
                             retry_stale=True)
