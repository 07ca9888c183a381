"""Fake Tencent Cloud SMS: checks the TC3-HMAC-SHA256 signature, headers and SendSms body."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from testkit.fakes.base import FakeServer, Fault

SECRET_ID = "AKID-test-secret-id"
SECRET_KEY = "test-secret-key-loopback"
APP_ID = "1400000001"
SIGN_NAME = "测试党委"
TEMPLATES = {"1000001", "1000002"}


def error(code: str, message: str) -> dict[str, Any]:
    """Return a Tencent Cloud API error body."""
    return {"Response": {"Error": {"Code": code, "Message": message},
                         "RequestId": str(uuid.uuid4())}}


def status_fault(code: str, message: str = "") -> Fault:
    """Return a per-number failure (the request succeeds, the number's status does not)."""
    return Fault(200, {"Response": {"SendStatusSet": [{"Code": code, "Message": message,
                                                       "SerialNo": "", "Fee": 0}],
                                    "RequestId": str(uuid.uuid4())}})


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


class FakeTencentSms(FakeServer):
    """Accept SendSms like sms.tencentcloudapi.com does; record each accepted message."""

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any]:
        h = handler.headers
        if h.get("X-TC-Action") != "SendSms" or h.get("X-TC-Version") != "2021-01-11":
            return 200, error("InvalidAction", "action or version")
        stamp = int(h.get("X-TC-Timestamp", "0"))
        if abs(time.time() - stamp) > 300:
            return 200, error("AuthFailure.SignatureExpire", "expired")
        match = re.fullmatch(
            r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, "
            r"SignedHeaders=content-type;host, Signature=([0-9a-f]{64})",
            h.get("Authorization", ""))
        if match is None or match.group(1) != SECRET_ID:
            return 200, error("AuthFailure.SecretIdNotFound", "credential")
        date = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
        canonical = "\n".join([
            "POST", "/", "", f"content-type:{h.get('Content-Type', '').strip().lower()}",
            f"host:{h.get('Host', '').strip().lower()}",
            "", "content-type;host", hashlib.sha256(body).hexdigest()])
        to_sign = "\n".join(["TC3-HMAC-SHA256", str(stamp), f"{date}/sms/tc3_request",
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = _hmac(_hmac(_hmac(("TC3" + SECRET_KEY).encode(), date), "sms"), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if match.group(2) != date or not hmac.compare_digest(expected, match.group(3)):
            return 200, error("AuthFailure.SignatureFailure", "signature")
        data = json.loads(body)
        for field in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId", "SignName"):
            if not data.get(field):
                return 200, error("MissingParameter", field)
        if data["SmsSdkAppId"] != APP_ID:
            return 200, error("InvalidParameterValue.SdkAppIdNotExist", "app")
        if data["SignName"] != SIGN_NAME:
            return 200, error("FailedOperation.SignatureIncorrectOrUnapproved", "sign")
        if data["TemplateId"] not in TEMPLATES:
            return 200, error("FailedOperation.TemplateIncorrectOrUnapproved", "template")
        phone = data["PhoneNumberSet"][0]
        serial = f"2433:{uuid.uuid4().int % 10**20}"
        if not re.fullmatch(r"\+861\d{10}", phone):
            status = {"Code": "InvalidParameterValue.IncorrectPhoneNumber", "SerialNo": "",
                      "PhoneNumber": phone, "Message": "incorrect number", "Fee": 0}
        else:
            status = {"Code": "Ok", "SerialNo": serial, "PhoneNumber": phone, "Fee": 1,
                      "Message": "send success", "IsoCode": "CN",
                      "SessionContext": data.get("SessionContext", "")}
            with self.lock:
                self.requests.append({"out_id": data.get("SessionContext"), "phone": phone,
                                      "template": data["TemplateId"],
                                      "params": data.get("TemplateParamSet", []),
                                      "serial": serial})
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": str(uuid.uuid4())}}
