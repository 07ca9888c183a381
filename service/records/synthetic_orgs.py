"""The org tree of a synthetic roster: committees, 党总支 and branches with their 附件1 items."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from service.records import divisions
from service.records import synthetic_people as people
from service.records import synthetic_pools as pools
from service.records.fields import JOINT_UNITS, LEGAL_ENTITY, NO_UNIT_CODE, SAME_AS_PARENT

MEMBERS_PER_COMMITTEE = 2000

# Branch kinds each committee kind has, with their weights, and the size range of each.
_BRANCH_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    "town": (("village", 60), ("enterprise", 12), ("joint", 12), ("institution", 8),
             ("community", 8)),
    "street": (("community", 55), ("enterprise", 15), ("joint", 15), ("social", 7),
               ("institution", 8)),
    "group": (("department", 70), ("subsidiary", 30)),
}
_SIZES = {"organ": (8, 25), "enterprise": (5, 40), "joint": (3, 15), "institution": (10, 45),
          "social": (3, 12), "department": (8, 45), "subsidiary": (10, 60)}
# Village and community branches: (weight, smallest, largest). Some are below the 3 正式党员 a
# branch needs and some above the 50 it should not exceed (支部工作条例 第四条), as in life.
_LOCAL_SIZES = ((3, 1, 2), (8, 3, 6), (35, 7, 20), (44, 21, 50), (8, 51, 90), (2, 91, 150))


@dataclass
class SyntheticOrg:
    """One planned org: 附件1 items 1-6, its units (items 7-10), and where its members live."""

    index: int
    parent: int | None
    name: str
    org_type: str
    unit_situation: str
    secretary: str
    contact: str
    contact_phone: str
    units: list[dict[str, str]] = field(default_factory=list)
    size: int = 0  # members, for branches; committees and 党总支 hold none directly
    profile: str = ""  # what kind of members: organ, village, retired, enterprise, …
    region: str = ""  # county code of the org's seat
    home: str = ""  # address up to the town or street: "浙江省杭州市西湖区转塘街道"
    places: tuple[str, ...] = ()  # villages ("…村") or roads ("…路") where members live
    secretary_male: bool = True
    secretary_ethnicity: str = "01"

    @property
    def is_branch(self) -> bool:
        """Tell whether members belong here directly (党支部 or 联合党支部)."""
        return self.org_type in ("631", "632")

    def org_fields(self) -> dict[str, Any]:
        """Return items 1-6 as keyword arguments for ``create_org``."""
        return {"name": self.name, "secretary": self.secretary, "contact": self.contact,
                "contact_phone": self.contact_phone, "org_type": self.org_type,
                "unit_situation": self.unit_situation}


@dataclass
class _Committee:
    kind: str
    region: str
    area: str  # "杭州市西湖区"
    home: str  # "浙江省杭州市西湖区转塘街道"
    stem: str  # what branch names start with: "杭州市西湖区转塘街道" or the company's name
    villages: tuple[str, ...]
    roads: tuple[str, ...]
    index: int = 0
    joints: int = 0  # 联合党支部 so far, numbered in order


def plan_orgs(rng: random.Random, members: int, regions: list[str], block: int
              ) -> list[SyntheticOrg]:
    """Plan committees and their branches for ``members`` people; parents come first.

    Committee *c* sits in the county of ``regions[start_c // block]``, the address code its
    first member's ID number gets, so most members' ID numbers match their committee's county.
    """
    count = max(1, round(members / MEMBERS_PER_COMMITTEE))
    weights = [rng.uniform(0.7, 1.3) for _ in range(count)]
    shares = [int(members * w / sum(weights)) for w in weights]
    shares[-1] += members - sum(shares)
    orgs: list[SyntheticOrg] = []
    used: set[str] = set()
    start = 0
    for share in shares:
        kind = rng.choices(("town", "street", "group"), (45, 35, 20))[0]
        committee = _committee(rng, orgs, used, kind, regions[start // block])
        for profile, size in _branch_sizes(rng, kind, share):
            _add_branch(rng, orgs, used, committee, profile, size)
        start += share
    return orgs


def _branch_sizes(rng: random.Random, kind: str, share: int) -> list[tuple[str, int]]:
    """Return (profile, size) for a committee's branches, adding up to ``share`` exactly."""
    planned: list[tuple[str, int]] = [("department" if kind == "group" else "organ",
                                       rng.randint(8, 25))]
    if share >= 300:  # every sizeable committee has a large retirees' branch and a tiny one
        planned += [("retired", rng.randint(51, 90)), (_local(kind), 2)]
    elif share >= 100:
        planned.append(("retired", rng.randint(15, 40)))
    kinds, weights = zip(*_BRANCH_MIX[kind], strict=True)
    while sum(s for _, s in planned) < share:
        profile = rng.choices(kinds, weights)[0]
        if profile in ("village", "community"):
            _, low, high = rng.choices(_LOCAL_SIZES, [w for w, _, _ in _LOCAL_SIZES])[0]
        else:
            low, high = _SIZES[profile]
        planned.append((profile, rng.randint(low, high)))
    out: list[tuple[str, int]] = []
    left = share
    for profile, size in planned:
        if left <= 0:
            break
        out.append((profile, min(size, left)))
        left -= size
    return out


def _local(kind: str) -> str:
    return {"town": "village", "street": "community"}.get(kind, "department")


def _unique(used: set[str], make: Callable[[], str]) -> str:
    for _ in range(50):
        name = make()
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("could not draw a unique org name")  # only with absurd roster sizes


def _area(region: str) -> tuple[str, str]:
    """Return ("杭州市西湖区", "浙江省杭州市西湖区") for a county code."""
    path = divisions.path_of(region)
    full = divisions.name_of(region) or ""
    if path is None or path[1] is None:
        return full, full  # municipalities: 北京市朝阳区
    return full.removeprefix(divisions.name_of(path[0]) or ""), full


def _committee(rng: random.Random, orgs: list[SyntheticOrg], used: set[str], kind: str,
               region: str) -> _Committee:
    area, full = _area(region)
    suffix = {"town": "镇", "street": "街道"}.get(kind)
    if suffix:
        seat = _unique(used, lambda: f"{area}{people.place(rng)}{suffix}")
        name, stem, home = f"中共{seat}委员会", seat, full + seat.removeprefix(area)
        unit = {"name": seat + ("人民政府" if kind == "town" else "办事处"),
                "unit_type": "13" if kind == "town" else "11", "party_org_status": "11",
                "unit_code": people.uscc(rng, "11", region, modern=False)}
    else:
        company = _unique(used, lambda: people.firm_name(rng, area, group=True))
        name, stem, home = f"中共{company}委员会", company, full
        unit = {"name": company, "unit_type": "21", "party_org_status": "11",
                "unit_code": people.uscc(rng, "91", region)}
    used.add(name)
    c = _Committee(kind, region, area, home, stem,
                   villages=tuple(people.village_name(rng) + "村" for _ in range(12)),
                   roads=tuple(people.road_name(rng) for _ in range(10)), index=len(orgs))
    secretary_male = rng.random() < 0.75
    orgs.append(SyntheticOrg(
        index=len(orgs), parent=None, name=name, org_type="611", unit_situation=LEGAL_ENTITY,
        secretary=people.person_name(rng, secretary_male, rng.randint(1965, 1980)),
        contact=people.person_name(rng, rng.random() < 0.5, rng.randint(1980, 1995)),
        contact_phone=people.landline(rng, region[:2]), units=[unit], region=region,
        home=home, secretary_male=secretary_male))
    return c


_NUMERALS = "一二三四五六七八九十"


def _add_branch(rng: random.Random, orgs: list[SyntheticOrg], used: set[str], c: _Committee,
                profile: str, size: int) -> None:
    """Add one branch of ``profile``; a big village or community becomes a 党总支 of branches."""
    name, situation, units, places = _describe(rng, used, c, profile)
    org_type = "632" if profile == "joint" else "631"
    if profile in ("village", "community") and size > 60 and rng.random() < 0.3:
        units[0]["party_org_status"] = "12"
        stem = name.removeprefix("中共").removesuffix("支部委员会")
        general = _org(rng, orgs, c.index, name.replace("支部委员会", "总支部委员会"), "621",
                       situation, units, c, places, profile)
        parts = rng.randint(2, 3)
        for k in range(parts):
            sub = f"中共{stem}第{_NUMERALS[k]}支部委员会"
            used.add(sub)
            part = size // parts + (1 if k < size % parts else 0)
            _org(rng, orgs, general.index, sub, "631", SAME_AS_PARENT, [], c, places, profile,
                 part)
        return
    _org(rng, orgs, c.index, name, org_type, situation, units, c, places, profile, size)


def _org(rng: random.Random, orgs: list[SyntheticOrg], parent: int, name: str, org_type: str,
         situation: str, units: list[dict[str, str]], c: _Committee, places: tuple[str, ...],
         profile: str, size: int = 0) -> SyntheticOrg:
    male = rng.random() < 0.7
    ethnicity = people.ethnicity(rng, c.region[:2])
    secretary = people.person_name(rng, male, rng.randint(1960, 1990), ethnicity)
    contact = secretary if rng.random() < 0.5 else people.person_name(
        rng, rng.random() < 0.5, rng.randint(1975, 1998), people.ethnicity(rng, c.region[:2]))
    org = SyntheticOrg(
        index=len(orgs), parent=parent, name=name, org_type=org_type, unit_situation=situation,
        secretary=secretary, contact=contact, contact_phone=people.any_mobile(rng), units=units,
        size=size, profile=profile, region=c.region, home=c.home, places=places,
        secretary_male=male, secretary_ethnicity=ethnicity)
    orgs.append(org)
    return org


def _describe(rng: random.Random, used: set[str], c: _Committee, profile: str
              ) -> tuple[str, str, list[dict[str, str]], tuple[str, ...]]:
    """Return a branch's name, unit situation, units and its members' villages or roads."""
    if profile == "village":
        village = _unique(used, lambda: f"{c.stem}{people.village_name(rng)}村")
        unit = _unit(village + "民委员会", "15", NO_UNIT_CODE)
        return f"中共{village}支部委员会", LEGAL_ENTITY, [unit], (village.removeprefix(c.stem),)
    if profile == "community":
        community = _unique(used, lambda: f"{c.stem}{people.place(rng)}社区")
        unit = _unit(community + "居民委员会", "12" if c.kind == "street" else "14", NO_UNIT_CODE)
        return f"中共{community}支部委员会", LEGAL_ENTITY, [unit], c.roads
    if profile in ("organ", "retired", "department"):
        word = {"organ": "机关", "retired": "离退休干部"}.get(profile)
        name = _unique(used, lambda: f"中共{c.stem}{word or rng.choice(pools.DEPARTMENTS)}"
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
        unit_name = _unique(used, lambda: _institution(rng, c, profile))
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
    head = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens - 1] + "十")
    return f"第{head}{_NUMERALS[ones - 1] if ones else ''}"


def _unit(name: str, unit_type: str, code: str, status: str = "13") -> dict[str, str]:
    return {"name": name, "unit_type": unit_type, "party_org_status": status, "unit_code": code}


def _firm(rng: random.Random, used: set[str], c: _Committee, status: str, state: bool = False
          ) -> dict[str, str]:
    name = _unique(used, lambda: people.firm_name(rng, c.area))
    # About one firm in ten still shows its old 9-character organisation code.
    code = people.org_code(rng, modern=False) if rng.random() < 0.1 else people.uscc(
        rng, "91", c.region, modern=not state)
    return _unit(name, "21" if state else "23", code, status)


def _institution(rng: random.Random, c: _Committee, profile: str) -> str:
    if profile == "social":
        return f"{c.area}{people.place(rng)}{rng.choice(pools.SOCIAL_ORGS)}"
    seat = c.stem if c.kind != "group" else c.area
    if rng.random() < 0.6:
        seat += people.place(rng)
    return seat + rng.choice(("中心小学", "中学", "卫生院", "社区卫生服务中心", "幼儿园", "文化站"))
