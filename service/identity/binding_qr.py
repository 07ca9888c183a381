"""What a binding QR code holds: a WeChat parametric QR, or our own start page without WeChat.

A member's own QR is temporary (scene "m<id>", at most 30 days); a branch poster's is
permanent (scene "o<org id>", WeChat allows 100,000 of those). Scanning either makes WeChat
send the scan event to our callback, which replies with the binding link. Where WeChat is not
configured (the demo, console channel), the code holds /bind/start/<scene>, a page explaining
how to follow the account and bind.
"""

from __future__ import annotations

from flask import current_app

from service.errors import ServiceError
from service.links import public_base
from service.models import Member, Org
from service.notify.channel import SendError
from service.notify.wechat_client import oa_client


def _start_page(scene: str) -> str:
    return f"{public_base()}/bind/start/{scene}"


def poster_payload(org: Org) -> tuple[str, bool]:
    """Return the poster QR's content and whether it is a WeChat QR."""
    scene = f"o{org.id}"
    try:
        client = oa_client()
    except LookupError:
        return _start_page(scene), False
    try:
        answer = client.post("cgi-bin/qrcode/create", {
            "action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}})
    except SendError as exc:
        raise ServiceError(f"生成微信二维码失败：{exc.message}") from exc
    return str(answer["url"]), True


def member_payload(member: Member) -> tuple[str, bool]:
    """Return a member's own binding QR content and whether it is a WeChat QR."""
    scene = f"m{member.id}"
    try:
        client = oa_client()
    except LookupError:
        return _start_page(scene), False
    try:
        answer = client.create_qrcode(scene, int(current_app.config["WECHAT_QR_EXPIRE_SECONDS"]))
    except SendError as exc:
        raise ServiceError(f"生成微信二维码失败：{exc.message}") from exc
    return str(answer["url"]), True
