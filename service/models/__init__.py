"""All models, imported here so the metadata is complete for migrations and create_all."""

from service.models.admin_session import AdminSession
from service.models.admin_user import AdminUser
from service.models.audit import AuditLog
from service.models.calendar_day import CalendarDay
from service.models.call_task import CallTask
from service.models.campaign import Campaign, CampaignMember, Card
from service.models.channel import ChannelBinding
from service.models.contact_record import ContactRecord
from service.models.correction import CorrectionRequest
from service.models.evidence import Attachment, EvidenceEntry, EvidenceHead
from service.models.import_job import ImportJob
from service.models.inbox import InboxMessage
from service.models.lease import Lease
from service.models.member import Member, MemberVersion
from service.models.member_auth import OtpCode
from service.models.org import Org, Unit
from service.models.outbox import OutboxMessage
from service.models.reminder import ReminderStep
from service.models.sampling import SamplingCheck, SamplingItem, SamplingRun
from service.models.throttle import Throttle
from service.models.wechat_token import SendRateWindow, SubscribeGrantUse, WeChatToken

__all__ = [
    "AdminSession", "AdminUser", "Attachment", "AuditLog", "CalendarDay", "CallTask", "Campaign",
    "CampaignMember", "Card", "ChannelBinding", "ContactRecord", "CorrectionRequest",
    "EvidenceEntry",
    "EvidenceHead", "ImportJob", "InboxMessage", "Lease", "Member", "MemberVersion", "Org",
    "OtpCode",
    "OutboxMessage", "ReminderStep", "SamplingCheck", "SamplingItem", "SamplingRun",
    "SendRateWindow", "SubscribeGrantUse", "Throttle", "Unit", "WeChatToken",
]
