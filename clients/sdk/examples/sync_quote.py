"""Example: a blocking script that prints the latest quote and last trade of a symbol.

python -m clients.sdk.examples.sync_quote [SYMBOL] [--target 127.0.0.1:50051]
"""

from __future__ import annotations

import argparse
import logging

import structlog

from clients.sdk import VigilError, VigilSyncClient


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("symbol", nargs="?", default="NQ")
    parser.add_argument("--target", default=None, help="server address (default: VIGIL_TARGET, else 127.0.0.1:50051)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with VigilSyncClient(args.target) as client:
        try:
            snapshot = client.get_quote(args.symbol)
        except VigilError as error:
            raise SystemExit(f"vigil: {error.code}: {error}") from None
        quote = snapshot.quote
        print(f"{quote.contract_id} at {quote.time:%Y-%m-%d %H:%M:%S} UTC")
        print(f"  bid {quote.bid} x {quote.bid_size}   ask {quote.ask} x {quote.ask_size}   spread {quote.spread}")
        if snapshot.last_trade is not None:
            trade = snapshot.last_trade
            print(f"  last {trade.price} x {trade.size} ({trade.aggressor.value})   day volume {snapshot.day_volume}")


if __name__ == "__main__":
    run()
