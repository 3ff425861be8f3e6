"""JournalRepository: what the kernel decided, stored in ONE transaction per write, in the order it happened.

A batch holds every kind of record a kernel step can produce (execution changes, risk audit entries and saved
states, round trips and their events, signal decisions and trades, strategy events); the writer gives it a
list of batches and either all of them are stored or none is. A batch of execution changes alone is one
statement, with no explicit transaction (the common command: one round trip to the store).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from core_server.live.ports import JournalBatch
from core_server.storage.commissions import write_commission_rates
from core_server.storage.copying import write_copying
from core_server.storage.execution import write_execution
from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.risk import write_audit, write_emergency_stop, write_rules
from core_server.storage.signals import write_signal_actors, write_signals
from core_server.storage.strategies import write_strategies
from core_server.storage.trades import write_trades


class JournalRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def commit(self, batches: Sequence[JournalBatch]) -> None:
        """Store every batch, in order, in one transaction; Unavailable when the store is down."""
        if not batches:
            return
        with unavailable_on_connection_failure():
            if all(b.only_execution for b in batches):
                seqs = await write_execution(self._pool, [c for b in batches for c in b.execution])
                _share_execution_seqs(batches, seqs)
                return
            async with self._pool.acquire() as conn, conn.transaction():
                execution = [c for b in batches for c in b.execution]
                if execution:
                    _share_execution_seqs(batches, await write_execution(conn, execution))
                signals = [u for b in batches for u in b.signals]
                signal_trades = [t for b in batches for t in b.signal_trades]
                if signals or signal_trades:
                    await write_signals(conn, signals, signal_trades)
                    await write_signal_actors(
                        conn, [(u.signal.signal_id, b.actor) for b in batches if b.actor for u in b.signals]
                    )
                trades = [c for b in batches for c in b.trades]
                if trades:
                    trade_seqs = iter(await write_trades(conn, trades))
                    for batch in batches:  # one seq per event of a change, one for a change without events
                        batch.trade_seqs = [next(trade_seqs) for c in batch.trades for _ in range(len(c.events) or 1)]
                copy_groups = [c for b in batches for c in b.copy_groups]
                copy_outcomes = [o for b in batches for o in b.copy_outcomes]
                if copy_groups or copy_outcomes:
                    await write_copying(conn, copy_groups, copy_outcomes)
                for batch in batches:
                    if batch.strategies:
                        batch.strategy_seqs = await write_strategies(conn, batch.strategies)
                for batch in batches:
                    for rules in batch.rules:
                        await write_rules(conn, rules, batch.ts_ns)
                    for rates in batch.commission_rates:
                        await write_commission_rates(conn, rates, batch.ts_ns)
                    if batch.emergency_stop is not None:
                        await write_emergency_stop(conn, *batch.emergency_stop, batch.ts_ns)
                    if batch.audit or batch.risk_states:
                        batch.audit_seqs = await write_audit(conn, batch.audit, batch.risk_states, batch.ts_ns)


def _share_execution_seqs(batches: Sequence[JournalBatch], seqs: list[int]) -> None:
    """Each batch's execution events' journal seqs, from the seqs of every batch's events in order."""
    at = 0
    for batch in batches:
        count = sum(len(change.events) for change in batch.execution)
        batch.execution_seqs = seqs[at : at + count]
        at += count
