"""What a member's short answer means: confirm, dispute, ask status or help, and which card code.

Shared by SMS replies and WeChat texts. Members type on cheap phones: full-width characters
("１", "Ｙ") are folded to ASCII, case and surrounding spaces or punctuation are ignored, and
the card code may come before or after the answer, with or without a space ("1 ABC234",
"ABC234 1", "Y4821AB"). Anything with words we do not know is not an answer (None), so a
sentence is never mistaken for a confirmation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CONFIRM = "confirm"
DISPUTE = "dispute"
QUERY = "query"
HELP = "help"

CODE_LENGTH = 6  # service.campaign.cards.CODE_LENGTH; any 6 letters/digits are looked up
WORDS = {
    "1": CONFIRM, "Y": CONFIRM, "YES": CONFIRM, "OK": CONFIRM, "是": CONFIRM, "确认": CONFIRM,
    "正确": CONFIRM, "无误": CONFIRM, "确认无误": CONFIRM, "对": CONFIRM,
    "2": DISPUTE, "N": DISPUTE, "NO": DISPUTE, "否": DISPUTE, "有误": DISPUTE, "不对": DISPUTE,
    "错误": DISPUTE, "不正确": DISPUTE, "修改": DISPUTE, "信息有误": DISPUTE,
    "查询": QUERY, "状态": QUERY, "进度": QUERY, "查看": QUERY,
    "CONFIRM": CONFIRM, "DISPUTE": DISPUTE, "QUERY": QUERY, "STATUS": QUERY,  # menu keys
    "帮助": HELP, "HELP": HELP, "?": HELP, "菜单": HELP, "你好": HELP, "您好": HELP,
}
SINGLE = {k for k in WORDS if len(k) == 1 and k.isascii() and k.isalnum()}  # may glue to a code
_TOKENS = re.compile(r"[A-Z0-9]+|[\u3400-\u9fff]+|\?")


@dataclass(frozen=True)
class Answer:
    """The possible readings of a reply: (action, card code or None), most literal first."""

    readings: tuple[tuple[str, str | None], ...]

    @property
    def actions(self) -> set[str]:
        return {action for action, _ in self.readings}

    @property
    def action(self) -> str | None:
        """Return the action when every reading agrees on it."""
        return next(iter(self.actions)) if len(self.actions) == 1 else None

    @property
    def codes(self) -> set[str]:
        return {code for _, code in self.readings if code}


def normalize(text: str) -> str:
    """Fold full-width forms to ASCII and upper-case (NFKC: "Ｙ" → "Y", "１" → "1", "？" → "?")."""
    return unicodedata.normalize("NFKC", text or "").upper()


def parse(text: str) -> Answer | None:
    """Return the readings of ``text``, or None when it is not a recognisable answer."""
    tokens = _TOKENS.findall(normalize(text))
    if not tokens or len(tokens) > 3:
        return None
    actions: list[str] = []
    codes: list[str] = []
    glued: list[tuple[str, str]] = []
    for token in tokens:
        if token in WORDS:
            actions.append(WORDS[token])
        elif len(token) == CODE_LENGTH and token.isascii():
            codes.append(token)
        elif len(token) == CODE_LENGTH + 1 and token.isascii():
            glued.extend(_unglue(token))
            if not glued:
                return None
        else:
            return None
    if glued:
        if actions or codes:
            return None
        return Answer(tuple(dict.fromkeys(glued)))
    if len(set(actions)) != 1 or len(codes) > 1:
        return None
    return Answer(((actions[0], codes[0] if codes else None),))


def _unglue(token: str) -> list[tuple[str, str]]:
    # "1ABC234" or "ABC2341": the answer digit/letter on either side of a 6-character code.
    out = []
    if token[0] in SINGLE:
        out.append((WORDS[token[0]], token[1:]))
    if token[-1] in SINGLE:
        out.append((WORDS[token[-1]], token[:-1]))
    return out
