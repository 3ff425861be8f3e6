"""The rule engine through the bare kernel: entries and exits on candle closes, limits, lifecycle, versions,
emergency stop, and state carried over to a new host (a restart)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.execution.model import OrderSide
from core_server.model.errors import FailedPrecondition
from core_server.model.instruments import Contract
from core_server.model.market_data import Tick
from core_server.strategies.events import Status, StrategyVersion
from core_server.strategies.host import StrategyHost
from core_server.strategies.parse import parse_text
from tests.kit.feeds import trade
from tests.kit.strategies import CALENDAR, StrategyRig
from tests.kit.time import et

ES = Contract("ES", 2026, 12)
RULE = """
name = "rise"
account = "acc-1"
instrument = "ES"
enabled = true
[limits]
max_trades_per_day = 1
[rules]
timeframe = "1m"
window = { sessions = ["NY AM"] }
flat_by = "11:00"
stop = { ticks = 4 }
target = { r = 2 }
[[rules.entry]]
side = "buy"
when = { all = [
  { left = { field = "close" }, op = ">", right = { field = "close", lookback = 1 } },
  { left = { field = "close", lookback = 1 }, op = ">", right = { field = "close", lookback = 2 } },
] }
[rules.exit]
any = [ { left = { field = "close" }, op = "<", right = { field = "close", lookback = 1 } } ]
"""
T0 = et(2026, 11, 18, 9, 55)


def tk(minute: int, second: int, price: str, hour: int = 10) -> Tick:
    return trade(ES, et(2026, 11, 18, hour, minute, second), price)


def rising(rig: StrategyRig) -> None:
    """1m closes 6000, 6001, 6002; the 10:03:30 tick closes the 10:02 candle: two rising closes."""
    rig.ticks(tk(0, 30, "6000.00"), tk(1, 30, "6001.00"), tk(2, 30, "6002.00"), tk(3, 30, "6003.00"))


def test_entry_exit_and_the_daily_trade_limit() -> None:
    rig = StrategyRig([ES], t0=T0)
    rig.load(RULE, T0)
    rising(rig)
    assert [(e.kind, e.message) for e in rig.events()][-1] == ("entry", "rules.entry[0] held: buy 1 market")
    # The market entry fills at the last trade the engine knows when the strategy stage runs (6002.00).
    rig.ticks(tk(3, 40, "6003.25"), tk(4, 30, "6002.50"))  # 10:03 closes 6003.25: still rising, no exit
    assert rig.host.get("rise").position == 1
    rig.ticks(tk(5, 30, "6002.25"))  # 10:04 closed 6002.50 < 6003.25: exit at market (6002.50)
    assert [(f.fill.side, f.fill.price) for f in rig.fills()] == [(OrderSide.BUY, 24008), (OrderSide.SELL, 24010)]
    record = rig.records()[-1]
    assert (record.position, record.realised, record.trades_today) == (0, Decimal("20.00"), 1)  # 2 ticks - $5
    # Rising again: the entry holds, but one trade a day is the limit.
    rig.ticks(tk(6, 30, "6003.00"), tk(7, 30, "6004.00"), tk(8, 30, "6005.00"))
    assert (rig.events()[-1].kind, rig.events()[-1].message) == (
        "skipped",
        "rules.entry[0] (buy) held; max trades per day reached",
    )
    assert len(rig.fills()) == 2


def test_outside_the_window_entries_are_skipped() -> None:
    rig = StrategyRig([ES], t0=et(2026, 11, 18, 12, 55))
    rig.load(RULE, et(2026, 11, 18, 12, 55))
    rig.ticks(tk(0, 30, "6000.00", 13), tk(1, 30, "6001.00", 13), tk(2, 30, "6002.00", 13), tk(3, 30, "6003.00", 13))
    assert rig.events()[-1].message == "rules.entry[0] (buy) held outside the time window"
    assert rig.fills() == []


def test_flat_by_closes_the_position() -> None:
    rig = StrategyRig([ES], t0=T0)
    rig.load(RULE.split("[rules.exit]")[0], T0)  # no exit condition: only the bracket and flat-by
    rising(rig)
    rig.ticks(tk(50, 0, "6003.00"))
    assert rig.host.get("rise").position == 1
    rig.advance(et(2026, 11, 18, 11, 0))
    assert rig.events()[-1].kind == "flat_by"
    assert rig.host.get("rise").position == 0
    assert rig.kernel.execution.position(rig.host.get("rise").account_id, ES.id).net_qty == 0
    assert rig.kernel.execution.open_orders(rig.host.get("rise").account_id) == ()


def test_emergency_stop_and_deactivate() -> None:
    rig = StrategyRig([ES], t0=T0)
    rig.load(RULE, T0)
    rising(rig)
    account = rig.host.get("rise").account_id
    assert len(rig.kernel.execution.open_orders(account)) == 2  # the bracket's stop and target
    rig.command("emergency_stop", "rise", et(2026, 11, 18, 10, 3, 45))
    assert rig.host.get("rise").status is Status.STOPPED
    assert rig.kernel.execution.position(account, ES.id).net_qty == 0
    assert rig.kernel.execution.open_orders(account) == ()
    assert rig.events()[-1].kind == "emergency_stop"
    rig.command("activate", "rise", et(2026, 11, 18, 10, 4))
    rig.command("deactivate", "rise", et(2026, 11, 18, 10, 4))
    assert [e.kind for e in rig.events()][-2:] == ["activated", "deactivated"]


def test_versions_are_immutable_and_recorded_on_orders() -> None:
    rig = StrategyRig([ES], t0=T0)
    rig.load(RULE, T0)
    rt, changed = rig.host.load(parse_text(RULE), RULE, "toml", T0)
    assert not changed and rt.version == 1
    text2 = RULE.replace("max_trades_per_day = 1", "max_trades_per_day = 2")
    rig.load(text2, T0)
    versions = [e for out in rig.outputs for e in out.strategies if isinstance(e, StrategyVersion)]
    assert [(v.version, v.source) for v in versions] == [(1, RULE), (2, text2)]
    rising(rig)
    assert {e.order.tag for e in rig.accepted()} == {"strategy:rise@2"}


def test_activation_is_refused_while_an_error_stands() -> None:
    rig = StrategyRig([ES], t0=T0)
    bad = RULE.replace("enabled = true", "enabled = false").replace('sessions = ["NY AM"]', 'sessions = ["Tokyo"]')
    rig.load(bad, T0)
    with pytest.raises(FailedPrecondition, match=r"rules.window.sessions\[0\]: unknown session 'Tokyo'"):
        rig.host.activate("rise", T0)
    assert rig.host.get("rise").status is Status.INACTIVE


def test_state_continues_on_a_new_host() -> None:
    """What the journal stores (the version's text and the latest record) is enough to continue after a restart."""
    rig = StrategyRig([ES], t0=T0)
    rig.load(RULE, T0)
    rising(rig)
    record = rig.records()[-1]
    assert record.position == 1
    host = StrategyHost(CALENDAR, [ES])
    host.bind(rig.kernel.execution, rig.kernel.market)
    rt = host.restore_strategy(parse_text(RULE), record.version, RULE, "toml", record)
    host.start_restored(et(2026, 11, 18, 10, 3, 50))
    assert (rt.status, rt.position, rt.trades_today) == (Status.ACTIVE, 1, 1)
    assert host.next_timer_ns() == et(2026, 11, 18, 11, 0)  # flat-by scheduled again
    assert len(host.own_orders(rt)) == 2  # its bracket legs, found again by tag


def test_snapshot_and_restore_undo_a_command() -> None:
    rig = StrategyRig([ES], t0=T0)
    rig.load(RULE, T0)
    point = rig.host.snapshot()
    rig.host.deactivate("rise", T0)
    rig.host.restore(point)
    assert rig.host.get("rise").status is Status.ACTIVE
    assert rig.host.next_timer_ns() == et(2026, 11, 18, 11, 0)


def test_the_emergency_stop_of_every_account_stops_every_strategy() -> None:
    rig = StrategyRig([ES], t0=T0)
    rig.load(RULE, T0)
    rising(rig)
    assert rig.host.get("rise").position == 1
    rig.kernel.emergency_stop("operator", et(2026, 11, 18, 10, 4))
    rig.ticks(tk(4, 30, "6002.00"))
    rt = rig.host.get("rise")
    assert rt.status is Status.STOPPED and rt.position == 0
    assert (rig.events()[-1].kind, rig.events()[-1].message) == (
        "emergency_stop",
        "emergency stop of every account: operator",
    )
    assert rig.host.next_timer_ns() > et(2026, 11, 19)  # nothing scheduled: it no longer runs


def test_a_new_version_carries_the_position_and_the_old_exits_fills_count() -> None:
    rig = StrategyRig([ES], t0=T0)
    rig.load(RULE, T0)
    rising(rig)  # v1 bought 1 at 6002.00: stop 6001.00, target 6004.00 working
    rig.load(RULE.replace("max_trades_per_day = 1", "max_trades_per_day = 3"), et(2026, 11, 18, 10, 3, 40))
    rt = rig.host.get("rise")
    assert (rt.version, rt.position, rt.status) == (2, 1, Status.ACTIVE)
    assert len(rig.host.own_orders(rt)) == 2  # v1's exits, still working (only unfilled entries are cancelled)
    rig.ticks(tk(3, 50, "6004.25"))  # v1's target fills
    record = rig.records()[-1]
    assert (record.version, record.position, record.realised) == (2, 0, Decimal("95.00"))  # 8 ticks - $5
