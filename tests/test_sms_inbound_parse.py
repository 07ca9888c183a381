"""Reading a member's short answer (no database)."""

from __future__ import annotations

import pytest

from service.inbound.replies import CONFIRM, DISPUTE, HELP, QUERY, parse


@pytest.mark.parametrize("text", ["1", "Y", "y", "１", "Ｙ", "ｙ", " 1 ", "1。", "【Y】", "yes",
                                  "确认", "是"])
def test_confirm_answers(text: str) -> None:
    answer = parse(text)
    assert answer is not None and answer.readings == ((CONFIRM, None),)


@pytest.mark.parametrize("text", ["2", "N", "n", "２", "Ｎ", "有误", "no!"])
def test_dispute_answers(text: str) -> None:
    answer = parse(text)
    assert answer is not None and answer.readings == ((DISPUTE, None),)


@pytest.mark.parametrize("text,expected", [
    ("1 ABC234", ((CONFIRM, "ABC234"),)),
    ("ABC234 1", ((CONFIRM, "ABC234"),)),
    ("确认 abc234", ((CONFIRM, "ABC234"),)),
    ("Ｙ，ＡＢＣ２３４", ((CONFIRM, "ABC234"),)),
    ("2 XYZ789", ((DISPUTE, "XYZ789"),)),
    ("YABC234", ((CONFIRM, "ABC234"),)),
    ("ABC2342", ((DISPUTE, "ABC234"),)),
])
def test_codes_with_the_answer(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    answer = parse(text)
    assert answer is not None and answer.readings == expected


def test_a_glued_code_can_read_two_ways_and_the_card_decides() -> None:
    answer = parse("1ABCDEN")
    assert answer is not None
    assert set(answer.readings) == {(CONFIRM, "ABCDEN"), (DISPUTE, "1ABCDE")}
    assert answer.action is None


@pytest.mark.parametrize("text", ["", "   ", "1 2", "Y N", "好的谢谢", "我确认", "ABC234",
                                  "1 ABC234 XYZ789", "12345", "请问什么时候截止？", "确认 有误"])
def test_anything_else_is_not_an_answer(text: str) -> None:
    assert parse(text) is None


def test_query_and_help() -> None:
    assert parse("查询").action == QUERY  # type: ignore[union-attr]
    assert parse("帮助").action == HELP  # type: ignore[union-attr]
    assert parse("？").action == HELP  # type: ignore[union-attr]
