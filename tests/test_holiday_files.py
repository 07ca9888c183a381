"""Holiday files: the text and .xlsx formats, and Chinese errors naming line, field and reason."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook

from service.holidays.files import DayLine, HolidayFileError, read_days
from service.models.calendar_day import OFF, WORK


def xlsx(rows: list[list[Any]]) -> bytes:
    """Return a workbook whose first sheet holds ``rows``."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def problems(filename: str, data: bytes) -> list[str]:
    with pytest.raises(HolidayFileError) as caught:
        read_days(filename, data)
    assert "未导入任何日期" in caught.value.message
    return caught.value.problems


def test_text_file_with_comments_blank_lines_and_the_usual_date_forms() -> None:
    text = ("\ufeff# 2031 年部分节假日安排\n"
            "\n"
            "2031-01-22 放假 春节\n"
            "2031/1/23\t放假\t春节  # 初一\n"
            "2031年1月24日　放假　春节\n"  # ideographic spaces, as typed in a Chinese IME
            "20310125,放假,春节\n"
            "2031.01.18 上班 春节调休\n"
            "2031-10-01 放假 国庆节 中秋节\n")
    days = read_days("2031.txt", text.encode("utf-8"))
    assert days == [
        DayLine(3, date(2031, 1, 22), OFF, "春节"),
        DayLine(4, date(2031, 1, 23), OFF, "春节"),
        DayLine(5, date(2031, 1, 24), OFF, "春节"),
        DayLine(6, date(2031, 1, 25), OFF, "春节"),
        DayLine(7, date(2031, 1, 18), WORK, "春节调休"),
        DayLine(8, date(2031, 10, 1), OFF, "国庆节 中秋节"),
    ]


def test_every_bad_line_is_named_with_its_field_and_reason() -> None:
    text = ("2031-01-22 放假 春节\n"
            "2031-02-30 放假 春节\n"
            "2031-01-23 休假 春节\n"
            "2031-01-24 放假\n"
            "春节 放假 2031-01-25\n"
            "1999-10-01 放假 国庆节\n"
            "2031-01-22 上班 春节调休\n"
            f"2031-01-26 放假 {'长' * 65}\n")
    assert problems("bad.txt", text.encode()) == [
        "第 2 行 日期：“2031-02-30”不是真实存在的日期",
        "第 3 行 类型：“休假”无法识别，应为 放假 或 上班",
        "第 4 行 名称：缺少名称，如 春节、国庆节调休",
        "第 5 行 日期：日期“春节”无法识别，应写成年月日，"
        "如 2014-05-02、2014.05.02、2014/5/2、2014年5月2日 或 20140502",
        "第 6 行 日期：1999-10-01 的年份应在 2000–2099 之间",
        "第 7 行 日期：2031-01-22 与第 1 行重复",
        "第 8 行 名称：不能超过 64 个字",
    ]


def test_files_that_are_not_readable_text_or_hold_no_days_are_refused() -> None:
    assert "UTF-8" in problems("gbk.txt", "2031-01-22 放假 春节".encode("gbk"))[0]
    assert "没有任何日期" in problems("empty.txt", b"# nothing yet\n\n")[0]
    assert ".xlsx" in problems("old.xls", b"\xd0\xcf\x11\xe0")[0]
    assert "无法读取" in problems("broken.xlsx", b"PK\x03\x04 not really a zip")[0]


def test_xlsx_first_sheet_with_a_header_row_in_any_column_order() -> None:
    data = xlsx([
        [],
        ["名称", "日期", "类型", "备注"],
        ["春节", datetime(2031, 1, 22), "放假", "除夕"],
        [None, None, None, None],
        ["春节调休", "2031/1/18", "上班", None],
    ])
    assert read_days("2031.xlsx", data) == [
        DayLine(3, date(2031, 1, 22), OFF, "春节"),
        DayLine(5, date(2031, 1, 18), WORK, "春节调休"),
    ]


def test_xlsx_errors_name_the_sheet_row_and_a_missing_column() -> None:
    data = xlsx([["日期", "类型", "名称"], ["2031-01-22", "放假", "春节"],
                 ["2031-13-01", "放假", "春节"], ["2031-01-24", "", "春节"]])
    assert problems("2031.xlsx", data) == [
        "第 3 行 日期：“2031-13-01”不是真实存在的日期",
        "第 4 行 类型：缺少类型，应为 放假 或 上班",
    ]
    missing = problems("2031.xlsx", xlsx([["日期", "名称"], ["2031-01-22", "春节"]]))
    assert missing == ["第一张工作表的表头应有 日期、类型、名称 三列（缺少：类型）"]
