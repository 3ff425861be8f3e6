"""The Tradovate broker session against a fake whose tokens expire (seconds here, 80-90 minutes at Tradovate):
the adapter renews the token in place before it expires, without dropping the trading socket or an order in
flight; a refused renewal or a request refused for an expired token falls back to a fresh login; the password,
the API secret and every token stay out of the logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from core_server.brokers.credentials import tradovate_config, tradovate_trading_url
from core_server.brokers.model import BrokerFill, BrokerOrderRequest, LinkState
from core_server.brokers.tradovate import TradovateBroker
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, FakeTradovateBroker
from core_server.model.clock import LiveClock
from tests.kit.eventually import eventually

LIFETIME_S = 1.0


async def session(fake: FakeTradovateBroker) -> tuple[TradovateBroker, list[BrokerFill]]:
    env = fake.env()
    # renew half-way through a one-second token (the margin is capped at half the lifetime)
    config = replace(tradovate_config(env, "demo"), request_timeout_s=0.5, renew_min_interval_s=0.05)
    fills: list[BrokerFill] = []
    broker = TradovateBroker(
        config, tradovate_trading_url(env, "demo"), LiveClock(), on_fill=lambda a, f: fills.append(f)
    )
    await broker.connect()
    return broker, fills


@pytest.fixture
async def short_lived() -> AsyncIterator[FakeTradovateBroker]:
    fake = FakeTradovateBroker(heartbeat_s=0.5, token_lifetime_s=LIFETIME_S)
    await fake.start()
    fake.set_market("NQZ6", "25000.00", "25000.25")
    try:
        yield fake
    finally:
        await fake.close()


def order(cid: str) -> BrokerOrderRequest:
    return BrokerOrderRequest(cid, "NQZ6", "Buy", 1, "Market")


async def test_the_fake_refuses_an_expired_token_as_tradovate_does(short_lived: FakeTradovateBroker) -> None:
    token = short_lived.auth.issue(md=False)["accessToken"]
    assert short_lived.auth.valid(token)
    await asyncio.sleep(LIFETIME_S + 0.2)
    assert not short_lived.auth.valid(token)
    status, _ = await short_lived.handle("order/list", {}, {})  # direct handler: the REST layer checks the bearer
    assert status == 200
    import aiohttp

    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{short_lived.rest_url}/order/list", headers=headers) as expired:
            assert expired.status == 401
        async with http.get(f"{short_lived.rest_url}/auth/renewAccessToken", headers=headers) as renewal:
            assert renewal.status == 401  # an expired token cannot be renewed: a fresh login is needed
    assert short_lived.counters.renewal_rejections == 1


async def test_the_token_is_renewed_in_place_and_orders_after_its_first_lifetime_route(
    short_lived: FakeTradovateBroker,
) -> None:
    broker, fills = await session(short_lived)
    try:
        (socket,) = short_lived.sockets
        await asyncio.sleep(LIFETIME_S * 2.5)  # well past the first token's expiry
        placed = await broker.place(DEFAULT_ACCOUNT, order("renew-1"))
        assert placed.accepted and not placed.recovered, placed.reason
        assert short_lived.book.placements == {"renew-1": 1}
        assert short_lived.counters.logins == 1  # one session, extended: no second login
        assert short_lived.counters.renewals >= 2
        assert short_lived.sockets == [socket] and broker.state is LinkState.CONNECTED  # the socket never dropped
        await eventually(lambda: len(fills) == 1)  # and still carries the account's events
    finally:
        await broker.close()


async def test_a_refused_renewal_falls_back_to_a_fresh_login_without_dropping_the_socket(
    short_lived: FakeTradovateBroker,
) -> None:
    broker, fills = await session(short_lived)
    try:
        (socket,) = short_lived.sockets
        short_lived.auth.expire_all()  # revoked behind the adapter's back: the next renewal is refused
        await eventually(lambda: short_lived.counters.logins == 2, timeout=5)
        assert short_lived.counters.renewal_rejections >= 1
        placed = await broker.place(DEFAULT_ACCOUNT, order("relogin-1"))
        assert placed.accepted and not placed.recovered, placed.reason
        assert short_lived.sockets == [socket]
        await eventually(lambda: len(fills) == 1)
    finally:
        await broker.close()


async def test_an_order_refused_for_an_expired_token_is_sent_once_after_a_fresh_login() -> None:
    fake = FakeTradovateBroker(heartbeat_s=0.5, token_lifetime_s=3600.0)  # renewal not due during the test
    await fake.start()
    fake.set_market("NQZ6", "25000.00", "25000.25")
    broker, fills = await session(fake)
    try:
        (socket,) = fake.sockets
        fake.auth.expire_all()
        placed = await broker.place(DEFAULT_ACCOUNT, order("expired-1"))
        assert placed.accepted and not placed.recovered, placed.reason
        assert fake.book.placements == {"expired-1": 1}  # refused with 401 (not placed), then placed once
        assert fake.counters.logins == 2
        assert fake.sockets == [socket] and broker.state is LinkState.CONNECTED
        await eventually(lambda: len(fills) == 1)
    finally:
        await broker.close()
        await fake.close()


async def test_requests_refused_together_log_in_once() -> None:
    """Each Tradovate login starts a session (two at most, the oldest closed): three orders refused for the same
    expired token make one new login between them, not three."""
    fake = FakeTradovateBroker(heartbeat_s=0.5, token_lifetime_s=3600.0)
    await fake.start()
    fake.set_market("NQZ6", "25000.00", "25000.25")
    broker, fills = await session(fake)
    try:
        fake.auth.expire_all()
        sides = ("Buy", "Sell", "Buy")  # never more than two contracts: within the fake's margin
        placed = await asyncio.gather(
            *(broker.place(DEFAULT_ACCOUNT, BrokerOrderRequest(f"together-{i}", "NQZ6", side, 1, "Market"))
              for i, side in enumerate(sides))
        )  # fmt: skip
        assert [p.accepted for p in placed] == [True, True, True], [p.reason for p in placed]
        assert fake.counters.logins == 2
        assert fake.book.placements == {"together-0": 1, "together-1": 1, "together-2": 1}
        await eventually(lambda: len(fills) == 3)
    finally:
        await broker.close()
        await fake.close()


async def test_credentials_and_tokens_stay_out_of_the_logs(
    short_lived: FakeTradovateBroker, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    broker, _ = await session(short_lived)
    try:
        await asyncio.sleep(LIFETIME_S * 1.5)
        short_lived.auth.expire_all()
        await eventually(lambda: short_lived.counters.logins == 2, timeout=5)
        assert (await broker.place(DEFAULT_ACCOUNT, order("quiet-1"))).accepted
    finally:
        await broker.close()
    captured = capsys.readouterr()
    text = captured.out + captured.err + caplog.text
    assert "tradovate.token_renewed" in text or "token_renewed" in text  # the log was captured at all
    secrets = [short_lived.auth.credentials.password, short_lived.auth.credentials.sec, *short_lived.auth.issued]
    assert len(secrets) >= 5
    for secret in secrets:
        assert secret not in text
