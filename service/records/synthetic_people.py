"""Synthetic people and places for demo data: names, phone numbers, place names, unit codes."""

from __future__ import annotations

import random
from itertools import accumulate

from service.records import synthetic_pools as pools
from service.records.unitcode import USCC_ALPHABET, org_check_char, uscc_check_char

_SURNAMES = tuple(s for s, _ in pools.SURNAMES)
_SURNAME_CUM = tuple(accumulate(w for _, w in pools.SURNAMES))
_PREFIXES = tuple(p for p, _ in pools.MOBILE_PREFIXES)
_PREFIX_CUM = tuple(accumulate(w for _, w in pools.MOBILE_PREFIXES))
_ETHNIC = {p: (tuple(c for c, _ in w), tuple(accumulate(n for _, n in w)))
           for p, w in pools.ETHNIC_WEIGHTS.items()}
_ETHNIC_NATIONAL = (tuple(c for c, _ in pools.NATIONAL_ETHNIC_WEIGHTS),
                    tuple(accumulate(n for _, n in pools.NATIONAL_ETHNIC_WEIGHTS)))
_MOBILE_SPACE = 10**8
# Odd and not a multiple of 5, so i → i * _MOBILE_STEP mod 10^8 is a bijection: every member's
# eight mobile digits differ from every other's, whatever the prefix.
_MOBILE_STEP = 61_803_399


def ethnicity(rng: random.Random, province: str) -> str:
    """Return a 民族 code drawn with the mix of the province (汉族 mostly, almost everywhere)."""
    codes, cum = _ETHNIC.get(province, _ETHNIC_NATIONAL)
    return rng.choices(codes, cum_weights=cum)[0]


def person_name(rng: random.Random, male: bool, birth_year: int, ethnicity: str = "01") -> str:
    """Return a plausible name for a person of this sex, generation and people."""
    if ethnicity in pools.DOTTED_NAME_PEOPLES:
        given = rng.choice(pools.UYGHUR_MALE if male else pools.UYGHUR_FEMALE)
        return f"{given}·{rng.choice(pools.UYGHUR_MALE)}"
    if ethnicity in pools.TIBETAN_PEOPLES:
        return rng.choice(pools.TIBETAN_FIRST) + rng.choice(
            pools.TIBETAN_MALE if male else pools.TIBETAN_FEMALE)
    if ethnicity in pools.MONGOL_PEOPLES and rng.random() < 0.4:
        return rng.choice(pools.MONGOL_MALE if male else pools.MONGOL_FEMALE)
    surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
    if birth_year < 1965 and rng.random() < 0.5:
        return surname + rng.choice(pools.OLD_MALE_NAMES if male else pools.OLD_FEMALE_NAMES)
    chars = pools.MALE_CHARS if male else pools.FEMALE_CHARS
    if rng.random() < 0.2:
        return surname + rng.choice(chars)
    return surname + rng.choice(chars) + rng.choice(chars)


def member_mobile(rng: random.Random, index: int, salt: int) -> str:
    """Return the mobile of member ``index``: unique among all members of one roster."""
    prefix = rng.choices(_PREFIXES, cum_weights=_PREFIX_CUM)[0]
    return f"{prefix}{(index * _MOBILE_STEP + salt) % _MOBILE_SPACE:08d}"


def any_mobile(rng: random.Random) -> str:
    """Return a random valid mobile (for org contacts, who need not be unique)."""
    prefix = rng.choices(_PREFIXES, cum_weights=_PREFIX_CUM)[0]
    return f"{prefix}{rng.randrange(_MOBILE_SPACE):08d}"


def landline(rng: random.Random, province: str) -> str:
    """Return a landline in the province's capital, "0571-87654321" style."""
    area = pools.AREA_CODES.get(province, "010")
    digits = 7 if province in pools.SEVEN_DIGIT_PROVINCES else 8
    return f"{area}-{rng.randint(2, 8)}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"


def place(rng: random.Random) -> str:
    """Return a two-character place name such as 青山 or 柳湾."""
    first = rng.choice(pools.PLACE_FIRST)
    second = rng.choice(pools.PLACE_SECOND)
    return first + second if first != second else first + "家" + second


def village_name(rng: random.Random) -> str:
    """Return a village name such as 王家湾 or 石桥."""
    if rng.random() < 0.3:
        return rng.choices(_SURNAMES[:40], cum_weights=_SURNAME_CUM[:40])[0] + "家" + rng.choice(
            pools.PLACE_SECOND)
    return place(rng)


def road_name(rng: random.Random) -> str:
    """Return a road name such as 兴安路 or 梅林大道."""
    return place(rng) + rng.choice(pools.ROAD_SUFFIXES)


def firm_name(rng: random.Random, area: str, group: bool = False) -> str:
    """Return a company name in ``area``, e.g. 西湖区华盛机械有限公司."""
    words = rng.choice(pools.FIRM_WORDS) + rng.choice(pools.FIRM_WORDS)
    return f"{area}{words}{rng.choice(pools.INDUSTRIES)}{'集团' if group else ''}有限公司"


def org_code(rng: random.Random, modern: bool = True) -> str:
    """Return a GB 11714 organisation code: "MA…" as issued since 2015, or an older numeric one."""
    if modern:
        body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    else:
        body = str(rng.randint(10_000_000, 79_999_999))
    return body + org_check_char(body)


def uscc(rng: random.Random, kind: str, region: str, modern: bool = True) -> str:
    """Return a GB 32100 credit code: ``kind`` (e.g. "91" enterprise), region, org code, check."""
    body = kind + region + org_code(rng, modern)
    return body + uscc_check_char(body)
