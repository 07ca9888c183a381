"""The admin pages' note that confirmation work has not started in the user's scope, with
what is missing and what to do next (a Jinja global, shown by ``admin/_missing_work.html``)."""

from __future__ import annotations

from flask import Flask

from service.admin import scope
from service.campaign.readiness import next_step, roster_counts
from service.extensions import db
from service.models import AdminUser, Campaign
from service.models.admin_user import COMMITTEE_ADMIN, ORG_DEPARTMENT

_STARTERS = frozenset({COMMITTEE_ADMIN, ORG_DEPARTMENT})


def missing_work(user: AdminUser | None) -> str | None:
    """Return the note when no campaign covers the user's scope, else None."""
    if user is None:
        return None
    if db.session.scalar(scope.campaign_query(user).with_only_columns(Campaign.id).limit(1)):
        return None
    orgs, members = roster_counts(None if scope.sees_everything(user) else user.org)
    return next_step(orgs, members, can_start=user.role in _STARTERS)


def init_app(app: Flask) -> None:
    """Make ``missing_work(user)`` available to the admin templates."""
    app.jinja_env.globals["missing_work"] = missing_work
