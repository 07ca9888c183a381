"""The hand-written OpenAPI 3.0 document of the mini-program API (served at /api/openapi.json).

Kept next to the API and checked against it by schemathesis (tests/test_mini_api_fuzz.py):
every operation, its request body, each status it can answer and the bearer-token auth.
"""

from __future__ import annotations

from typing import Any

from service.bot.mini.body import MAX_ID
from service.records.fields import MEMBER_LABELS

_STR = {"type": "string"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ok(data: dict[str, Any], description: str) -> dict[str, Any]:
    return _json({"type": "object", "required": ["success", "data"],
                  "properties": {"success": {"type": "boolean", "enum": [True]}, "data": data}},
                 description)


def _fail(description: str) -> dict[str, Any]:
    return _json(_ref("Failure"), description)


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _obj(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, **extra}


_UNAUTHORIZED = {"401": {**_fail("令牌缺失、无效或已过期"),
                         "headers": {"WWW-Authenticate": {"schema": _STR}}}}
_COMMON = {"400": _fail("请求不符合约定（errors 指明字段和原因）"), **_UNAUTHORIZED}
_BOUND = {**_COMMON, "403": _fail("尚未绑定党员身份，或确认卡不属于本人")}
# At least one character that is not white space as Python's str.strip() sees it (input is
# stripped): ECMA's \S alone would admit the separators U+001C-U+001F and U+0085.
_TEXT = r"[^\s\u001c-\u001f\u0085]"
_CLAIM = {"name": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": _TEXT,
                   "description": "姓名"},
          "id_tail": {"type": "string", "pattern": "^[0-9]{5}[0-9Xx]$",
                      "description": "身份证号后六位"},
          "scene": {"type": "string", "maxLength": 64, "pattern": "^([mo][0-9]{1,18})?$",
                    "description": "小程序码场景值：m<党员编号> 或 o<党组织编号>，可省略"}}
_CARD_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

SCHEMAS: dict[str, Any] = {
    "Failure": _obj(["code", "message", "success", "errors"], {
        "code": {"type": "integer", "description": "HTTP 状态码"},
        "message": {"type": "string", "description": "第一条原因（中文）"},
        "success": {"type": "boolean", "enum": [False]},
        "errors": {"type": "object", "additionalProperties": _STR,
                   "description": "字段名（或 request/auth/body）→ 中文原因"},
        "new_card": {"type": "object", "nullable": True,
                     "description": "确认卡已更新时的新卡（id, sha256, short_code）"}}),
    "Member": _obj(["name"], {"name": _STR}, nullable=True),
    "Item": _obj(["field", "label", "value"], {
        "field": _STR, "label": _STR,
        "value": {"type": "string", "description": "代码已换成名称，身份证号和电话已打码"}}),
    "Card": _obj(["card_id", "card_hash", "short_code", "campaign", "state", "state_label",
                  "items"], {
        "card_id": {"type": "integer"}, "card_hash": _STR, "short_code": _STR,
        "campaign": _obj(["id", "name", "deadline"], {
            "id": {"type": "integer"}, "name": _STR, "deadline": {"type": "string",
                                                                  "format": "date"}}),
        "state": _STR, "state_label": _STR,
        "items": {"type": "array", "items": _ref("Item")}}, nullable=True),
}


def _operation(summary: str, responses: dict[str, Any], *, body: dict[str, Any] | None = None,
               secured: bool = True) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = _body(body)
    op["security"] = [{"bearer": []}] if secured else []
    return op


PATHS: dict[str, Any] = {
    "/api/mini/login": {"post": _operation(
        "用 wx.login 的 code 换取本系统的令牌（不返回 session_key）",
        {"200": _ok(_obj(["token", "expires_in", "bound", "member"], {
            "token": _STR, "expires_in": {"type": "integer"}, "bound": {"type": "boolean"},
            "member": _ref("Member")}), "登录成功；bound 表示是否已绑定党员身份"),
         "400": _fail("请求不符合约定"), "401": _fail("code 无效或已使用"),
         "429": _fail("登录过于频繁"),
         "502": _fail("微信登录服务暂时不可用"), "503": _fail("小程序尚未配置")},
        body=_obj(["code"], {"code": {"type": "string", "minLength": 1, "maxLength": 128,
                                      "pattern": _TEXT}}),
        secured=False)},
    "/api/mini/bind/code": {"post": _operation(
        "核对姓名和身份证号后六位；相符时向登记手机发送验证码（无论是否相符，答复相同）",
        {"200": _ok(_obj(["sent", "message"], {"sent": {"type": "boolean"}, "message": _STR}),
                    "已受理"),
         **_COMMON, "409": _fail("没有登记手机号码，无法发送验证码"),
         "429": _fail("尝试次数过多已暂停，或获取验证码过于频繁"),
         "503": _fail("短信通道尚未开通")},
        body=_obj(["name", "id_tail"], _CLAIM))},
    "/api/mini/bind": {"post": _operation(
        "以姓名、身份证号后六位和短信验证码绑定党员身份",
        {"200": _ok(_obj(["bound", "repeated", "member"], {
            "bound": {"type": "boolean"}, "repeated": {"type": "boolean"},
            "member": _ref("Member")}), "绑定成功（repeated：此前已绑定）"),
         **_COMMON, "403": _fail("姓名、身份证号后六位或验证码不正确（不指明哪一项）"),
         "429": _fail("尝试次数过多，已暂停验证")},
        body=_obj(["name", "id_tail", "code"], {
            **_CLAIM, "code": {"type": "string", "pattern": "^[0-9]{6}$"}}))},
    "/api/mini/card": {"get": _operation(
        "我的待确认信息（信息项为名称，身份证号和电话打码）及电子确认声明",
        {"200": _ok(_obj(["card", "more", "consent"], {
            "card": _ref("Card"), "more": {"type": "integer", "minimum": 0},
            "consent": _obj(["version", "text", "given"], {
                "version": _STR, "text": _STR, "given": {"type": "boolean"}})}), "待确认信息"),
         **_UNAUTHORIZED, "403": _fail("尚未绑定党员身份")})},
    "/api/mini/confirm": {"post": _operation(
        "确认信息无误（与卡的摘要绑定；重复确认返回同一凭证）",
        {"200": _ok(_obj(["evidence_id", "entry_hash", "repeated", "state"], {
            "evidence_id": _STR, "entry_hash": _STR, "repeated": {"type": "boolean"},
            "state": _STR}), "已确认"),
         **_BOUND, "404": _fail("确认卡不存在或不在确认范围内"),
         "409": _fail("信息已更新（new_card 为新卡）或当前状态不能确认")},
        body=_obj(["card_id", "consent"], {
            "card_id": _CARD_ID, "card_hash": {"type": "string", "maxLength": 64},
            "consent": {"type": "boolean", "enum": [True]}}))},
    "/api/mini/dispute": {"post": _operation(
        "指出哪些信息有误及正确内容，提交党支部处理",
        {"200": _ok(_obj(["request_id", "fields", "state"], {
            "request_id": {"type": "integer"}, "fields": {"type": "array", "items": _STR},
            "state": _STR}), "已提交"),
         **_BOUND, "404": _fail("确认卡不存在或不在确认范围内"),
         "409": _fail("信息已更新或当前状态不能提出修改")},
        body=_obj(["card_id", "fields"], {
            "card_id": _CARD_ID,
            "fields": {"type": "object", "minProperties": 1, "additionalProperties": False,
                       "properties": {k: {"type": "string", "minLength": 1, "maxLength": 200,
                                          "pattern": _TEXT, "description": label}
                                      for k, label in MEMBER_LABELS.items()},
                       "description": "有误的信息项 → 正确内容，如 {\"address\": \"…\"}"},
            "note": {"type": "string", "maxLength": 500}}))},
    "/api/mini/status": {"get": _operation(
        "是否已绑定，以及各项进行中的信息确认工作的状态",
        {"200": _ok(_obj(["bound", "member", "memberships"], {
            "bound": {"type": "boolean"}, "member": _ref("Member"),
            "memberships": {"type": "array", "items": _obj(
                ["campaign_id", "campaign", "state", "state_label", "card_id"], {
                    "campaign_id": {"type": "integer"}, "campaign": _STR, "state": _STR,
                    "state_label": _STR, "card_id": {"type": "integer", "nullable": True}})}}),
            "状态"), **_UNAUTHORIZED})},
}


def document() -> dict[str, Any]:
    """Return the OpenAPI document."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "党员信息确认 小程序接口", "version": "1.0.0",
                 "description": "所有答复为 {\"success\": true, \"data\": …} 或 "
                                "{\"code\": 状态码, \"message\": 原因, \"success\": false, "
                                "\"errors\": {字段: 原因}}。"
                                "除登录外均需 Authorization: Bearer <令牌>（由登录接口返回）。"},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "POST /api/mini/login 返回的令牌，不是微信的 session_key"}}},
    }
