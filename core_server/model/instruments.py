"""CME equity index futures: instrument specs, contract months, expiry and the front-month roll."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from core_server.model.clock import ns_from_datetime
from core_server.model.decimal_text import bounded_decimal, parse_decimal
from core_server.model.errors import InvalidArgument

EXCHANGE_TZ = ZoneInfo("America/Chicago")
EASTERN_TZ = ZoneInfo("America/New_York")

QUARTERLY_MONTHS = (3, 6, 9, 12)
MONTH_CODES = "FGHJKMNQUVXZ"  # index 0 = January
ROLL_DAYS_BEFORE_EXPIRY = 8
# An average price (a position's entry, an order's fills) is rarely on the tick grid; it is shown with this many
# decimals beyond the instrument's own (ES 0.25 has 2: averages have 6), rounded half-even from the exact value.
AVERAGE_EXTRA_PLACES = 4
# CME lists the next five quarterly contracts of its equity-index futures (a new one on each expiry day), so
# a contract trades from the expiry of the one five quarters before it until its own expiry.
LISTED_QUARTERS = 5
# The largest price (or distance in points) any request may name: no equity index is within two orders of
# magnitude of it, and ticks of it fit every integer and Decimal computation with room to spare.
MAX_PRICE = Decimal(10_000_000)


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """A futures product: how its prices move and what a point is worth."""

    root: str
    description: str
    exchange: str
    tick_size: Decimal
    point_value: Decimal
    projectx_code: str
    anomaly_points: Decimal
    micro_of: str | None = None  # the mini this micro mirrors, if any
    price_places: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        exponent = self.tick_size.normalize().as_tuple().exponent
        object.__setattr__(self, "price_places", max(0, -exponent) if isinstance(exponent, int) else 0)

    @property
    def tick_value(self) -> Decimal:
        return self.tick_size * self.point_value

    def ticks_from_price(self, price: Decimal | str, field: str = "price") -> int:
        """Whole ticks for a decimal price; an off-grid, non-numeric or unrepresentably large price (beyond
        +/-MAX_PRICE) is an InvalidArgument naming `field`."""
        if isinstance(price, str):
            parsed = parse_decimal(price, field, low=-MAX_PRICE, high=MAX_PRICE)
            if parsed is None:
                raise InvalidArgument(field, "a price is required")
            value = parsed
        else:
            value = bounded_decimal(price, field, low=-MAX_PRICE, high=MAX_PRICE)
        ticks, remainder = divmod(value, self.tick_size)
        if remainder != 0:
            raise InvalidArgument(field, f"{value} is not a multiple of the {self.root} tick {self.tick_size}")
        return int(ticks)

    def price_from_ticks(self, ticks: int) -> Decimal:
        return self.tick_size * ticks

    def points_to_ticks(self, points: Decimal) -> int:
        return self.ticks_from_price(points, field="points")

    def average_price(self, total_ticks: int, quantity: int) -> Decimal:
        """The average of `quantity` prices whose ticks sum to `total_ticks` (e.g. a position's open cost), exact to
        the instrument's places plus AVERAGE_EXTRA_PLACES, rounded half-even once from the exact fraction."""
        if quantity <= 0:
            raise InvalidArgument("quantity", f"an average needs a positive quantity, got {quantity}")
        places = self.price_places + AVERAGE_EXTRA_PLACES
        scaled = Fraction(self.tick_size) * total_ticks * 10**places / quantity
        return Decimal(round(scaled)).scaleb(-places)

    def format_ticks(self, ticks: int) -> str:
        """Exact text of a tick price with the instrument's natural number of decimals."""
        places = self.price_places
        value = self.tick_size * ticks
        return f"{value:.{places}f}"


def _spec(
    root: str, desc: str, exch: str, tick: str, pv: str, px: str, anomaly: str, micro_of: str | None = None
) -> InstrumentSpec:
    return InstrumentSpec(root, desc, exch, Decimal(tick), Decimal(pv), px, Decimal(anomaly), micro_of)


# Anomaly distances: SPEC gives 50 points for NQ; the others scale by typical price level.
INSTRUMENTS: dict[str, InstrumentSpec] = {
    s.root: s
    for s in (
        _spec("ES", "E-mini S&P 500", "CME", "0.25", "50", "EP", "15"),
        _spec("MES", "Micro E-mini S&P 500", "CME", "0.25", "5", "MES", "15", micro_of="ES"),
        _spec("NQ", "E-mini Nasdaq-100", "CME", "0.25", "20", "ENQ", "50"),
        _spec("MNQ", "Micro E-mini Nasdaq-100", "CME", "0.25", "2", "MNQ", "50", micro_of="NQ"),
        _spec("YM", "E-mini Dow ($5)", "CBOT", "1", "5", "YM", "400"),
        _spec("MYM", "Micro E-mini Dow", "CBOT", "1", "0.50", "MYM", "400", micro_of="YM"),
        _spec("RTY", "E-mini Russell 2000", "CME", "0.1", "50", "RTY", "20"),
        _spec("M2K", "Micro E-mini Russell 2000", "CME", "0.1", "5", "M2K", "20", micro_of="RTY"),
    )
}


def instrument(root: str) -> InstrumentSpec:
    spec = INSTRUMENTS.get(root.upper())
    if spec is None:
        raise InvalidArgument("symbol", f"unknown instrument root {root!r}; known: {', '.join(INSTRUMENTS)}")
    return spec


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    first_friday = first + timedelta(days=(4 - first.weekday()) % 7)
    return first_friday + timedelta(days=14)


def _expiry_ns(expiry_date: date) -> int:
    return ns_from_datetime(datetime.combine(expiry_date, time(9, 30), EASTERN_TZ))


@dataclass(frozen=True, slots=True, order=True)
class Contract:
    """One quarterly futures contract, e.g. NQ December 2026. Its canonical id is `NQZ2026`."""

    root: str
    year: int
    month: int

    def __post_init__(self) -> None:
        if self.root not in INSTRUMENTS:
            raise InvalidArgument("symbol", f"unknown instrument root {self.root!r}")
        if self.month not in QUARTERLY_MONTHS:
            raise InvalidArgument(
                "symbol", f"{self.root} trades only H, M, U, Z months, not {MONTH_CODES[self.month - 1]}"
            )
        if not 2000 <= self.year <= 2099:
            raise InvalidArgument("symbol", f"contract year {self.year} out of range")

    @property
    def spec(self) -> InstrumentSpec:
        return INSTRUMENTS[self.root]

    @property
    def month_code(self) -> str:
        return MONTH_CODES[self.month - 1]

    @property
    def id(self) -> str:
        return f"{self.root}{self.month_code}{self.year}"

    def __str__(self) -> str:
        return self.id

    @property
    def tradovate_symbol(self) -> str:
        return f"{self.root}{self.month_code}{self.year % 10}"

    @property
    def tradingview_symbol(self) -> str:
        return f"{self.root}{self.month_code}{self.year}"

    @property
    def projectx_id(self) -> str:
        return f"CON.F.US.{self.spec.projectx_code}.{self.month_code}{self.year % 100:02d}"

    @property
    def expiry_date(self) -> date:
        return third_friday(self.year, self.month)

    @property
    def expiry_ns(self) -> int:
        """Trading terminates at 09:30 ET on the third Friday."""
        return _expiry_ns(self.expiry_date)

    @property
    def roll_date(self) -> date:
        return self.expiry_date - timedelta(days=ROLL_DAYS_BEFORE_EXPIRY)

    @property
    def roll_ns(self) -> int:
        """The next contract leads from the 17:00 CT open that begins the roll date's trading day."""
        eve = self.roll_date - timedelta(days=1)
        return ns_from_datetime(datetime.combine(eve, time(17, 0), EXCHANGE_TZ))

    @property
    def listed_ns(self) -> int:
        """When the contract starts trading: the expiry of the contract LISTED_QUARTERS quarters before it."""
        months_back = self.year * 12 + self.month - 1 - 3 * LISTED_QUARTERS
        return _expiry_ns(third_friday(months_back // 12, months_back % 12 + 1))

    def require_listed(self, now_ns: int, field: str) -> None:
        """InvalidArgument naming `field` unless the contract trades at `now_ns` (listed and not yet expired)."""
        if now_ns >= self.expiry_ns:
            front = front_contract(self.root, now_ns)
            raise InvalidArgument(
                field, f"{self.id} expired on {self.expiry_date.isoformat()}; the front month is {front.id}"
            )
        if now_ns < self.listed_ns:
            listed = datetime.fromtimestamp(self.listed_ns // 1_000_000_000, tz=EXCHANGE_TZ).date()
            raise InvalidArgument(
                field,
                f"{self.id} is not listed until {listed.isoformat()} (CME lists the next {LISTED_QUARTERS} "
                "quarterly contracts)",
            )

    def next(self) -> Contract:
        if self.month == 12:
            return Contract(self.root, self.year + 1, 3)
        return Contract(self.root, self.year, self.month + 3)


def front_contract(root: str, ts_ns: int) -> Contract:
    """The lead quarterly contract of `root` at the instant `ts_ns`."""
    spec = instrument(root)
    moment = datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=EXCHANGE_TZ)
    month = next(m for m in QUARTERLY_MONTHS if m >= moment.month)
    contract = Contract(spec.root, moment.year, month)
    while ts_ns >= contract.roll_ns:
        contract = contract.next()
    return contract
