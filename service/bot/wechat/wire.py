"""The WeChat callback's wire: signatures, the safe-mode (AES) envelope, safe XML, passive replies.

All wechatpy use is here. Signatures are sha1 over the sorted strings (token, timestamp,
nonce[, Encrypt]) compared in constant time; the AES envelope is opened with wechatpy's
PrpCrypto, which also checks the AppID at its tail. XML is refused before any parser sees
it if it declares a DOCTYPE or ENTITY (billion laughs, external entities) or an encoding
other than UTF-8, so parsing can only meet plain elements.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.replies import TextReply

from service.bot.wechat.push import WeChatPush

_DECLARATIONS = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_ENCODING = re.compile(r"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", re.IGNORECASE)


class Refused(Exception):
    """The push is not from WeChat or not readable: ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Account:
    """The official account's server settings (公众号 → 基本配置 → 服务器配置)."""

    token: str
    aes_key: str | None
    appid: str | None


def signature(*parts: str) -> str:
    """Return WeChat's signature: sha1 of the sorted strings, concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(account: Account, args: Mapping[str, str],
                    max_skew: float | None = None) -> None:
    """Refuse a request whose ``signature`` is not ours, or (``max_skew``) is stale (403).

    The plain signature does not cover the body, so a signed address seen once (in a log)
    could carry any body: the freshness window limits how long such an address is usable.
    """
    timestamp = args.get("timestamp", "")
    expected = signature(account.token, timestamp, args.get("nonce", ""))
    if not hmac.compare_digest(expected, args.get("signature", "")):
        raise Refused(403, "bad signature")
    if max_skew is not None:
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            raise Refused(403, "bad timestamp") from None
        if skew > max_skew:
            raise Refused(403, "stale timestamp")


def safe_text(raw: bytes) -> str:
    """Return the body as text if it is UTF-8 XML without declarations; else refuse (400)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, "not utf-8") from exc
    if "\x00" in text or _DECLARATIONS.search(text):
        raise Refused(400, "DTD or entity declaration")
    encoding = _ENCODING.search(text)
    if encoding and encoding.group(1).strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise Refused(400, "encoding")
    return text


def parse_xml(text: str) -> dict[str, Any]:
    """Return the children of the ``<xml>`` root as a dict, or refuse (400)."""
    try:
        data = xmltodict.parse(text, disable_entities=True)["xml"]
    except Exception as exc:  # expat errors, a missing root, a root with text only
        raise Refused(400, "malformed XML") from exc
    if not isinstance(data, dict):
        raise Refused(400, "malformed XML")
    return data


def open_envelope(account: Account, body: str, args: Mapping[str, str]) -> str:
    """Return the plaintext XML inside a safe-mode envelope, checking msg_signature and AppID."""
    if not account.aes_key or not account.appid:
        raise Refused(400, "safe mode is not configured")
    encrypted = parse_xml(body).get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise Refused(400, "no Encrypt element")
    expected = signature(account.token, args.get("timestamp", ""), args.get("nonce", ""),
                         encrypted)
    if not hmac.compare_digest(expected, args.get("msg_signature", "")):
        raise Refused(403, "bad msg_signature")
    try:
        plain = PrpCrypto(_key(account.aes_key)).decrypt(encrypted, account.appid)
    except InvalidAppIdException as exc:
        raise Refused(403, "wrong AppID") from exc
    except Exception as exc:  # bad base64, padding or length: not WeChat's envelope
        raise Refused(400, "undecryptable") from exc
    return safe_text(plain if isinstance(plain, bytes) else str(plain).encode())


def to_push(text: str) -> WeChatPush:
    """Return the message or event in the plaintext XML."""
    try:
        return WeChatPush.from_fields(parse_xml(text), raw=text)
    except ValueError as exc:
        raise Refused(400, str(exc)) from exc


def render_reply(account: Account, push: WeChatPush, content: str | None, *,
                 encrypted: bool, nonce: str, timestamp: str) -> str:
    """Return the passive reply (a text message; "success" when there is nothing to say)."""
    if not content:
        return "success"
    reply = TextReply(source=push.account, target=push.openid, content=content).render()
    if not encrypted:
        return reply
    assert account.aes_key and account.appid
    return WeChatCrypto(account.token, account.aes_key, account.appid).encrypt_message(
        reply, nonce, timestamp)


def _key(aes_key: str) -> bytes:
    import base64

    key = base64.b64decode(aes_key + "=")
    if len(key) != 32:
        raise Refused(500, "WECHAT_AES_KEY must be the 43-character EncodingAESKey")
    return key
