"""The org tree of a synthetic roster: a county's 党委 over its 基层党委, 党总支 and branches."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from service.records import divisions
from service.records import synthetic_people as people
from service.records.fields import LEGAL_ENTITY, SAME_AS_PARENT
from service.records.synthetic_names import NUMERALS, Committee, describe, unique

MEMBERS_PER_COMMITTEE = 2000
MIN_COMMITTEES = 2  # the organisation department's view is across committees: show two
TOP = 0  # plan index of the org above the committees
# A town's or street's committee at least this big always has a 联合党支部 and a 党总支, as
# nearly every real one does (and so every demo can show both).
SHOWCASE_SHARE = 60

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


def plan_orgs(rng: random.Random, members: int, regions: list[str], block: int
              ) -> list[SyntheticOrg]:
    """Plan the top org, the committees and their branches for ``members`` people; parents
    come first.

    Committee *c* sits in the county of ``regions[start_c // block]``, the address code its
    first member's ID number gets, so most members' ID numbers match their committee's county.
    The top org (index ``TOP``) is the party committee of the smallest division holding every
    committee (a demo's county; a large roster's city or province), whose organisation
    department oversees them; 611 党委 is the only 组织类别 for a 党委.
    """
    count = max(MIN_COMMITTEES, round(members / MEMBERS_PER_COMMITTEE))
    weights = [rng.uniform(0.7, 1.3) for _ in range(count)]
    shares = [int(members * w / sum(weights)) for w in weights]
    shares[-1] += members - sum(shares)
    orgs: list[SyntheticOrg] = []
    used: set[str] = set()
    seats = [regions[start // block] for start in accumulate(shares[:-1], initial=0)]
    _top(rng, orgs, used, seats)
    for n, (share, seat) in enumerate(zip(shares, seats, strict=True)):
        # The first is a town's or a street's, whose branches include every kind the product
        # handles (联合党支部, 党总支); the demo's accounts are in it.
        kinds, odds = (("town", "street", "group"), (45, 35, 20)) if n else (
            ("town", "street"), (45, 35))
        kind = rng.choices(kinds, odds)[0]
        committee = _committee(rng, orgs, used, kind, seat)
        for profile, size, general in _branch_sizes(rng, kind, share):
            _add_branch(rng, orgs, used, committee, profile, size, general)
    return orgs


def _top(rng: random.Random, orgs: list[SyntheticOrg], used: set[str], seats: list[str]
         ) -> None:
    code, place = _common_division(seats)
    name = f"中共{place}委员会"
    used.add(name)
    unit = {"name": name, "unit_type": "4", "party_org_status": "11",
            "unit_code": people.uscc(rng, "11", code.ljust(6, "0"), modern=False)}
    orgs.append(SyntheticOrg(
        index=TOP, parent=None, name=name, org_type="611", unit_situation=LEGAL_ENTITY,
        secretary=people.person_name(rng, rng.random() < 0.8, rng.randint(1962, 1975)),
        contact=people.person_name(rng, rng.random() < 0.5, rng.randint(1980, 1995)),
        contact_phone=people.landline(rng, code[:2]), units=[unit], region=seats[0],
        home=divisions.name_of(code) or ""))


def _common_division(counties: list[str]) -> tuple[str, str]:
    """Return the code and name of the smallest division holding every county: the county
    ("杭州市西湖区"), the city ("杭州市") or the province (the first county's, past that)."""
    paths = [divisions.path_of(c) or (c[:2], None, c) for c in counties]
    province = paths[0][0]
    if len({p[2] for p in paths}) == 1:
        return counties[0], _area(counties[0])[0]
    city = paths[0][1]
    if city is not None and {p[1] for p in paths} == {city}:
        return city, (divisions.name_of(city) or "").removeprefix(
            divisions.name_of(province) or "")
    return province, divisions.name_of(province) or ""


def _branch_sizes(rng: random.Random, kind: str, share: int) -> list[tuple[str, int, bool]]:
    """Return (profile, size, is a 党总支) for a committee's branches, adding up to ``share``."""
    planned: list[tuple[str, int, bool]] = [
        ("department" if kind == "group" else "organ", rng.randint(8, 25), False)]
    if kind != "group" and share >= SHOWCASE_SHARE:
        planned += [("joint", rng.randint(3, 15), False), (_local(kind), rng.randint(51, 90), True)]
    if share >= 300:  # every sizeable committee has a large retirees' branch and a tiny one
        planned += [("retired", rng.randint(51, 90), False), (_local(kind), 2, False)]
    elif share >= 100:
        planned.append(("retired", rng.randint(15, 40), False))
    kinds, weights = zip(*_BRANCH_MIX[kind], strict=True)
    while sum(s for _, s, _ in planned) < share:
        profile = rng.choices(kinds, weights)[0]
        if profile in ("village", "community"):
            _, low, high = rng.choices(_LOCAL_SIZES, [w for w, _, _ in _LOCAL_SIZES])[0]
        else:
            low, high = _SIZES[profile]
        planned.append((profile, rng.randint(low, high), False))
    out: list[tuple[str, int, bool]] = []
    left = share
    for profile, size, general in planned:
        if left <= 0:
            break
        out.append((profile, min(size, left), general))
        left -= size
    return out


def _local(kind: str) -> str:
    return {"town": "village", "street": "community"}.get(kind, "department")


def _area(region: str) -> tuple[str, str]:
    """Return ("杭州市西湖区", "浙江省杭州市西湖区") for a county code."""
    path = divisions.path_of(region)
    full = divisions.name_of(region) or ""
    if path is None or path[1] is None:
        return full, full  # municipalities: 北京市朝阳区
    return full.removeprefix(divisions.name_of(path[0]) or ""), full


def _committee(rng: random.Random, orgs: list[SyntheticOrg], used: set[str], kind: str,
               region: str) -> Committee:
    area, full = _area(region)
    suffix = {"town": "镇", "street": "街道"}.get(kind)
    if suffix:
        seat = unique(used, lambda: f"{area}{people.place(rng)}{suffix}")
        name, stem, home = f"中共{seat}委员会", seat, full + seat.removeprefix(area)
        unit = {"name": seat + ("人民政府" if kind == "town" else "办事处"),
                "unit_type": "13" if kind == "town" else "11", "party_org_status": "11",
                "unit_code": people.uscc(rng, "11", region, modern=False)}
    else:
        company = unique(used, lambda: people.firm_name(rng, area, group=True))
        name, stem, home = f"中共{company}委员会", company, full
        unit = {"name": company, "unit_type": "21", "party_org_status": "11",
                "unit_code": people.uscc(rng, "91", region)}
    used.add(name)
    c = Committee(kind, region, area, home, stem,
                   villages=tuple(people.village_name(rng) + "村" for _ in range(12)),
                   roads=tuple(people.road_name(rng) for _ in range(10)), index=len(orgs))
    secretary_male = rng.random() < 0.75
    orgs.append(SyntheticOrg(
        index=len(orgs), parent=TOP, name=name, org_type="611", unit_situation=LEGAL_ENTITY,
        secretary=people.person_name(rng, secretary_male, rng.randint(1965, 1980)),
        contact=people.person_name(rng, rng.random() < 0.5, rng.randint(1980, 1995)),
        contact_phone=people.landline(rng, region[:2]), units=[unit], region=region,
        home=home, secretary_male=secretary_male))
    return c


def _add_branch(rng: random.Random, orgs: list[SyntheticOrg], used: set[str], c: Committee,
                profile: str, size: int, general: bool = False) -> None:
    """Add one branch of ``profile``; a big village or community (or one ``general`` says so)
    becomes a 党总支 of branches."""
    name, situation, units, places = describe(rng, used, c, profile)
    org_type = "632" if profile == "joint" else "631"
    if profile in ("village", "community") and (
            general or (size > 60 and rng.random() < 0.3)):
        units[0]["party_org_status"] = "12"
        stem = name.removeprefix("中共").removesuffix("支部委员会")
        general = _org(rng, orgs, c.index, name.replace("支部委员会", "总支部委员会"), "621",
                       situation, units, c, places, profile)
        parts = rng.randint(2, 3)
        for k in range(parts):
            sub = f"中共{stem}第{NUMERALS[k]}支部委员会"
            used.add(sub)
            part = size // parts + (1 if k < size % parts else 0)
            _org(rng, orgs, general.index, sub, "631", SAME_AS_PARENT, [], c, places, profile,
                 part)
        return
    _org(rng, orgs, c.index, name, org_type, situation, units, c, places, profile, size)


def _org(rng: random.Random, orgs: list[SyntheticOrg], parent: int, name: str, org_type: str,
         situation: str, units: list[dict[str, str]], c: Committee, places: tuple[str, ...],
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
