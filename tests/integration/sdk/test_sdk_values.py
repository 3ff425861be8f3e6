"""SDK values without a server: timeframe parsing, exact proto round trips, and the error table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from clients.sdk import (
    Aggressor,
    Candle,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    Quote,
    ResourceExhaustedError,
    Timeframe,
    Trade,
    UnavailableError,
    VigilError,
    convert,
)
from clients.sdk.connection import Backoff
from clients.sdk.errors import error_from_rpc


def rpc_error(
    code: grpc.StatusCode, details: str, trailing: tuple[tuple[str, bytes], ...] = ()
) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailing), details)


def test_timeframes_parse_from_their_text_in_any_case() -> None:
    assert Timeframe.parse("5m") is Timeframe.M5
    assert Timeframe.parse(" 1H ") is Timeframe.H1
    assert Timeframe.parse(Timeframe.D1) is Timeframe.D1
    assert Timeframe.H4.duration_ns == 4 * 3600 * 10**9
    with pytest.raises(InvalidArgumentError) as caught:
        Timeframe.parse("2m", field="timeframes")
    assert caught.value.field == "timeframes"
    assert isinstance(caught.value, ValueError)


def test_prices_round_trip_the_wire_exactly() -> None:
    quote = Quote("NQZ2026", 1, 2, Decimal("25341.25"), Decimal("25341.50"), 3, 4)
    trade = Trade("RTYZ2026", 5, 6, Decimal("2345.1"), 2, Aggressor.SELL)
    candle = Candle(
        "ESZ2026",
        Timeframe.M15,
        0,
        900 * 10**9,
        *map(Decimal, ("6780.25", "6781", "6779.75", "6780.50")),
        7,
        8,
        True,
        False,
    )

    assert convert.quote_from_pb(convert.quote_to_pb(quote)) == quote
    assert convert.trade_from_pb(convert.trade_to_pb(trade)) == trade
    assert convert.candle_from_pb(convert.candle_to_pb(candle)) == candle
    assert str(convert.quote_to_pb(quote).bid) == "25341.25"


def test_times_become_aware_utc_datetimes() -> None:
    quote = Quote("NQZ2026", 1_795_317_444_101_460_735, 0, Decimal(1), Decimal(2), 1, 1)
    assert quote.time == datetime(2026, 11, 22, 3, 17, 24, 101460, tzinfo=UTC)


def test_a_malformed_wire_price_is_a_vigil_error() -> None:
    with pytest.raises(VigilError):
        convert.decimal_from_wire("12.5.0")


def test_invalid_argument_carries_every_field_violation() -> None:
    bad = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field="symbol", description="unknown"),
            error_details_pb2.BadRequest.FieldViolation(field="limit", description="too big"),
        ]
    )
    packed = any_pb2.Any()
    packed.Pack(bad)
    status = status_pb2.Status(code=3, message="symbol: unknown", details=[packed])
    error = error_from_rpc(
        rpc_error(
            grpc.StatusCode.INVALID_ARGUMENT,
            "symbol: unknown",
            (("grpc-status-details-bin", status.SerializeToString()),),
        )
    )

    assert isinstance(error, InvalidArgumentError)
    assert (error.field, error.reason) == ("symbol", "unknown")
    assert [v.field for v in error.violations] == ["symbol", "limit"]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (grpc.StatusCode.NOT_FOUND, NotFoundError),
        (grpc.StatusCode.UNAVAILABLE, UnavailableError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, ResourceExhaustedError),
        (grpc.StatusCode.UNIMPLEMENTED, VigilError),
    ],
)
def test_each_status_code_maps_to_its_exception(code: grpc.StatusCode, kind: type[VigilError]) -> None:
    error = error_from_rpc(rpc_error(code, "why"))
    assert type(error) is kind and error.code == code.name and str(error) == "why"


def test_an_internal_error_exposes_the_error_id_from_its_message() -> None:
    error = error_from_rpc(
        rpc_error(grpc.StatusCode.INTERNAL, "internal error 3f2a9c1b0d4e; the server log has the details")
    )
    assert isinstance(error, InternalError) and error.error_id == "3f2a9c1b0d4e"


def test_backoff_doubles_from_half_a_second_to_ten_and_resets() -> None:
    backoff = Backoff()
    assert [backoff.next_delay() for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5
