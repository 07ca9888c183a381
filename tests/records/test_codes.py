"""Code tables transcribed from the seeds, their lookups, and the cell-text clean-up they use."""

from __future__ import annotations

import pytest

from service.records.codes import (
    BRANCH_ORG_TYPES,
    EDUCATION,
    ETHNICITIES,
    JOBS,
    JOINT_ORG_TYPES,
    ORG_TYPES,
    UNIT_PARTY_ORG,
    UNIT_TYPES,
    CodeTable,
    check_code,
)
from service.records.text import normalize_text, strip_all_spaces, to_half_width

ALL_TABLES = (ORG_TYPES, UNIT_TYPES, UNIT_PARTY_ORG, EDUCATION, JOBS, ETHNICITIES)


def full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@pytest.mark.parametrize("table, size, headers", [
    (ORG_TYPES, 10, {"6", "9"}),
    (UNIT_TYPES, 14, {"1", "2"}),
    (UNIT_PARTY_ORG, 5, {"1"}),
    (EDUCATION, 23, {"1", "2", "4"}),
    (JOBS, 59, {"0", "01", "02", "1", "3", "30", "31", "32", "5", "6"}),
    (ETHNICITIES, 58, set()),
])
def test_table_sizes_and_category_headers(table: CodeTable, size: int, headers: set[str]) -> None:
    assert len(table.items()) == size
    assert {c for c, _ in table.items() if not table.is_selectable(c)} == headers
    assert len(table.leaves()) == size - len(headers)


def test_spot_checks_against_the_seeds() -> None:
    assert ORG_TYPES.name_of("632") == "联合党支部"
    assert UNIT_TYPES.name_of("14") == "农村社区（居委会）"
    assert UNIT_PARTY_ORG.name_of("2") == "建立联合党支部的"
    assert EDUCATION.name_of("2D") == "省（区、市）委党校大专"
    assert JOBS.name_of("0211") == "事业单位管理岗位"
    assert JOBS.name_of("32") == "大学专科学生"  # the seeds' typo is corrected…
    assert JOBS.normalize("大学专科学学生") == "32"  # …and still understood
    assert (JOBS.name_of("610") or "").endswith("保留劳动关系的职工（不包括内部退养职工）")
    assert JOBS.name_of("11") == "农牧渔业生产人员" and JOBS.name_of("011") == "公务员"
    assert ETHNICITIES.name_of("01") == "汉族" and ETHNICITIES.name_of("56") == "基诺族"
    assert ETHNICITIES.name_of("97") == "其他（未识别民族）"
    assert BRANCH_ORG_TYPES == {"631", "632", "931", "932"} and JOINT_ORG_TYPES <= BRANCH_ORG_TYPES
    assert all(c in ORG_TYPES and ORG_TYPES.is_selectable(c) for c in BRANCH_ORG_TYPES)


def test_codes_keep_leading_zeros_and_order() -> None:
    assert [c for c, _ in JOBS.items()][:4] == ["0", "01", "011", "012"]
    assert [c for c, _ in ETHNICITIES.items()][:3] == ["01", "02", "03"]


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_every_code_and_name_normalizes_in_any_width_and_spacing(table: CodeTable) -> None:
    for code, name in table.items():
        for raw in (code, f" {code} ", full_width(code), name, f" {full_width(name)} ",
                    f"{code} {name}", f"{name}({code})", f"{name}（{code}）"):
            assert table.normalize(raw) == code, raw
        assert table.code_of(name) == code


@pytest.mark.parametrize("raw, code", [
    ("汉", "01"), ("朝鲜", "10"), ("毛难族", "36"), ("崩龙族", "46"), ("崩龙", "46"),
    ("57", "97"), ("58", "98"), ("其他", "97"), ("1", "01"), ("９", "09"), ("汉族 01", "01"),
])
def test_ethnicity_aliases(raw: str, code: str) -> None:
    assert ETHNICITIES.normalize(raw) == code


@pytest.mark.parametrize("table, raw", [
    (ETHNICITIES, "汉族 02"),  # code and name disagree
    (ETHNICITIES, "99"),
    (ETHNICITIES, ""),
    (JOBS, "1"),  # a header is a code, not an alias; normalize keeps it, see below
    (JOBS, "0111"),
    (EDUCATION, "研究生"),
])
def test_values_that_do_not_normalize(table: CodeTable, raw: str) -> None:
    expected = "1" if raw == "1" else None
    assert table.normalize(raw) == expected


def test_only_fixed_width_tables_pad_codes() -> None:
    assert JOBS.normalize("11") == "11"  # not 011
    assert EDUCATION.normalize("1a") == "1A"
    assert EDUCATION.normalize("本科") == "21"


def test_org_type_written_as_old_systems_export_it() -> None:
    assert ORG_TYPES.normalize("党支部(631)") == "631"
    assert ORG_TYPES.normalize("631 党支部") == "631"


def test_check_code_on_a_header_lists_the_finer_codes() -> None:
    (problem,) = check_code(JOBS, "01", "job", "工作岗位")
    assert problem.rule == "CODE_NOT_LEAF" and problem.is_error
    assert "011 公务员" in problem.message and "012 参照公务员法管理的工作人员" in problem.message
    (problem,) = check_code(JOBS, "0", "job", "工作岗位")
    assert problem.message.endswith("等")


def test_check_code_on_an_unknown_value_suggests_the_code() -> None:
    (problem,) = check_code(ETHNICITIES, "汉族", "ethnicity", "民族")
    assert problem.rule == "CODE_UNKNOWN" and "应填代码 01" in problem.message
    (problem,) = check_code(EDUCATION, "5", "education", "学历")
    assert problem.rule == "CODE_UNKNOWN" and "《学历代码》" in problem.message
    assert check_code(EDUCATION, "1A", "education", "学历") == []


def test_leaves_under_a_header() -> None:
    assert EDUCATION.leaves_under("1") == [("11", "博士研究生"), ("12", "硕士研究生"),
                                           ("13", "硕士生班"), ("1A", "中央党校研究生"),
                                           ("1B", "省（区、市）委党校研究生")]


def test_normalize_text() -> None:
    assert normalize_text("\u3000 ＡＢＣ１２３（）　 x\t\n y ") == "ABC123() x y"
    assert normalize_text("\ufeff张\u200b三") == "张三"
    assert strip_all_spaces(" 浙江 杭州\u3000西湖区\xa0") == "浙江杭州西湖区"
    assert to_half_width("！～\u3000") == "!~ "
    assert normalize_text("") == ""
