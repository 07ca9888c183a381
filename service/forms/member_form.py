"""附件2 党员基本信息采集表: one A4 page per member, filled from a member record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from service.forms.layout import BODY, LEFT, RIGHT, SMALL, TOP, Pen
from service.forms.qr import QrPlacement, draw_qr, evidence_payload, qr_matrix, reserved_size
from service.records import divisions
from service.records.codes import EDUCATION, ETHNICITIES, JOBS
from service.records.fields import FULL_MEMBER, PROBATIONARY_MEMBER, SUSPENDED_STATUS

PITCH = 23.5  # baseline to baseline between item lines
NOTE_HEIGHT = 66.0  # room for the confirmation note between the member's label and date line
FOOTNOTE = ("注：软件系统中信息齐全的，此表可直接从软件系统中导出打印，再交由党员本人确认，"
            "党支部（党总支、党委）初核，基层党委复核。")


@dataclass(frozen=True)
class SignatureNote:
    """How the member confirmed, printed in the member's signature box in place of a signature."""

    text: str
    evidence_id: str | None = None
    entry_hash: str | None = None

    @classmethod
    def from_dict(cls, note: dict[str, Any] | None) -> SignatureNote | None:
        """Build a note from service.evidence.annotation's dict, or None for no note."""
        if not note or not note.get("text"):
            return None
        return cls(note["text"], note.get("evidence_id"), note.get("entry_hash"))


def draw_member_page(
    pen: Pen, record: dict[str, Any], note: SignatureNote | None
) -> QrPlacement | None:
    """Draw one filled 附件2 page (the caller ends the page); return where the QR went, if any."""
    pen.text(LEFT, TOP - BODY, "附件2", 14)
    pen.centered(TOP - 50, "党员基本信息采集表", 20, bold=True)
    y = _items(pen, record, TOP - 92)
    return _signatures(pen, y - 14, note)


def _items(pen: Pen, r: dict[str, Any], y: float) -> float:
    x = pen.blank(pen.text(LEFT, y, "1.姓名："), y, 96, r.get("name"))
    x = pen.text(x + 14, y, "2.性别：")
    x = pen.choice(x, y, "男", r.get("sex") == "男", gap=10)
    x = pen.choice(x, y, "女", r.get("sex") == "女")
    code = r.get("ethnicity")
    pen.blank(pen.text(x, y, "3.民族："), y, RIGHT - x - pen.width("3.民族："),
              (ETHNICITIES.name_of(code) or code) if code else None)
    y -= PITCH
    pen.boxes(pen.text(LEFT, y, "4.公民身份证号："), y, 18, r.get("id_number"))
    y -= PITCH
    pen.date_blanks(pen.text(LEFT, y, "5.出生日期："), y, r.get("birth_date"))
    y -= PITCH
    _code_line(pen, y, "6.学历（参照《学历代码》填写相应代码）：", 2, r.get("education"),
               EDUCATION.name_of)
    y -= PITCH
    x = pen.text(LEFT, y, "7.人员类别（勾选一项）：") + 16
    x = pen.choice(x, y, "正式党员", r.get("member_type") == FULL_MEMBER, gap=24)
    pen.choice(x, y, "预备党员", r.get("member_type") == PROBATIONARY_MEMBER)
    y -= PITCH
    x = pen.text(LEFT, y, "8.所在党支部（填写全称）：")
    pen.blank(x, y, RIGHT - x, r.get("branch"))
    y -= PITCH
    pen.date_blanks(pen.text(LEFT, y, "9.加入党组织日期："), y, r.get("joined_on"))
    y -= PITCH
    pen.date_blanks(pen.text(LEFT, y, "10.转为正式党员日期："), y, r.get("full_on"))
    y -= PITCH
    _code_line(pen, y, "11.工作岗位（参照《工作岗位代码》填写相应代码）：", 4, r.get("job"),
               JOBS.name_of)
    y -= PITCH
    pen.boxes(pen.text(LEFT, y, "12.联系电话（手机号）："), y, 11, r.get("mobile"))
    y -= PITCH
    _landline(pen, y, r.get("landline"))
    y -= PITCH
    x = pen.text(LEFT, y, "13.家庭住址（具体到门牌号）：")
    pen.blank(x, y, RIGHT - x, r.get("address"))
    y -= PITCH
    x = pen.text(LEFT, y, "14.党籍状态：") + 10
    x = pen.choice(x, y, "正常", r.get("party_status") not in (None, SUSPENDED_STATUS), gap=30)
    pen.choice(x, y, "停止党籍", r.get("party_status") == SUSPENDED_STATUS)
    y -= PITCH
    y = _lost(pen, y, r)
    x = pen.text(LEFT, y, "16.是否为流动党员（由流出地党组织负责采集）：")
    x = pen.choice(x + 4, y, "是", bool(r.get("is_floating")), gap=22)
    pen.choice(x, y, "否", not r.get("is_floating"))
    y -= PITCH
    return _flow(pen, y, r.get("flow_to") if r.get("is_floating") else None)


def _code_line(pen: Pen, y: float, label: str, n: int, code: str | None, name_of: Any) -> None:
    x = pen.boxes(pen.text(LEFT, y, label), y, n, code)
    if code:
        pen.name_hint(x, y, name_of(code))


def _landline(pen: Pen, y: float, landline: str | None) -> None:
    area, number, ext = ((landline or "").split("-") + ["", "", ""])[:3]
    x = pen.text(LEFT + 6 * BODY, y, "（固定电话）：（区号）")
    x = pen.boxes(x, y, 4, area or None)
    x = pen.text(x + 2, y, "+（电话）")
    x = pen.boxes(x, y, 8, number or None)
    if ext:
        pen.text(x + 4, y, f"转{ext}", SMALL)


def _lost(pen: Pen, y: float, r: dict[str, Any]) -> float:
    lost = bool(r.get("is_lost"))
    since = r.get("lost_since") if lost else None
    x = pen.text(LEFT, y, "15.是否为失联党员：") + 6
    box_x = x
    x = pen.choice(x, y, "是", lost, gap=26)
    x = pen.text(x, y, "失去联系日期")
    month = date(int(since[:4]), int(since[5:7]), 1) if since else None
    pen.date_blanks(x + 2, y, month, day=False)
    y -= PITCH
    pen.choice(box_x, y, "否", not lost)
    return y - PITCH


def _flow(pen: Pen, y: float, code: str | None) -> float:
    province, city, county = _division_names(code)
    x = pen.blank(pen.text(LEFT, y, "外出流向："), y, 104, province)
    x = pen.text(x + 1, y, "省（区、市）")
    x = pen.blank(x, y, 104, city)
    pen.text(x + 1, y, "市（地、州、盟）")
    y -= PITCH
    x = pen.blank(LEFT + 5 * BODY, y, 104, county)
    pen.text(x + 1, y, "县（市、区、旗）")
    return y


def _division_names(code: str | None) -> tuple[str | None, str | None, str | None]:
    """Split the most specific division code into the form's province/city/county names."""
    path = divisions.path_of(code) if code else None
    if path is None:
        return None, None, None
    names: list[str | None] = []
    above = ""
    for part in path:
        full = divisions.name_of(part) if part else None
        # name_of gives the whole path ("浙江省杭州市"); keep only this level's own name.
        names.append(full[len(above):] if full and full.startswith(above) else full)
        above = full or above
    return names[0], names[1], names[2]


def _signatures(pen: Pen, rule_y: float, note: SignatureNote | None) -> QrPlacement | None:
    pen.rule(rule_y)
    mid = LEFT + (RIGHT - LEFT) / 2 + 6
    y = rule_y - 20
    pen.text(LEFT, y, "党员（签字）：")
    pen.text(mid, y, "信息采集员（签字）：")
    placed = _note(pen, y, mid - 12, note) if note else None
    y -= 96
    _date_line(pen, LEFT, y)
    _date_line(pen, mid, y)
    y -= 30
    pen.text(LEFT, y, "党支部书记（签字）：")
    pen.text(mid, y, "基层党委（盖章）：")
    y -= 30
    _date_line(pen, LEFT, y)
    _date_line(pen, mid, y)
    pen.paragraph(LEFT, y - 26, FOOTNOTE, RIGHT - LEFT, SMALL, SMALL + 4)
    return placed


def _date_line(pen: Pen, x: float, y: float) -> None:
    pen.text(x + 72, y, "年      月      日")


def _note(pen: Pen, label_y: float, right: float, note: SignatureNote) -> QrPlacement | None:
    """Print the confirmation note under the member's signature label, with its QR code."""
    placed = None
    text_right = right
    if note.evidence_id and note.entry_hash:
        matrix = qr_matrix(evidence_payload(note.evidence_id, note.entry_hash))
        side = reserved_size(matrix)
        text_right = right - side - 4
        placed = draw_qr(pen.c, right - side, label_y + 12 - side, matrix)
        caption = f"凭证 {note.evidence_id}"
        pen.text(right - side / 2 - pen.width(caption, 7) / 2, label_y + 5 - side, caption, 7)
    # A long proxy reason must not run into the date line below: shrink until it fits.
    width, size = text_right - LEFT - 8, 10.0
    while size > 6 and len(pen.wrap(note.text, width, size)) * (size + 3) > NOTE_HEIGHT:
        size -= 0.5
    pen.paragraph(LEFT + 8, label_y - 18, note.text, width, size, size + 3)
    return placed

