"""The ProjectX broker session against a fake gateway whose tokens expire (two seconds here, ~24 h at the gateway): the
adapter refreshes its token through Auth/validate before it expires (the market-data feed's TokenKeeper), so
orders, cancels and reconciliation keep working after the first token's expiry; a user hub closed for an expired
token reconnects with the fresh token; a call refused with HTTP 401 logs in once and is sent once more (its
customTag keeps a resent order from being placed twice); the API key and every token stay out of logs and reprs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import pytest
from structlog.testing import capture_logs

from core_server.brokers.credentials import projectx_config, projectx_user_hub_url
from core_server.brokers.model import BrokerFill, BrokerOrderRequest, LinkState
from core_server.brokers.projectx import ProjectXBroker
from core_server.feeds.fakes.projectx_orders import ACCOUNT_ID, API_KEY, FakeProjectXBroker
from core_server.model.clock import LiveClock
from tests.kit.eventually import eventually

D = Decimal
NQ = "CON.F.US.ENQ.Z26"
ACCOUNT = str(ACCOUNT_ID)
LIFETIME_S = 2.0  # refreshed after 1 s: a second of slack for a loaded machine


async def gateway(**options: object) -> FakeProjectXBroker:
    fake = FakeProjectXBroker(**options)  # type: ignore[arg-type]
    await fake.start()
    fake.set_market(NQ, "25000.00", "25000.25")
    return fake


def adapter(fake: FakeProjectXBroker, fills: list[BrokerFill]) -> ProjectXBroker:
    env = fake.env()
    config = replace(projectx_config(env, fake.api_url), token_refresh_min_s=0.05, rest_timeout_s=2.0)
    broker = ProjectXBroker(
        config, projectx_user_hub_url(env, config), LiveClock(), on_fill=lambda a, f: fills.append(f)
    )
    return broker


def reconnect_on_drop(broker: ProjectXBroker) -> list[asyncio.Task[None]]:
    """What the broker desk does when the user hub closes by itself (its reconnect loop, without the backoff)."""
    tasks: list[asyncio.Task[None]] = []
    broker.on_drop = lambda: tasks.append(asyncio.get_running_loop().create_task(broker.connect()))
    return tasks


@pytest.fixture
async def short_lived() -> AsyncIterator[FakeProjectXBroker]:
    fake = await gateway(token_lifetime_s=LIFETIME_S)
    try:
        yield fake
    finally:
        await fake.close()


def market(cid: str, side: str = "Buy") -> BrokerOrderRequest:
    return BrokerOrderRequest(cid, NQ, side, 1, "Market")


def resting(cid: str) -> BrokerOrderRequest:
    return BrokerOrderRequest(cid, NQ, "Buy", 1, "Limit", limit_price=D("24900.00"))


async def test_the_fake_refuses_an_expired_token_with_401_and_validate_trades_a_valid_one(
    short_lived: FakeProjectXBroker,
) -> None:
    import aiohttp

    token = short_lived.tokens.issue("vigil-demo")
    async with aiohttp.ClientSession() as http:
        bearer = {"Authorization": f"Bearer {token}"}
        async with http.post(f"{short_lived.api_url}/api/Auth/validate", headers=bearer) as fresh:
            assert fresh.status == 200 and (await fresh.json())["newToken"] not in ("", None, token)
        await asyncio.sleep(LIFETIME_S + 0.2)
        body = {"accountId": ACCOUNT_ID}
        async with http.post(f"{short_lived.api_url}/api/Order/searchOpen", json=body, headers=bearer) as expired:
            assert expired.status == 401
        async with http.post(f"{short_lived.api_url}/api/Auth/validate", headers=bearer) as refused:
            assert refused.status == 401  # an expired token cannot be validated: only a new login helps


async def test_a_session_outliving_its_first_token_still_places_cancels_and_reconciles(
    short_lived: FakeProjectXBroker,
) -> None:
    fills: list[BrokerFill] = []
    broker = adapter(short_lived, fills)
    await broker.connect()
    try:
        first = short_lived.hub_tokens[0]
        await asyncio.sleep(LIFETIME_S * 2.5)  # well past the first token's expiry
        assert not short_lived.tokens.valid(first)
        placed = await broker.place(ACCOUNT, market("after-expiry-1"))
        assert placed.accepted and not placed.recovered, placed.reason
        await eventually(lambda: len(fills) == 1)  # the user hub still carries the account's trades
        working = await broker.place(ACCOUNT, resting("after-expiry-2"))
        assert working.accepted, working.reason
        assert [o.order_id for o in await broker.open_orders(ACCOUNT)] == [working.order_id]
        assert (await broker.cancel(ACCOUNT, working.order_id)).accepted
        orders, trades = await broker.order_history(ACCOUNT)
        assert {o.client_order_id for o in orders} == {"after-expiry-1", "after-expiry-2"}
        assert [t.order_id for t in trades] == [placed.order_id]
        assert [(p.symbol, p.net_qty) for p in await broker.broker_positions(ACCOUNT)] == [(NQ, 1)]
        assert short_lived.book.placements == {"after-expiry-1": 1, "after-expiry-2": 1}
        assert short_lived.logins == 1 and short_lived.validations >= 2  # one session, refreshed in place
        assert short_lived.refused_calls == 0  # refreshed before expiry: no call was ever refused
        assert broker.state is LinkState.CONNECTED
    finally:
        await broker.close()


async def test_a_validate_answered_success_false_falls_back_to_a_fresh_login(short_lived: FakeProjectXBroker) -> None:
    short_lived.refuse_validation = True  # HTTP 200 carrying ValidateErrorCode 3 (ExpiredToken)
    fills: list[BrokerFill] = []
    broker = adapter(short_lived, fills)
    await broker.connect()
    try:
        await eventually(lambda: short_lived.logins >= 3, timeout=10)  # each refused refresh: a new login
        assert short_lived.validations == 0
        placed = await broker.place(ACCOUNT, market("relogin-1"))
        assert placed.accepted and not placed.recovered, placed.reason
        await eventually(lambda: len(fills) == 1)
    finally:
        await broker.close()


async def test_a_user_hub_closed_for_its_expired_token_reconnects_with_the_fresh_token() -> None:
    fake = await gateway(token_lifetime_s=LIFETIME_S, close_hub_on_token_expiry=True)
    fills: list[BrokerFill] = []
    broker = adapter(fake, fills)
    reconnects = reconnect_on_drop(broker)
    await broker.connect()
    try:
        await eventually(lambda: len(fake.hub_tokens) >= 2 and broker.state is LinkState.CONNECTED, timeout=10)
        assert fake.hub_tokens[1] != fake.hub_tokens[0]
        assert fake.logins == 1  # the new hub uses the refreshed token: no second login
        placed = await broker.place(ACCOUNT, market("hub-1"))
        assert placed.accepted, placed.reason
        await eventually(lambda: len(fills) == 1)  # through the reconnected hub
    finally:
        await broker.close()
        await asyncio.gather(*reconnects, return_exceptions=True)
        await fake.close()


async def test_calls_refused_for_an_expired_token_log_in_once_and_are_sent_once_more() -> None:
    fake = await gateway(token_lifetime_s=3600.0)  # the refresh is not due during the test
    fills: list[BrokerFill] = []
    broker = adapter(fake, fills)
    await broker.connect()
    try:
        fake.tokens.expire_all()  # revoked behind the adapter's back
        sides = ("Buy", "Sell", "Buy")
        placed = await asyncio.gather(*(broker.place(ACCOUNT, market(f"refused-{i}", s)) for i, s in enumerate(sides)))
        assert [p.accepted and not p.recovered for p in placed] == [True, True, True], [p.reason for p in placed]
        assert fake.book.placements == {"refused-0": 1, "refused-1": 1, "refused-2": 1}  # 401: not placed, then once
        assert fake.logins == 2  # three calls refused for the same token: one new login between them
        await eventually(lambda: len(fills) == 3)
        working = await broker.place(ACCOUNT, resting("refused-3"))
        fake.tokens.expire_all()
        assert (await broker.cancel(ACCOUNT, working.order_id)).accepted
        fake.tokens.expire_all()
        orders, _ = await broker.order_history(ACCOUNT)
        assert len(orders) == 4 and fake.logins == 4
    finally:
        await broker.close()
        await fake.close()


async def test_an_order_refused_again_after_a_fresh_login_is_not_sent_a_third_time() -> None:
    fake = await gateway(token_lifetime_s=3600.0)
    broker = adapter(fake, [])
    await broker.connect()
    try:
        fake.tokens.lifetime_s = -1.0  # every token from now on is born expired: the gateway refuses the session
        fake.tokens.expire_all()
        placed = await broker.place(ACCOUNT, market("never-1"))
        assert not placed.accepted and "not placed" in placed.reason
        assert fake.requests["order/place"] == 2  # the call and its one resend, both refused with 401
        assert fake.book.placements == {}
        assert await broker.place(ACCOUNT, market("never-1")) == placed  # the same client id: the same answer
        assert fake.requests["order/place"] == 2
    finally:
        await broker.close()
        await fake.close()


async def test_the_api_key_and_tokens_stay_out_of_logs_and_reprs(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = await gateway(token_lifetime_s=LIFETIME_S, close_hub_on_token_expiry=True)
    fills: list[BrokerFill] = []
    broker = adapter(fake, fills)
    reconnects = reconnect_on_drop(broker)
    try:
        with capture_logs() as logs:
            await broker.connect()
            await eventually(lambda: len(fake.hub_tokens) >= 2 and broker.state is LinkState.CONNECTED, timeout=10)
            fake.tokens.expire_all()
            assert (await broker.place(ACCOUNT, market("quiet-1"))).accepted
            await eventually(lambda: len(fills) == 1)
            text = repr(broker) + repr(broker._config) + repr(broker.__dict__)
    finally:
        await broker.close()
        await asyncio.gather(*reconnects, return_exceptions=True)
        await fake.close()
    captured = capsys.readouterr()
    text += " ".join(str(entry) for entry in logs) + captured.out + captured.err + caplog.text
    assert any(entry["event"] == "projectx.token_refreshed" for entry in logs)  # the logs were captured at all
    assert any(entry["event"] == "broker.token_refused" for entry in logs)
    tokens = list(fake.tokens.expiry)
    assert len(tokens) >= 3
    for secret in (API_KEY, *tokens, *(token.split(".")[-1] for token in tokens)):
        assert secret not in text
