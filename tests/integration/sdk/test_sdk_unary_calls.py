"""VigilClient unary calls against a real server: typed values, exact Decimal prices, typed errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.sdk import (
    Aggressor,
    AuthenticationError,
    Candle,
    FeedState,
    FeedStatusReport,
    InvalidArgumentError,
    NotFoundError,
    Quote,
    QuoteSnapshot,
    ServingStatus,
    Timeframe,
    Trade,
    UnavailableError,
    VigilClient,
)
from core_server.app import start
from tests.kit.eventually import eventually
from tests.kit.server import server_config

QUARTER = Decimal("0.25")


async def test_list_instruments_returns_every_spec_with_exact_decimals(client: VigilClient) -> None:
    instruments = {i.root: i for i in await client.list_instruments()}

    assert set(instruments) == {"ES", "MES", "NQ", "MNQ", "YM", "MYM", "RTY", "M2K"}
    nq = instruments["NQ"]
    assert (nq.tick_size, nq.point_value, nq.tick_value) == (Decimal("0.25"), Decimal("20"), Decimal("5.00"))
    assert nq.front_contract.contract_id.startswith("NQ") and nq.front_contract.expiry.tzinfo is not None
    assert instruments["MNQ"].micro_of == "NQ" and nq.micro_of is None
    assert instruments["RTY"].tick_size == Decimal("0.1")
    assert {root for root, i in instruments.items() if i.streaming} == {"NQ", "MNQ", "ES", "MES"}


async def test_resolve_symbol_maps_every_form_to_the_canonical_contract(client: VigilClient) -> None:
    at = 1_790_000_000 * 10**9
    contracts = [await client.resolve_symbol(s, at_ns=at) for s in ("NQZ6", "NQZ2026", "CON.F.US.ENQ.Z26")]

    assert {c.contract_id for c in contracts} == {"NQZ2026"}
    assert contracts[0].tradovate_symbol == "NQZ6" and contracts[0].month == 12 and contracts[0].month_code == "Z"


async def test_get_quote_returns_exact_prices_on_the_tick_grid(client: VigilClient) -> None:
    async def snapshot() -> QuoteSnapshot | None:
        try:
            found = await client.get_quote("NQ1!")
        except NotFoundError:
            return None  # the simulator has not quoted yet
        return found if found.last_trade is not None else None

    found = await eventually(snapshot)

    quote = found.quote
    assert isinstance(quote, Quote) and isinstance(quote.bid, Decimal)
    assert quote.ask > quote.bid and quote.bid % QUARTER == 0 and quote.ask % QUARTER == 0
    assert quote.spread == quote.ask - quote.bid
    assert quote.time.tzinfo is not None and quote.ts_event_ns > 0
    assert isinstance(found.last_trade, Trade) and found.last_trade.price % QUARTER == 0
    assert found.last_trade.aggressor in set(Aggressor)
    assert found.day_volume > 0


async def test_an_unknown_symbol_is_invalid_argument_naming_the_symbol_field(client: VigilClient) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.get_quote("BOGUS")

    assert caught.value.field == "symbol"
    assert caught.value.code == "INVALID_ARGUMENT"
    assert [v.field for v in caught.value.violations] == ["symbol"]
    assert "BOGUS" in caught.value.reason


async def test_a_bad_candle_range_names_the_offending_field(client: VigilClient) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.list_candles("NQ", "1m", start_ns=2000, end_ns=1000)

    assert caught.value.field == "start_ns"


async def test_an_unknown_timeframe_is_refused_before_any_call(client: VigilClient) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.list_candles("NQ", "7m")

    assert caught.value.field == "timeframe"


async def test_a_contract_that_is_not_streaming_is_not_found(client: VigilClient) -> None:
    with pytest.raises(NotFoundError):
        await client.get_quote("YM")


async def test_list_candles_accepts_a_timeframe_string_and_appends_the_forming_candle(client: VigilClient) -> None:
    async def forming() -> list[Candle] | None:
        candles = await client.list_candles("NQ", "1m", include_forming=True, limit=10)
        return candles if candles and not candles[-1].closed else None

    candles = await eventually(forming)

    last = candles[-1]
    assert last.timeframe is Timeframe.M1 and last.end_ns - last.start_ns == Timeframe.M1.duration_ns
    assert last.low <= last.open <= last.high and last.low <= last.close <= last.high
    assert all(p % QUARTER == 0 for p in (last.open, last.high, last.low, last.close))
    assert last.time.timestamp() * 10**9 == pytest.approx(last.start_ns, abs=1000)


async def test_list_recent_ticks_returns_quotes_and_trades_newest_last(client: VigilClient) -> None:
    async def ticks() -> list[Quote | Trade] | None:
        found = await client.list_recent_ticks("MES1!", limit=50)
        return found if len(found) == 50 else None

    found = await eventually(ticks)

    assert {type(t) for t in found} <= {Quote, Trade}
    stamps = [t.ts_event_ns for t in found]
    assert stamps == sorted(stamps)
    trades = await client.list_recent_ticks("MES1!", limit=10, trades_only=True)
    assert trades and all(isinstance(t, Trade) for t in trades)


async def test_get_feed_status_reports_the_simulator_and_the_store(client: VigilClient) -> None:
    async def streaming() -> FeedStatusReport | None:
        report = await client.get_feed_status()
        return report if report.feeds and report.feeds[0].total_ticks > 0 else None

    report = await eventually(streaming)

    [feed] = report.feeds
    assert feed.state is FeedState.STREAMING
    assert set(feed.contract_ids) == {"NQZ2026", "MNQZ2026", "ESZ2026", "MESZ2026"}
    assert report.store.available and report.server_time_ns > 0 and report.time.tzinfo is not None


async def test_health_reports_serving_for_the_server_and_the_market_data_service(client: VigilClient) -> None:
    assert await client.health() is ServingStatus.SERVING
    assert await client.health("vigil.v1.MarketDataService") is ServingStatus.SERVING
    assert await client.health("no.such.Service") is ServingStatus.SERVICE_UNKNOWN


async def test_unary_calls_to_an_unreachable_server_raise_unavailable(unused_address: str) -> None:
    async with VigilClient(unused_address, timeout=2.0) as client:
        with pytest.raises(UnavailableError):
            await client.list_instruments()


async def test_the_api_key_is_sent_as_a_bearer_token_and_a_wrong_one_is_refused(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = await start(server_config(database_url, api_keys=("sdk-key",)))
    try:
        async with VigilClient(running.address, api_key="wrong") as client:
            with pytest.raises(AuthenticationError):
                await client.list_instruments()
            with pytest.raises(AuthenticationError):
                async for _ in client.stream_quotes():
                    pass  # pragma: no cover
        monkeypatch.setenv("VIGIL_API_KEY", "sdk-key")
        async with VigilClient(running.address) as client:
            assert len(await client.list_instruments()) == 8
    finally:
        await running.stop()
