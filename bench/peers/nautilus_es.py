"""NautilusTrader's closest equivalent of bench.backtest, run with NautilusTrader's own Python (never imported by
Vigil): the same ES quotes and trades (read from the CSV the driver script writes), 1-minute bars aggregated from
quotes, and one strategy placing a market bracket (stop-loss and take-profit 20 ticks away) on the first bar at or
after 09:00 CT each day. Prints one line: `nautilus: TICKS ticks in SECONDS CPU s (engine.run), ...` (CPU time,
as Vigil's side is measured).

Usage: python nautilus_es.py TICKS_CSV
"""

from __future__ import annotations

import csv
import sys
import time
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar, BarType, QuoteTick, TradeTick
from nautilus_trader.model.enums import AccountType, AggressorSide, OmsType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId, TradeId, Venue
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.trading.strategy import Strategy

CT = ZoneInfo("America/Chicago")
TICK = Decimal("0.25")


class BracketADayConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    bar_type: BarType
    distance_ticks: int = 20


class BracketADay(Strategy):
    def __init__(self, config: BracketADayConfig) -> None:
        super().__init__(config)
        self.last_day = None
        self.orders_sent = 0

    def on_start(self) -> None:
        self.instrument = self.cache.instrument(self.config.instrument_id)
        self.subscribe_bars(self.config.bar_type)

    def on_bar(self, bar: Bar) -> None:
        local = datetime.fromtimestamp(bar.ts_event / 1e9, CT)
        if local.hour < 9 or local.date() == self.last_day:
            return
        self.last_day = local.date()
        close = Decimal(str(bar.close))
        distance = TICK * self.config.distance_ticks
        orders = self.order_factory.bracket(
            instrument_id=self.config.instrument_id,
            order_side=OrderSide.BUY,
            quantity=Quantity.from_int(1),
            sl_trigger_price=self.instrument.make_price(close - distance),
            tp_price=self.instrument.make_price(close + distance),
        )
        self.submit_order_list(orders)
        self.orders_sent += 1


def load(path: str, instrument_id: InstrumentId) -> list[object]:
    data: list[object] = []
    with open(path, newline="") as file:
        for n, (kind, ts, a, b) in enumerate(csv.reader(file)):
            t = int(ts)
            if kind == "q":
                bid, ask = Decimal(a) * TICK, Decimal(b) * TICK
                data.append(
                    QuoteTick(
                        instrument_id,
                        Price.from_str(f"{bid:.2f}"),
                        Price.from_str(f"{ask:.2f}"),
                        Quantity.from_int(10),
                        Quantity.from_int(10),
                        t,
                        t,
                    )
                )
            else:
                price = Decimal(a) * TICK
                data.append(
                    TradeTick(
                        instrument_id,
                        Price.from_str(f"{price:.2f}"),
                        Quantity.from_int(1),
                        AggressorSide.NO_AGGRESSOR,
                        TradeId(str(n)),
                        t,
                        t,
                    )
                )
    return data


def main(path: str) -> None:
    venue = Venue("GLBX")
    instrument = TestInstrumentProvider.es_future(2025, 12, venue)
    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
    engine.add_venue(
        venue=venue,
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        base_currency=USD,
        starting_balances=[Money(1_000_000, USD)],
    )
    engine.add_instrument(instrument)
    loaded = time.perf_counter()
    data = load(path, instrument.id)
    load_s = time.perf_counter() - loaded
    engine.add_data(data)
    bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-MID-INTERNAL")
    strategy = BracketADay(BracketADayConfig(instrument_id=instrument.id, bar_type=bar_type))
    engine.add_strategy(strategy)
    started = time.process_time()
    engine.run()
    elapsed = time.process_time() - started
    print(
        f"nautilus: {len(data)} ticks in {elapsed:.3f} CPU s (engine.run), {strategy.orders_sent} brackets; "
        f"building the tick objects took {load_s:.3f} s"
    )
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
