"""ProjectXFeed against the fake gateway: token expiry, rejected logins, malformed frames, secrets."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from core_server.feeds.fakes.market_script import MarketScript
from core_server.feeds.projectx import ProjectXFeed
from core_server.model.clock import NS_PER_SECOND
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Aggressor, Trade
from tests.integration.feeds.projectx.harness import (
    CONTRACTS,
    NQ,
    START,
    RecordingSink,
    candles,
    delivered_through_cursor,
    fast_fake,
    make_script,
    new_feed,
    running,
    script_trades,
    serving,
    subscribed,
)
from tests.kit.eventually import eventually


def _refreshes(feed: ProjectXFeed) -> int:
    return int(feed.status().extra.get("token_refreshes", "0"))


async def test_short_lived_tokens_are_refreshed_without_touching_the_stream() -> None:
    script = make_script(seed=12, duration_s=90)
    sink = RecordingSink()
    async with serving(fast_fake(script, token_lifetime_s=0.4)) as fake:
        feed = new_feed(fake)
        async with running(feed, sink):
            await subscribed(fake)
            for part in (30, 60):
                await fake.play(until_ns=START + part * NS_PER_SECOND)
                before = _refreshes(feed)
                await eventually(lambda before=before: _refreshes(feed) >= before + 2)
            await fake.play()
            await delivered_through_cursor(fake, sink)
        status = feed.status()
        validations = fake.calls["/api/Auth/validate"]
    assert validations >= 4 and status.extra["logins"] == "1"
    assert status.reconnect_count == 0 and not sink.gaps
    for contract in CONTRACTS:
        got = [(t.ts_event, t.price, t.size) for t in sink.trades(contract.id)]
        assert got == [row[:3] for row in script_trades(script, contract.id)]


async def test_token_expiring_mid_stream_closes_the_hub_then_a_new_login_reconnects_and_backfills() -> None:
    script = make_script(seed=13, duration_s=150)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        fake.close_hub_on_token_expiry = True
        feed = new_feed(fake)
        async with running(feed, sink):
            await subscribed(fake)
            await fake.play(until_ns=START + 40 * NS_PER_SECOND)
            await delivered_through_cursor(fake, sink)
            fake.refuse_hub = True  # hold the outage open while the market moves on
            fake.expire_tokens()
            await eventually(lambda: sink.state is FeedState.RECONNECTING)
            await fake.play(until_ns=START + 100 * NS_PER_SECOND)
            fake.refuse_hub = False
            await subscribed(fake)
            await fake.play()
            await eventually(lambda: len(sink.gaps) == 2)
            await delivered_through_cursor(fake, sink)
        status = feed.status()
    assert any("Token expired." in detail for _, detail in sink.states)
    assert status.extra["logins"] == "2"
    assert all(gap.filled for gap in sink.gaps)
    for contract in CONTRACTS:
        expected = candles(_trades(script, contract.id), contract.id)
        assert candles(sink.trades(), contract.id, sink.gaps) == expected


async def test_rejected_login_reports_auth_failed_and_waits_long_before_retrying() -> None:
    script = make_script(duration_s=20)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        fake.reject_logins = True
        feed = new_feed(fake, auth_retry_s=0.6)
        async with running(feed, sink):
            await eventually(lambda: sink.state is FeedState.AUTH_FAILED)
            detail = sink.states[-1][1]
            attempts_soon_after = fake.calls["/api/Auth/loginKey"]
            fake.reject_logins = False
            await subscribed(fake)  # the slow retry succeeds once the key is accepted
            await eventually(lambda: sink.state is FeedState.STREAMING)
        assert fake.calls["/api/Auth/loginKey"] == 2
    assert attempts_soon_after == 1
    assert "InvalidCredentials" in detail and "PROJECTX_API_KEY" in detail
    assert fake.api_key not in detail
    assert feed.status().state is FeedState.STOPPED


async def test_malformed_frames_are_counted_skipped_and_the_stream_goes_on() -> None:
    script = make_script(seed=14, duration_s=40)
    sink = RecordingSink()
    nq = NQ.projectx_id
    bad_frames = [
        "this is not json\x1e",
        '{"type":42}\x1e',
        '{"type":1,"target":"GatewayQuote","arguments":["' + nq + '",{"bestBid":21000.1,"bestAsk":21000.25}]}\x1e',
        '{"type":1,"target":"GatewayTrade","arguments":["' + nq + '",[{"price":"x","volume":1}]]}\x1e',
        '{"type":1,"target":"GatewayLogout","arguments":[]}\x1e',
        '{"type":1,"target":"GatewayTrade","arguments":["CON.F.US.XYZ.Z26",[]]}\x1e',
        '{"type":3,"invocationId":"999"}\x1e',
        '{"type":1,"target":"GatewayDepth","arguments":["' + "x" * 5000 + '"]}\x1e{"type":6}\x1e',
    ]
    async with serving(fast_fake(script)) as fake:
        feed = new_feed(fake, max_message_bytes=4096)
        async with running(feed, sink):
            await subscribed(fake)
            await fake.play(until_ns=START + 20 * NS_PER_SECOND)
            for frame in bad_frames:
                await fake.send_raw(frame)
            await fake.play()
            await delivered_through_cursor(fake, sink)
            await eventually(lambda: feed.status().malformed_frames == len(bad_frames))
        status = feed.status()
    assert status.reconnect_count == 0 and not sink.gaps
    for contract in CONTRACTS:
        got = [(t.ts_event, t.price, t.size) for t in sink.trades(contract.id)]
        assert got == [row[:3] for row in script_trades(script, contract.id)]


async def test_secrets_never_reach_logs_states_or_status() -> None:
    script = make_script(seed=15, duration_s=60)
    sink = RecordingSink()
    async with serving(fast_fake(script, token_lifetime_s=0.5)) as fake:
        feed = new_feed(fake)
        with capture_logs() as logs:
            async with running(feed, sink):
                await subscribed(fake)
                await fake.play(until_ns=START + 30 * NS_PER_SECOND)
                await eventually(lambda: _refreshes(feed) >= 1)
                await fake.drop_connections()
                await eventually(lambda: sink.state is FeedState.RECONNECTING)
                await subscribed(fake)
                await fake.play()
                await eventually(lambda: len(sink.gaps) == 2)
            status = feed.status()
        tokens = list(fake.tokens.expiry)
    assert tokens
    text = " ".join(str(entry) for entry in logs) + repr(sink.states) + repr(status) + repr(feed._config)
    for secret in [fake.api_key, *tokens]:
        assert secret not in text
    assert not any(secret.split(".")[-1] in text for secret in tokens)


async def test_cancelling_run_stops_cleanly_while_reconnecting() -> None:
    script = make_script(duration_s=10)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        fake.refuse_hub = True
        async with running(new_feed(fake), sink):
            await eventually(lambda: sink.state is FeedState.RECONNECTING)
            await asyncio.sleep(0)
    assert sink.state is FeedState.STOPPED


def _trades(script: MarketScript, contract_id: str) -> list[Trade]:
    return [Trade(contract_id, e.ts_ns, e.ts_ns, e.price, e.size, Aggressor.NONE) for e in script.trades(contract_id)]
