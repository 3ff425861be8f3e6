"""`vigil health`, `vigil quote SYMBOL`, `vigil feed`, `vigil instruments`: the server and its market data at a
glance."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.models import ServingStatus


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    health = commands.add_parser("health", help="is the server serving?")
    health.set_defaults(run=_health)
    quote = commands.add_parser("quote", help="the latest quote and trade of a symbol (NQ, MNQZ2026, ...)")
    quote.add_argument("symbol")
    quote.set_defaults(run=_quote)
    feed = commands.add_parser("feed", help="the market-data feed's state and counters")
    feed.set_defaults(run=_feed)
    instruments = commands.add_parser(
        "instruments", help="every product: its front month, whether it streams, and when the next month leads"
    )
    instruments.set_defaults(run=_instruments)


def _health(ctx: Context) -> int:
    status = ctx.client.health()
    ctx.print(status.value)
    return exit_codes.OK if status is ServingStatus.SERVING else exit_codes.UNAVAILABLE


def _quote(ctx: Context) -> int:
    snapshot = ctx.client.get_quote(ctx.args.symbol)
    if ctx.as_json:
        ctx.print_json(asdict(snapshot))
        return exit_codes.OK
    quote = snapshot.quote
    ctx.print(f"{quote.contract_id}  bid {quote.bid}  ask {quote.ask}")
    if snapshot.last_trade is not None:
        ctx.print(f"last {snapshot.last_trade.price} x {snapshot.last_trade.size}  day volume {snapshot.day_volume}")
    return exit_codes.OK


def _feed(ctx: Context) -> int:
    report = ctx.client.get_feed_status()
    ctx.print_json(asdict(report))
    return exit_codes.OK


CHICAGO = ZoneInfo("America/Chicago")


def _instruments(ctx: Context) -> int:
    listed = ctx.client.list_instruments()
    if ctx.as_json:
        ctx.print_json([asdict(instrument) for instrument in listed])
        return exit_codes.OK
    for instrument in listed:
        front = instrument.front_contract
        state = "streaming" if instrument.streaming else "not streamed"
        ctx.print(
            f"{instrument.root:<4} {front.contract_id:<9} {state:<13}the next month leads from "
            f"{_chicago(front.roll_ns)} (expires {_chicago(front.expiry_ns)})"
        )
    return exit_codes.OK


def _chicago(ts_ns: int) -> str:
    moment = datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).astimezone(CHICAGO)
    return moment.strftime("%a %Y-%m-%d %H:%M CT")
