"""ExcursionTracker: one trade's MFE/MAE, break-even, stop and target, tick by tick, in exact R.

Everything is measured in favourable ticks from entry (price - entry for a long, entry - price for a
short). The common path is one chained comparison against a precomputed quiet band of prices: any price
strictly inside it changes nothing. Fractions are built only when an event fires.

Exits (SPEC §4). MFE and MAE are the extremes the exit price actually reached, so a gap through the stop
(or the target) shows in MAE (or MFE): a short at 6009.50 stopped at 6010.00 by one ask at 6010.50 has
MAE -2R. The stop_hit / target_hit event carries that observed price and its R. The *result* is booked at
the level, the stop's R (stopped_out -1R, break_even 0R or the offset's R) or the target's, because that is
the trade as planned and the only exit the tracker can know: a signal trade has no order behind it, and
the observed print is not a fill. Where a real fill is known (the paper engine's, a broker's), the caller
books it with `close(price, ts_ns)` before the tick reaches the tracker; the result is then that price.
So MAE <= result <= MFE always holds. When break-even and the target trigger on the same tick, the target
wins: the trade ends and no break_even_triggered is emitted. Anomalous ticks are ignored entirely: they
never stop a trade, hit a target or move MFE/MAE. Once a trade has ended its band is empty of events and
further ticks are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Final

from core_server.excursions.model import (
    Direction,
    ExcursionEvent,
    ExcursionEventKind,
    ExcursionSnapshot,
    ExcursionState,
    TradeSpec,
    TradeStatus,
)
from core_server.excursions.r_multiples import exact_r, r_multiple
from core_server.excursions.settings import DEFAULT_EXCURSION_SETTINGS, ExcursionSettings, PriceSource
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import InstrumentSpec
from core_server.model.market_data import Tick, Trade
from core_server.model.symbols import parse_symbol

NO_EVENTS: Final[tuple[ExcursionEvent, ...]] = ()  # shared result of the common path

_FAR: Final = 1 << 62  # a band edge no price reaches: an ended trade's band


def _ceil_ticks(r: Fraction, risk_ticks: int) -> int:
    """The fewest whole favourable ticks whose R is at least `r`."""
    product = r * risk_ticks
    return -((-product.numerator) // product.denominator)


class ExcursionTracker:
    """Tracks one trade. Feed it every tick of its contract (`on_tick`) or a chosen price (`on_price`)."""

    __slots__ = (
        "_be_offset",
        "_be_pending",
        "_be_trigger",
        "_closed_ns",
        "_entry",
        "_events",
        "_exit_fav",
        "_exit_price",
        "_hi_px",
        "_is_long",
        "_lo_px",
        "_mae",
        "_mae_ns",
        "_mfe",
        "_mfe_ns",
        "_risk",
        "_sign",
        "_status",
        "_stop",
        "_target",
        "_uses_quotes",
        "instrument",
        "settings",
        "spec",
    )

    def __init__(
        self,
        spec: TradeSpec,
        settings: ExcursionSettings = DEFAULT_EXCURSION_SETTINGS,
        instrument: InstrumentSpec | None = None,
    ) -> None:
        """`instrument` (for points) defaults to the one named by `spec.contract_id` (NQZ2026 -> NQ)."""
        self.spec = spec
        self.settings = settings
        self.instrument = instrument or parse_symbol(spec.contract_id, spec.opened_ns, field="contract_id").spec
        self._entry = spec.entry
        self._sign = spec.direction.sign
        self._is_long = spec.direction is Direction.LONG
        self._uses_quotes = settings.price_source is PriceSource.BID_ASK
        self._risk = risk = spec.risk_ticks
        self._stop = -risk  # favourable ticks of the current stop
        self._target = self._target_ticks(spec, risk)
        self._be_pending = settings.break_even_enabled
        self._be_trigger = _ceil_ticks(settings.trigger_r, risk)
        self._be_offset = settings.break_even_offset_ticks
        if self._be_pending and not -risk < self._be_offset < self._be_trigger:
            raise InvalidArgument(
                "break_even_offset_ticks",
                f"the break-even stop (entry {self._be_offset:+d} ticks) must lie between the initial stop "
                f"({-risk:+d}) and the trigger ({self._be_trigger:+d})",
            )
        self._mfe = 0
        self._mae = 0
        self._mfe_ns = self._mae_ns = spec.opened_ns
        self._status = TradeStatus.OPEN
        self._exit_fav: int | None = None
        self._exit_price: int | None = None
        self._closed_ns: int | None = None
        self._events: list[ExcursionEvent] = []
        self._lo_px = self._hi_px = 0
        self._set_band()

    @classmethod
    def restore(
        cls,
        spec: TradeSpec,
        state: ExcursionState,
        settings: ExcursionSettings = DEFAULT_EXCURSION_SETTINGS,
        instrument: InstrumentSpec | None = None,
        events: Sequence[ExcursionEvent] = (),
    ) -> ExcursionTracker:
        """A tracker that continues a stored trade: current stop, MFE/MAE so far, status and history.

        A stop away from the initial one means break-even has already moved it; otherwise break-even stays
        pending (under `settings`) and triggers at the next new high that reaches it. An ended trade comes
        back ended: its snapshot is final and it ignores every tick.
        """
        tracker = cls(spec, settings, instrument)
        risk, sign = tracker._risk, tracker._sign
        stop = (state.stop - spec.entry) * sign
        mfe, mae = state.mfe_ticks, state.mae_ticks
        if mfe < 0 or mae > 0:
            raise InvalidArgument("state", f"MFE must be >= 0 and MAE <= 0 ticks, got {mfe} and {mae}")
        if stop < -risk or (stop != -risk and stop >= mfe):
            raise InvalidArgument(
                "state.stop", f"stop {state.stop} must be the initial stop {spec.stop} or lie between it and the MFE"
            )
        ended = state.status is not TradeStatus.OPEN
        if ended != (state.result_ticks is not None) or ended != (state.closed_ns is not None):
            raise InvalidArgument("state", f"a {state.status} trade has a result and a close time exactly when ended")
        tracker._stop = stop
        tracker._be_pending = tracker._be_pending and stop == -risk
        tracker._mfe, tracker._mae = mfe, mae
        tracker._mfe_ns, tracker._mae_ns = state.mfe_ns, state.mae_ns
        tracker._status = state.status
        if state.result_ticks is not None:
            tracker._exit_fav = state.result_ticks
            tracker._exit_price = spec.entry + state.result_ticks * sign
            tracker._closed_ns = state.closed_ns
        tracker._events = list(events)
        tracker._set_band()
        return tracker

    @staticmethod
    def _target_ticks(spec: TradeSpec, risk: int) -> int | None:
        candidates = []
        if spec.target_r is not None:
            candidates.append(_ceil_ticks(exact_r(spec.target_r, "target_r"), risk))
        if spec.target_price is not None:
            candidates.append((spec.target_price - spec.entry) * spec.direction.sign)
        return min(candidates) if candidates else None

    # -- the per-tick path -------------------------------------------------------------------------

    def on_tick(self, tick: Tick, anomalous: bool = False) -> tuple[ExcursionEvent, ...]:
        """Events caused by one tick of this trade's contract (NO_EVENTS, shared, when nothing happened).

        With the `last` source only trades count; with `bid_ask` only quotes (bid for a long, ask for a short).
        """
        if anomalous:
            return NO_EVENTS
        if type(tick) is Trade:
            if self._uses_quotes:
                return NO_EVENTS
            price = tick.price
        else:
            if not self._uses_quotes:
                return NO_EVENTS
            price = tick.bid if self._is_long else tick.ask  # type: ignore[union-attr]
        if self._lo_px < price < self._hi_px:
            return NO_EVENTS
        return self._move(price, tick.ts_event)

    def on_price(self, price: int, ts_ns: int) -> tuple[ExcursionEvent, ...]:
        """Events caused by this trade's exit price (already chosen by the caller) moving to `price`."""
        if self._lo_px < price < self._hi_px:
            return NO_EVENTS
        return self._move(price, ts_ns)

    @property
    def quiet_band(self) -> tuple[int, int]:
        """(low, high): a price strictly between them causes no event. An ended trade's band holds every price."""
        return self._lo_px, self._hi_px

    # -- events ------------------------------------------------------------------------------------

    def _move(self, price: int, ts_ns: int) -> tuple[ExcursionEvent, ...]:
        if price <= 0 or self._status is not TradeStatus.OPEN:
            return NO_EVENTS  # an empty book side (0), or a trade already ended
        fav = (price - self._entry) * self._sign
        out: list[ExcursionEvent] = []
        if fav > self._mfe:
            self._mfe, self._mfe_ns = fav, ts_ns
            out.append(self._event(ExcursionEventKind.NEW_HIGH, ts_ns, fav))
            target = self._target
            if target is not None and fav >= target:
                self._end(TradeStatus.TARGET_HIT, ExcursionEventKind.TARGET_HIT, fav, target, ts_ns, out)
            elif self._be_pending and fav >= self._be_trigger:
                self._be_pending = False
                self._stop = self._be_offset
                out.append(self._event(ExcursionEventKind.BREAK_EVEN_TRIGGERED, ts_ns, fav))
        else:
            if fav < self._mae:
                self._mae, self._mae_ns = fav, ts_ns
                out.append(self._event(ExcursionEventKind.NEW_LOW, ts_ns, fav))
            stop = self._stop
            if fav <= stop:
                status = TradeStatus.STOPPED_OUT if stop == -self._risk else TradeStatus.BREAK_EVEN
                self._end(status, ExcursionEventKind.STOP_HIT, fav, stop, ts_ns, out)
        self._events.extend(out)
        self._set_band()
        return tuple(out)

    def close(self, price: int, ts_ns: int) -> tuple[ExcursionEvent, ...]:
        """A manual or external exit at `price` (a known fill): MFE/MAE take it in, the result is its R, status
        CLOSED.

        Closing a trade that has already ended changes nothing and returns NO_EVENTS.
        """
        if self._status is not TradeStatus.OPEN:
            return NO_EVENTS
        if price <= 0:
            raise InvalidArgument("price", f"must be positive, got {price} ticks")
        fav = (price - self._entry) * self._sign
        out: list[ExcursionEvent] = []
        if fav > self._mfe:
            self._mfe, self._mfe_ns = fav, ts_ns
            out.append(self._event(ExcursionEventKind.NEW_HIGH, ts_ns, fav))
        elif fav < self._mae:
            self._mae, self._mae_ns = fav, ts_ns
            out.append(self._event(ExcursionEventKind.NEW_LOW, ts_ns, fav))
        self._end(TradeStatus.CLOSED, ExcursionEventKind.CLOSED, fav, fav, ts_ns, out)
        self._events.extend(out)
        self._set_band()
        return tuple(out)

    def _end(
        self,
        status: TradeStatus,
        kind: ExcursionEventKind,
        seen: int,
        booked: int,
        ts_ns: int,
        out: list[ExcursionEvent],
    ) -> None:
        """End the trade: the event at the price `seen`, the result and exit price at `booked` (ticks in favour)."""
        self._status = status
        self._exit_fav = booked
        self._exit_price = self._price_of(booked)
        self._closed_ns = ts_ns
        out.append(self._event(kind, ts_ns, seen))

    def _event(self, kind: ExcursionEventKind, ts_ns: int, fav: int) -> ExcursionEvent:
        price, stop = self._price_of(fav), self._price_of(self._stop)
        return ExcursionEvent(self.spec.trade_id, kind, ts_ns, price, r_multiple(fav, self._risk), stop)

    def _price_of(self, fav: int) -> int:
        return self._entry + fav * self._sign

    def _set_band(self) -> None:
        if self._status is not TradeStatus.OPEN:
            self._lo_px, self._hi_px = -_FAR, _FAR
            return
        # An event needs a new MFE (fav > mfe) or a new MAE / stop (fav <= max(mae - 1, stop)).
        lo_fav = max(self._mae - 1, self._stop)
        hi_fav = self._mfe + 1
        if self._is_long:
            self._lo_px, self._hi_px = self._entry + lo_fav, self._entry + hi_fav
        else:
            self._lo_px, self._hi_px = self._entry - hi_fav, self._entry - lo_fav

    # -- state -------------------------------------------------------------------------------------

    @property
    def trade_id(self) -> str:
        return self.spec.trade_id

    @property
    def status(self) -> TradeStatus:
        return self._status

    @property
    def is_open(self) -> bool:
        return self._status is TradeStatus.OPEN

    @property
    def stop(self) -> int:
        """The current stop price in ticks (the initial stop until break-even moves it)."""
        return self._price_of(self._stop)

    def snapshot(self, with_events: bool = True) -> ExcursionSnapshot:
        """The excursion as it stands; without its history (events=()) it costs the same however long it is."""
        tick = self.instrument.tick_size
        exit_fav = self._exit_fav
        return ExcursionSnapshot(
            spec=self.spec,
            status=self._status,
            stop=self.stop,
            target=None if self._target is None else self._price_of(self._target),
            break_even_triggered=self._stop != -self._risk,  # only break-even moves the stop
            mfe_r=r_multiple(self._mfe, self._risk),
            mae_r=r_multiple(self._mae, self._risk),
            mfe_ticks=self._mfe,
            mae_ticks=self._mae,
            mfe_points=tick * self._mfe,
            mae_points=tick * self._mae,
            mfe_ns=self._mfe_ns,
            mae_ns=self._mae_ns,
            result_r=None if exit_fav is None else r_multiple(exit_fav, self._risk),
            result_ticks=exit_fav,
            result_points=None if exit_fav is None else tick * exit_fav,
            exit_price=self._exit_price,
            closed_ns=self._closed_ns,
            events=tuple(self._events) if with_events else (),
        )
