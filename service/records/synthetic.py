"""Deterministic synthetic rosters for demos and load tests: an org tree, then members, streamed.

Everything comes from ``random.Random`` seeded by the caller's seed, so the same seed and day
give the same roster. Members are yielded one at a time; a million of them never sit in memory.
Every member passes ``validate_member`` without errors (warnings, such as a 失联 member still
marked 正常, are realistic and allowed); branch sizes include some below 3 and above 50 so the
review rules have something to find.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from service.records import divisions, idcard
from service.records import synthetic_people as people
from service.records.fields import FULL_MEMBER, NORMAL_STATUS, PROBATIONARY_MEMBER, SUSPENDED_STATUS
from service.records.party_dates import NO_PROBATION, add_months
from service.records.synthetic_orgs import TOP, SyntheticOrg, plan_orgs

MIN_MEMBERS, MAX_MEMBERS = 10, 1_000_000
# ID numbers are made unique by construction: member i gets the address code regions[i // BLOCK]
# and, within that block, one of the BLOCK sequence slots (seq = 2·slot + 1 for men, + 2 for
# women), so no two members share (address code, sequence) whatever their birth dates.
BLOCK = 499  # prime, so slot = (k·263 + salt) mod 499 is a permutation of k
EARLIEST_JOIN = date(1950, 1, 1)
NEWEST_BIRTH, OLDEST_BIRTH = date(2005, 12, 31), date(1930, 1, 1)


@dataclass(frozen=True)
class Profile:
    """What the members of one kind of branch look like."""

    ages: tuple[int, int, int]  # youngest, oldest, commonest
    male: float
    jobs: tuple[tuple[str, ...], tuple[int, ...]]
    educated: bool = False  # cadres and professionals: mostly university
    floating: float = 0.01
    lost: float = 0.003


def _jobs(spec: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    pairs = [x.split(":") for x in spec.split()]
    return tuple(c for c, _ in pairs), tuple(accumulate(int(w) for _, w in pairs))


PROFILES: dict[str, Profile] = {
    "organ": Profile((23, 59, 40), 0.65, _jobs("011:70 012:20 0314:10"), educated=True),
    "village": Profile((20, 92, 58), 0.8, _jobs("11:50 123:20 124:18 122:3 604:6 605:3"),
                       floating=0.03, lost=0.012),
    "community": Profile((22, 92, 62), 0.5, _jobs(
        "602:25 605:15 604:15 612:15 613:10 0215:8 0216:7 603:2 606:3"), floating=0.04, lost=0.01),
    "retired": Profile((56, 95, 72), 0.7, _jobs("502:96 503:4"), lost=0.002),
    "enterprise": Profile((22, 58, 35), 0.7, _jobs("0215:35 0216:35 0312:30")),
    "joint": Profile((22, 58, 34), 0.65, _jobs("0215:35 0216:35 0312:30"), floating=0.02),
    "department": Profile((22, 60, 40), 0.75, _jobs("0213:35 0214:40 0311:25")),
    "subsidiary": Profile((22, 60, 38), 0.7, _jobs("0213:35 0214:40 0311:25")),
    "institution": Profile((23, 60, 38), 0.45, _jobs("0211:20 0212:70 0315:10"), educated=True),
    "social": Profile((24, 65, 42), 0.55, _jobs("0217:40 0218:40 0313:20")),
}
# 学历 by birth cohort (and for cadres and professionals); 23 大学普通班 took in 1970-1976.
_EDUCATION = (
    (1945, _jobs("8:30 7:30 6:20 41:8 22:5 21:4 2B:2 9:1")),
    (1959, _jobs("7:30 6:25 8:10 41:10 22:10 21:6 23:4 2D:3 44:2")),
    (1970, _jobs("6:22 7:18 41:14 22:18 21:16 2B:4 47:4 44:4")),
    (1985, _jobs("6:15 7:10 41:10 22:25 21:30 12:4 2B:2 47:2 44:2")),
    (9999, _jobs("21:45 22:20 12:15 6:7 41:5 11:2 7:2 24:1 47:3")),
)
_EDUCATED = _jobs("21:52 12:20 22:12 2B:5 11:2 1B:2 6:3 41:4")


@dataclass
class SyntheticRoster:
    """A planned org tree and the recipe for its members; iterate ``records()`` to get them."""

    seed: int
    size: int
    today: date
    orgs: list[SyntheticOrg]
    regions: list[str]
    flow_targets: list[str] = field(repr=False)
    _salts: tuple[int, int] = (0, 0)

    @property
    def top(self) -> SyntheticOrg:
        """Return the org above the committees (the organisation department's scope)."""
        return self.orgs[TOP]

    def committees(self) -> list[SyntheticOrg]:
        """Return the 基层党委, in plan order."""
        return [o for o in self.orgs if o.parent == TOP]

    def branches(self) -> list[SyntheticOrg]:
        """Return the orgs members belong to, in the order ``records()`` fills them."""
        return [o for o in self.orgs if o.is_branch]

    def records(self) -> Iterator[tuple[SyntheticOrg, dict[str, Any]]]:
        """Yield (branch, canonical member record) for every member, branch by branch."""
        rng = random.Random(f"members:{self.seed}")
        index = 0
        for org in self.branches():
            for k in range(org.size):
                yield org, self._member(rng, org, index, leader=k == 0)
                index += 1

    def _member(self, rng: random.Random, org: SyntheticOrg, i: int, leader: bool
                ) -> dict[str, Any]:
        p = PROFILES[org.profile]
        today = self.today
        male = org.secretary_male if leader else rng.random() < p.male
        age = rng.randint(32, 58) if leader else int(rng.triangular(*p.ages))
        birth = date.fromordinal(today.toordinal() - int((age + rng.random()) * 365.2425))
        birth = min(max(birth, OLDEST_BIRTH), NEWEST_BIRTH)
        region = self.regions[i // BLOCK]
        slot = ((i % BLOCK) * 263 + self._salts[0] + (i // BLOCK) * 17) % BLOCK
        body = f"{region}{birth:%Y%m%d}{2 * slot + (1 if male else 2):03d}"
        ethnicity = org.secretary_ethnicity if leader else people.ethnicity(rng, region[:2])
        joined = self._joined(rng, birth, leader)
        full_on, member_type = _full_on(rng, joined, today)
        age = (today - birth).days // 365
        retired = age >= (60 if male else 55)
        job = _job(rng, p, org.profile, retired, age)
        mobile = people.member_mobile(rng, i, self._salts[1]) if (
            age < 80 or rng.random() < 0.7) else None
        landline = people.landline(rng, org.region[:2]) if (
            mobile is None or rng.random() < (0.35 if retired else 0.1)) else None
        record: dict[str, Any] = {
            "name": org.secretary if leader else people.person_name(rng, male, birth.year,
                                                                     ethnicity),
            "sex": "男" if male else "女", "ethnicity": ethnicity,
            "id_number": body + idcard.id_check_char(body), "birth_date": birth,
            "education": _education(rng, p, birth.year), "member_type": member_type,
            "branch": org.name, "joined_on": joined, "full_on": full_on, "job": job,
            "mobile": mobile, "landline": landline, "address": _address(rng, org),
            "party_status": NORMAL_STATUS, "is_lost": False, "lost_since": None,
            "is_floating": False, "flow_to": None,
        }
        roll = rng.random()
        if not leader and member_type == FULL_MEMBER and roll < p.lost:
            self._lose(rng, record)
        elif not leader and (roll < p.lost + p.floating or (job == "123" and roll < 0.6)):
            record["is_floating"] = True
            record["flow_to"] = rng.choice(self.flow_targets)
        return record

    def _joined(self, rng: random.Random, birth: date, leader: bool) -> date:
        """Draw a join date: at 18 or older, from 1950 on, and long enough ago for a leader."""
        adult = add_months(birth, 18 * 12)
        latest = add_months(self.today, -36) if leader else self.today
        joined = date.fromordinal(birth.toordinal() + int(rng.triangular(18, 45, 24) * 365.2425))
        joined = max(joined, adult)
        if joined < EARLIEST_JOIN:
            joined = EARLIEST_JOIN + timedelta(days=rng.randrange(2000))
        if joined > latest:
            joined = adult + timedelta(days=rng.randrange(max(1, (latest - adult).days)))
        return joined

    def _lose(self, rng: random.Random, record: dict[str, Any]) -> None:
        """Mark a member 失联 since some month; long-lost ones are sometimes 停止党籍."""
        joined: date = record["joined_on"]
        now = self.today.year * 12 + self.today.month - 1
        first = max(joined.year * 12 + joined.month - 1, now - 120)
        month = rng.randint(first, max(first, now - 1))
        record.update(is_lost=True, lost_since=f"{month // 12}-{month % 12 + 1:02d}")
        if now - month >= 6 and rng.random() < 0.35:
            record["party_status"] = SUSPENDED_STATUS


def _full_on(rng: random.Random, joined: date, today: date) -> tuple[date | None, str]:
    """Return the 转正 date and member type the party rules of the join date give."""
    if any(start <= joined <= end for start, end in NO_PROBATION):
        return (joined if rng.random() < 0.75 else None), FULL_MEMBER
    extended = joined >= date(1977, 8, 12) and rng.random() < 0.02
    full = add_months(joined, rng.randint(18, 24) if extended else 12)
    if full > today:
        return None, PROBATIONARY_MEMBER
    return full, FULL_MEMBER


def _job(rng: random.Random, p: Profile, profile: str, retired: bool, age: int) -> str:
    if retired and profile == "village":
        return rng.choice(("124", "124", "11"))
    if retired and profile not in ("organ", "retired"):
        return "502"
    if profile == "village" and age < 35 and rng.random() < 0.05:
        return "601"  # 大学生村官
    return rng.choices(p.jobs[0], cum_weights=p.jobs[1])[0]


def _education(rng: random.Random, p: Profile, born: int) -> str:
    codes, cum = _EDUCATED if p.educated and born >= 1959 else next(
        table for limit, table in _EDUCATION if born < limit)
    return rng.choices(codes, cum_weights=cum)[0]


def _address(rng: random.Random, org: SyntheticOrg) -> str:
    where = rng.choice(org.places)
    if where.endswith("村"):
        return f"{org.home}{where}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"
    number = f"{org.home}{where}{rng.randint(1, 399)}号"
    if rng.random() < 0.6:
        room = f"{rng.randint(1, 18)}0{rng.randint(1, 4)}"
        return f"{number}{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元{room}室"
    return number


def _regions(rng: random.Random) -> tuple[list[str], list[str]]:
    """Return every county code, grouped by province in a shuffled order, and the flow targets."""
    counties: list[str] = []
    cities: list[str] = []
    provinces = [c for c, _ in divisions.children_of(None) if c in idcard.PROVINCES]
    rng.shuffle(provinces)
    for province in provinces:
        found: list[str] = []
        for code, _ in divisions.children_of(province):
            if len(code) == 6:
                found.append(code)
            else:
                cities.append(code)
                found += [c for c, _ in divisions.children_of(code) if len(c) == 6]
        rng.shuffle(found)
        counties += found
    return counties, counties + cities


def synthetic_roster(size: int, seed: int, today: date) -> SyntheticRoster:
    """Plan a roster of ``size`` members for ``seed``; dates are relative to ``today``."""
    if not MIN_MEMBERS <= size <= MAX_MEMBERS:
        raise ValueError(f"党员人数应在{MIN_MEMBERS}到{MAX_MEMBERS}之间，实为{size}")
    rng = random.Random(f"orgs:{seed}")
    regions, targets = _regions(rng)
    orgs = plan_orgs(rng, size, regions, BLOCK)
    salts = (rng.randrange(BLOCK), rng.randrange(10**8))
    return SyntheticRoster(seed, size, today, orgs, regions, targets, salts)
