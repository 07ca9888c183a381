"""Mobile and landline formats, the optional libphonenumber warning, and masking."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.records.phones import (
    check_landline,
    check_mobile,
    check_phone,
    mask_phone,
    normalize_landline,
    normalize_mobile,
)
from service.records.problems import Problem


def rules(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.rule, p.severity) for p in problems]


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@pytest.mark.parametrize("raw", ["139 1234 5678", "139-1234-5678", "+86 139 1234 5678",
                                 "8613912345678", "008613912345678", "(+86)13912345678",
                                 "１３９１２３４５６７８"])
def test_mobile_spellings_normalize_to_eleven_digits(raw: str) -> None:
    assert normalize_mobile(raw) == "13912345678"
    assert check_mobile(raw) == []


@pytest.mark.parametrize("raw, reason", [
    ("12912345678", "应以13–19开头"),
    ("1391234567", "实为10位数字"),
    ("010-12345678", "填的是固定电话"),
    ("", "实为0位数字"),
])
def test_bad_mobiles(raw: str, reason: str) -> None:
    assert normalize_mobile(raw) is None
    problems = check_mobile(raw)
    assert rules(problems) == [("MOBILE_FORMAT", "error")]
    assert reason in problems[0].message


@pytest.mark.parametrize("raw, canonical", [
    ("010-12345678", "010-12345678"),
    ("(010)12345678", "010-12345678"),
    ("（010）12345678", "010-12345678"),
    ("01012345678", "010-12345678"),
    ("0755 2345 6789", "0755-23456789"),
    ("0755-23456789-123", "0755-23456789-123"),
    ("0755-23456789转123", "0755-23456789-123"),
    ("010-12345678 ext 12", "010-12345678-12"),
    ("+86 10 12345678", "010-12345678"),
    ("0086-010-12345678", "010-12345678"),
    ("0351-1234567", "0351-1234567"),
])
def test_landline_spellings_normalize_to_area_dash_number(raw: str, canonical: str) -> None:
    assert normalize_landline(raw) == canonical
    assert check_landline(raw) == []


@pytest.mark.parametrize("raw, reason", [
    ("021-6666666", "010、02X为3位"),  # three-digit area codes take 8-digit numbers
    ("87654321", "缺少区号"),
    ("13912345678", "填的是手机号"),
    ("400-810-8888", "区号以0开头"),
    ("0755-0345678", "号码7–8位"),
])
def test_bad_landlines(raw: str, reason: str) -> None:
    assert normalize_landline(raw) is None
    problems = check_landline(raw)
    assert rules(problems) == [("LANDLINE_FORMAT", "error")]
    assert reason in problems[0].message


def test_contact_phone_accepts_either_kind() -> None:
    assert check_phone("13912345678", "contact_phone") == []
    assert check_phone("0755-23456789", "contact_phone") == []
    problems = check_phone("12345", "contact_phone")
    assert rules(problems) == [("PHONE_FORMAT", "error")]
    assert problems[0].field == "contact_phone"


def test_blocks_unknown_to_libphonenumber_only_warn() -> None:
    pytest.importorskip("phonenumbers")
    assert rules(check_mobile("14912345678")) == [("PHONE_UNRECOGNISED", "warning")]
    assert check_mobile("19212345678") == []


def test_without_phonenumbers_the_soft_check_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "phonenumbers", None)  # makes the import fail
    assert check_mobile("14912345678") == []


def test_messages_never_repeat_the_number() -> None:
    for raw in ("12912345678", "021-6666666", "14912345678"):
        for problem in check_mobile(raw) + check_landline(raw):
            assert raw not in problem.message and raw[-8:] not in problem.message


def test_mask_phone() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("+86 138 0013 8000") == "138****8000"
    assert mask_phone("010-12345678-12") == "010-****5678"
    assert mask_phone("0351-1234567") == "0351-***4567"
    assert mask_phone("123") == "***"


@given(mobiles, st.sampled_from(["", "+86", "86", "+86 ", "0086"]), st.integers(0, 10))
def test_any_mobile_with_prefix_and_a_space_normalizes(number: str, prefix: str, cut: int) -> None:
    raw = prefix + number[:cut] + " " + number[cut:]
    assert normalize_mobile(raw) == number
    assert not [p for p in check_mobile(raw) if p.is_error]
    masked = mask_phone(raw)
    assert masked == number[:3] + "****" + number[-4:]


@given(st.sampled_from(["010", "021", "0755", "0571"]), st.from_regex(r"[2-8][0-9]{7}",
                                                                       fullmatch=True))
def test_any_area_code_and_number_round_trips(area: str, number: str) -> None:
    canonical = f"{area}-{number}"
    for raw in (canonical, area + number, f"({area}){number}", f"{area} {number[:4]} {number[4:]}"):
        assert normalize_landline(raw) == canonical
