"""The server's enum conversions, derived from the protos by name (vigil.enum_map): one place for all of them.

Only where the server's name differs from the wire's is anything spelled out. tests/unit/core/test_enum_maps.py
checks that every enum of every .proto is mapped here both ways.
"""

from __future__ import annotations

from core_server.access.keys import Role
from core_server.analytics.filters import GroupBy
from core_server.analytics.imports import ImportFormat
from core_server.backtest.config import BacktestStatus, FillMode
from core_server.backtest.report import ReportFormat
from core_server.brokers.model import AccountMode, BrokerKind
from core_server.copying.model import CopyAction, CopyStatus, SizingKind, SourceKind
from core_server.excursions.model import Direction, TradeStatus
from core_server.execution.model import OrderSide, OrderStatus, OrderType, TimeInForce
from core_server.imports.dialect import HeaderMode
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Aggressor, Timeframe
from core_server.risk.events import RiskStatus
from core_server.risk.rules import BreachMode, DrawdownMode
from core_server.signals.model import CheckOutcome, LegKind, LegType, SignalAction, SignalDirection, SignalStatus
from core_server.strategies.events import Status as StrategyStatus
from vigil.enum_map import EnumMap
from vigil.v1 import (
    access_pb2,
    accounts_pb2,
    analytics_pb2,
    backtests_pb2,
    common_pb2,
    copying_pb2,
    data_pb2,
    execution_pb2,
    market_data_pb2,
    risk_pb2,
    signals_pb2,
    strategies_pb2,
    trades_pb2,
)

SIDE = "server"

TIMEFRAME = EnumMap(
    common_pb2.Timeframe,
    Timeframe,
    side=SIDE,
    renames={
        Timeframe.M1: "1M", Timeframe.M5: "5M", Timeframe.M15: "15M",
        Timeframe.H1: "1H", Timeframe.H4: "4H", Timeframe.D1: "1D",
    },
)  # fmt: skip
AGGRESSOR = EnumMap(common_pb2.Aggressor, Aggressor, side=SIDE, renames={Aggressor.NONE: "UNSPECIFIED"})
FEED_STATE = EnumMap(market_data_pb2.FeedState, FeedState, side=SIDE)
ORDER_SIDE = EnumMap(execution_pb2.OrderSide, OrderSide, side=SIDE)
ORDER_TYPE = EnumMap(execution_pb2.OrderType, OrderType, side=SIDE)
TIME_IN_FORCE = EnumMap(execution_pb2.TimeInForce, TimeInForce, side=SIDE, accepts={"UNSPECIFIED": TimeInForce.DAY})
ORDER_STATUS = EnumMap(
    execution_pb2.OrderStatus,
    OrderStatus,
    side=SIDE,
    # The wire has one "refused" status (the reason says which); PENDING is submitted, HELD waits for its parent.
    renames={OrderStatus.PENDING: "SUBMITTED", OrderStatus.HELD: "PENDING_PARENT", OrderStatus.REJECTED: "DENIED"},
)
RISK_STATE = EnumMap(risk_pb2.RiskState, RiskStatus, side=SIDE)
BREACH_MODE = EnumMap(risk_pb2.BreachMode, BreachMode, side=SIDE)
TRAILING_MODE = EnumMap(
    risk_pb2.TrailingMode, DrawdownMode, side=SIDE, renames={DrawdownMode.INTRADAY_UNREALIZED: "INTRADAY"}
)
SIGNAL_DIRECTION = EnumMap(
    signals_pb2.SignalDirection, SignalDirection, side=SIDE, renames={SignalDirection.NONE: "UNSPECIFIED"}
)
SIGNAL_ACTION = EnumMap(signals_pb2.SignalAction, SignalAction, side=SIDE, accepts={"UNSPECIFIED": SignalAction.ENTRY})
LEG_KIND = EnumMap(signals_pb2.BracketLegKind, LegKind, side=SIDE)
LEG_TYPE = EnumMap(signals_pb2.BracketLegType, LegType, side=SIDE)
SIGNAL_STATUS = EnumMap(signals_pb2.SignalStatus, SignalStatus, side=SIDE)
CHECK_OUTCOME = EnumMap(signals_pb2.CheckOutcome, CheckOutcome, side=SIDE)
TRADE_DIRECTION = EnumMap(trades_pb2.TradeDirection, Direction, side=SIDE)
TRADE_STATUS = EnumMap(trades_pb2.TradeStatus, TradeStatus, side=SIDE)
ROLE = EnumMap(access_pb2.Role, Role, side=SIDE)
GROUP_BY = EnumMap(analytics_pb2.StatisticsGroupBy, GroupBy, side=SIDE)
IMPORT_FORMAT = EnumMap(analytics_pb2.ImportFormat, ImportFormat, side=SIDE)
HEADER_MODE = EnumMap(data_pb2.HeaderMode, HeaderMode, side=SIDE)
STRATEGY_STATUS = EnumMap(strategies_pb2.StrategyStatus, StrategyStatus, side=SIDE)
BACKTEST_STATUS = EnumMap(backtests_pb2.BacktestStatus, BacktestStatus, side=SIDE)
FILL_MODE = EnumMap(backtests_pb2.FillMode, FillMode, side=SIDE, accepts={"UNSPECIFIED": FillMode.THROUGH})
REPORT_FORMAT = EnumMap(backtests_pb2.ReportFormat, ReportFormat, side=SIDE, accepts={"UNSPECIFIED": ReportFormat.JSON})
COPY_SOURCE_KIND = EnumMap(copying_pb2.CopySourceKind, SourceKind, side=SIDE)
COPY_SIZING = EnumMap(copying_pb2.CopySizing, SizingKind, side=SIDE)
COPY_ACTION = EnumMap(copying_pb2.CopyAction, CopyAction, side=SIDE)
COPY_STATUS = EnumMap(copying_pb2.CopyStatus, CopyStatus, side=SIDE)
BROKER_KIND = EnumMap(accounts_pb2.BrokerKind, BrokerKind, side=SIDE)
ACCOUNT_MODE = EnumMap(accounts_pb2.AccountMode, AccountMode, side=SIDE)
