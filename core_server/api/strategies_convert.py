"""Wire forms of strategies, their versions, findings and events."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

from core_server.api import enums
from core_server.excursions.r_multiples import display_r
from core_server.live.strategy_desk import StrategyView
from core_server.strategies.checks import Finding
from core_server.strategies.events import LoggedEvent, StrategyVersion, VersionPnl, VersionResult
from vigil.v1 import strategies_pb2 as pb

_STATUS = enums.STRATEGY_STATUS.to_proto
R_PLACES = 4


def finding_to_proto(f: Finding) -> pb.Finding:
    return pb.Finding(severity=f.severity, path=f.path, message=f.message)


def strategy_to_proto(view: StrategyView) -> pb.Strategy:
    r = view.record
    return pb.Strategy(
        strategy_id=r.strategy_id,
        version=r.version,
        kind=view.definition.kind.value,
        status=_STATUS[r.status],
        account_id=r.account_id,
        contract_id=r.contract_id,
        description=view.definition.description,
        position=r.position,
        realised=str(r.realised),
        realised_today=str(r.realised_today),
        unrealised="" if view.unrealised is None else str(view.unrealised),
        trades_today=r.trades_today,
        trades=r.trades,
        errors=r.errors,
        last_error=r.last_error,
        updated_ns=r.updated_ns,
        findings=[finding_to_proto(f) for f in view.findings],
        state_json=json.dumps(dict(r.state), sort_keys=True),
        realised_r=r_text(r.realised_r),
        realised_r_today=r_text(r.realised_r_today),
        unrealised_r=r_text(r.unrealised_r),
        version_pnl=[version_pnl_to_proto(v) for v in r.versions],
    )


def r_text(r: Fraction | None) -> str:
    """R on the wire: to 4 places (half away from zero); "" for none."""
    return "" if r is None else str(display_r(r, R_PLACES))


def version_pnl_to_proto(v: VersionPnl) -> pb.StrategyVersionPnl:
    return pb.StrategyVersionPnl(
        version=v.version, realised_r=r_text(v.realised_r), realised_r_today=r_text(v.realised_r_today),
        unrealised_r=r_text(v.unrealised_r), open_qty=v.open_qty, trades=v.trades, r_trades=v.r_trades,
    )  # fmt: skip


def result_to_proto(r: VersionResult) -> pb.VersionResult:
    r_text = str((Decimal(r.r.numerator) / Decimal(r.r.denominator)).quantize(Decimal("0.0001")))
    return pb.VersionResult(version=r.version, trades=r.trades, wins=r.wins, net=str(r.net), r=r_text,
                            r_trades=r.r_trades)  # fmt: skip


def version_to_proto(v: StrategyVersion) -> pb.StrategyVersion:
    return pb.StrategyVersion(version=v.version, source=v.source, format=v.fmt, created_ns=v.created_ns)


def event_to_proto(logged: LoggedEvent) -> pb.StrategyEvent:
    e = logged.event
    return pb.StrategyEvent(
        seq=logged.seq, strategy_id=e.strategy_id, version=e.version, ts_ns=e.ts_ns, kind=e.kind, message=e.message
    )
