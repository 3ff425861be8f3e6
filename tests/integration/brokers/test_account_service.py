"""AccountService end to end against the fake Tradovate: bind, the live switch (nothing is sent while it is off),
orders through pre-trade risk to the broker, reconciliation that adopts a change made behind Vigil's back, the
broker emergency stop, the CLI, and credentials absent from every log line and answer."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from clients.cli.main import main
from clients.sdk import VigilClient
from clients.sdk.brokers import AccountMode, Broker
from clients.sdk.errors import FailedPreconditionError, InvalidArgumentError
from clients.sdk.risk import BreachMode, RiskRules, RiskState
from core_server.app import RunningServer, start
from core_server.feeds.fakes.tradovate_orders import DEFAULT_ACCOUNT, FakeTradovateBroker
from tests.kit.eventually import eventually
from tests.kit.server import server_config

D = Decimal


@pytest.fixture
async def broker_server(
    database_url: str, fake_tradovate: FakeTradovateBroker, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningServer]:
    for key, value in fake_tradovate.env().items():
        monkeypatch.setenv(key, value)
    running = await start(server_config(database_url))
    try:
        yield running
    finally:
        await running.stop()


async def vigil(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(main, list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def test_bound_account_sends_nothing_until_live_then_routes_reconciles_and_flattens(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    async with VigilClient(broker_server.address) as client:
        modes = {b.account_id: b for b in await client.list_account_modes()}
        assert modes["paper"].mode is AccountMode.PAPER
        bound = await client.bind_account("paper", Broker.TRADOVATE, DEFAULT_ACCOUNT, "demo")
        assert (bound.mode, bound.broker, bound.broker_account) == (
            AccountMode.BOUND,
            Broker.TRADOVATE,
            DEFAULT_ACCOUNT,
        )

        # Bound but not enabled: refused before anything reaches the broker.
        with pytest.raises(FailedPreconditionError, match="live routing is off"):
            await client.submit_broker_order("paper", "cid-0", "NQZ6", "buy", 1)
        with pytest.raises(FailedPreconditionError):
            await client.flatten_broker_account("paper")
        assert fake_tradovate.order_requests == 0 and fake_tradovate.book.orders == {}

        with pytest.raises(InvalidArgumentError, match="confirm"):
            await client.set_live_routing("paper", True)
        live = await client.set_live_routing("paper", True, confirm="paper")
        assert live.is_live and live.live_changed_by

        placed = await client.submit_broker_order("paper", "cid-1", "NQZ6", "buy", 1)
        assert placed.accepted and placed.order_id
        again = await client.submit_broker_order("paper", "cid-1", "NQZ6", "buy", 1)  # a retry: not placed twice
        assert again.order_id == placed.order_id
        assert fake_tradovate.book.placements == {"cid-1": 1}
        bracket = await client.submit_broker_order(
            "paper", "cid-2", "NQZ6", "sell", 1, "limit", limit_price="25010.00", take_profit="25000.00",
            stop_loss="25020.00",
        )  # fmt: skip
        assert bracket.accepted and len(bracket.leg_ids) == 2

        (state,) = [b for b in await client.list_brokers() if b.broker is Broker.TRADOVATE]
        assert (state.configured, state.state, state.account_ids) == (True, "connected", ("paper",))

        first = await client.reconcile("paper")
        assert [(p.symbol, p.net_qty) for p in first.positions] == [("NQZ6", 1)]
        assert first.differences == ()
        assert {o.order_id for o in first.open_orders} == {bracket.order_id, *bracket.leg_ids}

        # The trader adds two contracts on the broker's own platform: the broker wins, the difference is reported.
        fake_tradovate.book.adjust_position(25, "NQZ6", 3, D("25000.25"))
        second = await client.reconcile("paper")
        assert [(d.kind, d.symbol, d.vigil, d.broker) for d in second.differences] == [
            ("position", "NQZ2026", "1", "3")
        ]
        assert (await client.reconcile("paper")).differences == ()  # adopted, in the kernel too
        (adopted,) = await client.list_positions("paper")
        assert (adopted.contract_id, adopted.quantity) == ("NQZ2026", 3)

        # The emergency stop: the paper side stops, and every live account is flattened at its broker.
        await client.emergency_stop("test")
        await eventually(lambda: fake_tradovate.book.open_orders(25) == [])
        assert fake_tradovate.book.positions[(25, "NQZ6")].net == 0
        (report,) = await client.broker_emergency_stop()  # again: nothing left, and it says so
        assert report.account_id == "paper" and report.remaining == () and report.errors == ()

        async def kernel_flat() -> bool:
            return not [p for p in await client.list_positions("paper") if p.quantity]

        await eventually(kernel_flat)

        code, out, _ = await vigil("--target", broker_server.address, "accounts", "list")
        assert code == 0 and "LIVE" in out and DEFAULT_ACCOUNT in out
        code, out, _ = await vigil("--target", broker_server.address, "--json", "accounts", "reconcile", "paper")
        assert code == 0 and json.loads(out)["positions"] == []
        code, out, _ = await vigil("--target", broker_server.address, "accounts", "live", "off", "paper")
        assert code == 0 and "BOUND" in out
        code, _, err = await vigil("--target", broker_server.address, "accounts", "unbind", "paper")
        assert code == 0, err
        trail = await client.list_broker_audit("paper")
        kinds = [r.kind for r in reversed(trail)]
        assert kinds[:3] == ["bound", "live_on", "order_sent"] and kinds[-2:] == ["live_off", "unbound"]
        assert "reconcile_difference" in kinds and "flattened" in kinds
        difference = next(r for r in trail if r.kind == "reconcile_difference")
        assert difference.detail == {"kind": "position", "symbol": "NQZ2026", "vigil": "1", "broker": "3"}
        assert all(r.actor for r in trail)
        code, out, _ = await vigil("--target", broker_server.address, "accounts", "audit", "paper")
        assert code == 0 and "reconcile_difference" in out
        assert (await client.list_account_modes())[0].mode is AccountMode.PAPER

    captured = capsys.readouterr()
    secrets = fake_tradovate.auth.credentials
    for secret in (secrets.password, secrets.sec, "fake-access-"):
        assert secret not in captured.out and secret not in captured.err


async def test_a_risk_denial_never_reaches_the_broker(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        await client.bind_account("paper", "tradovate", DEFAULT_ACCOUNT)
        await client.set_live_routing("paper", True, confirm="paper")
        await client.emergency_stop("test: no new risk")
        denied = await client.submit_broker_order("paper", "cid-9", "NQZ6", "buy", 1)
        assert not denied.accepted and denied.reason.startswith("risk: emergency stop")
        assert fake_tradovate.order_requests == 0


async def test_broker_fills_enter_the_kernel_like_paper_fills_and_a_loss_breaches_risk(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        await client.set_rules("paper", rules=RiskRules(daily_loss_limit=D(2000), daily_loss_breach=BreachMode.SOFT))
        await client.bind_account("paper", "tradovate", DEFAULT_ACCOUNT)
        await client.set_live_routing("paper", True, confirm="paper")
        bid = (await eventually(lambda: client.get_quote("NQ"))).quote.bid  # the broker trades where Vigil marks
        fake_tradovate.set_market("NQZ6", bid, bid + D("0.25"))
        assert (await client.submit_broker_order("paper", "b-1", "NQZ6", "buy", 1)).accepted
        positions = await eventually(lambda: client.list_positions("paper"))
        assert [(p.contract_id, p.quantity, p.average_price) for p in positions] == [("NQZ2026", 1, bid + D("0.25"))]

        fake_tradovate.set_market("NQZ6", bid - 110, bid - D("109.75"))
        assert (await client.submit_broker_order("paper", "b-2", "NQZ6", "sell", 1)).accepted

        async def both_booked() -> bool:
            return len(await client.list_fills("paper")) == 2

        await eventually(both_booked)
        fills = await client.list_fills("paper")
        assert sorted(f.price for f in fills) == [bid - 110, bid + D("0.25")]
        account = await client.get_account("paper")
        assert account.realized_pnl == D("-2205.00")  # 110.25 points x $20, the broker's prices to the cent

        async def breached() -> bool:
            (status,) = await client.get_risk_status("paper")
            return status.state is RiskState.LOCKED

        await eventually(breached)
        denied = await client.submit_broker_order("paper", "b-3", "NQZ6", "buy", 1)
        assert not denied.accepted and denied.reason.startswith("risk:")
        assert fake_tradovate.book.placements == {"b-1": 1, "b-2": 1}


async def test_after_a_dropped_socket_the_reconnect_reconciles_what_changed_meanwhile(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        await client.bind_account("paper", "tradovate", DEFAULT_ACCOUNT)
        await client.set_live_routing("paper", True, confirm="paper")
        assert (await client.submit_broker_order("paper", "r-1", "NQZ6", "buy", 1)).accepted
        await eventually(lambda: client.list_positions("paper"))
        await fake_tradovate.drop_sockets()
        await eventually(lambda: fake_tradovate.sockets == [])
        fake_tradovate.book.adjust_position(25, "NQZ6", 2, D("25000.25"))  # while Vigil was not listening

        async def disconnected() -> bool:
            (now,) = [b for b in await client.list_brokers() if b.broker is Broker.TRADOVATE]
            return now.state == "disconnected"

        await eventually(disconnected)
        # The next call reconnects, and the reconnect reconciles first: the broker's 2 lots are adopted.
        result = await client.reconcile("paper")
        assert result.differences == () and [(p.symbol, p.net_qty) for p in result.positions] == [("NQZ6", 2)]
        (position,) = await client.list_positions("paper")
        assert position.quantity == 2
        address = broker_server.address
        code, out, _ = await vigil(
            "--target", address, "accounts", "order", "paper", "sell", "2", "NQZ6", "--id", "r-2"
        )
        assert code == 0 and out.startswith("accepted: order")
        code, out, _ = await vigil("--target", address, "accounts", "order", "paper", "sell", "1", "NQZ6", "--type",
                                   "limit", "--limit", "25000.10")  # fmt: skip
        assert code == 5 and "not a multiple of the NQ tick" in out  # refused before the broker
        (state,) = [b for b in await client.list_brokers() if b.broker is Broker.TRADOVATE]
        assert state.state == "connected"


async def test_a_daily_loss_breach_on_a_live_account_is_flattened_at_the_broker(
    broker_server: RunningServer, fake_tradovate: FakeTradovateBroker
) -> None:
    async with VigilClient(broker_server.address) as client:
        await client.set_rules("paper", rules=RiskRules(daily_loss_limit=D(150), daily_loss_breach=BreachMode.SOFT))
        await client.bind_account("paper", "tradovate", DEFAULT_ACCOUNT)
        await client.set_live_routing("paper", True, confirm="paper")
        snapshot = await eventually(lambda: client.get_quote("NQ"))
        bid = snapshot.quote.bid
        # The broker fills 50 points above where the kernel marks NQ: $1,000 open loss on one contract.
        fake_tradovate.set_market("NQZ6", bid + 50, bid + D("50.25"))
        assert (await client.submit_broker_order("paper", "l-1", "NQZ6", "buy", 1)).accepted

        async def closed_at_broker() -> bool:
            position = fake_tradovate.book.positions.get((25, "NQZ6"))
            return position is not None and position.bought == 1 and position.net == 0

        await eventually(closed_at_broker)  # risk's flatten was carried out by the broker's liquidation

        async def kernel_flat() -> bool:
            fills = await client.list_fills("paper")
            return len(fills) == 2 and not [p for p in await client.list_positions("paper") if p.quantity]

        await eventually(kernel_flat)
        (status,) = await client.get_risk_status("paper")
        assert status.state is RiskState.LOCKED
