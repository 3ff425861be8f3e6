"""`vigil signals` against a real server with a paper account: exits, cancels and entries with alert legs, the
Signal Lab listing and one signal's record (the market is held still: tests/kit/held_market.py)."""

from __future__ import annotations

import json

from clients.cli import exit_codes
from clients.sdk import OrderSide, VigilClient, market
from core_server.app import RunningServer
from tests.integration.cli.test_cli_market import vigil
from tests.kit.held_market import ACCOUNT, NQ, client, held_clock, server

__all__ = ["client", "held_clock", "server"]  # fixtures

FIRED = "2026-11-19T15:30:50Z"


async def test_send_exit_cancel_and_an_entry_with_legs_then_list_and_show(
    server: RunningServer, client: VigilClient
) -> None:
    target = ("--target", server.address)
    await client.submit_order(ACCOUNT, market(NQ, OrderSide.BUY, 2))

    code, out, err = await vigil(
        *target, "signals", "send", "NQ1!", "exit", "--quantity", "1", "--strategy", "Signal Lab NQ", "--time", FIRED
    )
    assert code == exit_codes.OK, err
    assert "status   executed" in out and f"outcome  reduced long 2 {NQ} by 1 on account {ACCOUNT} at market" in out
    assert sum(p.quantity for p in await client.list_positions(ACCOUNT)) == 1

    code, out, _ = await vigil(*target, "--json", "signals", "send", "CME_MINI_DL:NQ1!", "cancel", "--time", FIRED)
    sent = json.loads(out)
    assert (code, sent["action"], sent["status"], sent["contract_id"]) == (exit_codes.OK, "cancel", "no_op", NQ)

    code, out, err = await vigil(
        *target, "--json", "signals", "send", "NQ1!", "buy", "--price", "25340.00", "--time", FIRED,
        "--stop-loss", "amount=20", "--stop-type", "trailing_stop", "--take-profit", "percent=0.5",
    )  # fmt: skip
    assert code == exit_codes.OK, err
    entry = json.loads(out)
    assert entry["status"] == "pending"
    legs = (await client.get_signal(entry["signal_id"])).input
    assert (str(legs.stop_loss.value), legs.stop_loss.order_type.value) == ("20", "trailing_stop")  # type: ignore[union-attr]
    assert (legs.take_profit.kind.value, str(legs.take_profit.value)) == ("percent", "0.5")  # type: ignore[union-attr]

    code, out, _ = await vigil(*target, "signals", "list", "--status", "executed")
    assert code == exit_codes.OK
    assert out.splitlines()[0].split() == ["ID", "CONTRACT", "ACTION", "DIR", "STATUS", "STRATEGY", "OUTCOME"]
    assert len(out.splitlines()) == 2 and "Signal Lab NQ" in out

    code, out, _ = await vigil(*target, "signals", "show", entry["signal_id"])
    assert code == exit_codes.OK and "staleness_price" in out

    code, _, err = await vigil(*target, "signals", "send", "NQ1!", "buy", "--price", "25340", "--stop-loss", "abc")
    assert code == exit_codes.INVALID_ARGUMENT and "stop_loss" in err
