"""SignalValidator: the pure, synchronous signal engine of SPEC §3 that the async shell wraps.

Every call takes the current time as `now_ns` and returns the SignalUpdates (event + snapshot) the shell
persists and publishes. Nothing here sleeps, awaits, reads a clock or does I/O: the market and candle history
come through the ports, ids from an injected factory, so the same inputs always give the same decisions.

Pending signals are indexed by (contract, timeframe); a candle close touches only that series' trackers,
each a few integer comparisons. Snapshots are rebuilt only when something is decided.

Memory stays bounded: live signals (pending, awaiting approval) are always held; settled ones are kept for a
while (a note on them, such as a copy fan-out or a refused order, reaches them without the store), and the shell
calls `forget_settled` once their records are stored: the oldest beyond RECENT_SETTLED leave with their keys, and
from then on the store answers for them (the Signal Lab's reads and a repeated alert's duplicate check).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace

from core_server.calendar.sessions import TradingCalendar
from core_server.calendar.windows import DEFAULT_SESSION_WINDOWS, SessionWindows
from core_server.model.errors import FailedPrecondition, InvalidArgument, NotFound
from core_server.model.market_data import Candle, Timeframe
from core_server.model.symbols import parse_symbol
from core_server.signals import decisions
from core_server.signals.checks import (
    check_authentic,
    check_bar_time,
    check_session,
    check_staleness_age,
    check_staleness_price,
    current_price,
)
from core_server.signals.confirmation import ConfirmationTracker, Phase, Step, signal_candle_start
from core_server.signals.idempotency import IdempotencyIndex, idempotency_key
from core_server.signals.lifecycle import checks_with, fail, new_signal, record, skip_waiting
from core_server.signals.model import (
    CheckName,
    CheckOutcome,
    CheckResult,
    Signal,
    SignalEventKind,
    SignalInput,
    SignalStatus,
    SignalUpdate,
    SubmitResult,
)
from core_server.signals.ports import CandleHistory, MarketView
from core_server.signals.settings import InstrumentRules, SignalSettings, resolve_rules

Series = tuple[str, Timeframe]
# Given the new signal's id, carries out an exit or cancel and says how it ended (status, event, detail).
ActionDecider = Callable[[str], tuple[SignalStatus, SignalEventKind, str]]
RECENT_SETTLED = 100  # settled signals kept in memory after their records are stored


class SignalValidator:
    """Validates signals, tracks the pending ones through their candles, and keeps every decision by id and key.

    `settings` overrides DEFAULT_SIGNAL_SETTINGS root by root; `id_factory` makes signal ids (uuid4 text in
    the server, a counter in tests).
    """

    def __init__(
        self,
        *,
        calendar: TradingCalendar,
        market: MarketView,
        history: CandleHistory,
        id_factory: Callable[[], str],
        settings: Mapping[str, SignalSettings] | None = None,
        windows: SessionWindows | None = None,
    ) -> None:
        self._calendar = calendar
        self._market = market
        self._history = history
        self._new_id = id_factory
        self._windows = windows or SessionWindows(DEFAULT_SESSION_WINDOWS)
        self._rules_by_root = resolve_rules(settings, self._windows)
        self._rules_by_contract: dict[str, InstrumentRules] = {}
        self._signals: dict[str, Signal] = {}  # live and recently settled, by id
        self._live: dict[str, None] = {}  # ids of live signals, oldest first
        self._settled: OrderedDict[str, None] = OrderedDict()  # ids of settled signals held, oldest first
        self._keys = IdempotencyIndex()
        self.keep_settled = RECENT_SETTLED
        self._trackers: dict[str, ConfirmationTracker] = {}
        self._by_series: dict[Series, dict[str, ConfirmationTracker]] = {}

    # -- queries ------------------------------------------------------------------------------------------

    def rules(self, contract_id: str, at_ns: int = 0) -> InstrumentRules:
        """The settings in force for a contract (InvalidArgument if it is not a canonical contract id; `at_ns`
        only words the error for a continuous symbol)."""
        rules = self._rules_by_contract.get(contract_id)
        if rules is None:
            contract = parse_symbol(contract_id, at_ns, field="contract_id")
            if contract.id != contract_id:
                raise InvalidArgument("contract_id", f"{contract_id!r} is not canonical; use {contract.id!r}")
            rules = self._rules_by_contract[contract_id] = self._rules_by_root[contract.root]
        return rules

    def get(self, signal_id: str) -> Signal:
        """The signal as it stands now; NotFound if this validator has never seen it."""
        signal = self._signals.get(signal_id)
        if signal is None:
            raise NotFound("signal_id", f"no signal {signal_id!r}")
        tracker = self._trackers.get(signal_id)
        if tracker is not None and tracker.candles_waited != signal.candles_waited:
            return replace(signal, candles_waited=tracker.candles_waited)
        return signal

    def find_by_key(self, key: str) -> Signal | None:
        signal_id = self._keys.find(key)
        return None if signal_id is None else self.get(signal_id)

    def live(self) -> list[Signal]:
        """Pending and approval-waiting signals, oldest first (for a stream's opening snapshot)."""
        return [self.get(signal_id) for signal_id in self._live]

    def watched_timeframes(self, contract_id: str) -> tuple[Timeframe, ...]:
        """The timeframes of the contract that pending signals wait on (for candle closes and opens)."""
        return tuple(tf for (cid, tf) in self._by_series if cid == contract_id)

    @property
    def pending_count(self) -> int:
        return len(self._trackers)

    @property
    def held_count(self) -> int:
        """Signals in memory: the live ones and the settled ones not forgotten yet."""
        return len(self._signals)

    # -- memory ---------------------------------------------------------------------------------------------

    def forget_settled(self) -> int:
        """Let the oldest settled signals beyond the `keep_settled` most recent go, with their idempotency keys;
        how many went. The caller must have stored their records first: the store answers for them from now on."""
        settled, signals, keys = self._settled, self._signals, self._keys
        excess = len(settled) - max(0, self.keep_settled)
        for _ in range(excess):
            signal_id, _ = settled.popitem(last=False)
            signal = signals.pop(signal_id)
            keys.discard(signal.idempotency_key, signal_id)
        return max(0, excess)

    # -- commands -----------------------------------------------------------------------------------------

    def submit(self, signal_input: SignalInput, *, authenticated: bool, now_ns: int) -> SubmitResult:
        """Run the checks in order; a repeat of an authenticated key returns the original decision instead.

        A delivery that failed authentication is recorded (rejected) but never claims its key, so a forged
        copy cannot pre-empt the genuine alert.
        """
        rules = self.rules(signal_input.contract_id, signal_input.signal_time_ns)
        key = idempotency_key(signal_input)
        if authenticated:
            original = self.find_by_key(key)
            if original is not None:
                return SubmitResult(original, True, ())
        signal_id = self._new_id()
        if signal_id in self._signals:
            raise ValueError(f"id factory repeated signal id {signal_id!r}")
        signal, update = new_signal(signal_id, signal_input, key, rules, now_ns)
        updates = [update]
        if authenticated:
            self._keys.add(key, signal_id)
        passed: list[CheckResult] = []
        for result in self._admission(signal_input, rules, authenticated, key, now_ns):
            if result.outcome is CheckOutcome.FAILED:
                signal, update = fail(
                    signal, result, SignalStatus.REJECTED, SignalEventKind.REJECTED, now_ns, tuple(passed)
                )
                self._put(signal)
                updates.append(update)
                return SubmitResult(signal, False, tuple(updates))
            passed.append(result)
        bar_failure = check_bar_time(signal_input, now_ns)
        if bar_failure is not None:
            signal, update = fail(
                signal, bar_failure, SignalStatus.REJECTED, SignalEventKind.REJECTED, now_ns, tuple(passed)
            )
            self._put(signal)
            updates.append(update)
            return SubmitResult(signal, False, tuple(updates))
        start_ns = signal_candle_start(signal_input)
        tracker = ConfirmationTracker(signal_id, signal_input.direction, start_ns, rules.settings.expiry_candles)
        waiting = decisions.waiting_text(signal, tracker, rules)
        signal, update = record(
            signal,
            SignalEventKind.PENDING,
            SignalStatus.PENDING,
            f"waiting for {waiting}",
            now_ns,
            checks=checks_with(signal.checks, *passed),
            waiting_for=waiting,
        )
        updates.append(update)
        self._put(signal)
        self._track(signal, tracker)
        updates += self._catch_up(tracker, now_ns)
        return SubmitResult(self.get(signal_id), False, tuple(updates))

    def act(
        self, signal_input: SignalInput, *, authenticated: bool, now_ns: int, decide: ActionDecider
    ) -> SubmitResult:
        """An alert that acts at once (exit, cancel) or is refused before its checks (an add with nothing to add
        to): recorded with its authentication check, then `decide()` (called only for an authentic, new
        delivery) does what it asks and says how it ended; the other checks are skipped as not applicable.
        A repeat of an authenticated key returns the original decision, and `decide` is not called."""
        rules = self.rules(signal_input.contract_id, signal_input.signal_time_ns)
        key = idempotency_key(signal_input)
        if authenticated:
            original = self.find_by_key(key)
            if original is not None:
                return SubmitResult(original, True, ())
        signal_id = self._new_id()
        if signal_id in self._signals:
            raise ValueError(f"id factory repeated signal id {signal_id!r}")
        signal, update = new_signal(signal_id, signal_input, key, rules, now_ns)
        self._put(signal)
        updates = [update]
        authentic = check_authentic(authenticated, key, now_ns)
        if authentic.outcome is CheckOutcome.FAILED:
            signal, update = fail(signal, authentic, SignalStatus.REJECTED, SignalEventKind.REJECTED, now_ns)
        else:
            self._keys.add(key, signal_id)
            status, kind, detail = decide(signal_id)
            signal = self._signals[signal_id]
            label = signal_input.action.label
            refused = status is SignalStatus.REJECTED
            reason = (
                f"not applicable: the {label} was refused before its checks"
                if refused
                else f"not applicable: a {label} acts at once"
            )
            checks = skip_waiting(checks_with(signal.checks, authentic), reason, now_ns)
            signal, update = record(signal, kind, status, detail, now_ns, checks=checks, waiting_for="")
        self._put(signal)
        updates.append(update)
        return SubmitResult(signal, False, tuple(updates))

    def note(self, signal_id: str, kind: SignalEventKind, detail: str, now_ns: int) -> SignalUpdate:
        """One more event on a signal, its status unchanged (e.g. the opposite position an entry closed)."""
        signal = self.get(signal_id)
        signal, update = record(signal, kind, signal.status, detail, now_ns)
        self._put(signal)
        return update

    def live_of(self, strategy: str, contract_id: str) -> list[str]:
        """The ids of a strategy's pending and approval-waiting signals in a contract, oldest first."""
        signals = self._signals
        return [
            s.signal_id
            for s in (signals[signal_id] for signal_id in self._live)
            if s.input.strategy == strategy and s.contract_id == contract_id and not s.input.action.acts_at_once
        ]

    def on_candle_closed(self, candle: Candle, now_ns: int) -> list[SignalUpdate]:
        """A closed candle: advance every pending signal of its contract and timeframe."""
        if not candle.closed:
            raise InvalidArgument("candle", "on_candle_closed needs a closed candle")
        trackers = self._by_series.get((candle.contract_id, candle.timeframe))
        if not trackers:
            return []
        stepped = [(tracker, step) for tracker in trackers.values() if (step := tracker.on_closed(candle))]
        updates: list[SignalUpdate] = []
        for tracker, step in stepped:
            updates += self._apply(tracker, step, candle, now_ns)
        return updates

    def on_candle_opened(
        self, contract_id: str, timeframe: Timeframe, start_ns: int, open_price: int, now_ns: int
    ) -> list[SignalUpdate]:
        """The first price of a new candle: the entry of every signal confirmed by the candle before it."""
        trackers = self._by_series.get((contract_id, timeframe))
        if not trackers:
            return []
        stepped = [t for t in trackers.values() if t.phase == Phase.ENTRY and t.on_opened(start_ns, open_price)]
        updates: list[SignalUpdate] = []
        for tracker in stepped:
            updates += self._apply(tracker, Step.ENTRY, None, now_ns)
        return updates

    def approve(self, signal_id: str, now_ns: int) -> SignalUpdate:
        """AWAITING_APPROVAL -> CONFIRMED; FailedPrecondition in any other status."""
        signal = self.get(signal_id)
        if signal.status is not SignalStatus.AWAITING_APPROVAL:
            raise FailedPrecondition(
                f"signal {signal_id} is {signal.status.label}: only a signal awaiting approval can be approved"
            )
        signal, update = record(
            signal, SignalEventKind.CONFIRMED, SignalStatus.CONFIRMED, "approved", now_ns, waiting_for=""
        )
        self._put(signal)
        return update

    def cancel(self, signal_id: str, reason: str, now_ns: int) -> SignalUpdate:
        """PENDING or AWAITING_APPROVAL -> CANCELLED; FailedPrecondition once the signal has settled."""
        signal = self.get(signal_id)
        if not signal.status.is_live:
            raise FailedPrecondition(
                f"signal {signal_id} is {signal.status.label}: only pending or awaiting-approval signals"
                " can be cancelled"
            )
        self._untrack(signal)
        detail = reason or "cancelled"
        checks = skip_waiting(signal.checks, f"skipped: cancelled ({detail})", now_ns)
        signal, update = record(
            signal, SignalEventKind.CANCELLED, SignalStatus.CANCELLED, detail, now_ns, checks=checks, waiting_for=""
        )
        self._put(signal)
        return update

    def attach_trade(self, signal_id: str, trade_id: str, detail: str, now_ns: int) -> SignalUpdate:
        """Record the Signal Lab trade a CONFIRMED signal created (the shell makes the trade record)."""
        signal = self.get(signal_id)
        if signal.status is not SignalStatus.CONFIRMED or signal.trade_id is not None:
            raise FailedPrecondition(f"signal {signal_id} is {signal.status.label}: no trade can be attached")
        signal, update = record(
            signal, SignalEventKind.TRADE_CREATED, SignalStatus.CONFIRMED, detail, now_ns, trade_id=trade_id
        )
        self._put(signal)
        return update

    def note_order_refused(self, signal_id: str, reason: str, now_ns: int) -> SignalUpdate:
        """Record that the paper bracket of a confirmed signal's trade was denied or rejected (status unchanged)."""
        signal = self.get(signal_id)
        signal, update = record(signal, SignalEventKind.ORDER_REFUSED, signal.status, reason, now_ns)
        self._put(signal)
        return update

    def restore(self, signals: Iterable[Signal], now_ns: int) -> list[SignalUpdate]:
        """Reload persisted signals after a restart: ids and keys answer again, and pending signals resume,
        catching up on the candles they missed from the history (which may settle them at once)."""
        updates: list[SignalUpdate] = []
        for signal in sorted(signals, key=lambda s: s.received_ns):
            if signal.signal_id in self._signals:
                raise ValueError(f"signal {signal.signal_id!r} is already loaded")
            self._put(signal)
            if signal.check(CheckName.AUTHENTIC_AND_NEW).outcome is not CheckOutcome.FAILED:
                self._keys.add(signal.idempotency_key, signal.signal_id)
            if signal.status is SignalStatus.PENDING:
                tracker = ConfirmationTracker(
                    signal.signal_id, signal.direction, signal_candle_start(signal.input), signal.expires_after_candles
                )
                if signal.signal_candle is not None:
                    tracker.on_closed(signal.signal_candle)  # known even if the history has lost it
                self._track(signal, tracker)
                updates += self._catch_up(tracker, now_ns)
        return updates

    # -- internals ----------------------------------------------------------------------------------------

    def _put(self, signal: Signal) -> None:
        signal_id = signal.signal_id
        self._signals[signal_id] = signal
        if signal.status.is_live:
            self._live[signal_id] = None
        elif signal_id not in self._settled:
            self._live.pop(signal_id, None)
            self._settled[signal_id] = None

    def _admission(
        self, signal_input: SignalInput, rules: InstrumentRules, authenticated: bool, key: str, now_ns: int
    ) -> Iterator[CheckResult]:
        """The checks decided on arrival, lazily, so nothing after a failure is evaluated."""
        yield check_authentic(authenticated, key, now_ns)
        current = current_price(self._market, signal_input.contract_id)
        yield check_staleness_price(rules, signal_input.contract_id, signal_input.signal_price, current, now_ns)
        yield check_staleness_age(rules, signal_input.signal_time_ns, now_ns)
        yield check_session(
            signal_input.signal_time_ns,
            signal_input.session,
            self._calendar,
            self._windows,
            rules.enabled_windows,
            now_ns,
        )

    def _track(self, signal: Signal, tracker: ConfirmationTracker) -> None:
        self._trackers[signal.signal_id] = tracker
        self._by_series.setdefault((signal.contract_id, signal.timeframe), {})[signal.signal_id] = tracker

    def _untrack(self, signal: Signal) -> None:
        if self._trackers.pop(signal.signal_id, None) is None:
            return
        series = (signal.contract_id, signal.timeframe)
        trackers = self._by_series[series]
        del trackers[signal.signal_id]
        if not trackers:
            del self._by_series[series]

    def _catch_up(self, tracker: ConfirmationTracker, now_ns: int) -> list[SignalUpdate]:
        """Feed the already-closed candles from the signal candle on (a late or restored signal)."""
        signal = self._signals[tracker.signal_id]
        updates: list[SignalUpdate] = []
        history = self._history.closed_candles(
            signal.contract_id, signal.timeframe, tracker.signal_start_ns, now_ns + 1
        )
        for candle in history:
            step = tracker.on_closed(candle)
            if step:
                updates += self._apply(tracker, step, candle, now_ns)
            if tracker.phase == Phase.DONE:
                break
        return updates

    def _candle_after(self, signal: Signal, tracker: ConfirmationTracker, now_ns: int) -> Candle | None:
        """The candle right after the confirmation candle, closed or forming, if it has begun."""
        assert tracker.confirmation is not None
        start = tracker.confirmation.start_ns + 1
        closed = self._history.closed_candles(signal.contract_id, signal.timeframe, start, now_ns + 1)
        return closed[0] if closed else self._history.forming(signal.contract_id, signal.timeframe)

    def _apply(
        self, tracker: ConfirmationTracker, step: Step, candle: Candle | None, now_ns: int
    ) -> list[SignalUpdate]:
        """Turn one tracker step into the new snapshot (and the event, when the step decides the signal)."""
        signal = self._signals[tracker.signal_id]
        rules = self.rules(signal.contract_id)
        updates: list[SignalUpdate] = []
        if step == Step.SIGNAL_CANDLE:
            signal = decisions.signal_candle_closed(signal, tracker, rules)
        elif step == Step.CONFIRMED:
            before = self._history.closed_before(signal.contract_id, signal.timeframe, tracker.signal_start_ns)
            signal = decisions.confirmed(signal, tracker, before, rules, now_ns)
            # The candle after the confirmation may already have its first price (a late or restored
            # signal, or the shell reported the open before this close): take the entry now.
            after = self._candle_after(signal, tracker, now_ns)
            if after is not None and tracker.on_opened(after.start_ns, after.open):
                signal, update = decisions.entered(signal, tracker, rules, now_ns)
                updates.append(update)
        elif step == Step.ENTRY:
            signal, update = decisions.entered(signal, tracker, rules, now_ns)
            updates.append(update)
        elif step == Step.INVALIDATED:
            assert candle is not None
            signal, update = decisions.invalidated(signal, tracker, candle, rules, now_ns)
            updates.append(update)
        elif step == Step.EXPIRED:
            signal, update = decisions.expired(signal, tracker, rules, now_ns)
            updates.append(update)
        elif step == Step.NO_SIGNAL_CANDLE:
            assert candle is not None
            signal, update = decisions.no_signal_candle(signal, candle, now_ns)
            updates.append(update)
        self._put(signal)
        if tracker.phase == Phase.DONE:
            self._untrack(signal)
        return updates
