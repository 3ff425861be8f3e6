"""Example: the last five closed 1m NQ candles, then the front-month NQ quote stream until Ctrl-C.

python -m clients.sdk.examples.stream_quotes [--target 127.0.0.1:50051] [--count N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

import structlog

from clients.sdk import Timeframe, VigilClient, VigilError


async def main(target: str | None, count: int) -> None:
    async with VigilClient(target) as client:
        contract = await client.resolve_symbol("NQ")  # the front month right now
        print(f"front month: {contract.contract_id} (rolls {contract.roll:%Y-%m-%d %H:%M} UTC)")

        candles = await client.list_candles(contract.contract_id, Timeframe.M1, limit=5)
        for candle in candles[-5:]:
            print(
                f"{candle.time:%H:%M} O {candle.open} H {candle.high} L {candle.low} C {candle.close}"
                f" V {candle.volume}{'' if candle.complete else ' (incomplete)'}"
            )

        seen = 0
        stream = client.stream_quotes([contract.contract_id])
        async with contextlib.aclosing(stream):
            async for batch in stream:
                for quote in batch.quotes:
                    print(
                        f"{quote.time:%H:%M:%S.%f} {quote.contract_id} {quote.bid_size} x {quote.bid}"
                        f" / {quote.ask} x {quote.ask_size}"
                    )
                    seen += 1
                if count and seen >= count:
                    return


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default=None, help="server address (default: VIGIL_TARGET, else 127.0.0.1:50051)")
    parser.add_argument("--count", type=int, default=0, help="stop after this many quotes (0: never)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        asyncio.run(main(args.target, args.count))
    except KeyboardInterrupt:
        pass
    except VigilError as error:
        raise SystemExit(f"vigil: {error.code}: {error}") from None


if __name__ == "__main__":
    run()
