"""Fake Aliyun dysmsapi with QuerySendDetails: the send records of one phone on one day.

A subclass of the SendSms fake (same signature checks) that also answers the query action
the outbox's lease reconciliation uses, from the messages it accepted, as dysmsapi does:
``SmsSendDetailDTOs.SmsSendDetailDTO`` entries with ``OutId`` and ``SendStatus`` (1 waiting
for the receipt, 3 delivered), paged by ``PageSize``/``CurrentPage``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from testkit.fakes.aliyun import KEY_ID, KEY_SECRET, FakeAliyunSms, _enc, error

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUERY_REQUIRED = ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "PhoneNumber",
                  "SendDate", "PageSize", "CurrentPage")


class FakeAliyunSmsWithQuery(FakeAliyunSms):
    """SendSms plus QuerySendDetails; ``queries`` counts the lookups answered."""

    def __init__(self) -> None:
        super().__init__()
        self.queries = 0

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any]:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if params.get("Action") != "QuerySendDetails":
            return super().handle(handler, body)
        missing = [k for k in QUERY_REQUIRED if not params.get(k)]
        if missing:
            return 400, error("MissingParameter", f"missing {missing[0]}")
        if params["AccessKeyId"] != KEY_ID:
            return 404, error("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        given = params.pop("Signature")
        canonical = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
        expected = base64.b64encode(hmac.new(
            f"{KEY_SECRET}&".encode(), f"{handler.command}&%2F&{_enc(canonical)}".encode(),
            hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(given, expected):
            return 400, error("SignatureDoesNotMatch", "Specified signature is not matched.")
        with self.lock:
            if params["SignatureNonce"] in self.nonces:
                return 400, error("SignatureNonceUsed", "nonce used")
            self.nonces.add(params["SignatureNonce"])
            self.queries += 1
            today = datetime.now(SHANGHAI).strftime("%Y%m%d")  # the fake's sends are all today
            mine = [r for r in self.requests
                    if r["phone"] == params["PhoneNumber"] and params["SendDate"] == today]
        size, page = int(params["PageSize"]), int(params["CurrentPage"])
        if not 1 <= size <= 50:
            return 200, error("isv.InvalidParameters", "PageSize 1-50")
        details = [{"PhoneNum": r["phone"], "SendStatus": 3, "ErrCode": "DELIVERED",
                    "TemplateCode": r["template"], "OutId": r["out_id"],
                    "SendDate": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")}
                   for r in mine[(page - 1) * size:page * size]]
        return 200, {"Code": "OK", "Message": "OK", "RequestId": uuid.uuid4().hex,
                     "TotalCount": len(mine), "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}}
