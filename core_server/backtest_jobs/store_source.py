"""StoreTicks: a backtest's ticks read from the store (live rows and imported blocks) by a reader thread with its
own event loop, handed to the synchronous driver through a bounded queue, so reading overlaps running and memory
stays bounded.

The read path is storage.tick_read (binary COPY out, numpy columns); each batch goes to the driver as its columns
(model.column_ticks.ColumnTicks): the kernel's quiet fast path works on them and a Quote/Trade is built only for a
tick the driver reads."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncGenerator, Iterator, Sequence
from typing import cast

import asyncpg

from core_server.model.market_data import Tick
from core_server.storage.tick_blocks import count_in_range
from core_server.storage.tick_read import TickColumns, stream_tick_columns

BATCH = 50_000
QUEUE_BATCHES = 4
_COUNT = "SELECT count(*) FROM ticks WHERE contract_id = ANY($1::text[]) AND ts_event_ns >= $2 AND ts_event_ns < $3"
_END = object()


class StoreTicks:
    def __init__(self, dsn: str, contract_ids: Sequence[str], start_ns: int, end_ns: int) -> None:
        self.dsn = dsn
        self.contract_ids = list(contract_ids)
        self.start_ns, self.end_ns = start_ns, end_ns
        self._total = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=QUEUE_BATCHES)
        self._stop = threading.Event()

    def total_hint(self) -> int:
        return self._total

    def batches(self) -> Iterator[Sequence[Tick]]:
        counted = threading.Event()
        thread = threading.Thread(target=lambda: asyncio.run(self._read(counted)), name="backtest-ticks", daemon=True)
        thread.start()
        counted.wait()
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            self._stop.set()
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
            thread.join(timeout=5)

    async def _read(self, counted: threading.Event) -> None:
        pool: asyncpg.Pool | None = None
        try:
            pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=1)
            async with pool.acquire() as conn:
                rows = int(await conn.fetchval(_COUNT, self.contract_ids, self.start_ns, self.end_ns))
                self._total = rows + await count_in_range(conn, self.contract_ids, self.start_ns, self.end_ns)
            counted.set()
            reader = cast(
                AsyncGenerator[TickColumns, None],
                stream_tick_columns(pool, self.contract_ids, self.start_ns, self.end_ns, BATCH),
            )
            async with contextlib.aclosing(reader) as batches:
                async for columns in batches:
                    if not self._put(columns.batch()):
                        return
            self._put(_END)
        except BaseException as exc:  # the driver re-raises it in the worker
            counted.set()
            self._put(exc)
        finally:
            if pool is not None:
                await pool.close()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
