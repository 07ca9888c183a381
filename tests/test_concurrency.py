"""Racing transitions end in one consistent state with one evidence entry per fact.

Each thread has its own app, engine and session on the same database (the SQLite file the
fixtures give, or MariaDB). A barrier inside ``move`` makes every racer read the member's
state before any of them writes, so the race happens on every run instead of by luck.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.campaign import cards, corrections, states, workflow
from service.campaign.states import InvalidTransition, StaleCard
from service.evidence.verification import verify_chain
from service.extensions import db
from service.models import CorrectionRequest, EvidenceEntry
from service.unit_of_work import run_unit
from testkit.workflow import cm_of, confirm_kwargs, started


@pytest.fixture
def apps(make_app: Callable[..., Flask]) -> Iterator[list[Flask]]:
    """Three apps on one database; the first also sets up and checks."""
    yield [make_app() for _ in range(3)]


def _meet_before_writing(monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
    barrier = threading.Barrier(parties, timeout=20)
    local = threading.local()
    real_move = states.move

    def move(*args: Any, **kwargs: Any) -> None:
        if not getattr(local, "met", False):  # only the first attempt; retries run straight
            local.met = True
            barrier.wait()
        real_move(*args, **kwargs)

    monkeypatch.setattr(workflow, "move", move)
    monkeypatch.setattr(corrections, "move", move)


def _race(apps: list[Flask], *works: Callable[[], Any]) -> list[Any]:
    """Run each unit in its own thread and app; return each result or the exception raised."""
    results: list[Any] = [None] * len(works)

    def run(i: int) -> None:
        with apps[i].app_context():
            try:
                results[i] = _plain(run_unit(works[i]))
            except Exception as exc:  # the refusal is part of the outcome under test
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results


def _plain(result: Any) -> Any:
    # ORM objects do not outlive their thread's session: keep what the assertions need.
    if isinstance(result, workflow.Confirmation):
        return ("confirmation", result.entry.seq, result.repeated)
    return result


def _count(kind: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(EvidenceEntry).where(EvidenceEntry.kind == kind)) or 0


def test_two_confirmations_of_one_card(apps: list[Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    with apps[0].app_context():
        campaign, members = started()
        cid = campaign.id
        m_id, card_id = members[0].id, cm_of(campaign.id, members[0].id).card_id
    _meet_before_writing(monkeypatch, 2)
    a, b = _race(apps,
                 lambda: workflow.confirm(card_id, m_id, **confirm_kwargs(provider_msg_id="w1")),
                 lambda: workflow.confirm(card_id, m_id, **confirm_kwargs(channel="sms",
                                                                          provider_msg_id="s1")))
    assert a[0] == b[0] == "confirmation", (a, b)
    assert a[1] == b[1] and {a[2], b[2]} == {True, False}
    with apps[0].app_context():
        assert cm_of(cid, m_id).state == "confirmed"
        assert _count("confirmed") == 1 and _count("consent") == 1
        assert verify_chain().ok


def test_dispute_racing_a_confirmation(apps: list[Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    with apps[0].app_context():
        campaign, members = started()
        cid = campaign.id
        m_id, card_id = members[0].id, cm_of(campaign.id, members[0].id).card_id
    _meet_before_writing(monkeypatch, 2)
    confirmed, disputed = _race(
        apps,
        lambda: workflow.confirm(card_id, m_id, **confirm_kwargs()),
        lambda: corrections.dispute(card_id, m_id, proposed={"address": "新址1号"},
                                    channel="sms", identity="sms_phone"),
    )
    with apps[0].app_context():
        state = cm_of(cid, m_id).state
        requests = db.session.scalar(select(func.count()).select_from(CorrectionRequest))
        if state == "confirmed":
            assert isinstance(disputed, InvalidTransition)
            assert (_count("confirmed"), _count("disputed"), requests) == (1, 0, 0)
        else:
            assert state == "disputed" and isinstance(confirmed, InvalidTransition)
            assert (_count("confirmed"), _count("disputed"), requests) == (0, 1, 1)
        assert verify_chain().ok


def test_member_confirming_while_admin_edits(
    apps: list[Flask], monkeypatch: pytest.MonkeyPatch,
) -> None:
    with apps[0].app_context():
        campaign, members = started()
        cid = campaign.id
        m_id, old_card = members[0].id, cm_of(campaign.id, members[0].id).card_id
    _meet_before_writing(monkeypatch, 2)
    member_result, _ = _race(
        apps,
        lambda: workflow.confirm(old_card, m_id, **confirm_kwargs()),
        lambda: workflow.edit_record(m_id, {"address": "管理员改的地址3号"}, actor="admin:1",
                                     basis="户籍证明"),
    )
    with apps[0].app_context():
        cm = cm_of(cid, m_id)
        # whoever won, the member ends up asked again about the edited record
        assert cm.state == "pending" and cm.card_id != old_card
        assert cards.card_content(cm.card)["items"]["address"] == "管理员改的地址3号"
        confirmations = db.session.scalars(
            select(EvidenceEntry).where(EvidenceEntry.kind == "confirmed")).all()
        if isinstance(member_result, StaleCard):  # the admin's edit came first
            assert confirmations == [] and member_result.payload["new_card"]["id"] == cm.card_id
        else:  # the confirmation came first and stands for the card the member saw
            assert member_result[0] == "confirmation", member_result
            assert [e.card_id for e in confirmations] == [old_card]
        assert _count("card_issued") == 5  # four at the start, one for the edit
        assert verify_chain().ok


def test_parallel_confirmations_keep_one_unbroken_chain(
    apps: list[Flask], monkeypatch: pytest.MonkeyPatch,
) -> None:
    with apps[0].app_context():
        campaign, members = started()
        jobs = [(m.id, cm_of(campaign.id, m.id).card_id) for m in members[:3]]
    _meet_before_writing(monkeypatch, 3)
    results = _race(apps, *[
        (lambda m=m, c=c: workflow.confirm(c, m, **confirm_kwargs())) for m, c in jobs
    ])
    assert all(r[0] == "confirmation" and not r[2] for r in results), results
    with apps[0].app_context():
        seqs = db.session.scalars(select(EvidenceEntry.seq).order_by(EvidenceEntry.seq)).all()
        assert seqs == list(range(1, len(seqs) + 1))
        assert _count("confirmed") == 3 and _count("consent") == 3
        assert verify_chain().ok
