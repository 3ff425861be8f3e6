"""CommissionService end to end (issue 13 §5): the server's per-root schedule, an account's own rates over gRPC
(SDK async and sync, CLI), stored and restored, and charged on the next fill: fills, balance and the trade's
net P&L to the cent."""

from __future__ import annotations

import asyncio
import io
import json
from decimal import Decimal

import pytest

from clients.cli import exit_codes
from clients.cli.main import main
from clients.sdk import InvalidArgumentError, NotFoundError, TrackedTrade, VigilClient, VigilSyncClient, market
from core_server.app import start
from core_server.config import PaperConfig
from tests.kit.eventually import eventually
from tests.kit.server import server_config

D = Decimal


async def vigil(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(main, list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def test_the_default_schedule_an_env_override_and_an_accounts_own_rate_survive_a_restart(
    database_url: str,
) -> None:
    config = server_config(database_url, paper=PaperConfig(commissions=(("ES", D("2.25")),)))
    first = await start(config)
    try:
        async with VigilClient(first.address) as client:
            rates = {r.root: r for r in await client.get_commission_rates("paper")}
            assert (rates["ES"].rate, rates["NQ"].rate, rates["MES"].rate) == (D("2.25"), D("2.88"), D("0.72"))
            assert not any(r.overridden for r in rates.values())
            changed = await client.set_commission_rates("paper", {"NQ": "3.1", "MNQ": D("0.5")})
            after = {r.root: r for r in changed}
            assert (after["NQ"].rate, after["NQ"].server_rate, after["NQ"].overridden) == (D("3.1"), D("2.88"), True)
            assert after["MNQ"].rate == D("0.5") and not after["ES"].overridden
    finally:
        await first.stop()
    second = await start(config)
    try:
        async with VigilClient(second.address) as client:
            rates = {r.root: r for r in await client.get_commission_rates("paper")}
            assert (rates["NQ"].rate, rates["MNQ"].rate, rates["ES"].rate) == (D("3.1"), D("0.5"), D("2.25"))
            reset = {r.root: r for r in await client.set_commission_rates("paper", reset=["NQ"])}
            assert (reset["NQ"].rate, reset["NQ"].overridden, reset["MNQ"].overridden) == (D("2.88"), False, True)
            cleared = await client.set_commission_rates("paper", reset_all=True)
            assert not any(r.overridden for r in cleared)
    finally:
        await second.stop()


async def test_a_round_trip_pays_the_accounts_own_rate_in_fills_balance_and_trade(vigil_server: str) -> None:
    async with VigilClient(vigil_server) as client:
        account = (await client.create_account("fees", D("50000"))).account_id
        await client.set_commission_rates(account, {"MNQ": "0.62"})
        await client.submit_order(account, market("MNQ", "buy", 3))

        async def long_three() -> bool:
            return [p.quantity for p in await client.list_positions(account)] == [3]

        await eventually(long_three)
        await client.close_position(account, "MNQ")

        async def two_fills() -> bool:
            return len(await client.list_fills(account)) == 2

        await eventually(two_fills)
        fills = await client.list_fills(account)
        assert [f.commission for f in fills] == [D("1.86"), D("1.86")]  # 3 contracts x $0.62, each side
        state = await client.get_account(account)
        assert state.commissions == D("3.72")
        assert state.balance == D("50000") + state.realized_pnl - D("3.72")

        async def closed_trade() -> list[TrackedTrade]:
            return [t for t in await client.list_trades(closed_only=True) if t.account_id == account]

        trades = await eventually(closed_trade)
        trade = trades[0]
        assert trade.commissions == D("3.72")
        assert trade.net_pnl == trade.gross_pnl - D("3.72")
        assert trade.gross_pnl == state.realized_pnl


async def test_bad_requests_name_the_field_and_change_nothing(vigil_server: str) -> None:
    async with VigilClient(vigil_server) as client:
        for rates, field in (
            ({"CL": "1"}, "rates[0].root"),
            ({"ES": "-1"}, "rates[0].rate"),
            ({"ES": "0.00001"}, "rates[0].rate"),
            ({"ES": "abc"}, "rates[0].rate"),
            ({"ES": ""}, "rates[0].rate"),
        ):
            with pytest.raises(InvalidArgumentError) as caught:
                await client.set_commission_rates("paper", rates)
            assert caught.value.field == field
        with pytest.raises(InvalidArgumentError) as caught:
            await client.set_commission_rates("paper", {"ES": "1"}, reset=["ES"])
        assert caught.value.field == "reset_roots"
        with pytest.raises(InvalidArgumentError) as caught:
            await client.set_commission_rates("paper")
        assert caught.value.field == "rates"
        with pytest.raises(NotFoundError):
            await client.get_commission_rates("nobody")
        assert not any(r.overridden for r in await client.get_commission_rates("paper"))


async def test_the_sync_client_and_the_cli_show_and_set_rates(vigil_server: str) -> None:
    def sync_calls() -> Decimal:
        with VigilSyncClient(vigil_server) as client:
            client.set_commission_rates("paper", {"YM": "1.75"})
            return next(r.rate for r in client.get_commission_rates("paper") if r.root == "YM")

    assert await asyncio.to_thread(sync_calls) == D("1.75")
    code, out, _ = await vigil("--target", vigil_server, "commissions", "set", "paper", "es=2.25", "--reset", "YM")
    assert code == exit_codes.OK
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    assert lines["ES"][1:] == ["$2.25", "$2.88", "account"] and lines["YM"][1:] == ["$2.88", "$2.88", "server"]
    code, out, _ = await vigil("--target", vigil_server, "--json", "commissions", "show", "paper")
    shown = {r["root"]: r for r in json.loads(out)}
    assert code == exit_codes.OK and shown["ES"]["rate"] == "2.25" and shown["MES"]["rate"] == "0.72"
    code, _, err = await vigil("--target", vigil_server, "commissions", "set", "paper", "ES")
    assert code == exit_codes.INVALID_ARGUMENT and "ROOT=DOLLARS" in err
