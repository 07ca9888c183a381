"""What a validator reports: a problem with one field of a record, as an error or a warning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: errors mean the data is wrong, warnings mean a person should look."""

    field: str  # a key from service.records.fields, or "" for the record as a whole
    rule: str  # stable rule id, e.g. "ID_CHECKSUM"; reports and tests key on it
    message: str  # Chinese, complete enough to act on without the rule id
    severity: Severity = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def errors(problems: list[Problem]) -> list[Problem]:
    """Return only the errors."""
    return [p for p in problems if p.is_error]
