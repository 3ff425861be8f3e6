"""Who may call what: ONE table from every RPC (full method name) to the least role that may call it.

The AccessInterceptor looks every call up here. An RPC missing from the table is refused for every caller
(deny by default), and a test asserts that every method the server registers is in it, so a new RPC cannot
ship without a decision. Health and reflection stay open (liveness probes, `grpcurl list`).

Roles are ordered (viewer < trader < admin): viewer reads and streams; trader also places, changes and cancels
orders, and submits, approves and cancels signals (strategies, when they come, are trader too), on the accounts
it is granted or all; copy groups are trader too, with every account a group touches granted (each follower,
an account source's leader); admin also changes risk rules, opens and resets accounts, stops and resumes
everything, and manages keys (live-routing switches, when they come, are admin).

`RATE_LIMITED`: the RPCs that place orders, held to each key's token bucket (access.rate). Cancels, closes and
flattens are never rate limited: taking risk off must always get through.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from core_server.access.keys import LOCAL_ACTOR, Caller, Role
from core_server.model.errors import PermissionDenied

V, T, A = Role.VIEWER, Role.TRADER, Role.ADMIN

OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

_SERVICES: dict[str, dict[str, Role]] = {
    "vigil.v1.MarketDataService": {
        "ListInstruments": V, "ResolveSymbol": V, "GetQuote": V, "StreamQuotes": V, "StreamCandles": V,
        "ListCandles": V, "ListRecentTicks": V, "GetFeedStatus": V, "StreamFeedStatus": V, "ListSessions": V,
    },
    "vigil.v1.SignalService": {
        "SubmitSignal": T, "GetSignal": V, "ListSignals": V, "StreamSignalEvents": V, "CancelSignal": T,
        "ApproveSignal": T,
    },
    "vigil.v1.ExecutionService": {
        "CreateAccount": A, "ListAccounts": V, "GetAccount": V, "ResetAccount": A, "SubmitOrder": T,
        "SubmitBracket": T, "SubmitBracketBatch": T, "SubmitOco": T, "ModifyOrder": T, "CancelOrder": T,
        "CancelAllOrders": T, "ClosePosition": T, "FlattenAccount": T, "ReversePosition": T, "ListOrders": V,
        "ListFills": V, "ListPositions": V, "StreamOrderEvents": V, "StreamAccount": V,
    },
    "vigil.v1.TradeService": {"ListTrades": V, "GetTrade": V, "StreamTradeUpdates": V},
    "vigil.v1.RiskService": {
        "GetRiskStatus": V, "StreamRiskEvents": V, "GetRules": V, "SetRules": A, "ListPresets": V,
        "EmergencyStop": A, "Resume": A,
    },
    "vigil.v1.AccessService": {"CreateApiKey": A, "ListApiKeys": A, "RevokeApiKey": A, "WhoAmI": V},
    "vigil.v1.CommissionService": {"GetCommissionRates": V, "SetCommissionRates": A},
    "vigil.v1.CopyGroupService": {
        "CreateCopyGroup": T, "UpdateCopyGroup": T, "ListCopyGroups": V, "GetCopyGroup": V, "PauseCopyGroup": T,
        "ResumeCopyGroup": T, "DeleteCopyGroup": T, "ListCopyOutcomes": V, "StreamCopyOutcomes": V,
    },
    "vigil.v1.AccountService": {
        "ListBrokers": V, "ListAccountModes": V, "BindAccount": A, "UnbindAccount": A, "SetLiveRouting": A,
        "Reconcile": T, "SubmitBrokerOrder": T, "CancelBrokerOrder": T, "ModifyBrokerOrder": T,
        "FlattenBrokerAccount": T, "BrokerEmergencyStop": A, "ListBrokerAudit": V,
    },
    "vigil.v1.AnalyticsService": {
        "GetStatistics": V, "GetCalendar": V, "GetEquityCurve": V, "GetExcursions": V, "UpdateJournal": T,
        "ImportTrades": T, "ExportTrades": V, "ExportStatistics": V, "GetDailyReport": V,
    },
    "vigil.v1.NotificationService": {
        "GetNotificationStatus": V, "SendTestNotification": A, "SendDailyReports": T, "SetCoachingRules": T,
    },
    "vigil.v1.StrategyService": {
        "ListStrategies": V, "GetStrategy": V, "ValidateStrategy": V, "StreamStrategyEvents": V, "LoadStrategy": T,
        "ActivateStrategy": T, "DeactivateStrategy": T, "EmergencyStopStrategy": T,
    },
    # ImportTicks reads the server's own disk: admin. An upload only adds market data the caller sends: trader.
    "vigil.v1.DataService": {"ImportTicks": A, "UploadTicks": T, "ListDataCoverage": V},
    # Backtests trade no account, but they take the server's cores: starting and cancelling is a trader's.
    "vigil.v1.BacktestService": {
        "StartBacktest": T, "StreamBacktestProgress": V, "CancelBacktest": T, "ListBacktests": V,
        "GetBacktestResult": V, "ListBacktestTrades": V, "GetBacktestReport": V, "StartSweep": T, "GetSweep": V,
    },
}  # fmt: skip

METHOD_ROLES: dict[str, Role] = {
    f"/{service}/{method}": role for service, methods in _SERVICES.items() for method, role in methods.items()
}

RATE_LIMITED: frozenset[str] = frozenset(
    f"/vigil.v1.ExecutionService/{m}"
    for m in ("SubmitOrder", "SubmitBracket", "SubmitBracketBatch", "SubmitOco", "ModifyOrder", "ReversePosition")
) | frozenset(f"/vigil.v1.AccountService/{m}" for m in ("SubmitBrokerOrder", "ModifyBrokerOrder"))


def is_open(method: str) -> bool:
    return method.startswith(OPEN_METHOD_PREFIXES)


def least_role(method: str) -> Role | None:
    """The least role that may call `method`; None: not in the table, refused for everyone."""
    return METHOD_ROLES.get(method)


@dataclass(frozen=True, slots=True)
class Call:
    """The authenticated caller of the RPC in progress, and the least role of that RPC."""

    caller: Caller
    least: Role


LOCAL_CALL = Call(Caller(LOCAL_ACTOR, Role.ADMIN), Role.VIEWER)
_CALL: ContextVar[Call] = ContextVar("vigil_call", default=LOCAL_CALL)


def enter(call: Call) -> None:
    """Set the call in progress; the interceptor does, first thing in each handler (every RPC runs in a task of
    its own, with its own copy of the context, so nothing leaks to another call)."""
    _CALL.set(call)


def current_caller() -> Caller:
    """The caller of the RPC in progress (outside an RPC, e.g. in tests driving desks: the local admin)."""
    return _CALL.get().caller


def actor() -> str:
    """The actor the audit trail records for the RPC in progress."""
    return _CALL.get().caller.actor


def check_account(account_id: str) -> None:
    """PermissionDenied when the RPC in progress changes an account (a trader RPC) its key is not granted."""
    call = _CALL.get()
    if call.least is Role.TRADER and not call.caller.may_change(account_id):
        raise PermissionDenied(f"account {account_id!r} is not granted to {call.caller.actor}")
