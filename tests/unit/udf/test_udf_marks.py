"""Marks from signals, fills and unusual sessions: labels, colours, text and the bar each sits on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from clients.sdk import (
    CheckOutcome,
    Fill,
    OrderSide,
    Signal,
    SignalCheck,
    SignalDirection,
    SignalInput,
    SignalStatus,
    Timeframe,
    TradingSession,
)
from clients.udf.marks import GREEN, GREY, RED, fill_mark, session_marks, signal_mark
from tests.kit.time import ct

S = 10**9


def signal(direction: SignalDirection, status: SignalStatus, **extra: object) -> Signal:
    fields: dict[str, object] = {
        "signal_id": "sig-1",
        "input": SignalInput(
            "NQ1!", direction, Decimal("25341.25"), ct(2026, 11, 20, 9, 37, 12), Timeframe.M5, strategy="orb"
        ),
        "contract_id": "NQZ2026",
        "status": status,
        "checks": (),
        "received_ns": ct(2026, 11, 20, 9, 37, 13),
        "decided_ns": 0,
        "waiting_for": "",
        "signal_candle": None,
        "confirmation_candle": None,
        "pivot_price": None,
        "pivot_candle_start_ns": 0,
        "stop_from_fallback": False,
        "entry_price": None,
        "stop_price": None,
        "risk_points": None,
        "candles_waited": 0,
        "expires_after_candles": 3,
        "trade_id": "",
        "events": (),
    }
    fields.update(extra)
    return Signal(**fields)  # type: ignore[arg-type]


def test_a_confirmed_bullish_signal_is_a_green_u_on_the_bar_that_holds_it() -> None:
    mark = signal_mark(
        signal(
            SignalDirection.BULLISH,
            SignalStatus.CONFIRMED,
            entry_price=Decimal("25342.00"),
            stop_price=Decimal("25330.50"),
        ),
        Timeframe.M5,
    )
    assert (mark["id"], mark["label"], mark["color"]["background"]) == ("signal-sig-1", "U", GREEN)
    assert mark["time"] == ct(2026, 11, 20, 9, 35) // S
    assert (
        mark["text"]
        == "Bullish signal NQZ2026 @ 25341.25; status confirmed; strategy orb; entry 25342.00 stop 25330.50"
    )


def test_a_rejected_signal_is_grey_and_says_which_check_failed() -> None:
    failed = SignalCheck("staleness_price", CheckOutcome.FAILED, "moved 12.00 points (max 10.00)", 1)
    mark = signal_mark(signal(SignalDirection.BEARISH, SignalStatus.REJECTED, checks=(failed,)), Timeframe.D1)
    assert (mark["label"], mark["color"]["border"]) == ("D", GREY)
    assert mark["text"].endswith("staleness_price: moved 12.00 points (max 10.00)")
    assert mark["time"] == 1_795_132_800  # 2026-11-20 00:00 UTC, the trade date's daily bar


def test_a_sell_fill_is_a_red_s_with_its_exact_price() -> None:
    fill = Fill(
        "f-9",
        "o-1",
        "paper",
        "NQZ2026",
        OrderSide.SELL,
        2,
        Decimal("25341.25"),
        Decimal("5.00"),
        "taker",
        ct(2026, 11, 20, 9, 40, 59),
    )
    mark = fill_mark(fill, Timeframe.M1)
    assert (mark["id"], mark["label"], mark["color"]["background"]) == ("fill-f-9", "S", RED)
    assert mark["text"] == "Sold 2 NQZ2026 @ 25341.25 (paper)" and mark["time"] == ct(2026, 11, 20, 9, 40) // S


def test_session_marks_flag_a_halt_and_an_early_close_inside_the_range_only() -> None:
    friday = TradingSession(
        date(2025, 11, 28),
        ct(2025, 11, 26, 17),
        ct(2025, 11, 28, 12, 15),
        ((ct(2025, 11, 27, 12), ct(2025, 11, 27, 17)),),
        True,
        "Thanksgiving",
    )
    regular = TradingSession(date(2025, 11, 26), ct(2025, 11, 25, 17), ct(2025, 11, 26, 16), (), False, "")
    marks = session_marks([regular, friday], Timeframe.M15, ct(2025, 11, 27), ct(2025, 11, 29))
    assert [(m["label"], m["time"]) for m in marks] == [
        ("H", ct(2025, 11, 27, 11, 45) // S),
        ("E", ct(2025, 11, 28, 12) // S),
    ]
    assert session_marks([friday], Timeframe.M15, ct(2025, 11, 28), ct(2025, 11, 28, 12)) == []
