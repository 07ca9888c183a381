"""All models, imported here so the metadata is complete for migrations and create_all."""

from service.models.admin_user import AdminUser
from service.models.audit import AuditLog
from service.models.member import Member, MemberVersion
from service.models.org import Org, Unit

__all__ = ["AdminUser", "AuditLog", "Member", "MemberVersion", "Org", "Unit"]
