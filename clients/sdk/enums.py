"""The SDK's enum conversions, derived from the protos by name (vigil.enum_map): one place for all of them.

Each SDK enum's UNKNOWN (a value this SDK does not know) reads the wire's UNSPECIFIED; only where a name differs
from the wire's is anything spelled out. tests/unit/core/test_enum_maps.py checks every proto enum both ways.
"""

from __future__ import annotations

from clients.sdk.access import Role
from clients.sdk.analytics import GroupBy, ImportFormat
from clients.sdk.backtests import BacktestStatus, FillMode, ReportFormat
from clients.sdk.brokers import AccountMode, Broker
from clients.sdk.copying import CopyAction, CopySizing, CopySourceKind, CopyStatus
from clients.sdk.data import HeaderMode
from clients.sdk.execution import OrderSide, OrderStatus, OrderType, TimeInForce
from clients.sdk.models import Aggressor, FeedState, Timeframe
from clients.sdk.risk import BreachMode, RiskState, TrailingMode
from clients.sdk.signals import CheckOutcome, LegKind, LegType, SignalAction, SignalDirection, SignalStatus
from clients.sdk.strategies import StrategyStatus
from clients.sdk.trades import TradeDirection, TradeStatus
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

SIDE = "sdk"
UNSPECIFIED = "UNSPECIFIED"

TIMEFRAME = EnumMap(
    common_pb2.Timeframe,
    Timeframe,
    side=SIDE,
    renames={
        Timeframe.M1: "1M", Timeframe.M5: "5M", Timeframe.M15: "15M",
        Timeframe.H1: "1H", Timeframe.H4: "4H", Timeframe.D1: "1D",
    },
)  # fmt: skip
AGGRESSOR = EnumMap(common_pb2.Aggressor, Aggressor, side=SIDE, renames={Aggressor.NONE: UNSPECIFIED})
FEED_STATE = EnumMap(market_data_pb2.FeedState, FeedState, side=SIDE, renames={FeedState.UNKNOWN: UNSPECIFIED})
ORDER_SIDE = EnumMap(execution_pb2.OrderSide, OrderSide, side=SIDE, renames={OrderSide.UNKNOWN: UNSPECIFIED})
ORDER_TYPE = EnumMap(execution_pb2.OrderType, OrderType, side=SIDE, renames={OrderType.UNKNOWN: UNSPECIFIED})
TIME_IN_FORCE = EnumMap(execution_pb2.TimeInForce, TimeInForce, side=SIDE, renames={TimeInForce.UNKNOWN: UNSPECIFIED})
ORDER_STATUS = EnumMap(execution_pb2.OrderStatus, OrderStatus, side=SIDE, renames={OrderStatus.UNKNOWN: UNSPECIFIED})
RISK_STATE = EnumMap(risk_pb2.RiskState, RiskState, side=SIDE, renames={RiskState.UNKNOWN: UNSPECIFIED})
BREACH_MODE = EnumMap(risk_pb2.BreachMode, BreachMode, side=SIDE, renames={BreachMode.UNKNOWN: UNSPECIFIED})
TRAILING_MODE = EnumMap(risk_pb2.TrailingMode, TrailingMode, side=SIDE, renames={TrailingMode.UNKNOWN: UNSPECIFIED})
SIGNAL_DIRECTION = EnumMap(
    signals_pb2.SignalDirection,
    SignalDirection,
    side=SIDE,
    renames={SignalDirection.UNKNOWN: UNSPECIFIED, SignalDirection.NONE: UNSPECIFIED},
    accepts={UNSPECIFIED: SignalDirection.NONE},  # an exit or cancel names no side
)
SIGNAL_ACTION = EnumMap(
    signals_pb2.SignalAction,
    SignalAction,
    side=SIDE,
    renames={SignalAction.UNKNOWN: UNSPECIFIED},
    accepts={UNSPECIFIED: SignalAction.ENTRY},  # the wire's default action
)
LEG_KIND = EnumMap(signals_pb2.BracketLegKind, LegKind, side=SIDE)
LEG_TYPE = EnumMap(signals_pb2.BracketLegType, LegType, side=SIDE)
SIGNAL_STATUS = EnumMap(signals_pb2.SignalStatus, SignalStatus, side=SIDE, renames={SignalStatus.UNKNOWN: UNSPECIFIED})
CHECK_OUTCOME = EnumMap(signals_pb2.CheckOutcome, CheckOutcome, side=SIDE, renames={CheckOutcome.UNKNOWN: UNSPECIFIED})
TRADE_DIRECTION = EnumMap(
    trades_pb2.TradeDirection, TradeDirection, side=SIDE, renames={TradeDirection.UNKNOWN: UNSPECIFIED}
)
TRADE_STATUS = EnumMap(trades_pb2.TradeStatus, TradeStatus, side=SIDE, renames={TradeStatus.UNKNOWN: UNSPECIFIED})
ROLE = EnumMap(access_pb2.Role, Role, side=SIDE)
GROUP_BY = EnumMap(analytics_pb2.StatisticsGroupBy, GroupBy, side=SIDE, renames={GroupBy.NONE: UNSPECIFIED})
IMPORT_FORMAT = EnumMap(analytics_pb2.ImportFormat, ImportFormat, side=SIDE, renames={ImportFormat.AUTO: UNSPECIFIED})
HEADER_MODE = EnumMap(data_pb2.HeaderMode, HeaderMode, side=SIDE)
STRATEGY_STATUS = EnumMap(strategies_pb2.StrategyStatus, StrategyStatus, side=SIDE)
BACKTEST_STATUS = EnumMap(
    backtests_pb2.BacktestStatus, BacktestStatus, side=SIDE, renames={BacktestStatus.UNKNOWN: UNSPECIFIED}
)
FILL_MODE = EnumMap(backtests_pb2.FillMode, FillMode, side=SIDE, accepts={UNSPECIFIED: FillMode.THROUGH})
REPORT_FORMAT = EnumMap(backtests_pb2.ReportFormat, ReportFormat, side=SIDE, accepts={UNSPECIFIED: ReportFormat.JSON})
COPY_SOURCE_KIND = EnumMap(copying_pb2.CopySourceKind, CopySourceKind, side=SIDE)
COPY_SIZING = EnumMap(copying_pb2.CopySizing, CopySizing, side=SIDE)
COPY_ACTION = EnumMap(copying_pb2.CopyAction, CopyAction, side=SIDE)
COPY_STATUS = EnumMap(copying_pb2.CopyStatus, CopyStatus, side=SIDE)
BROKER_KIND = EnumMap(accounts_pb2.BrokerKind, Broker, side=SIDE)
ACCOUNT_MODE = EnumMap(accounts_pb2.AccountMode, AccountMode, side=SIDE)
