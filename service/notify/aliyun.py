"""Aliyun SMS (dysmsapi 2017-05-25 SendSms) over its documented RPC protocol.

Signature: HMAC-SHA1, key = AccessKeySecret + "&", over
``POST&%2F&percentEncode(sorted, percent-encoded query)``; base64 into ``Signature``.
Why not the official SDK: alibabacloud-dysmsapi20170525 pulls in darabonba-core (aiohttp,
requests, websocket-client), alibabacloud-credentials (APScheduler, aiofiles, and a default
chain that probes the ECS metadata address) and caps cryptography below 51. The protocol is
one signed POST; this module is that POST, with explicit credentials only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from service.notify import transport
from service.notify.channel import (
    Deferred,
    NotReachable,
    Outgoing,
    PermanentFailure,
    SendError,
    SendResult,
    required,
)
from service.notify.template_sms import TemplateSms

NAME = "sms_aliyun"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
PERMANENT = {"isv.AMOUNT_NOT_ENOUGH", "isv.SMS_SIGNATURE_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL",
             "isv.PARAM_NOT_SUPPORT_URL", "isv.TEMPLATE_MISSING_PARAMETERS",
             "InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch", "MissingParameter"}
UNREACHABLE = {"isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT"}


def percent_encode(value: str) -> str:
    """Encode as Aliyun's RPC signature requires (RFC 3986: only A-Z a-z 0-9 - _ . ~ kept)."""
    return quote(value, safe="~")


def sign(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    """Return the RPC signature of ``params``."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                         for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class AliyunSms(TemplateSms):
    """Send cards and reminders as Aliyun template SMS; the outbox id travels as OutId."""

    access_key_id: str
    access_key_secret: str
    sign_name: str
    templates: dict[str, str]  # message kind → approved TemplateCode
    endpoint: str = DEFAULT_ENDPOINT
    timeout: float = 5.0
    name: str = NAME

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AliyunSms:
        """Build from ALIYUN_* settings; credentials are always explicit."""
        return cls(
            access_key_id=required(config, "ALIYUN_ACCESS_KEY_ID"),
            access_key_secret=required(config, "ALIYUN_ACCESS_KEY_SECRET"),
            sign_name=required(config, "ALIYUN_SMS_SIGN_NAME"),
            templates=cls.templates_from(config, "ALIYUN"),
            endpoint=config.get("ALIYUN_SMS_ENDPOINT") or DEFAULT_ENDPOINT,
            timeout=float(config.get("NOTIFY_HTTP_TIMEOUT", 5.0)),
        )

    def _post(self, msg: Outgoing, template: str) -> SendResult:
        params = {
            "AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON",
            "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25", "PhoneNumbers": msg.phone, "SignName": self.sign_name,
            "TemplateCode": template, "OutId": str(msg.outbox_id),
            "TemplateParam": json.dumps(template_params(msg), ensure_ascii=False),
        }
        params["Signature"] = sign(params, self.access_key_secret)
        status, body = transport.post(
            self.endpoint, urlencode(params).encode(),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, self.timeout)
        return _result(status, body)


def template_params(msg: Outgoing) -> dict[str, str]:
    """Return the template variables; the link's fixed part lives in the approved template
    (Aliyun refuses URLs in variables), so only the slug after "/s/" travels."""
    p = msg.params
    if msg.kind == "otp":  # an approved verification-code template takes ${code} only
        return {"code": p.get("code", "")}
    if msg.kind == "notice":  # a member notice: ${name}, and ${token} after the fixed "/s/"
        return {"name": p.get("name", ""), "token": p.get("token", "")}
    token = (msg.link or "").rsplit("/", 1)[-1]
    return {"name": p.get("name", ""), "id": p.get("id", ""), "phone": p.get("phone", ""),
            "code": p.get("code", ""), "token": token}


def _result(status: int, body: bytes) -> SendResult:
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    code = str(data.get("Code", ""))
    if status == 200 and code == "OK":
        return SendResult(str(data.get("BizId") or ""), {"RequestId": data.get("RequestId")})
    message = str(data.get("Message") or f"HTTP {status}")[:120]
    if code == "isv.BUSINESS_LIMIT_CONTROL" or code.startswith("Throttling"):
        raise Deferred(f"短信发送频率受限：{message}", code=code, retry_after=_limit_wait(message))
    if code in UNREACHABLE:
        raise NotReachable(f"手机号码无法接收短信：{message}", code=code)
    if code in PERMANENT:
        raise PermanentFailure(f"短信服务配置或余额问题：{message}", code=code)
    raise SendError(f"短信服务暂时失败：{message}", code=code or f"http_{status}")


def _limit_wait(message: str) -> float:
    if "天" in message:
        return 6 * 3600.0
    if "小时" in message:
        return 3600.0
    return 60.0
