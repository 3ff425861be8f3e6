"""NotifyDesk: what the server tells the trader's channels, from the bus and the clock.

Reads stored events from the bus (fills, risk state changes, signal decisions, strategy actions, closed and
opened trades), the feed's state changes, and the trading-day roll (the daily report of every paper account),
turns them into Notifications and coaching alerts, and hands them to the Notifier, which never blocks. Every
reader has its own subscription: a slow channel never slows trading, and a lost subscription (too far behind)
is counted and re-opened.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import structlog

from core_server.analytics.coaching import Coach, parse_coaching
from core_server.analytics.daily_report import report_text
from core_server.bus import Bus, SlowConsumer
from core_server.calendar.trading_day import trading_day_start_ns
from core_server.execution.events import OrderFilled
from core_server.execution.model import OrderSide
from core_server.live.analytics_desk import AnalyticsDesk
from core_server.live.journal import (
    ORDERS_TOPIC,
    RISK_TOPIC,
    SIGNALS_TOPIC,
    STRATEGIES_TOPIC,
    TRADES_TOPIC,
    ExecutionNotice,
    TradeUpdate,
)
from core_server.model.clock import NS_PER_SECOND, Clock
from core_server.model.feed_status import FeedState
from core_server.model.instruments import INSTRUMENTS
from core_server.notify.channels import parse_channels
from core_server.notify.dispatcher import Notifier, aiohttp_poster
from core_server.notify.events import Notification
from core_server.risk.audit import AuditRecord
from core_server.signals.model import SignalEventKind, SignalUpdate
from core_server.strategies.events import StrategyEvent

log = structlog.get_logger(__name__)

QUEUE = 10_000
RISK_KINDS = frozenset({"status_changed", "breach", "locked", "unlocked", "failed", "emergency_stop", "resumed"})
SIGNAL_KINDS = frozenset({
    SignalEventKind.CONFIRMED, SignalEventKind.REJECTED, SignalEventKind.EXPIRED, SignalEventKind.INVALIDATED,
    SignalEventKind.CANCELLED, SignalEventKind.ORDER_REFUSED, SignalEventKind.AWAITING_APPROVAL,
})  # fmt: skip
STRATEGY_KINDS = frozenset({"activated", "deactivated", "emergency_stop", "entry", "exit", "placed", "refused"})
FEED_DOWN = frozenset({FeedState.STOPPED, FeedState.RECONNECTING, FeedState.STALE, FeedState.AUTH_FAILED})
HOLD_CHECK_S = 30.0


def fill_notification(notice: ExecutionNotice) -> Notification | None:
    event = notice.event
    if not isinstance(event, OrderFilled):
        return None
    fill = event.fill
    spec = INSTRUMENTS[fill.contract_id[:-5]]
    price = spec.format_ticks(fill.price)
    side = "bought" if fill.side is OrderSide.BUY else "sold"
    partial = f", {event.leaves_qty} left" if event.is_partial else ""
    return Notification(
        "fill",
        f"{fill.account_id}: {side} {fill.quantity} {fill.contract_id} at {price}",
        f"order {fill.order_id}{partial}, commission ${fill.commission}",
        fill.ts_event,
        str(fill.account_id),
        (("contract", fill.contract_id), ("side", fill.side.name.lower()), ("quantity", str(fill.quantity)),
         ("price", price), ("order_id", str(fill.order_id))),
    )  # fmt: skip


def risk_notification(record: AuditRecord) -> Notification | None:
    entry = record.entry
    if entry.kind not in RISK_KINDS:
        return None
    who = entry.account_id or "all accounts"
    state = f" {entry.state.upper()}" if entry.state else ""
    return Notification(
        "risk", f"{who}:{state} ({entry.kind.replace('_', ' ')})", entry.reason, entry.ts_ns, entry.account_id,
        entry.numbers,
    )  # fmt: skip


def signal_notification(update: SignalUpdate) -> Notification | None:
    event = update.event
    if event.kind not in SIGNAL_KINDS:
        return None
    return Notification(
        "signal", f"signal {event.signal_id}: {event.kind.value.replace('_', ' ')}", event.detail, event.ts_ns
    )


def strategy_notification(event: StrategyEvent) -> Notification | None:
    if event.kind not in STRATEGY_KINDS:
        return None
    return Notification(
        "strategy", f"strategy {event.strategy_id} v{event.version}: {event.kind}", event.message, event.ts_ns
    )


class NotifyDesk:
    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        notifier: Notifier,
        analytics: AnalyticsDesk,
        coach: Coach | None = None,
        *,
        close: Callable[[], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._close = close
        self._sleep = sleep
        self._bus = bus
        self._clock = clock
        self.notifier = notifier
        self._analytics = analytics
        self.coach = coach or Coach()
        self._feed_down = False
        self._open_trades: dict[str, tuple[str, int]] = {}  # trade id -> (account, opened ns)
        self.lost_subscriptions = 0

    def start(self) -> list[asyncio.Task[None]]:
        """Start delivering (when there are channels): the tasks to cancel at shutdown."""
        if not self.notifier.channels:
            return []
        return [asyncio.create_task(self._deliver(), name="notify"), *self.tasks()]

    async def _deliver(self) -> None:
        self.notifier.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.notifier.stop()
            if self._close is not None:
                await self._close()

    def tasks(self) -> list[asyncio.Task[None]]:
        readers: Sequence[tuple[str | tuple[str, ...], Callable[[Any], None]]] = (
            (ORDERS_TOPIC + "*", lambda m: self._publish(fill_notification(m))),
            (RISK_TOPIC, self._on_risk),
            (SIGNALS_TOPIC, lambda m: self._publish(signal_notification(m))),
            (STRATEGIES_TOPIC, lambda m: self._publish(strategy_notification(m))),
            (TRADES_TOPIC, self._on_trade),
        )
        tasks = [
            asyncio.create_task(self._read(topic, handle), name=f"notify-read-{topic}") for topic, handle in readers
        ]
        tasks.append(asyncio.create_task(self._daily_reports(), name="notify-daily-report"))
        tasks.append(asyncio.create_task(self._hold_checks(), name="notify-hold-checks"))
        return tasks

    def feed_states_changed(self, states: Sequence[FeedState]) -> None:
        """A MarketDataEngine feed-state listener: one notification when the feed goes down, one when it is back."""
        down = any(s in FEED_DOWN for s in states)
        if down is self._feed_down:
            return
        self._feed_down = down
        states_text = ", ".join(s.value for s in states)
        title = "feed down" if down else "feed back: streaming"
        self._publish(Notification("feed", title, f"feed state: {states_text}", self._clock.now_ns()))

    def _publish(self, notification: Notification | None) -> None:
        if notification is not None:
            self.notifier.publish(notification)

    def _coaching(self, account_id: str, texts: list[str]) -> None:
        for text in texts:
            self._publish(Notification("coaching", text, "", self._clock.now_ns(), account_id))

    async def _read(self, topic: str | tuple[str, ...], handle: Callable[[Any], None]) -> None:
        while True:
            subscription = self._bus.subscribe(topic, maxsize=QUEUE)
            try:
                while True:
                    batch = await subscription.next_batch(500)
                    if not batch:
                        return
                    for message in batch:
                        try:
                            handle(message)
                        except Exception:
                            log.exception("notify.message_failed", topic=topic)
            except SlowConsumer:
                self.lost_subscriptions += 1
            finally:
                subscription.close()

    def _on_risk(self, record: AuditRecord) -> None:
        self._publish(risk_notification(record))
        status = record.entry.status
        if status is not None and record.entry.account_id:
            texts = self.coach.on_daily_loss(
                status.account_id, status.trading_day, status.daily_loss_used, status.daily_loss_limit
            )
            self._coaching(status.account_id, texts)

    def _on_trade(self, update: TradeUpdate) -> None:
        trip = update.trip
        if trip.account_id is None:
            return
        if trip.closed_ns is not None:
            self._open_trades.pop(trip.trade_id, None)
            self.coach.forget(trip.trade_id)
            self._coaching(trip.account_id, self.coach.on_trade_closed(trip.account_id, trip.net))
        elif trip.trade_id not in self._open_trades:
            self._open_trades[trip.trade_id] = (trip.account_id, trip.opened_ns)
            asyncio.get_running_loop().create_task(self._check_session(trip.account_id, trip.opened_ns))

    async def _check_session(self, account_id: str, opened_ns: int) -> None:
        try:
            best, count = await self._analytics.best_session(account_id)
        except Exception:
            log.warning("notify.coaching_skipped", account_id=account_id, rule="outside_best_session")
            return
        window = self._analytics.windows.window_at(opened_ns) or "(none)"
        self._coaching(account_id, self.coach.on_trade_opened(account_id, window, best, count))

    async def _hold_checks(self) -> None:
        while True:
            await self._sleep(HOLD_CHECK_S)
            now = self._clock.now_ns()
            for trade_id, (account_id, opened_ns) in list(self._open_trades.items()):
                with contextlib.suppress(Exception):
                    loser_hold = await self._analytics.average_loser_hold(account_id)
                    self._coaching(
                        account_id, self.coach.on_open_trade(account_id, trade_id, now - opened_ns, loser_hold)
                    )

    async def _daily_reports(self) -> None:
        """At each 17:00 CT roll, the report of the trading day that just ended, for every paper account."""
        while True:
            now = self._clock.now_ns()
            day = self._analytics.book(now)
            roll = trading_day_start_ns(day + timedelta(days=1))
            await self._sleep(max(0.0, (roll - now) / NS_PER_SECOND))
            if self._clock.now_ns() >= roll:
                await self.send_daily_reports(day)

    async def send_daily_reports(self, day: date | None = None) -> int:
        """Publish the daily report of every paper account (the day that just ended, or `day`); how many."""
        sent = 0
        for account_id in self._analytics.paper_accounts():
            try:
                report = await self._analytics.daily_report(account_id, day)
            except Exception:
                log.exception("notify.daily_report_failed", account_id=account_id)
                continue
            net = report.statistics.net_pnl
            self._publish(Notification(
                "daily_report", f"{account_id}: daily report {report.day.isoformat()}: ${net} net, "
                f"{report.statistics.trades} trades", report_text(report), self._clock.now_ns(), account_id,
            ))  # fmt: skip
            sent += 1
        return sent


def build_notify_desk(env: Mapping[str, str], clock: Clock, bus: Bus, analytics: AnalyticsDesk) -> NotifyDesk:
    """The desk with the channels of VIGIL_NOTIFY_CHANNELS and the rules of VIGIL_COACHING (ValueError naming the
    variable when one is wrong)."""
    channels = parse_channels(env)
    rules = parse_coaching(env)
    post, close = aiohttp_poster()
    return NotifyDesk(bus, clock, Notifier(channels, post, clock), analytics, Coach(rules), close=close)
