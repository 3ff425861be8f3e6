"""A strategy's R on the wire, through the SDK, the CLI's table and the TUI's Strategies rows (the same values)."""

from __future__ import annotations

from decimal import Decimal

from clients.cli.strategies import HEADERS, VERSION_HEADERS, _row
from clients.sdk import StrategyVersionPnl
from clients.sdk.convert_strategies import strategy_from_pb
from tui.screens.strategies import COLUMNS, strategy_row, version_r_text
from vigil.v1 import strategies_pb2 as pb


def wire() -> pb.Strategy:
    return pb.Strategy(
        strategy_id="s", version=2, kind="rules", status=pb.STRATEGY_STATUS_ACTIVE, account_id="paper",
        contract_id="ESZ2026", position=-1, realised="860.00", realised_today="860.00", unrealised="-62.50",
        realised_r="2.0000", realised_r_today="2.0000", unrealised_r="-0.5000", trades_today=2, trades=2,
        version_pnl=[
            pb.StrategyVersionPnl(version=1, realised_r="2.0000", realised_r_today="2.0000", trades=1, r_trades=1),
            pb.StrategyVersionPnl(version=2, realised_r="0.0000", realised_r_today="0.0000", unrealised_r="-0.5000",
                                  open_qty=1, trades=2, r_trades=1),
        ],
    )  # fmt: skip


def test_the_sdk_reads_r_per_strategy_and_version() -> None:
    s = strategy_from_pb(wire())
    assert (s.realised_r, s.realised_r_today, s.unrealised_r) == (Decimal(2), Decimal(2), Decimal("-0.5"))
    assert s.version_pnl == (
        StrategyVersionPnl(1, Decimal(2), Decimal(2), None, 0, 1, 1),  # flat: no open R
        StrategyVersionPnl(2, Decimal(0), Decimal(0), Decimal("-0.5"), 1, 2, 1),
    )
    flat = strategy_from_pb(pb.Strategy(strategy_id="f"))
    assert (flat.realised_r, flat.unrealised_r, flat.version_pnl) == (Decimal(0), None, ())


def test_the_cli_and_tui_show_r_columns() -> None:
    s = strategy_from_pb(wire())
    cli = dict(zip(HEADERS, _row(s), strict=True))
    assert (cli["TODAY R"], cli["OPEN R"], cli["TOTAL R"], cli["OPEN $"]) == (
        Decimal("2.0000"), Decimal("-0.5000"), Decimal("2.0000"), Decimal("-62.50"),
    )  # fmt: skip
    assert VERSION_HEADERS[:4] == ("VER", "TOTAL R", "TODAY R", "OPEN R")
    tui = dict(zip(COLUMNS, strategy_row(s), strict=True))
    assert (tui["today R"], tui["open R"], tui["total R"]) == ("2.0000", "-0.5000", "2.0000")
    assert version_r_text(s).splitlines() == [
        "v1: 2.0000R total, 2.0000R today, open — (0 open; 1 trades, 1 with R)",
        "v2: 0.0000R total, 0.0000R today, open -0.5000R (1 open; 2 trades, 1 with R)",
    ]
    no_stop = strategy_from_pb(pb.Strategy(strategy_id="n", position=1, unrealised="125.00"))
    assert dict(zip(HEADERS, _row(no_stop), strict=True))["OPEN R"] == ""  # no stop: no R, dollars still shown
