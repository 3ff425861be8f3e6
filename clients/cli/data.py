"""`vigil data [SYMBOL]`: what the tick store holds per contract and CME trade date, and the gaps in it."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from clients.cli import exit_codes
from clients.cli.context import Context
from clients.sdk.data import DataCoverageDay


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    data = commands.add_parser("data", help="stored tick coverage per contract and trade date, with the gaps")
    data.add_argument("symbol", nargs="?", default="", help="a root (ES: every ES contract) or a contract")
    data.add_argument("--from", dest="from_date", default="", help="first CME trade date, YYYY-MM-DD")
    data.add_argument("--to", dest="to_date", default="", help="last CME trade date (default: today's)")
    data.add_argument("--gap", type=int, default=0, help="a silence of at least this many seconds is a gap (60)")
    data.add_argument("--gaps", action="store_true", help="list every gap under its day")
    data.set_defaults(run=_data)


HEADERS = ("contract", "trade date", "ticks", "quotes", "trades", "anomalies", "first (UTC)", "last (UTC)", "gaps",
           "gap min")  # fmt: skip


def _time(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, UTC).strftime("%m-%d %H:%M:%S") if ts_ns else "-"


def _minutes(ns: int) -> str:
    return f"{ns / 60e9:.1f}"


def _data(ctx: Context) -> int:
    args = ctx.args
    days = ctx.client.list_data_coverage(args.symbol, args.from_date or None, args.to_date or None, args.gap)
    if ctx.as_json:
        ctx.print_json(
            [
                {
                    "contract_id": d.contract_id,
                    "trade_date": d.trade_date.isoformat(),
                    "ticks": d.ticks,
                    "quotes": d.quotes,
                    "trades": d.trades,
                    "anomalies": d.anomalies,
                    "first_ns": d.first_ns,
                    "last_ns": d.last_ns,
                    "gaps": [[g.start_ns, g.end_ns] for g in d.gaps],
                    "missing_ns": d.missing_ns,
                }
                for d in days
            ]
        )
        return exit_codes.OK
    if not days:
        ctx.print("no stored ticks in that range")
        return exit_codes.OK
    ctx.table(
        (
            "contract",
            "trade date",
            "ticks",
            "quotes",
            "trades",
            "anomalies",
            "first (UTC)",
            "last (UTC)",
            "gaps",
            "gap min",
        ),
        [_row(d) for d in days],
    )
    if args.gaps:
        for d in days:
            for g in d.gaps:
                ctx.print(
                    f"{d.contract_id} {d.trade_date}  gap {_time(g.start_ns)} -> {_time(g.end_ns)}  ({g.seconds} s)"
                )
    missing = [d for d in days if d.ticks == 0]
    with_gaps = [d for d in days if d.gaps]
    ctx.print(f"{len(days)} contract days, {len(missing)} without ticks, {len(with_gaps)} with gaps")
    return exit_codes.OK


def _row(d: DataCoverageDay) -> tuple[object, ...]:
    return (
        d.contract_id,
        d.trade_date.isoformat(),
        d.ticks,
        d.quotes,
        d.trades,
        d.anomalies,
        _time(d.first_ns),
        _time(d.last_ns),
        len(d.gaps),
        _minutes(d.missing_ns),
    )
