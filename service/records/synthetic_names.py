"""Names and 所在单位 (附件1 items 1 and 7-10) of a synthetic committee's branches."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from service.records import synthetic_people as people
from service.records import synthetic_pools as pools
from service.records.fields import JOINT_UNITS, LEGAL_ENTITY, NO_UNIT_CODE, SAME_AS_PARENT

NUMERALS = "一二三四五六七八九十"


@dataclass
class Committee:
    """Where a planned committee sits, and what its branches are named after."""

    kind: str
    region: str
    area: str  # "杭州市西湖区"
    home: str  # "浙江省杭州市西湖区转塘街道"
    stem: str  # what branch names start with: "杭州市西湖区转塘街道" or the company's name
    villages: tuple[str, ...]
    roads: tuple[str, ...]
    index: int = 0
    joints: int = 0  # 联合党支部 so far, numbered in order


def unique(used: set[str], make: Callable[[], str]) -> str:
    """Return a name ``make`` draws that is not in ``used``, and add it there."""
    for _ in range(50):
        name = make()
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("could not draw a unique org name")  # only with absurd roster sizes


def describe(rng: random.Random, used: set[str], c: Committee, profile: str
             ) -> tuple[str, str, list[dict[str, str]], tuple[str, ...]]:
    """Return a branch's name, unit situation, units and its members' villages or roads."""
    if profile == "village":
        village = unique(used, lambda: f"{c.stem}{people.village_name(rng)}村")
        unit = _unit(village + "民委员会", "15", NO_UNIT_CODE)
        return f"中共{village}支部委员会", LEGAL_ENTITY, [unit], (village.removeprefix(c.stem),)
    if profile == "community":
        community = unique(used, lambda: f"{c.stem}{people.place(rng)}社区")
        unit = _unit(community + "居民委员会", "12" if c.kind == "street" else "14", NO_UNIT_CODE)
        return f"中共{community}支部委员会", LEGAL_ENTITY, [unit], c.roads
    if profile in ("organ", "retired", "department"):
        word = {"organ": "机关", "retired": "离退休干部"}.get(profile)
        name = unique(used, lambda: f"中共{c.stem}{word or rng.choice(pools.DEPARTMENTS)}"
                      f"{'' if rng.random() < 0.6 else _ordinal(rng)}支部委员会")
        rural = c.kind == "town" and profile == "retired"
        return name, SAME_AS_PARENT, [], c.villages if rural else c.roads
    if profile == "joint":
        count = rng.choices((2, 3, 4, 5), (35, 35, 20, 10))[0]
        units = [_firm(rng, used, c, "2") for _ in range(count)]
        c.joints += 1
        name = f"中共{c.stem}非公有制企业{_chinese_ordinal(c.joints)}联合支部委员会"
        used.add(name)
        return name, JOINT_UNITS, units, c.roads
    if profile in ("institution", "social"):
        unit_name = unique(used, lambda: _institution(rng, c, profile))
        kind, unit_type = ("12", "3") if profile == "institution" else ("51", "5")
        unit = _unit(unit_name, unit_type, people.uscc(rng, kind, c.region, modern=False))
        return f"中共{unit_name}支部委员会", LEGAL_ENTITY, [unit], c.roads
    unit = _firm(rng, used, c, "13", state=profile == "subsidiary")  # enterprise, subsidiary
    return f"中共{unit['name']}支部委员会", LEGAL_ENTITY, [unit], c.roads


def _ordinal(rng: random.Random) -> str:
    """Return 第一 … 第三十, the small numbers likelier."""
    return _chinese_ordinal(rng.randint(1, 10) if rng.random() < 0.7 else rng.randint(1, 30))


def _chinese_ordinal(n: int) -> str:
    """Return 第一 … 第九十九."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return f"第{head}{NUMERALS[ones - 1] if ones else ''}"


def _unit(name: str, unit_type: str, code: str, status: str = "13") -> dict[str, str]:
    return {"name": name, "unit_type": unit_type, "party_org_status": status, "unit_code": code}


def _firm(rng: random.Random, used: set[str], c: Committee, status: str, state: bool = False
          ) -> dict[str, str]:
    name = unique(used, lambda: people.firm_name(rng, c.area))
    # About one firm in ten still shows its old 9-character organisation code.
    code = people.org_code(rng, modern=False) if rng.random() < 0.1 else people.uscc(
        rng, "91", c.region, modern=not state)
    return _unit(name, "21" if state else "23", code, status)


def _institution(rng: random.Random, c: Committee, profile: str) -> str:
    if profile == "social":
        return f"{c.area}{people.place(rng)}{rng.choice(pools.SOCIAL_ORGS)}"
    seat = c.stem if c.kind != "group" else c.area
    if rng.random() < 0.6:
        seat += people.place(rng)
    return seat + rng.choice(("中心小学", "中学", "卫生院", "社区卫生服务中心", "幼儿园", "文化站"))
