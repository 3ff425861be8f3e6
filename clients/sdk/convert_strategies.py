"""Wire <-> model conversion for StrategyService."""

from __future__ import annotations

from decimal import Decimal

from clients.sdk import enums
from clients.sdk.strategies import (
    StrategyDetail,
    StrategyEventInfo,
    StrategyFinding,
    StrategyInfo,
    StrategyStatus,
    StrategyUpdate,
    StrategyVersionInfo,
    StrategyVersionPnl,
    VersionResult,
)
from vigil.v1 import strategies_pb2 as pb

_STATUS = enums.STRATEGY_STATUS.from_proto


def finding_from_pb(f: pb.Finding) -> StrategyFinding:
    return StrategyFinding(f.severity, f.path, f.message)


def strategy_from_pb(s: pb.Strategy) -> StrategyInfo:
    return StrategyInfo(
        strategy_id=s.strategy_id,
        version=s.version,
        kind=s.kind,
        status=_STATUS.get(s.status, StrategyStatus.UNSPECIFIED),
        account_id=s.account_id,
        contract_id=s.contract_id,
        description=s.description,
        position=s.position,
        realised=Decimal(s.realised or "0"),
        realised_today=Decimal(s.realised_today or "0"),
        unrealised=Decimal(s.unrealised) if s.unrealised else None,
        trades_today=s.trades_today,
        trades=s.trades,
        errors=s.errors,
        last_error=s.last_error,
        updated_ns=s.updated_ns,
        findings=tuple(finding_from_pb(f) for f in s.findings),
        state_json=s.state_json,
        realised_r=Decimal(s.realised_r or "0"),
        realised_r_today=Decimal(s.realised_r_today or "0"),
        unrealised_r=Decimal(s.unrealised_r) if s.unrealised_r else None,
        version_pnl=tuple(version_pnl_from_pb(v) for v in s.version_pnl),
    )


def version_pnl_from_pb(v: pb.StrategyVersionPnl) -> StrategyVersionPnl:
    return StrategyVersionPnl(
        v.version, Decimal(v.realised_r or "0"), Decimal(v.realised_r_today or "0"),
        Decimal(v.unrealised_r) if v.unrealised_r else None, v.open_qty, v.trades, v.r_trades,
    )  # fmt: skip


def version_from_pb(v: pb.StrategyVersion) -> StrategyVersionInfo:
    return StrategyVersionInfo(v.version, v.source, v.format, v.created_ns)


def event_from_pb(e: pb.StrategyEvent) -> StrategyEventInfo:
    return StrategyEventInfo(e.seq, e.strategy_id, e.version, e.ts_ns, e.kind, e.message)


def update_from_pb(response: pb.StreamStrategyEventsResponse) -> StrategyUpdate:
    return StrategyUpdate(
        event_from_pb(response.event) if response.HasField("event") else None,
        strategy_from_pb(response.strategy) if response.HasField("strategy") else None,
    )


def result_from_pb(r: pb.VersionResult) -> VersionResult:
    return VersionResult(r.version, r.trades, r.wins, Decimal(r.net or "0"), Decimal(r.r or "0"), r.r_trades)


def detail_from_pb(response: pb.GetStrategyResponse) -> StrategyDetail:
    return StrategyDetail(
        strategy_from_pb(response.strategy),
        tuple(version_from_pb(v) for v in response.versions),
        tuple(event_from_pb(e) for e in response.events),
        tuple(result_from_pb(r) for r in response.results),
    )
