"""Tiny factories of synthetic orgs and members: invented people with valid check digits."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from service.models import Member, Org
from service.roster.members import create_member
from service.roster.orgs import create_org

_seq = itertools.count(1)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def synthetic_id(birth: date, serial: int, region: str = "110105", male: bool = True) -> str:
    """Return a GB 11643 number for an invented person (sequence parity gives the sex)."""
    seq = (serial % 499) * 2 + (1 if male else 2)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


def member_record(**overrides: Any) -> dict[str, Any]:
    """Return a valid canonical member record; override any field."""
    n = next(_seq)
    birth = overrides.get("birth_date", date(1980, 3, 15))
    male = overrides.get("sex", "男") == "男"
    record: dict[str, Any] = {
        "name": f"测试党员{n}",
        "sex": "男" if male else "女",
        "ethnicity": "01",
        "id_number": synthetic_id(birth, n, male=male),
        "birth_date": birth,
        "education": "21",
        "member_type": "正式党员",
        "branch": None,
        "joined_on": date(2005, 7, 1),
        "full_on": date(2006, 7, 1),
        "job": "011",
        "mobile": f"139{n:08d}",
        "landline": None,
        "address": f"北京市朝阳区测试路{n}号",
        "party_status": "正常",
        "is_lost": False,
        "lost_since": None,
        "is_floating": False,
        "flow_to": None,
    }
    record.update(overrides)
    return record


def make_org(parent: Org | None = None, **fields: Any) -> Org:
    """Add an org (a 党支部 by default) and flush it."""
    n = next(_seq)
    defaults: dict[str, Any] = {
        "name": f"中共测试第{n}支部委员会",
        "org_type": "631" if parent else "611",
        "unit_situation": "与上级党组织相同" if parent else "法人单位",
    }
    return create_org(parent, **{**defaults, **fields})


def make_member(org: Org, **overrides: Any) -> Member:
    """Add a member to ``org`` through the real use case and flush it."""
    return create_member(member_record(**overrides), org, actor="test", source="create")
