"""Schemathesis against /api/openapi.json on the Flask app: no 5xx, answers match the document."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

from service.bot.mini import bearer
from service.bot.mini.openapi import document
from service.extensions import db
from service.models import ChannelBinding
from service.models.channel import BY_ADMIN, WECHAT_MP
from testkit.fakes.wechat import FakeWeChat, wechat_config
from testkit.workflow import started

OPENID = "m-fuzz-member"


@pytest.fixture
def fuzz_app(make_app: Callable[..., Flask], wechat_fake: FakeWeChat) -> Iterator[Flask]:
    app = make_app(**wechat_config(wechat_fake.url))
    with app.app_context():
        _, members = started()
        db.session.add(ChannelBinding(member_id=members[0].id, channel=WECHAT_MP, openid=OPENID,
                                      method=BY_ADMIN, following=True, subscribe_grants=0))
        db.session.commit()
    CURRENT.app = app
    yield app
    CURRENT.app = None


@pytest.fixture
def token(fuzz_app: Flask) -> str:
    with fuzz_app.test_request_context():
        return bearer.issue_token(OPENID)


class CurrentApp:
    """A WSGI app that is whichever test app the running test made (a fresh database each)."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


# schemathesis.pytest.from_fixture breaks on pytest 9 (it reads Function._nodeid), so the
# document is loaded as data and bound to a stand-in that forwards to the test's app.
CURRENT = CurrentApp()
schema = schemathesis.openapi.from_dict(document())
schema.app = CURRENT


def test_the_served_document_is_the_one_fuzzed(fuzz_app: Flask) -> None:
    assert fuzz_app.test_client().get("/api/openapi.json").json == document()


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_keeps_to_its_document(case: Any, fuzz_app: Flask, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
