"""A seeded, pure market simulator: quotes and trades on the tick grid with calm and burst regimes.

The model, per product (a mini and its micro share one book, so the micro mirrors the mini exactly):
- a random walk of the book in whole ticks, calibrated to a per-second volatility that does not
  depend on the configured tick rate;
- the spread is one tick, sometimes two (NQ more often than ES), in short episodes;
- about three quotes per trade; a trade prints at the bid (aggressor SELL) or the ask (BUY);
- top-of-book and trade sizes drawn from per-contract tables (ES deeper than NQ, micros smaller);
- a two-state Markov regime: calm, or a burst of a few seconds with 5x the activity and 3x the
  volatility. Regime lengths are counted in ticks, so the tick content depends only on the seed and
  how many ticks were drawn, however the caller slices them into calls.

It never reads a clock: the caller says when the ticks happened.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core_server.model.errors import InvalidArgument
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, Quote, Tick, Trade

MAX_RATE = 20_000.0
DEFAULT_START_PRICES: dict[str, Decimal] = {
    "NQ": Decimal("25340.00"),
    "ES": Decimal("6775.00"),
    "YM": Decimal("47000"),
    "RTY": Decimal("2400.0"),
}

CALM_MEAN_S = 30.0
BURST_MEAN_S = 3.0
BURST_ACTIVITY = 5.0
BURST_VOLATILITY = 3.0
QUOTES_PER_TRADE = 3.0
WIDE_EPISODE_S = 0.25  # how long a two-tick spread lasts, on average
MAX_MOVE_PROBABILITY = 0.8  # beyond this variance per event the walk takes bigger steps instead
TABLE_BITS = 6
TABLE_SIZE = 1 << TABLE_BITS  # entries in each size table; a power of two so one draw can pick two
CHOICE_SLOTS = 1024


@dataclass(frozen=True, slots=True)
class ProductProfile:
    """How one mini and its micro behave. Shares are fractions of the whole simulated tick flow."""

    mini_share: float
    micro_share: float
    volatility: float  # calm random-walk volatility, ticks per sqrt(second)
    wide_fraction: float  # share of time the spread is two ticks (doubled in bursts)
    mini_book: float  # mean top-of-book size
    micro_book: float
    mini_trade: float  # mean trade size
    micro_trade: float


PROFILES: dict[str, ProductProfile] = {
    "NQ": ProductProfile(0.30, 0.18, 4.0, 0.15, 9, 4, 1.8, 1.3),
    "ES": ProductProfile(0.26, 0.12, 1.2, 0.03, 40, 12, 4.0, 1.6),
    "YM": ProductProfile(0.05, 0.03, 1.6, 0.10, 5, 3, 1.5, 1.2),
    "RTY": ProductProfile(0.04, 0.02, 1.2, 0.12, 7, 3, 1.6, 1.2),
}


def _size_table(mean: float) -> tuple[int, ...]:
    """Quantiles of 1 + an exponential with the given mean: a fixed, seed-independent distribution."""
    scale = max(0.0, mean - 1.0)
    return tuple(1 + int(-scale * math.log(1.0 - (j + 0.5) / TABLE_SIZE)) for j in range(TABLE_SIZE))


def _choice_table(weights: Sequence[float]) -> tuple[int, ...]:
    """CHOICE_SLOTS indexes spread over by weight (largest remainder), for one-draw weighted choice."""
    total = sum(weights)
    exact = [w / total * CHOICE_SLOTS for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: CHOICE_SLOTS - sum(counts)]:
        counts[i] += 1
    return tuple(i for i, count in enumerate(counts) for _ in range(count))


class _Product:
    """One shared book (a mini and/or its micro for one expiry) and its per-regime event odds."""

    __slots__ = ("bid", "members", "odds", "step", "wide")

    def __init__(self, members: tuple[int, ...], bid: int) -> None:
        self.members = members  # contract indexes, mini first
        self.bid = bid
        self.wide = False
        # odds[regime][wide] = cumulative thresholds (trade, up, down, toggle spread); step[regime]
        self.odds: list[tuple[tuple[float, float, float, float], ...]] = []
        self.step: list[int] = []


class SimulatedMarket:
    """Deterministic tick generator for a set of contracts; see the module docstring for the model.

    `rate` is the long-run average tick rate the regimes and volatility are calibrated to; callers
    that pace ticks in time (the SimulatedFeed) read `tick_rate` for the current regime's rate.
    """

    def __init__(
        self,
        contracts: Sequence[Contract],
        seed: int,
        start_prices: Mapping[str, Decimal] | None = None,
        *,
        rate: float = 2000.0,
    ) -> None:
        if not contracts:
            raise InvalidArgument("contracts", "at least one contract is required")
        if not (0.0 < rate <= MAX_RATE):
            raise InvalidArgument("rate", f"must be above 0 and at most {MAX_RATE:g} ticks per second")
        unique = list(dict.fromkeys(contracts))
        self._rng = random.Random(seed)
        self._ids = tuple(c.id for c in unique)
        self.rate = rate
        # Long-run average = rate: calm runs slower than `rate`, bursts BURST_ACTIVITY times calm.
        calm = rate * (CALM_MEAN_S + BURST_MEAN_S) / (CALM_MEAN_S + BURST_ACTIVITY * BURST_MEAN_S)
        self._rates = (calm, calm * BURST_ACTIVITY)
        self._mean_ticks = (CALM_MEAN_S * calm, BURST_MEAN_S * calm * BURST_ACTIVITY)
        self._products = self._build_products(unique, dict(start_prices or {}))
        self._product_of = tuple(self._product_index(i) for i in range(len(unique)))
        shares = [self._share(c) for c in unique]
        self._choice = _choice_table(shares)
        self._calibrate(unique, shares)
        self._book_sizes = tuple(_size_table(self._profile(c)[1]) for c in unique)
        self._trade_sizes = tuple(_size_table(self._profile(c)[2]) for c in unique)
        self._bid_size = [table[TABLE_SIZE // 2] for table in self._book_sizes]
        self._ask_size = list(self._bid_size)
        self._pending: list[Tick] = []  # ticks of an event that did not fit in the last call
        self._regime = 0
        self._regime_left = self._draw_regime_length(0)
        self.ticks_generated = 0

    @property
    def contracts(self) -> tuple[str, ...]:
        return self._ids

    def prices(self, contracts: Sequence[Contract]) -> dict[str, Decimal]:
        """The current bid of each book, keyed by the id of its first contract (`contracts`: this market's, in
        order): start prices that continue this market in a new one."""
        return {
            contracts[product.members[0]].id: contracts[product.members[0]].spec.price_from_ticks(product.bid)
            for product in self._products
        }

    def fork_seed(self) -> int:
        """A seed drawn from this market's random stream (a market built from it continues deterministically)."""
        return self._rng.getrandbits(63)

    @property
    def in_burst(self) -> bool:
        return self._regime == 1

    @property
    def tick_rate(self) -> float:
        """Ticks per second in the current regime (calm or burst)."""
        return self._rates[self._regime]

    def next_ticks(self, n: int, start_ns: int, end_ns: int, ts_init: int | None = None) -> list[Tick]:
        """The next `n` ticks, ts_event spread evenly over (start_ns, end_ns].

        Tick k (1-based) happens at start_ns + k * span // n, except that the requotes one book change
        causes on the other contracts of that book share its instant. `ts_init` stamps every tick;
        None stamps each with its own ts_event.
        """
        if n < 0:
            raise InvalidArgument("n", "must not be negative")
        if end_ns < start_ns:
            raise InvalidArgument("end_ns", "must not be before start_ns")
        out: list[Tick] = []
        if n == 0:
            return out
        span = end_ns - start_ns
        if self._pending:
            ts = start_ns + span // n
            for tick in self._pending[:n]:
                out.append(tick._replace(ts_event=ts, ts_init=ts if ts_init is None else ts_init))
            del self._pending[:n]
        self._generate(out, n, start_ns, span, ts_init)
        if len(out) > n:
            self._pending = out[n:]
            del out[n:]
        self.ticks_generated += n
        return out

    def _generate(self, out: list[Tick], n: int, start_ns: int, span: int, ts_init: int | None) -> None:
        rnd = self._rng.random
        new = tuple.__new__
        ids = self._ids
        choice = self._choice
        product_of = self._product_of
        products = self._products
        book_sizes = self._book_sizes
        trade_sizes = self._trade_sizes
        bid_size = self._bid_size
        ask_size = self._ask_size
        regime = self._regime
        left = self._regime_left
        buy, sell = Aggressor.BUY, Aggressor.SELL
        both_tables = TABLE_SIZE * TABLE_SIZE
        mask = TABLE_SIZE - 1
        count = len(out)
        while count < n:
            count += 1
            ts = start_ns + count * span // n
            ti = ts if ts_init is None else ts_init
            ci = choice[int(rnd() * CHOICE_SLOTS)]
            product = products[product_of[ci]]
            trade_p, up_p, down_p, toggle_p = product.odds[regime][product.wide]
            u = rnd()
            if u < trade_p:
                pick = int(rnd() * 2 * TABLE_SIZE)
                size = trade_sizes[ci][pick & mask]
                if pick >= TABLE_SIZE:
                    price = product.bid + 2 if product.wide else product.bid + 1
                    out.append(new(Trade, (ids[ci], ts, ti, price, size, buy)))
                    ask_size[ci] = max(1, ask_size[ci] - size)
                else:
                    out.append(new(Trade, (ids[ci], ts, ti, product.bid, size, sell)))
                    bid_size[ci] = max(1, bid_size[ci] - size)
                left -= 1
            elif u < toggle_p:
                # The book moves (or the spread changes): every contract on it requotes, mini first.
                if u < up_p:
                    product.bid += product.step[regime]
                elif u < down_p:
                    product.bid -= product.step[regime]
                else:
                    # Widen or narrow on the bid side half the time, otherwise the ask moves.
                    if rnd() < 0.5:
                        product.bid += 1 if product.wide else -1
                    product.wide = not product.wide
                bid = product.bid
                ask = bid + 2 if product.wide else bid + 1
                for mi in product.members:
                    pick = int(rnd() * both_tables)
                    sizes = book_sizes[mi]
                    bs = bid_size[mi] = sizes[pick & mask]
                    az = ask_size[mi] = sizes[pick >> TABLE_BITS]
                    out.append(new(Quote, (ids[mi], ts, ti, bid, ask, bs, az)))
                left -= len(product.members)
            else:
                pick = int(rnd() * 2 * TABLE_SIZE)
                if pick >= TABLE_SIZE:
                    ask_size[ci] = book_sizes[ci][pick & mask]
                else:
                    bid_size[ci] = book_sizes[ci][pick]
                bid = product.bid
                ask = bid + 2 if product.wide else bid + 1
                out.append(new(Quote, (ids[ci], ts, ti, bid, ask, bid_size[ci], ask_size[ci])))
                left -= 1
            if left <= 0:
                regime = 1 - regime
                left = self._draw_regime_length(regime)
            count = len(out)
        self._regime = regime
        self._regime_left = left

    def _draw_regime_length(self, regime: int) -> int:
        return 1 + int(self._rng.expovariate(1.0 / self._mean_ticks[regime]))

    # --- construction ---

    @staticmethod
    def _mini_root(contract: Contract) -> str:
        return contract.spec.micro_of or contract.root

    def _profile(self, contract: Contract) -> tuple[float, float, float]:
        """(share, mean book size, mean trade size) of one contract."""
        profile = PROFILES[self._mini_root(contract)]
        if contract.spec.micro_of:
            return profile.micro_share, profile.micro_book, profile.micro_trade
        return profile.mini_share, profile.mini_book, profile.mini_trade

    def _share(self, contract: Contract) -> float:
        return self._profile(contract)[0]

    def _build_products(self, contracts: list[Contract], start_prices: dict[str, Decimal]) -> list[_Product]:
        groups: dict[tuple[str, int, int], list[int]] = {}
        for i, c in enumerate(contracts):
            groups.setdefault((self._mini_root(c), c.year, c.month), []).append(i)
        used: set[str] = set()
        products: list[_Product] = []
        for (mini_root, _, _), members in groups.items():
            members.sort(key=lambda i: contracts[i].spec.micro_of is not None)  # mini first
            keys = [contracts[i].id for i in members] + [mini_root] + [contracts[i].root for i in members]
            given = [k for k in keys if k in start_prices]
            key = given[0] if given else None  # the mini's own price first: the micro shares its book
            price = DEFAULT_START_PRICES[mini_root] if key is None else start_prices[key]
            used.update(given)
            spec = contracts[members[0]].spec
            bid = spec.ticks_from_price(Decimal(price), field="start_prices")
            if bid <= 0:
                raise InvalidArgument("start_prices", f"{mini_root} start price must be positive")
            products.append(_Product(tuple(members), bid))
        unknown = sorted(set(start_prices) - used)
        if unknown:
            raise InvalidArgument("start_prices", f"no simulated contract for {', '.join(unknown)}")
        return products

    def _product_index(self, contract_index: int) -> int:
        return next(p for p, product in enumerate(self._products) if contract_index in product.members)

    def _calibrate(self, contracts: list[Contract], shares: list[float]) -> None:
        """Per product and regime: event odds so volatility, spreads and the quote:trade mix hold."""
        total_share = sum(shares)
        for product in self._products:
            profile = PROFILES[self._mini_root(contracts[product.members[0]])]
            share = sum(shares[i] for i in product.members) / total_share
            extra_quotes = len(product.members) - 1  # a book change requotes every member
            product.odds = []
            product.step = []
            for regime, vol_mult in ((0, 1.0), (1, BURST_VOLATILITY)):
                events = self._rates[regime] * share * QUOTES_PER_TRADE / (QUOTES_PER_TRADE + 1.0)
                variance = (profile.volatility * vol_mult) ** 2 / events  # ticks^2 per quote event
                step = 1 if variance <= MAX_MOVE_PROBABILITY else math.ceil(math.sqrt(variance / MAX_MOVE_PROBABILITY))
                move = variance / (step * step)
                wide_fraction = min(0.5, profile.wide_fraction * (1.0 if regime == 0 else 2.0))
                narrow = min(0.5, 1.0 / (WIDE_EPISODE_S * events))
                widen = min(0.5, narrow * wide_fraction / (1.0 - wide_fraction))
                odds = []
                for toggle_odds in (widen, narrow):  # indexed by product.wide
                    toggle = min(toggle_odds, 1.0 - move)
                    quotes_per_event = 1.0 + (move + toggle) * extra_quotes
                    trade = quotes_per_event / (QUOTES_PER_TRADE + quotes_per_event)
                    rest = 1.0 - trade
                    up = trade + rest * move / 2
                    down = up + rest * move / 2
                    odds.append((trade, up, down, down + rest * toggle))
                product.odds.append(tuple(odds))
                product.step.append(step)
