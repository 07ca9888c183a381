"""Tencent Cloud SMS (API 2021-01-11 SendSms) over its documented TC3-HMAC-SHA256 protocol.

Why not the official SDK: tencentcloud-sdk-python-sms needs the common package and requests,
fixes the scheme at HttpProfile construction, and has a region breaker and a CVM-role
credential that can reach hosts other than the endpoint. The protocol is one signed JSON POST.
The outbox id travels as SessionContext and comes back in the answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

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

NAME = "sms_tencent"
DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com/"
SERVICE = "sms"
VERSION = "2021-01-11"
LIMIT_WAIT = {"LimitExceeded.PhoneNumberThirtySecondLimit": 60.0,
              "LimitExceeded.PhoneNumberOneHourLimit": 3600.0,
              "LimitExceeded.PhoneNumberDailyLimit": 6 * 3600.0,
              "LimitExceeded.PhoneNumberSameContentDailyLimit": 6 * 3600.0,
              "RequestLimitExceeded": 5.0}
UNREACHABLE = {"InvalidParameterValue.IncorrectPhoneNumber",
               "FailedOperation.PhoneNumberInBlacklist"}
PERMANENT_PREFIXES = ("AuthFailure", "UnauthorizedOperation", "FailedOperation.Insufficient",
                      "FailedOperation.SignatureIncorrectOrUnapproved",
                      "FailedOperation.TemplateIncorrectOrUnapproved", "MissingParameter",
                      "InvalidParameter")


def signature(secret_key: str, date: str, string_to_sign: str) -> str:
    """Return the TC3 signature: HMAC chain TC3+key → date → service → tc3_request."""
    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    key = mac(mac(mac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, host: str, payload: bytes,
                  timestamp: int) -> str:
    """Return the Authorization header for a JSON POST to ``host`` at ``timestamp``."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = ("POST\n/\n\ncontent-type:application/json; charset=utf-8\n"
                 f"host:{host}\n\ncontent-type;host\n{hashlib.sha256(payload).hexdigest()}")
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
               f"{hashlib.sha256(canonical.encode()).hexdigest()}")
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
            f"Signature={signature(secret_key, date, to_sign)}")


@dataclass
class TencentSms(TemplateSms):
    """Send cards and reminders as Tencent template SMS."""

    secret_id: str
    secret_key: str
    app_id: str
    sign_name: str
    templates: dict[str, str]
    endpoint: str = DEFAULT_ENDPOINT
    region: str = "ap-guangzhou"
    timeout: float = 5.0
    name: str = NAME

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TencentSms:
        """Build from TENCENT_* settings; credentials are always explicit."""
        return cls(
            secret_id=required(config, "TENCENT_SECRET_ID"),
            secret_key=required(config, "TENCENT_SECRET_KEY"),
            app_id=required(config, "TENCENT_SMS_APP_ID"),
            sign_name=required(config, "TENCENT_SMS_SIGN_NAME"),
            templates=cls.templates_from(config, "TENCENT"),
            endpoint=config.get("TENCENT_SMS_ENDPOINT") or DEFAULT_ENDPOINT,
            region=config.get("TENCENT_SMS_REGION") or "ap-guangzhou",
            timeout=float(config.get("NOTIFY_HTTP_TIMEOUT", 5.0)),
        )

    def _post(self, msg: Outgoing, template: str) -> SendResult:
        p = msg.params
        token = (msg.link or "").rsplit("/", 1)[-1]  # the short link's slug
        payload = json.dumps({
            "PhoneNumberSet": [f"+86{msg.phone}"], "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name, "TemplateId": template,
            "TemplateParamSet": [p.get("code", ""), p.get("minutes", "")] if msg.kind == "otp"
            else [p.get("name", ""), p.get("token", "")] if msg.kind == "notice"  # member notice
            else [p.get("name", ""), p.get("id", ""), p.get("phone", ""), p.get("code", ""), token],
            "SessionContext": str(msg.outbox_id),
        }, ensure_ascii=False, separators=(",", ":")).encode()
        host = urlsplit(self.endpoint).netloc
        now = int(time.time())
        headers = {
            "Authorization": authorization(self.secret_id, self.secret_key, host, payload, now),
            "Content-Type": "application/json; charset=utf-8", "Host": host,
            "X-TC-Action": "SendSms", "X-TC-Timestamp": str(now), "X-TC-Version": VERSION,
            "X-TC-Region": self.region,
        }
        status, body = transport.post(self.endpoint, payload, headers, self.timeout)
        return _result(status, body)


def _result(status: int, body: bytes) -> SendResult:
    try:
        response = json.loads(body)["Response"]
    except (ValueError, KeyError, TypeError):
        raise SendError(f"短信服务暂时失败：HTTP {status}", code=f"http_{status}") from None
    error = response.get("Error")
    if error is None:
        statuses = response.get("SendStatusSet") or [{}]
        error = statuses[0] if statuses[0].get("Code") != "Ok" else None
        if error is None:
            return SendResult(str(statuses[0].get("SerialNo") or ""),
                              {"RequestId": response.get("RequestId")})
    _raise(str(error.get("Code", "")), str(error.get("Message", ""))[:120])
    raise AssertionError("unreachable")


def _raise(code: str, message: str) -> None:
    if code in LIMIT_WAIT or code.startswith("LimitExceeded"):
        raise Deferred(f"短信发送频率受限：{message}", code=code,
                       retry_after=LIMIT_WAIT.get(code, 60.0))
    if code in UNREACHABLE:
        raise NotReachable(f"手机号码无法接收短信：{message}", code=code)
    if code.startswith(PERMANENT_PREFIXES):
        raise PermanentFailure(f"短信服务配置或余额问题：{message}", code=code)
    raise SendError(f"短信服务暂时失败：{message}", code=code)
