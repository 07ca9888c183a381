"""One unit of work: only service/unit_of_work.py commits; refusals, dry runs and batches."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from service import audit
from service.errors import ServiceError
from service.extensions import db
from service.models import AuditLog
from service.unit_of_work import run_batches, run_unit

SERVICE = Path(__file__).resolve().parent.parent / "service"


def _commits(path: Path) -> list[int]:
    """Return the lines of ``path`` that call something's ``.commit()``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"]


def test_only_the_unit_of_work_commits() -> None:
    found = {str(path.relative_to(SERVICE.parent)): lines
             for path in sorted(SERVICE.rglob("*.py"))
             if path.name != "unit_of_work.py" and (lines := _commits(path))}
    assert found == {}, "commit through service.unit_of_work (run_unit / run_batches) instead"
    assert _commits(SERVICE / "unit_of_work.py")  # the check itself finds a commit


def _entries() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditLog)) or 0


def _write(action: str) -> None:
    audit.record(action, actor="test")


class _Kept(ServiceError):
    keep = True


def test_a_refusal_rolls_back_unless_it_keeps_its_work(app_ctx: Flask) -> None:
    def refuse(error: type[ServiceError]) -> None:
        _write("before the refusal")
        raise error("不行")

    with pytest.raises(ServiceError):
        run_unit(lambda: refuse(ServiceError))
    assert _entries() == 0
    with pytest.raises(_Kept):
        run_unit(lambda: refuse(_Kept))
    assert _entries() == 1


def test_a_dry_run_rolls_back_and_returns_the_result(app_ctx: Flask) -> None:
    assert run_unit(lambda: _write("dry") or "done", dry_run=True) == "done"
    assert _entries() == 0
    run_unit(lambda: _write("real"))
    assert _entries() == 1


def test_batches_commit_one_by_one_and_a_failure_keeps_the_earlier_ones(
    app_ctx: Flask,
) -> None:
    def steps():
        for n in range(3):
            _write(f"batch {n}")
            if n == 2:
                raise RuntimeError("the third batch fails")
            yield n

    seen = []
    with pytest.raises(RuntimeError):
        for n in run_batches(steps()):
            seen.append(n)
    assert seen == [0, 1] and _entries() == 2
