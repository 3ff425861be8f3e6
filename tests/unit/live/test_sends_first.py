"""A kept decision (a signal's) is published, its broker calls are given their head start (`sends_first`), and
only then is it committed: the hook runs after the output went to the listeners and before the rows reach the
store, at most SENDS_FIRST_S even when the calls never finish, and not at all for a decision that changed no
orders. The command still returns only once its rows are stored. In-memory journal, no database."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from core_server.execution.commands import OpenAccount
from core_server.execution.model import AccountId
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.output import KernelOutput
from core_server.live.shell import LiveKernel
from core_server.model.clock import TestClock
from tests.kit.feeds import NQ
from tests.kit.live import MemoryJournal, bare_shell

T0 = 1_796_000_000_000_000_000


def shell() -> tuple[LiveKernel, MemoryJournal, list[str]]:
    live, _ = bare_shell([NQ], TestClock(T0))
    journal = live.writer._sink.__self__  # type: ignore[attr-defined]
    assert isinstance(journal, MemoryJournal)
    seen: list[str] = []

    def listener(output: KernelOutput) -> None:
        seen.append(f"published {len(output.execution)} steps, {len(journal.batches)} batches stored")

    live.output_listeners.append(listener)
    return live, journal, seen


def open_account(name: str) -> object:
    def run(kernel: TradingKernel, now: int) -> object:
        return kernel.execute(OpenAccount(AccountId(name), Decimal(50_000)), now)

    return run


async def test_a_kept_decision_gives_its_sends_their_head_start_then_is_stored_before_it_returns() -> None:
    live, journal, seen = shell()

    async def sends_first() -> None:
        seen.append(f"sends first, {len(journal.batches)} batches stored")

    live.sends_first = sends_first
    await live.command(open_account("a"), keep=True)  # type: ignore[arg-type]
    assert seen == ["published 1 steps, 0 batches stored", "sends first, 0 batches stored"]
    assert len(journal.batches) == 1  # stored before the command returned


async def test_sends_that_never_finish_hold_the_commit_back_only_briefly() -> None:
    live, journal, _ = shell()
    never = asyncio.Event()

    async def sends_first() -> None:
        await never.wait()

    live.sends_first = sends_first
    await asyncio.wait_for(live.command(open_account("a"), keep=True), 5.0)  # type: ignore[arg-type]
    assert len(journal.batches) == 1


async def test_an_unkept_command_or_a_decision_without_orders_does_not_wait_for_sends() -> None:
    live, journal, _ = shell()
    calls = 0

    async def sends_first() -> None:
        nonlocal calls
        calls += 1

    live.sends_first = sends_first
    await live.command(open_account("a"))  # type: ignore[arg-type]  # not kept: committed, then published
    await live.command(lambda kernel, now: None, keep=True)  # nothing decided
    assert calls == 0
    assert len(journal.batches) == 2  # each stored before it returned
