"""Channel bindings: which WeChat openid reaches which member, how it was bound, what it allows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.schema import BigId, created_at, intpk

# Channels a binding can belong to (the router's channel names).
WECHAT_OA = "wechat_oa"  # the official account: template messages, subscription notices
WECHAT_MP = "wechat_mp"  # the mini-program: subscription messages

# How the member proved who they are when the binding was made (also the evidence's identity).
BY_QR_MEMBER = "qr_member"  # scanned their own parametric QR, then verified
BY_QR_POSTER = "qr_poster"  # scanned the branch poster, then verified name + ID tail + SMS code
BY_MINI_LOGIN = "mini_login"  # mini-program login, then verified the same way
BY_ADMIN = "admin"  # an admin bound it on the member's behalf (noted)
METHOD_LABELS = {
    BY_QR_MEMBER: "扫描本人专属二维码并核验", BY_QR_POSTER: "扫描支部二维码并核验",
    BY_MINI_LOGIN: "小程序登录并核验", BY_ADMIN: "管理员代为绑定",
}


class ChannelBinding(db.Model):
    """One openid on one channel, bound to one member until revoked.

    An openid is a pseudonym issued by WeChat for our app only, so it is stored as is (it is
    what callbacks are looked up by). ``following`` tracks the official account's
    subscribe/unsubscribe events; ``subscribe_grants`` counts one-time subscription grants
    not yet used (each accepted popup allows one subscription message).
    """

    __tablename__ = "channel_bindings"
    __table_args__ = (UniqueConstraint("channel", "openid"),)

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("members.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    openid: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    following: Mapped[bool] = mapped_column(default=True)
    subscribe_grants: Mapped[int] = mapped_column(default=0)
    bound_at: Mapped[created_at]
    revoked_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<ChannelBinding {self.channel} member={self.member_id}>"
