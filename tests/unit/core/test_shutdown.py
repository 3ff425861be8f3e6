"""The stop signals and the bounded stop (core_server.shutdown)."""

from __future__ import annotations

import asyncio
import signal

from core_server.shutdown import EXIT_CLEAN, EXIT_TIMED_OUT, ShutdownSignals, forced_exit_code, stop_within


async def test_the_first_signal_requests_a_stop_and_a_second_exits_at_once() -> None:
    exits: list[int] = []
    signals = ShutdownSignals(exit_now=exits.append)
    signals.on_signal(signal.SIGTERM)
    assert signals.requested.is_set()
    assert exits == []
    signals.on_signal(signal.SIGTERM)
    assert exits == [143]
    signals.on_signal(signal.SIGINT)
    assert exits == [143, 130]


def test_forced_exit_codes_follow_the_shell_convention() -> None:
    assert forced_exit_code(signal.SIGTERM) == 143
    assert forced_exit_code(signal.SIGINT) == 130


async def test_a_stop_that_finishes_exits_clean_without_the_fallback() -> None:
    steps: list[str] = []

    async def stop() -> None:
        steps.append("stop")

    async def fallback() -> None:
        steps.append("fallback")

    assert await stop_within(stop, 5.0, on_timeout=fallback) == EXIT_CLEAN
    assert steps == ["stop"]


async def test_a_stop_that_hangs_is_cut_off_and_the_fallback_still_runs() -> None:
    steps: list[str] = []
    never = asyncio.Event()

    async def stop() -> None:
        steps.append("stop")
        await never.wait()

    async def fallback() -> None:
        steps.append("fallback")

    assert await stop_within(stop, 0.01, on_timeout=fallback) == EXIT_TIMED_OUT
    assert steps == ["stop", "fallback"]
