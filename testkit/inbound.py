"""Play WeChat and the SMS providers in tests, built from the protocols (not from our code).

WeChat signatures are sha1 over the sorted strings; the safe-mode envelope is AES-256-CBC
(key = base64(EncodingAESKey + "="), IV = key[:16]) over random(16) + big-endian length +
message + AppID with PKCS#7 padding to 32-byte blocks, done here with ``cryptography``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import struct
import time
from typing import Any
from xml.etree import ElementTree

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOKEN = "inbound-test-token"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters
APPID = "wx0123456789abcdef"
ACCOUNT = "gh_test_account"
PUSH_TOKEN = "sms-push-secret-123"

_ids = itertools.count(int(time.time()) * 1000)
_seconds = itertools.count(int(time.time()))  # events are deduped by sender + CreateTime


def wechat_config(aes: bool = True, **extra: Any) -> dict[str, Any]:
    """Return app settings for the WeChat callback (safe mode unless ``aes`` is False)."""
    config: dict[str, Any] = {"WECHAT_TOKEN": TOKEN, "SMS_PUSH_TOKEN": PUSH_TOKEN}
    if aes:
        config.update(WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID)
    return {**config, **extra}


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _key(aes_key: str = AES_KEY) -> bytes:
    return base64.b64decode(aes_key + "=")


def encrypt(plain: str, appid: str = APPID, aes_key: str = AES_KEY) -> str:
    """Return WeChat's Encrypt value for ``plain``."""
    body = plain.encode()
    data = os.urandom(16) + struct.pack(">I", len(body)) + body + appid.encode()
    pad = 32 - len(data) % 32
    data += bytes([pad]) * pad
    key = _key(aes_key)
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


def decrypt(encrypted: str, aes_key: str = AES_KEY) -> tuple[str, str]:
    """Return (message, appid) from an Encrypt value."""
    key = _key(aes_key)
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    data = dec.update(base64.b64decode(encrypted)) + dec.finalize()
    data = data[:-data[-1]]
    length = struct.unpack(">I", data[16:20])[0]
    return data[20:20 + length].decode(), data[20 + length:].decode()


def text_xml(openid: str, content: str, msg_id: int | None = None) -> str:
    msg_id = msg_id if msg_id is not None else next(_ids)
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def event_xml(openid: str, event: str, create_time: int | None = None, **fields: str) -> str:
    extra = "".join(f"<{k}><![CDATA[{v}]]></{k}>" if not v.startswith("<") else f"<{k}>{v}</{k}>"
                    for k, v in fields.items())
    ctime = create_time if create_time is not None else next(_seconds)
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{ctime}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event>{extra}</xml>")


def popup_xml(openid: str, statuses: list[tuple[str, str]]) -> str:
    items = "".join(f"<List><TemplateId><![CDATA[{t}]]></TemplateId><SubscribeStatusString>"
                    f"<![CDATA[{s}]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
                    for t, s in statuses)
    return event_xml(openid, "subscribe_msg_popup_event", SubscribeMsgPopupEvent=items)


def post_wechat(client: Any, xml: str, *, aes: bool = True, appid: str = APPID,
                token: str = TOKEN, timestamp: str | None = None, nonce: str = "nonce42",
                body: bytes | None = None) -> Any:
    """POST ``xml`` as WeChat does (safe mode: the envelope and both signatures)."""
    timestamp = timestamp or str(int(time.time()))
    query = {"signature": sha1_signature(token, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "openid": "ignored"}
    if aes:
        encrypted = encrypt(xml, appid)
        query.update(encrypt_type="aes",
                     msg_signature=sha1_signature(token, timestamp, nonce, encrypted))
        payload = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                   f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>").encode()
    else:
        payload = xml.encode()
    return client.post("/wechat/callback", query_string=query,
                       data=body if body is not None else payload,
                       content_type="text/xml")


def reply_content(response: Any, aes: bool = True) -> str | None:
    """Return the text of a passive reply (decrypting and checking it), None for "success"."""
    assert response.status_code == 200, response.data
    text = response.get_data(as_text=True)
    if text == "success":
        return None
    root = ElementTree.fromstring(text)
    if aes:
        encrypted = root.findtext("Encrypt") or ""
        expected = sha1_signature(TOKEN, root.findtext("TimeStamp") or "",
                                  root.findtext("Nonce") or "", encrypted)
        assert root.findtext("MsgSignature") == expected
        plain, appid = decrypt(encrypted)
        assert appid == APPID
        root = ElementTree.fromstring(plain)
    assert root.findtext("MsgType") == "text"
    return root.findtext("Content")


def post_sms(client: Any, path: str, payload: Any, token: str | None = PUSH_TOKEN) -> Any:
    """POST a provider push (JSON) to one of our SMS endpoints."""
    query = {"token": token} if token is not None else {}
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False)
    return client.post(path, query_string=query, data=body, content_type="application/json")


# ---- database side -------------------------------------------------------------------------

def bind(member: Any, openid: str, following: bool = True) -> Any:
    """Bind ``openid`` on the official account to ``member``; commit."""
    from service.extensions import db
    from service.models import ChannelBinding

    binding = ChannelBinding(member_id=member.id, channel="wechat_oa", openid=openid,
                             method="qr_member", following=following)
    db.session.add(binding)
    db.session.commit()
    return binding


def inbox_rows() -> list[Any]:
    from sqlalchemy import select

    from service.extensions import db
    from service.models import InboxMessage

    db.session.expire_all()
    return list(db.session.scalars(select(InboxMessage).order_by(InboxMessage.id)))


def evidence(kind: str, member_id: int | None = None) -> list[Any]:
    from sqlalchemy import select

    from service.extensions import db
    from service.models import EvidenceEntry

    db.session.expire_all()
    query = select(EvidenceEntry).where(EvidenceEntry.kind == kind)
    if member_id is not None:
        query = query.where(EvidenceEntry.member_id == member_id)
    return list(db.session.scalars(query.order_by(EvidenceEntry.seq)))


def outbox_rows() -> list[Any]:
    from sqlalchemy import select

    from service.extensions import db
    from service.models import OutboxMessage

    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def sent_row(channel: str, member: Any, provider_msg_id: str, kind: str = "card") -> int:
    """Queue the member's current card on ``channel`` and record it as sent; return the id."""
    from service.campaign import outstanding
    from service.notify import outbox
    from service.notify.channel import SendResult
    from service.unit_of_work import run_unit

    cm = outstanding.awaiting(member.id)[0]
    row = run_unit(lambda: outbox.enqueue(
        kind, channel=channel, key=f"test:{channel}:{cm.card_id}:{provider_msg_id}",
        member_id=member.id, card_id=cm.card_id, campaign_member_id=cm.id))
    row_id = row.id
    assert run_unit(lambda: outbox.mark_sent(row_id, SendResult(provider_msg_id)))
    return row_id


def second_card(member: Any, name: str = "第二轮信息确认") -> Any:
    """Put the member in a second open campaign with its own outstanding card; commit.

    Starting a campaign refuses members already in an open one, but the doors must still
    cope with several outstanding cards (an older campaign left open), so build it by hand.
    """
    from datetime import timedelta

    from service.campaign import cards
    from service.clock import today_local
    from service.extensions import db
    from service.models import Campaign, CampaignMember

    campaign = Campaign(name=name, org_id=member.org_id, created_by="test",
                        deadline=today_local() + timedelta(days=9))
    db.session.add(campaign)
    db.session.flush()
    cm = CampaignMember(campaign_id=campaign.id, member_id=member.id, state="pending")
    db.session.add(cm)
    db.session.flush()
    cards.issue_card(cm)
    db.session.commit()
    return campaign
