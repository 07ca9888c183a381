"""Fake Aliyun dysmsapi: checks the RPC signature, nonce, timestamp and SendSms parameters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from testkit.fakes.base import FakeServer, Fault

KEY_ID = "LTAI-test-key-id"
KEY_SECRET = "test-secret-for-loopback"
SIGN_NAME = "测试党委"
TEMPLATES = {"SMS_CARD_1", "SMS_REMIND_1"}
REQUIRED = ("AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce",
            "SignatureVersion", "Timestamp", "Version", "Signature", "PhoneNumbers",
            "SignName", "TemplateCode", "TemplateParam")
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _enc(text: str) -> str:
    # Written out byte by byte, independent of the client's urllib-based encoder.
    return "".join(chr(b) if chr(b) in UNRESERVED else f"%{b:02X}" for b in text.encode())


def error(code: str, message: str) -> dict[str, Any]:
    """Return an Aliyun error body."""
    return {"Code": code, "Message": message, "RequestId": uuid.uuid4().hex}


def limit_control(message: str = "触发分钟级流控Permits:1") -> Fault:
    """Return the fault Aliyun answers a rate-limited number with (HTTP 200, business code)."""
    return Fault(200, error("isv.BUSINESS_LIMIT_CONTROL", message))


class FakeAliyunSms(FakeServer):
    """Accept SendSms like dysmsapi does; record each accepted message."""

    def __init__(self) -> None:
        super().__init__()
        self.nonces: set[str] = set()

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any]:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        missing = [k for k in REQUIRED if not params.get(k)]
        if missing:
            return 400, error("MissingParameter", f"missing {missing[0]}")
        if params["AccessKeyId"] != KEY_ID:
            return 404, error("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        given = params.pop("Signature")
        canonical = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
        to_sign = f"{handler.command}&%2F&{_enc(canonical)}"
        expected = base64.b64encode(hmac.new(f"{KEY_SECRET}&".encode(), to_sign.encode(),
                                              hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(given, expected):
            return 400, error("SignatureDoesNotMatch", "Specified signature is not matched.")
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        if abs(datetime.now(UTC).replace(tzinfo=None) - stamp) > timedelta(minutes=15):
            return 400, error("InvalidTimeStamp.Expired", "timestamp expired")
        with self.lock:
            if params["SignatureNonce"] in self.nonces:
                return 400, error("SignatureNonceUsed", "nonce used")
            self.nonces.add(params["SignatureNonce"])
        if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
            return 400, error("InvalidAction.NotFound", "action")
        if params["SignName"] != SIGN_NAME:
            return 200, error("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法")
        if params["TemplateCode"] not in TEMPLATES:
            return 200, error("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法")
        if not re.fullmatch(r"1\d{10}", params["PhoneNumbers"]):
            return 200, error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        try:
            variables = json.loads(params["TemplateParam"])
        except ValueError:
            return 200, error("isv.INVALID_JSON_PARAM", "JSON参数不合法")
        if any("http://" in str(v) or "https://" in str(v) for v in variables.values()):
            return 200, error("isv.PARAM_NOT_SUPPORT_URL", "不支持URL")
        biz_id = f"{uuid.uuid4().int % 10**15}^0"
        with self.lock:
            self.requests.append({"out_id": params.get("OutId"), "phone": params["PhoneNumbers"],
                                  "template": params["TemplateCode"], "params": variables,
                                  "biz_id": biz_id})
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id,
                     "RequestId": uuid.uuid4().hex}
