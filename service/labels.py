"""The Chinese names staff read for the codes stored in rows: channels, identities, evidence
kinds, audit actions and their details, version sources, and who did something.

Codes stay codes in the database, the JSON APIs and the evidence chain; every staff page and
printed form shows them through these tables (``service.admin.labelling`` makes them Jinja
filters). A code missing from a table shows as itself, so add new codes here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from service.models.admin_user import ROLES
from service.models.campaign import STATE_LABELS
from service.models.channel import METHOD_LABELS as BINDING_METHOD_LABELS
from service.records.fields import MEMBER_LABELS, SENSITIVE_MEMBER_KEYS
from service.records.idcard import mask_id, normalize_id
from service.records.phones import mask_phone, normalize_mobile

# How a message went out or a reply came in: outbox channels, evidence channels, and the ways
# a collector reached a member (a proxy confirmation's channel is its method).
CHANNEL_LABELS = {
    "wechat_oa": "微信服务号", "wechat_mp": "微信小程序", "sms_aliyun": "短信",
    "sms_tencent": "短信", "console": "演示控制台",
    "wechat": "微信", "miniprogram": "微信小程序", "sms": "短信", "web": "网页链接",
    "phone": "电话", "paper": "纸质采集表签字",
}
# The operator sending messages needs to know which SMS provider a row is queued for.
PROVIDER_LABELS = {**CHANNEL_LABELS, "sms_aliyun": "阿里云短信", "sms_tencent": "腾讯云短信"}
PROXY_METHOD_LABELS = {k: CHANNEL_LABELS[k] for k in ("phone", "sms", "wechat", "paper")}
METHOD_LABELS = {**PROXY_METHOD_LABELS, **BINDING_METHOD_LABELS}
# How the person acting was identified (an evidence entry's ``identity``).
IDENTITY_LABELS = {
    "signed_link": "本人专属链接", "bound_openid": "已绑定的微信账号",
    "sms_code": "短信验证码核验", "sms_phone": "登记的手机号码回复", "collector": "信息采集员核实",
}
EVIDENCE_KIND_LABELS = {
    "card_issued": "生成确认卡", "card_sent": "发送确认卡", "delivered": "送达", "opened": "打开",
    "confirmed": "本人确认", "disputed": "提出修改", "proxy_confirmed": "代为确认",
    "attachment": "补充附件", "binding": "绑定身份", "consent": "同意电子确认",
}
MESSAGE_KIND_LABELS = {"card": "确认卡", "reminder": "提醒", "notice": "通知"}
VERSION_SOURCE_LABELS = {
    "create": "建立", "import": "名册导入", "admin_edit": "管理员修改",
    "correction": "采纳党员修改意见", "demo": "演示数据",
}
AUDIT_ACTION_LABELS = {
    "login": "登录", "login.failed": "登录失败", "logout": "退出登录",
    "users.create": "开通账号", "users.unlock": "解除账号锁定", "users.passwd": "重设密码",
    "users.deactivate": "停用账号",
    "campaign.start": "开始信息确认工作", "campaign.submit": "提交党员确认",
    "campaign.confirm": "党员确认无误", "campaign.dispute": "党员提出修改",
    "campaign.proxy_confirm": "代为确认", "campaign.mark_unreachable": "标记失联未确认",
    "campaign.reopen": "恢复为待确认", "campaign.record_changed": "信息变更后重新确认",
    "campaign.accept_correction": "采纳修改申请", "campaign.reject_correction": "不采纳修改申请",
    "campaign.reminder_policy": "设置提醒规则",
    "correction.accept": "采纳修改申请", "correction.reject": "不采纳修改申请",
    "member.edit": "修改党员信息", "member.view_id_number": "查看完整身份证号",
    "member.view_phone": "查看完整电话号码", "member.view_full_id": "党员本人查看完整身份证号",
    "member.bind": "党员绑定微信", "member.unbind": "解除微信绑定",
    "call_task.done": "记录电话联系结果",
    "inbox.attribute": "认定党员回复", "inbox.resolve": "处理党员回复",
    "import.upload": "上传导入文件", "import.members": "导入党员名册（附件4）",
    "import.orgs": "导入党组织名册（附件3）", "import.error_report": "下载导入错误报告",
    "members.import": "导入党员名册（附件4）", "orgs.import": "导入党组织名册（附件3）",
    "calendar.import": "导入节假日安排", "evidence.add_attachments": "补充代为确认附件",
    "member.release": "解除待修正",
    "sampling.draw_committees": "抽取基层党委",
    "members.export": "导出党员名册（附件4）", "orgs.export": "导出党组织名册（附件3）",
    "export.form": "打印采集表", "export.binding_poster": "打印绑定二维码海报",
    "export.binding_qr": "生成党员绑定二维码", "evidence.export": "导出证据包",
    "quality.report": "数据质量核查（回头看）",
    "sampling.draw": "验收抽查：抽取样本", "sampling.check": "验收抽查：记录检查结果",
    "sampling.close": "验收抽查：结束并评分",
    "outbox.retry_dead": "重新发送失败的消息", "demo.seed": "生成演示数据",
}
TARGET_TYPE_LABELS = {
    "admin_user": "账号", "attachment": "证据附件", "evidence_entry": "证据记录",
    "calendar": "节假日安排", "call_task": "电话联系任务",
    "campaign": "信息确认工作",
    "campaign_member": "党员确认记录", "correction_request": "修改申请", "file": "文件",
    "import_job": "导入任务", "inbox_message": "党员回复", "member": "党员", "org": "党组织",
    "outbox_message": "消息", "sampling_item": "抽查记录", "sampling_run": "验收抽查",
}
AUDIT_DETAIL_LABELS = {
    "accounts": "账号数", "added": "新增天数", "files": "文件数", "committees": "基层党委数",
    "held": "待修正人数", "renamed": "改名人数", "accept_changes": "确认修改姓名",
    "total": "总数", "days": "天数", "replaced": "更新天数",
    "unchanged": "未变天数", "years": "年份", "source": "来源文件",
    "answer": "识别为", "at": "时间", "basis": "依据", "branches": "党组织数",
    "bytes": "文件大小（字节）", "call_task_id": "电话联系任务", "campaign_id": "信息确认工作",
    "card_id": "确认卡", "category": "问题类别", "channel": "渠道", "count": "条数",
    "created": "新增", "deadline": "截止日期", "encrypted": "加密", "entries": "证据条数",
    "error_rows": "有错误的行", "errors": "错误", "evidence": "凭证", "fields": "信息项",
    "file": "文件", "form": "表格", "from_state": "原状态", "grade": "等级", "how": "身份核验",
    "item_no": "检查项", "kind": "类型", "last_error": "失败原因", "locked": "账号已锁定",
    "member_id": "党员", "members": "党员数", "method": "方式", "note": "说明", "org_id": "党组织",
    "orgs": "党组织数", "output": "输出", "page": "页面", "pages": "页数", "policy": "提醒规则",
    "problems": "问题数", "reason": "原因", "replaced_member": "原绑定党员",
    "request_id": "修改申请", "result": "结果", "role": "角色", "run": "验收抽查",
    "scope": "范围", "score": "得分", "seed": "随机种子", "sessions_ended": "结束的登录会话",
    "to_state": "新状态", "updated": "更新", "username": "用户名", "warnings": "警告",
    "wechat": "微信二维码", **{k: MEMBER_LABELS[k] for k in SENSITIVE_MEMBER_KEYS},
}
# Detail values that are codes themselves, by detail key.
_VALUE_LABELS: dict[str, Mapping[str, str]] = {
    "channel": CHANNEL_LABELS, "method": METHOD_LABELS, "how": IDENTITY_LABELS,
    "from_state": STATE_LABELS, "to_state": STATE_LABELS, "role": ROLES,
    "kind": {**MESSAGE_KIND_LABELS, "members": "党员名册", "orgs": "党组织名册",
             "branch": "党组织", "member": "党员"},
    "answer": {"confirm": "确认无误", "dispute": "信息有误"},
    "result": {"pass": "合格", "fail": "不合格"},
    "output": {"xlsx": "Excel 文件", "json": "JSON", "terminal": "终端"},
    "reason": {"bad_password": "密码错误", "unknown_user": "用户名不存在",
               "inactive": "账号已停用", "locked": "账号已锁定", "ip_throttled": "尝试过于频繁"},
}
# Actors that are not a person's account.
ACTOR_LABELS = {
    "cli": "服务器命令行", "import": "名册导入", "demo": "演示数据", "system": "系统",
    "signed_link": "持本人专属链接者", "anonymous": "未登录的访问者",
}


def label(table: Mapping[str, str], code: Any) -> str:
    """Return the name of ``code`` in ``table``, or the code itself when it has none."""
    if code is None:
        return ""
    return table.get(str(code), str(code))


def actor_text(actor: str, account: tuple[str, str] | None = None) -> str:
    """Say who an ``actor`` string is: "党支部管理员 张三" for "admin:5" given the account's
    (role, display name), "党员本人" for "member:…", and so on."""
    kind, _, rest = actor.partition(":")
    if kind == "admin":
        if account is None:
            return f"管理员（账号 {rest}）"
        role, name = account
        return f"{ROLES.get(role, '管理员')} {name}"
    if kind == "member":
        return "党员本人"
    if kind == "outbox":
        return f"消息发送（{label(CHANNEL_LABELS, rest)}）"
    return ACTOR_LABELS.get(actor, actor)


def detail_items(detail: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Return an audit entry's details as (label, text) pairs, personal numbers masked."""
    return [(AUDIT_DETAIL_LABELS.get(k, k), detail_value(k, v)) for k, v in (detail or {}).items()]


def detail_value(key: str, value: Any) -> str:
    """Return one detail value as a person reads it."""
    if value is None or value == "":
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "fields" and isinstance(value, list):
        return "、".join(label(MEMBER_LABELS, v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if key in _VALUE_LABELS:
        return label(_VALUE_LABELS[key], value)
    if key in SENSITIVE_MEMBER_KEYS:
        return mask_id(str(value)) if key == "id_number" else mask_phone(str(value))
    return masked_if_number(str(value))


def masked_if_number(text: str) -> str:
    """Mask a value that is itself an ID number or a mobile number (a name typed into the
    sign-in form can be one); leave any other text as it is."""
    digits = normalize_id(text)
    if len(digits) == 18 and digits[:17].isdigit():
        return mask_id(digits)
    mobile = normalize_mobile(text)
    return mask_phone(mobile) if mobile else text
