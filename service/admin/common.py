"""Small helpers shared by the admin pages: the campaign in view, paging, local days, filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request
from sqlalchemy import ColumnElement, func, literal_column, select

from service.admin import labelling, readiness, scope
from service.clock import format_local
from service.extensions import db
from service.models import AdminUser, Campaign, Org
from service.models.campaign import OPEN, STATE_LABELS
from service.records.idcard import mask_id
from service.records.phones import mask_phone


def campaigns_for(user: AdminUser) -> list[Campaign]:
    """Return the campaigns the user can see, newest first (open ones first)."""
    query = scope.campaign_query(user).order_by((Campaign.status == OPEN).desc(),
                                                Campaign.id.desc()).limit(50)
    return list(db.session.scalars(query))


def campaign_in_view(user: AdminUser, campaigns: list[Campaign]) -> Campaign | None:
    """Return the campaign named by ``?campaign=`` (scoped, else 404), or the newest one."""
    wanted = request.args.get("campaign", type=int)
    if wanted is not None:
        return scope.get_campaign(user, wanted)
    return campaigns[0] if campaigns else None


def home_org(user: AdminUser, campaign: Campaign | None) -> Org:
    """Return the org a user's overview starts at: theirs, or the campaign's when theirs is
    above it (an inspector looking at one committee's campaign)."""
    if campaign is not None and campaign.org.path.startswith(user.org.path):
        return campaign.org
    return user.org


def in_org(org_column: Any, org: Org) -> ColumnElement[bool]:
    """Rows whose org (an org id column) is ``org`` or below it."""
    return org_column.in_(select(Org.id).where(Org.path.startswith(org.path, autoescape=True)))


@dataclass
class Page:
    """One page of a list: its rows, number, size and the total count."""

    rows: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def page_number() -> int:
    """Return ``?page=`` (1 when missing or invalid)."""
    return max(1, request.args.get("page", 1, type=int) or 1)


def paginate(query: Any, count_query: Any) -> Page:
    """Run one page of ``query`` (rows) and ``count_query`` (a scalar count)."""
    size = current_app.config["ADMIN_PAGE_SIZE"]
    number = page_number()
    rows = list(db.session.execute(query.limit(size).offset((number - 1) * size)))
    total = db.session.scalar(count_query) or 0
    return Page(rows, number, size, total)


def local_day(column: Any) -> Any:
    """An SQL expression of the Asia/Shanghai calendar day of a stored UTC datetime column."""
    # Asia/Shanghai has no daylight saving: the local day is always UTC + 8 hours.
    if db.engine.dialect.name == "mysql":
        return func.date(func.timestampadd(literal_column("HOUR"), 8, column))
    return func.date(column, "+8 hours")


def init_app(app: Flask) -> None:
    """Give admin templates their formatting filters."""
    app.jinja_env.filters["local_time"] = format_local
    app.jinja_env.filters["mask_id"] = lambda v: mask_id(v) if v else ""
    app.jinja_env.filters["mask_phone"] = lambda v: mask_phone(v) if v else ""
    app.jinja_env.globals["state_labels"] = STATE_LABELS
    labelling.init_app(app)
    readiness.init_app(app)
