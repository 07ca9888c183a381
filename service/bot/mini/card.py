"""A card as the mini-program shows it: the 16 items with names for codes, numbers masked."""

from __future__ import annotations

from typing import Any

from service.campaign.cards import card_content
from service.models import Card
from service.records import divisions
from service.records.codes import EDUCATION, ETHNICITIES, JOBS
from service.records.fields import MEMBER_FIELDS
from service.records.idcard import mask_id
from service.records.phones import mask_phone

_NAMED = {"ethnicity": ETHNICITIES.name_of, "education": EDUCATION.name_of, "job": JOBS.name_of,
          "flow_to": divisions.name_of}
_MASKED = {"id_number": mask_id, "mobile": mask_phone, "landline": mask_phone}


def shown_value(key: str, value: Any) -> str:
    """Return one item as the member sees it ("" when not recorded)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    text = str(value)
    if key in _MASKED:
        return _MASKED[key](text)
    if key in _NAMED:
        return _NAMED[key](text) or text
    return text


def card_items(card: Card) -> list[dict[str, str]]:
    """Return the card's items in form order: field key, label and the value as shown."""
    items = card_content(card)["items"]
    return [{"field": f.key, "label": f.label, "value": shown_value(f.key, items.get(f.key))}
            for f in MEMBER_FIELDS]
