"""Staff read Chinese, not codes: the member record, the evidence timeline, the version history,
the audit log and the correction pages show channels, identities, methods, evidence kinds,
field names, audit actions and details, and editors by their Chinese names; and every code the
product writes has a name in ``service.labels``."""

from __future__ import annotations

import ast
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from service import labels
from service.campaign import workflow
from service.campaign.states import membership
from service.evidence import ledger
from service.extensions import db
from service.models import AdminUser, Card
from service.models.inbox import SMS_ALIYUN, SMS_TENCENT, WECHAT_MP, WECHAT_OA
from service.notify.router import SMS_CHANNELS, WECHAT_CHANNELS
from service.unit_of_work import run_unit
from testkit.admin import World, dispute, make_world, post, sign_in
from testkit.workflow import phone_contact

SERVICE = Path(__file__).resolve().parent.parent / "service"


class _Text(HTMLParser):
    """What a person reads on a page: text outside tags, scripts and styles (attribute values
    such as a filter's option codes are not shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def _read(client: Any, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return visible(r.get_data(as_text=True))


@pytest.fixture
def story(app: Flask) -> tuple[World, int, int, int]:
    """A member who got their card on WeChat, disputed it from their bound WeChat and whose
    record a branch admin then corrected; another confirmed by a collector over the phone."""
    w = make_world(app)
    me, away = w.members_b1[0], w.members_b1[1]
    with app.app_context():
        for key, name in (("branch_admin", "张三"), ("collector", "李四")):
            db.session.get(AdminUser, w.users[key]).display_name = name  # type: ignore[union-attr]
        card = db.session.get(Card, membership(w.campaign_id, me).card_id)
        ledger.append(ledger.CARD_SENT, actor="outbox:wechat_oa", member_id=me, card=card,
                      channel="wechat_oa")
        db.session.commit()
        collector = f"admin:{w.users['collector']}"
        run_unit(lambda: workflow.proxy_confirm(
            w.campaign_id, away, actor=collector, collector_name="李四", method="phone",
            confirmed_on=date(2017, 6, 30), reason="外出", contact=phone_contact()))
    request_id = dispute(app, me, w.campaign_id)
    client = app.test_client()
    sign_in(client, w.users["branch_admin"])
    r = post(client, f"/admin/corrections/{request_id}/accept",
             {"basis": "本人提供的户口本", "v_address": "北京市海淀区新地址路8号"})
    assert r.status_code == 302, r.get_data(as_text=True)
    return w, me, away, request_id


def test_member_record_timeline_and_history_in_chinese(
        app: Flask, story: tuple[World, int, int, int]) -> None:
    w, me, away, _ = story
    client = app.test_client()
    sign_in(client, w.users["committee_admin"])
    page = _read(client, f"/admin/members/{me}")
    for name in ("发送确认卡", "渠道：微信服务号", "提出修改", "身份核验：已绑定的微信账号",
                 "提出修改：家庭住址", "党支部管理员 张三", "采纳党员修改意见", "本人提供的户口本"):
        assert name in page, name
    for code in ("wechat_oa", "card_sent", "bound_openid", "admin:", "address", "correction",
                 "disputed", "wechat"):
        assert code not in page, code
    page = _read(client, f"/admin/members/{away}")
    for name in ("代为确认", "渠道：电话", "方式：电话", "身份核验：信息采集员核实"):
        assert name in page, name
    for code in ("proxy_confirmed", "phone", "collector"):
        assert code not in page, code


def test_audit_log_in_chinese(app: Flask, story: tuple[World, int, int, int]) -> None:
    w, *_ = story
    client = app.test_client()
    sign_in(client, w.users["committee_admin"])
    page = _read(client, "/admin/audit")
    for name in ("党支部管理员 张三", "信息采集员 李四", "采纳修改申请", "代为确认",
                 "原状态：待修改", "新状态：待确认", "党员确认记录", "修改申请", "方式：电话"):
        assert name in page, name
    for code in ("admin:", "correction.accept", "campaign.", "from_state", "to_state",
                 "campaign_member", "correction_request", "proxy_confirm", "pending", "phone"):
        assert code not in page, code


def test_corrections_in_chinese(app: Flask, story: tuple[World, int, int, int]) -> None:
    w, _, _, request_id = story
    client = app.test_client()
    sign_in(client, w.users["branch_admin"])
    queue = _read(client, "/admin/corrections?status=all")
    assert "1 项：家庭住址" in queue and "address" not in queue
    page = _read(client, f"/admin/corrections/{request_id}")
    assert "家庭住址" in page and "党支部管理员 张三 处理于" in page
    assert "address" not in page and "admin:" not in page


def test_audit_details_mask_personal_numbers() -> None:
    items = dict(labels.detail_items({
        "username": "110105198003150011", "reason": "bad_password", "locked": True,
        "fields": ["mobile", "address"], "channel": "sms_tencent", "mobile": "13912345678"}))
    assert items["用户名"].startswith("1101") and "19800315" not in items["用户名"]
    assert items == {**items, "原因": "密码错误", "账号已锁定": "是", "信息项": "手机号、家庭住址",
                     "渠道": "短信"}
    assert "12345678" not in items["手机号"]


# ---- every code the product writes has a name -------------------------------------------------

def _calls() -> list[tuple[str, ast.Call]]:
    found = []
    for path in SERVICE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                found.append((name, node))
    return found


def _text(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _text(node.body) + _text(node.orelse)
    return []


def test_every_audit_action_detail_and_target_has_a_name() -> None:
    actions: set[str] = {"login.failed", "import.members", "import.orgs"}  # built, not literal
    details: set[str] = set()
    targets: set[str] = set()
    for name, call in _calls():
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        if name == "move":  # campaign transitions: "campaign.<action>" plus move's own keys
            actions.update(f"campaign.{a}" for a in _text(keywords.get("action", ast.Pass())))
            details.update(set(keywords) - {"actor", "action"})
            details.update({"campaign_id", "member_id", "card_id", "from_state", "to_state"})
        elif name in ("record", "audit", "_commit", "_audit") and call.args and _text(call.args[0]):
            actions.update(_text(call.args[0]))
            details.update(set(keywords) - {"actor", "target_type", "target_id", "ip",
                                            "user_agent", "actor_name"})
        if "target_type" in keywords:
            targets.update(_text(keywords["target_type"]))
    details |= {"username", "reason", "locked", "role", "org_id", "sessions_ended", "at", "file",
                "wechat"}
    assert len(actions) > 35 and len(details) > 40  # the scan found the calls
    assert actions - set(labels.AUDIT_ACTION_LABELS) == set()
    assert details - set(labels.AUDIT_DETAIL_LABELS) == set()
    assert targets - set(labels.TARGET_TYPE_LABELS) == set()


def test_every_channel_identity_kind_and_method_has_a_name() -> None:
    channels = {*SMS_CHANNELS, *WECHAT_CHANNELS, "console", SMS_ALIYUN, SMS_TENCENT, WECHAT_OA,
                WECHAT_MP, "wechat", "miniprogram", "sms", "web", *workflow.PROXY_METHODS}
    assert channels - set(labels.CHANNEL_LABELS) == set()
    kinds = {v for k, v in vars(ledger).items() if k.isupper() and isinstance(v, str)
             and k not in ("GENESIS_HASH",)}
    assert kinds - set(labels.EVIDENCE_KIND_LABELS) == set()
    identities = {"signed_link", "bound_openid", "sms_code", "sms_phone", "collector"}
    assert identities - set(labels.IDENTITY_LABELS) == set()
    for name, call in _calls():
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        for code in _text(keywords.get("identity", ast.Pass())):
            assert code in labels.IDENTITY_LABELS, code
        if name in ("update_member", "create_member"):
            for code in _text(keywords.get("source", ast.Pass())):
                assert code in labels.VERSION_SOURCE_LABELS, code
