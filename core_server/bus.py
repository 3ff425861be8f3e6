"""In-process publish/subscribe with hierarchical topics and a bounded queue per subscriber.

Market-data subscribers conflate when they fall behind (the latest value per key survives);
reliable subscribers (orders, risk) are closed with a reason instead of ever dropping silently.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

ConflationKey = Callable[[Any], Hashable]


class SlowConsumer(Exception):
    """A reliable subscription overflowed its queue and was closed."""


class Subscription(Generic[T]):
    """One subscriber's bounded queue. Read it with `next_batch()` or `async for`."""

    def __init__(self, bus: Bus, patterns: tuple[str, ...], maxsize: int, conflate: ConflationKey | None) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be positive")
        self._bus = bus
        self.patterns = patterns
        self.maxsize = maxsize
        self._conflate = conflate
        self._buffer: deque[T] = deque()
        self._ready = asyncio.Event()
        self.conflated = 0  # messages replaced by a newer one with the same key
        self.dropped = 0  # messages lost outright (distinct keys beyond maxsize)
        self.closed = False
        self.close_reason = ""

    def matches(self, topic: str) -> bool:
        return any(_match(p, topic) for p in self.patterns)

    def push(self, message: T) -> None:
        if self.closed:
            return
        if len(self._buffer) >= self.maxsize:
            if self._conflate is None:
                self.close(f"slow consumer: more than {self.maxsize} undelivered messages")
                return
            self._compact()
        self._buffer.append(message)
        if not self._ready.is_set():
            self._ready.set()

    def _compact(self) -> None:
        assert self._conflate is not None
        key = self._conflate
        latest: dict[Hashable, T] = {}
        for message in self._buffer:
            k = key(message)
            latest.pop(k, None)  # re-insert so order follows the latest occurrence
            latest[k] = message
        kept = list(latest.values())
        self.conflated += len(self._buffer) - len(kept)
        overflow = len(kept) - (self.maxsize - 1)
        if overflow > 0:
            self.dropped += overflow
            kept = kept[overflow:]
        self._buffer = deque(kept)

    def close(self, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self._ready.set()
        self._bus.unsubscribe(self)

    async def next_batch(self, max_items: int = 1000) -> list[T]:
        """Wait for at least one message and return up to `max_items` in order.

        Returns what is buffered after a close; raises SlowConsumer once a reliable subscription
        that overflowed has nothing left; returns [] when closed normally and drained.
        """
        while not self._buffer:
            if self.closed:
                if self.close_reason.startswith("slow consumer"):
                    raise SlowConsumer(self.close_reason)
                return []
            self._ready.clear()
            await self._ready.wait()
        buffer = self._buffer
        if len(buffer) <= max_items:
            batch = list(buffer)
            buffer.clear()
        else:
            batch = [buffer.popleft() for _ in range(max_items)]
        return batch

    def pending(self) -> int:
        return len(self._buffer)

    async def __aiter__(self) -> AsyncIterator[T]:
        while True:
            batch = await self.next_batch()
            if not batch:
                return
            for message in batch:
                yield message


def _match(pattern: str, topic: str) -> bool:
    if pattern == "*" or pattern == topic:
        return True
    if pattern.endswith(".*"):
        return topic.startswith(pattern[:-1])
    return False


class Bus:
    """Topic router. `publish` never blocks and never awaits: engines call it from synchronous code."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription[Any]] = []
        self._routes: dict[str, tuple[Subscription[Any], ...]] = {}

    def subscribe(
        self,
        patterns: str | Iterable[str],
        *,
        maxsize: int = 10_000,
        conflate: ConflationKey | None = None,
    ) -> Subscription[Any]:
        """Subscribe to exact topics or prefixes (`candles.NQZ2026.*`, or `*` for everything).

        With `conflate`, an overflowing queue keeps only the newest message per key; without it,
        overflow closes the subscription (SlowConsumer) so nothing is lost silently.
        """
        pats = (patterns,) if isinstance(patterns, str) else tuple(patterns)
        subscription: Subscription[Any] = Subscription(self, pats, maxsize, conflate)
        self._subscriptions.append(subscription)
        self._routes.clear()
        return subscription

    def unsubscribe(self, subscription: Subscription[Any]) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)
            self._routes.clear()

    def _route(self, topic: str) -> tuple[Subscription[Any], ...]:
        subs = tuple(s for s in self._subscriptions if s.matches(topic))
        self._routes[topic] = subs
        return subs

    def publish(self, topic: str, message: object) -> None:
        subs = self._routes.get(topic)
        if subs is None:
            subs = self._route(topic)
        for subscription in subs:
            subscription.push(message)

    def has_subscribers(self, topic: str) -> bool:
        subs = self._routes.get(topic)
        if subs is None:
            subs = self._route(topic)
        return bool(subs)

    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def subscribed(self, pattern: str) -> bool:
        """Whether a subscription names exactly this pattern (a client's stream of one account, say)."""
        return any(pattern in s.patterns for s in self._subscriptions)

    def close_all(self, reason: str = "shutting down") -> None:
        for subscription in list(self._subscriptions):
            subscription.close(reason)
