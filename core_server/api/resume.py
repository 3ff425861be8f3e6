"""Resumable event streams: what the store holds after the client's last seq, then live, with no gap and no duplicate.

Every event stream (orders, account, trades, signals, risk, strategies) sends each event with its place in a log
the store keeps (a seq the store assigns, increasing), and accepts `since_seq`: 0 is none (start from now, or
from a `replay` of recent entries where the stream offers one); otherwise the last seq the client received.

The pattern, one way for every stream: the live subscription is opened BEFORE the store is read, the store is
paged through from `since_seq` (live entries wait in the subscription meanwhile), then the subscription is
read, dropping every live entry at or below the last seq sent (it was in the store already). Live entries are
published only once stored, so anything stored after the read arrives live with a higher seq. A reader too slow
for the subscription's queue is ended (SlowConsumer) and resumes from its own last seq.

`since_seq` is refused (INVALID_ARGUMENT naming it) when negative, or when it is beyond the latest seq the store
holds (the store was replaced, e.g. a restore from an older backup: the client's position means nothing here and
must start again from 0). Nothing is ever pruned from these logs, so no since_seq is too old.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import TypeVar

from core_server.bus import Subscription
from core_server.model.errors import InvalidArgument

T = TypeVar("T")

RESUME_PAGE = 500  # stored entries read at a time
LIVE_BATCH = 100


def check_since_seq(since_seq: int, latest: int) -> None:
    """InvalidArgument("since_seq") unless 0 <= since_seq <= latest (the store's latest seq)."""
    if since_seq < 0:
        raise InvalidArgument("since_seq", "0 (none) or the last seq received")
    if since_seq > latest:
        raise InvalidArgument(
            "since_seq", f"{since_seq} is beyond the latest stored seq {latest}: the store was replaced; resume from 0"
        )


async def replay_then_live(
    subscribe: Callable[[], Subscription[T]],
    since_seq: int,
    *,
    latest: Callable[[], Awaitable[int]],
    stored_after: Callable[[int, int], Awaitable[Sequence[T]]],
    seq_of: Callable[[T], int],
    recent: Callable[[], Awaitable[Sequence[T]]] | None = None,
    keep: Callable[[T], bool] | None = None,
) -> AsyncGenerator[T, None]:
    """The entries of a stream opened with `since_seq`, stored then live. Use it with `contextlib.aclosing`, so the
    subscription is closed as soon as the stream ends.

    `subscribe()`: the live subscription, opened first (before the store is read). `latest()`: the store's
    latest seq, for the range check. `stored_after(seq, limit)`: up to `limit` stored entries after `seq`, oldest
    first, already filtered as the stream is. `seq_of(entry)`: its seq; 0 for a live entry that is no log entry
    (a state update), which is passed through. `recent()`: entries to send first when `since_seq` is 0 (a
    stream's `replay`). `keep(entry)`: the stream's filter for live entries.
    """
    subscription = subscribe()
    try:
        if since_seq:
            check_since_seq(since_seq, await latest())
        check_since_seq(since_seq, since_seq)  # negative
        last = since_seq
        if since_seq:
            while page := await stored_after(last, RESUME_PAGE):
                for entry in page:
                    last = seq_of(entry)
                    yield entry
        elif recent is not None:
            for entry in await recent():
                last = seq_of(entry)
                yield entry
        while True:
            batch = await subscription.next_batch(LIVE_BATCH)
            if not batch:
                return
            for entry in batch:
                seq = seq_of(entry)
                if seq and seq <= last:
                    continue  # sent from the store already
                if keep is None or keep(entry):
                    yield entry
    finally:
        subscription.close()
