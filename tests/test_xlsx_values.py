"""Cell parsing: dates in every usual form, 年月, codes or names, 是/否, neutralising formulas."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from service.records import codes
from service.records.xlsx_values import (
    CellError,
    cell_text,
    lost_leading_zero,
    neutralize,
    parse_code,
    parse_date,
    parse_year_month,
    parse_yes_no,
    unquote,
)


@pytest.mark.parametrize("raw", [
    "2014-05-02", "2014.05.02", "2014/5/2", "2014年5月2日", "20140502", "２０１４－０５－０２",
    " 2014 年 5 月 2 日 ", "2014-5-2", 20140502, 41761, 41761.5, datetime(2014, 5, 2, 0, 0),
    date(2014, 5, 2),
])
def test_parse_date_accepts_the_usual_forms(raw: object) -> None:
    assert parse_date(raw) == date(2014, 5, 2)


@pytest.mark.parametrize("raw", ["2014-02-30", "5/2/2014", "去年", "14-5-2", 99999999])
def test_parse_date_refuses_with_a_chinese_reason(raw: object) -> None:
    with pytest.raises(CellError, match="日期"):
        parse_date(raw)


def test_parse_date_blank_is_none() -> None:
    assert parse_date(None) is None
    assert parse_date("  ") is None


@pytest.mark.parametrize("raw, expected", [
    ("2016-03", "2016-03"), ("2016.3", "2016-03"), ("2016/03", "2016-03"),
    ("2016年3月", "2016-03"), ("201603", "2016-03"), (201603, "2016-03"),
    (2016.03, "2016-03"), ("2016-03-15", "2016-03"), (datetime(2016, 3, 1), "2016-03"),
    (42430, "2016-03"),
])
def test_parse_year_month(raw: object, expected: str) -> None:
    assert parse_year_month(raw) == expected


def test_year_month_stored_as_ambiguous_number_is_refused() -> None:
    with pytest.raises(CellError, match="1月还是10月"):
        parse_year_month(2016.1)
    with pytest.raises(CellError, match="月份"):
        parse_year_month("2016-13")


@pytest.mark.parametrize("raw, expected", [
    ("是", True), ("否", False), ("Y", True), ("n", False), (True, True), (0, False),
    ("√", True), (None, None),
])
def test_parse_yes_no(raw: object, expected: bool | None) -> None:
    assert parse_yes_no(raw) is expected


def test_parse_yes_no_refuses_other_words() -> None:
    with pytest.raises(CellError, match="是.*否"):
        parse_yes_no("可能")


@pytest.mark.parametrize("raw, table, expected", [
    ("21", codes.EDUCATION, "21"), ("大学", codes.EDUCATION, "21"), (21, codes.EDUCATION, "21"),
    ("汉族", codes.ETHNICITIES, "01"), ("汉", codes.ETHNICITIES, "01"),
    (1, codes.ETHNICITIES, "01"), ("０１", codes.ETHNICITIES, "01"),
    ("公务员", codes.JOBS, "011"), ("011", codes.JOBS, "011"), ("011 公务员", codes.JOBS, "011"),
])
def test_parse_code_takes_codes_or_names(raw: object, table: codes.CodeTable, expected: str
                                          ) -> None:
    assert parse_code(raw, table) == expected


def test_parse_code_pads_with_the_cell_format_and_flags_lost_zeros() -> None:
    assert parse_code(11, codes.JOBS, "000") == "011"
    assert parse_code(11, codes.JOBS) == "11"
    assert lost_leading_zero(11, "11", codes.JOBS)
    assert not lost_leading_zero("11", "11", codes.JOBS)
    with pytest.raises(CellError, match="学历"):
        parse_code("大学问", codes.EDUCATION)


@pytest.mark.parametrize("text", ["=1+1", "+86", "-2", "@SUM(A1)", '=HYPERLINK("http://x","y")',
                                  "\tx"])
def test_neutralize_prefixes_formula_like_text(text: str) -> None:
    safe = neutralize(text)
    assert safe == "'" + text
    if text[0] in "=+-@":
        assert unquote(safe) == text


def test_neutralize_leaves_ordinary_text() -> None:
    assert neutralize("张三") == "张三"
    assert unquote("'张三") == "'张三"


def test_cell_text_keeps_chinese_brackets_but_halves_digits() -> None:
    assert cell_text(" 中共某（集团）公司　委员会１号 ") == "中共某（集团）公司 委员会1号"
    assert cell_text(13800138000.0) == "13800138000"
