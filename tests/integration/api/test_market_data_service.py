"""MarketDataService over a real loopback gRPC channel, real PostgreSQL and the seeded simulator."""

from decimal import Decimal

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from core_server.app import RunningServer
from tests.kit.eventually import eventually
from vigil.v1 import common_pb2, market_data_pb2, market_data_pb2_grpc


@pytest.fixture
async def stub(vigil_server: str):
    async with grpc.aio.insecure_channel(vigil_server) as channel:
        yield market_data_pb2_grpc.MarketDataServiceStub(channel)


def bad_field(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None
    detail = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(detail)
    return detail.field_violations[0].field


async def test_list_instruments_gives_every_spec_and_marks_the_streaming_front_months(stub) -> None:
    response = await stub.ListInstruments(market_data_pb2.ListInstrumentsRequest())
    by_root = {i.root: i for i in response.instruments}
    assert set(by_root) == {"ES", "MES", "NQ", "MNQ", "YM", "MYM", "RTY", "M2K"}
    assert by_root["NQ"].tick_value == "5.00" and by_root["NQ"].point_value == "20"
    assert {r for r, i in by_root.items() if i.streaming} == {"NQ", "MNQ", "ES", "MES"}
    assert by_root["MNQ"].micro_of == "NQ"


async def test_resolve_symbol_accepts_every_form(stub) -> None:
    for symbol in ("NQZ6", "NQZ2026", "CON.F.US.ENQ.Z26"):
        response = await stub.ResolveSymbol(
            market_data_pb2.ResolveSymbolRequest(symbol=symbol, at_ns=1_790_000_000 * 10**9)
        )
        assert response.contract.contract_id == "NQZ2026"
        assert response.contract.projectx_contract_id == "CON.F.US.ENQ.Z26"


async def test_get_quote_returns_exact_prices_on_the_tick_grid(stub) -> None:
    async def quote():
        try:
            return await stub.GetQuote(market_data_pb2.GetQuoteRequest(symbol="NQ1!"))
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND  # no quote yet
            return None

    response = await eventually(quote)
    bid, ask = Decimal(response.quote.bid), Decimal(response.quote.ask)
    assert ask > bid and bid % Decimal("0.25") == 0 and ask % Decimal("0.25") == 0


async def test_stream_quotes_delivers_batches_for_the_requested_symbols(stub) -> None:
    call = stub.StreamQuotes(market_data_pb2.StreamQuotesRequest(symbols=["ES1!"], include_trades=True))
    seen_quotes = seen_trades = 0
    async for response in call:
        assert all(q.contract_id.startswith("ES") for q in response.quotes)
        seen_quotes += len(response.quotes)
        seen_trades += len(response.trades)
        if seen_quotes > 20 and seen_trades > 5:
            break
    call.cancel()


async def test_stream_candles_sends_a_snapshot_then_forming_updates(stub) -> None:
    request = market_data_pb2.StreamCandlesRequest(
        symbol="NQ", timeframes=[common_pb2.TIMEFRAME_1M], send_snapshot=True
    )
    call = stub.StreamCandles(request)
    updates = 0
    async for response in call:
        for candle in response.candles:
            assert candle.timeframe == common_pb2.TIMEFRAME_1M
            assert Decimal(candle.low) <= Decimal(candle.open) <= Decimal(candle.high)
            updates += 1
        if updates >= 3:
            break
    call.cancel()


async def test_list_recent_ticks_returns_the_newest_last(stub) -> None:
    async def ticks():
        response = await stub.ListRecentTicks(market_data_pb2.ListRecentTicksRequest(symbol="MES1!", limit=50))
        return response if len(response.ticks) == 50 else None

    response = await eventually(ticks)
    stamps = [t.quote.ts_event_ns or t.trade.ts_event_ns for t in response.ticks]
    assert stamps == sorted(stamps)


async def test_feed_status_reports_the_simulator_streaming_and_the_store(stub) -> None:
    async def streaming():
        response = await stub.GetFeedStatus(market_data_pb2.GetFeedStatusRequest())
        return response if response.feeds[0].total_ticks > 0 else None

    response = await eventually(streaming)
    [feed] = response.feeds
    assert feed.kind == "simulator" and feed.state == market_data_pb2.FEED_STATE_STREAMING
    assert set(feed.contract_ids) == {"NQZ2026", "MNQZ2026", "ESZ2026", "MESZ2026"} or feed.contract_ids
    assert response.store.available


@pytest.mark.parametrize(
    ("call", "request_", "field", "code"),
    [
        ("GetQuote", market_data_pb2.GetQuoteRequest(symbol="BOGUS"), "symbol", grpc.StatusCode.INVALID_ARGUMENT),
        ("GetQuote", market_data_pb2.GetQuoteRequest(symbol=""), "symbol", grpc.StatusCode.INVALID_ARGUMENT),
        ("ListCandles", market_data_pb2.ListCandlesRequest(symbol="NQ"), "timeframe", grpc.StatusCode.INVALID_ARGUMENT),
        (
            "ListCandles",
            market_data_pb2.ListCandlesRequest(
                symbol="NQ", timeframe=common_pb2.TIMEFRAME_1M, start_ns=2000, end_ns=1000
            ),
            "start_ns",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            "ListCandles",
            market_data_pb2.ListCandlesRequest(
                symbol="NQ", timeframe=common_pb2.TIMEFRAME_1M, start_ns=1, end_ns=10**18
            ),
            "end_ns",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            "ListCandles",
            market_data_pb2.ListCandlesRequest(symbol="NQ", timeframe=common_pb2.TIMEFRAME_1M, limit=10**6),
            "limit",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            "ListRecentTicks",
            market_data_pb2.ListRecentTicksRequest(symbol="NQ", limit=-1),
            "limit",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
    ],
)
async def test_bad_arguments_are_invalid_argument_naming_the_field(stub, call, request_, field, code) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(stub, call)(request_)
    assert caught.value.code() == code
    assert bad_field(caught.value) == field


async def test_a_contract_that_is_not_streaming_is_not_found(stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetQuote(market_data_pb2.GetQuoteRequest(symbol="YM1!"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "not streaming" in caught.value.details()


async def test_bad_stream_arguments_fail_the_stream_with_invalid_argument(stub) -> None:
    call = stub.StreamCandles(market_data_pb2.StreamCandlesRequest(symbol="NQ", timeframes=[0]))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in call:
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_field(caught.value) == "timeframes"


async def test_health_reports_serving(running_server: RunningServer) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    async with grpc.aio.insecure_channel(running_server.address) as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="vigil.v1.MarketDataService")
        )
    assert response.status == health_pb2.HealthCheckResponse.SERVING
