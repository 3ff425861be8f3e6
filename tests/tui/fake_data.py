"""Fixed market, account, signal and risk values for the fake SDK client: one Friday morning, 2026-12-04."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from clients.sdk import (
    Account,
    Candle,
    CheckOutcome,
    Contract,
    FeedState,
    FeedStatus,
    FeedStatusReport,
    Fill,
    Instrument,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    RiskEvent,
    RiskRules,
    RiskState,
    RiskStatus,
    RuleUsage,
    Signal,
    SignalCheck,
    SignalDirection,
    SignalEvent,
    SignalInput,
    SignalStatus,
    StoreStatus,
    Timeframe,
    TimeInForce,
    TrackedTrade,
    TradeDirection,
    TradeStatus,
)

NS = 1_000_000_000
MINUTE = 60 * NS
NOW_NS = int(datetime(2026, 12, 4, 15, 30, 20, tzinfo=UTC).timestamp()) * NS  # 09:30:20 CT, trading day 12-04
DAY_OPEN_NS = int(datetime(2026, 12, 3, 23, 0, tzinfo=UTC).timestamp()) * NS  # 17:00 CT on 12-03

# root, description, tick size, point value, last price, streaming, micro of
SPECS = (
    ("ES", "E-mini S&P 500", "0.25", "50", "6777.25", True, None),
    ("MES", "Micro E-mini S&P 500", "0.25", "5", "6777.25", True, "ES"),
    ("NQ", "E-mini Nasdaq-100", "0.25", "20", "25340.25", True, None),
    ("MNQ", "Micro E-mini Nasdaq-100", "0.25", "2", "25340.25", True, "NQ"),
    ("YM", "E-mini Dow", "1", "5", "47710", False, None),
    ("MYM", "Micro E-mini Dow", "1", "0.5", "47710", False, "YM"),
    ("RTY", "E-mini Russell 2000", "0.1", "50", "2480.0", False, None),
    ("M2K", "Micro E-mini Russell 2000", "0.1", "5", "2480.0", False, "RTY"),
)
EXPIRY_NS = int(datetime(2026, 12, 18, 14, 30, tzinfo=UTC).timestamp()) * NS


def _instrument(
    root: str, description: str, tick: str, point: str, micro_of: str | None, streaming: bool
) -> Instrument:
    contract = Contract(
        f"{root}Z2026", root, 2026, 12, "Z", EXPIRY_NS, EXPIRY_NS - 8 * 86_400 * NS, f"{root}Z6", f"{root}Z2026", ""
    )
    tick_size, point_value = Decimal(tick), Decimal(point)
    return Instrument(
        root,
        description,
        "CME",
        tick_size,
        point_value,
        tick_size * point_value,
        contract,
        Decimal(50),
        streaming,
        micro_of,
    )


INSTRUMENTS = tuple(_instrument(r, d, t, p, m, s) for r, d, t, p, _, s, m in SPECS)
LAST = {f"{r}Z2026": Decimal(last) for r, _, _, _, last, s, _ in SPECS if s}
TICK = {i.front_contract.contract_id: i.tick_size for i in INSTRUMENTS}


def quote(contract_id: str) -> Quote:
    bid = LAST[contract_id]
    return Quote(contract_id, NOW_NS, NOW_NS, bid, bid + TICK[contract_id], 12, 9)


# A wave with a trend, in ticks from the last price: deterministic, and it looks like a market.
WAVE = (0, 3, 5, 2, -1, -4, -2, 1, 4, 8, 6, 3, 5, 9, 12, 10, 7, 4, 6, 10, 13, 11, 8, 5, 2, 4, 7, 9, 6, 3)


def candles(contract_id: str, timeframe: Timeframe, count: int = 60) -> list[Candle]:
    """`count` closed candles ending at the current bucket, then the forming one (closed=False) last."""
    step = timeframe.duration_ns
    current = DAY_OPEN_NS if timeframe is Timeframe.D1 else DAY_OPEN_NS + (NOW_NS - DAY_OPEN_NS) // step * step
    tick = TICK[contract_id]
    scale = {Timeframe.M1: 1, Timeframe.M5: 2, Timeframe.M15: 3, Timeframe.H1: 5, Timeframe.H4: 8, Timeframe.D1: 20}
    base = LAST[contract_id] - tick * WAVE[count % len(WAVE)] * scale[timeframe]
    out = []
    for i in range(count + 1):
        start = current - (count - i) * step
        o = base + tick * WAVE[i % len(WAVE)] * scale[timeframe]
        c = base + tick * WAVE[(i + 1) % len(WAVE)] * scale[timeframe]
        wick = tick * (1 + i % 3) * scale[timeframe]
        closed = i < count
        out.append(
            Candle(
                contract_id,
                timeframe,
                start,
                start + step,
                o,
                max(o, c) + wick,
                min(o, c) - wick,
                c,
                100 + 7 * i,
                40 + i,
                closed,
                True,
            )
        )
    return out


FEED_REPORT = FeedStatusReport(
    (
        FeedStatus(
            "simulator",
            "simulated",
            FeedState.STREAMING,
            "simulating at 2000 ticks/s",
            tuple(LAST),
            NOW_NS - 3_600 * NS,
            0,
            NOW_NS - NS // 10,
            NOW_NS - NS // 10,
            NS // 10,
            2000.0,
            86.0,
            7_200_000,
            0,
            0,
            0,
            0,
            220_000,
            1_350_000,
            (),
        ),
    ),
    StoreStatus(True, "embedded", 0, 7_199_500, 0, NOW_NS - NS, ""),
    NOW_NS,
)


def _order(
    order_id: str,
    contract_id: str,
    side: OrderSide,
    order_type: OrderType,
    quantity: int,
    *,
    limit: str | None = None,
    stop: str | None = None,
    parent: str = "",
    status: OrderStatus = OrderStatus.WORKING,
) -> Order:
    return Order(
        order_id,
        "",
        "paper",
        contract_id,
        side,
        order_type,
        quantity,
        0,
        Decimal(limit) if limit else None,
        Decimal(stop) if stop else None,
        TimeInForce.DAY,
        status,
        None,
        parent,
        "B-1" if parent else "",
        "",
        "",
        NOW_NS - 20 * MINUTE,
        NOW_NS - 20 * MINUTE,
    )


ORDERS = (
    _order("O-stop-mnq-0001", "MNQZ2026", OrderSide.SELL, OrderType.STOP, 2, stop="25320.00", parent="O-entry-mnq"),
    _order("O-tgt-mnq-00002", "MNQZ2026", OrderSide.SELL, OrderType.LIMIT, 2, limit="25370.00", parent="O-entry-mnq"),
    _order("O-lmt-nq-000003", "NQZ2026", OrderSide.BUY, OrderType.LIMIT, 1, limit="25300.00"),
)
POSITIONS = (
    Position(
        "paper",
        "MNQZ2026",
        2,
        Decimal("25330.00"),
        Decimal("25340.25"),
        Decimal("10.25"),
        Decimal("41.00"),
        Decimal("0"),
    ),
    Position(
        "paper",
        "ESZ2026",
        -1,
        Decimal("6780.00"),
        Decimal("6777.50"),
        Decimal("2.50"),
        Decimal("125.00"),
        Decimal("250.00"),
    ),
)
PAPER = Account(
    "paper",
    "paper",
    Decimal(50000),
    Decimal("50245.00"),
    Decimal("50411.00"),
    Decimal("250.00"),
    Decimal("166.00"),
    Decimal("5.00"),
    POSITIONS,
    NOW_NS,
)
EVAL = Account(
    "eval-1",
    "eval-1",
    Decimal(150000),
    Decimal("148765.50"),
    Decimal("148765.50"),
    Decimal("-1224.50"),
    Decimal("0"),
    Decimal("10.00"),
    (),
    NOW_NS,
)
ACCOUNTS = (PAPER, EVAL)
FILLS = (
    Fill(
        "F-1",
        "O-entry-mnq",
        "paper",
        "MNQZ2026",
        OrderSide.BUY,
        2,
        Decimal("25330.00"),
        Decimal("2.50"),
        "taker",
        NOW_NS - 20 * MINUTE,
    ),
    Fill(
        "F-2",
        "O-es-short",
        "paper",
        "ESZ2026",
        OrderSide.SELL,
        1,
        Decimal("6780.00"),
        Decimal("2.50"),
        "taker",
        NOW_NS - 12 * MINUTE,
    ),
)


def _trade(
    trade_id: str,
    account: str,
    contract: str,
    direction: TradeDirection,
    qty: int,
    entry: str,
    stop: str,
    target: str | None,
    status: TradeStatus,
    mfe: str,
    mae: str,
    *,
    result: str | None = None,
    exit_price: str | None = None,
    now_r: str | None = None,
    opened: int,
    closed: int = 0,
) -> TrackedTrade:
    return TrackedTrade(
        trade_id,
        "",
        account,
        contract,
        direction,
        qty,
        Decimal(entry),
        Decimal(stop),
        Decimal(stop),
        Decimal(target) if target else None,
        status,
        Decimal(mfe),
        Decimal(mae),
        Decimal(0),
        Decimal(0),
        Decimal(result) if result else None,
        Decimal(exit_price) if exit_price else None,
        Decimal(now_r) if now_r else None,
        opened,
        closed,
        (),
    )


OPEN_TRADE = _trade(
    "T-open-mnq",
    "paper",
    "MNQZ2026",
    TradeDirection.LONG,
    2,
    "25330.00",
    "25320.00",
    "25370.00",
    TradeStatus.OPEN,
    "1.20",
    "-0.35",
    now_r="1.03",
    opened=NOW_NS - 20 * MINUTE,
)
CLOSED_TRADES = (
    _trade(
        "T-es-target",
        "paper",
        "ESZ2026",
        TradeDirection.SHORT,
        1,
        "6785.00",
        "6790.00",
        "6775.00",
        TradeStatus.TARGET_HIT,
        "2.00",
        "-0.40",
        result="2.00",
        exit_price="6775.00",
        opened=NOW_NS - 90 * MINUTE,
        closed=NOW_NS - 60 * MINUTE,
    ),
    _trade(
        "T-nq-stopped",
        "eval-1",
        "NQZ2026",
        TradeDirection.LONG,
        1,
        "25350.00",
        "25340.00",
        None,
        TradeStatus.STOPPED_OUT,
        "0.50",
        "-1.00",
        result="-1.00",
        exit_price="25340.00",
        opened=NOW_NS - 50 * MINUTE,
        closed=NOW_NS - 40 * MINUTE,
    ),
)


def _signal(signal_id: str, status: SignalStatus, waiting: str, entry: str | None, stop: str | None) -> Signal:
    signal_input = SignalInput(
        "NQ1!", SignalDirection.BULLISH, Decimal("25338.00"), NOW_NS - 4 * MINUTE, Timeframe.M5, strategy="orb"
    )
    checks = (
        SignalCheck("authentic_and_new", CheckOutcome.PASSED, "first delivery", NOW_NS - 4 * MINUTE),
        SignalCheck("staleness_price", CheckOutcome.PASSED, "2.25 points from the market", NOW_NS - 4 * MINUTE),
        SignalCheck("confirmation", CheckOutcome.WAITING if entry is None else CheckOutcome.PASSED, waiting, 0),
    )
    event = SignalEvent(signal_id, status.value, NOW_NS - 4 * MINUTE, waiting, status)
    return Signal(
        signal_id,
        signal_input,
        "NQZ2026",
        status,
        checks,
        NOW_NS - 4 * MINUTE,
        0,
        waiting,
        None,
        None,
        Decimal(stop) if stop else None,
        0,
        False,
        Decimal(entry) if entry else None,
        Decimal(stop) if stop else None,
        Decimal(entry) - Decimal(stop) if entry and stop else None,
        1,
        3,
        "",
        (event,),
    )


SIGNALS = (
    _signal("S-pending-0001", SignalStatus.PENDING, "5m close > 25341.25", None, None),
    _signal("S-approve-0002", SignalStatus.AWAITING_APPROVAL, "", "25341.50", "25331.00"),
)
RULES = RiskRules(
    preset="topstep_50k",
    starting_balance=Decimal(50000),
    daily_loss_limit=Decimal(1000),
    trailing_drawdown=Decimal(2000),
    max_contracts=5,
)
RISK_STATUS = RiskStatus(
    "paper",
    RiskState.SAFE,
    "2026-12-04",
    Decimal("120.00"),
    Decimal("1000.00"),
    Decimal("48000.00"),
    Decimal("2411.00"),
    Decimal("50411.00"),
    Decimal("50411.00"),
    0,
    "",
    False,
    (
        RuleUsage("daily_loss", "$120.00", "$1,000.00", Decimal("0.12")),
        RuleUsage("trailing_drawdown", "$2,411.00 left", "$2,000.00", Decimal("0")),
        RuleUsage("max_contracts", "1.2", "5", Decimal("0.24")),
    ),
    NOW_NS,
)
RISK_EVENTS = (
    RiskEvent(1, "order_allowed", "paper", NOW_NS - 20 * MINUTE, "", "buy 2 MNQZ2026 market", RiskState.SAFE),
    RiskEvent(2, "order_allowed", "paper", NOW_NS - 12 * MINUTE, "", "sell 1 ESZ2026 market", RiskState.SAFE),
)


def risk_status(account_id: str) -> RiskStatus:
    return replace(RISK_STATUS, account_id=account_id)
