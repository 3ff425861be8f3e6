"""Graceful shutdown on SIGTERM / SIGINT: the first signal starts an orderly stop bounded in time, a second one
exits at once.

The orderly stop (RunningServer.stop) stops accepting calls, lets calls in flight finish for a short grace,
drains every writer (journal, candles, ticks), closes the pool and stops the embedded PostgreSQL. When that does
not finish within `timeout_s` (a store that hangs), what is left is logged and the process exits with
EXIT_TIMED_OUT after stopping the embedded server, so a supervisor never waits forever.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)

EXIT_CLEAN = 0
EXIT_TIMED_OUT = 1
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def forced_exit_code(signum: int) -> int:
    """The shell convention for a process ended by a signal: 128 + its number (SIGTERM: 143, SIGINT: 130)."""
    return 128 + signum


class ShutdownSignals:
    """Counts stop signals: the first sets `requested`; any later one calls `exit_now(code)` at once.

    `exit_now` defaults to os._exit: no cleanup, no waiting on threads (the operator asked twice)."""

    def __init__(self, exit_now: Callable[[int], None] = os._exit) -> None:
        self.requested = asyncio.Event()
        self.received: list[int] = []
        self._exit_now = exit_now

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in SIGNALS:
            loop.add_signal_handler(sig, self.on_signal, sig)

    def on_signal(self, signum: int) -> None:
        self.received.append(signum)
        if len(self.received) == 1:
            log.info("server.stop_requested", signal=signal.Signals(signum).name)
            self.requested.set()
            return
        print("vigil: second stop signal: exiting at once", file=sys.stderr, flush=True)
        log.warning("server.forced_exit", signal=signal.Signals(signum).name)
        self._exit_now(forced_exit_code(signum))


async def stop_within(
    stop: Callable[[], Awaitable[None]], timeout_s: float, *, on_timeout: Callable[[], Awaitable[None]]
) -> int:
    """Run `stop()` for at most `timeout_s`; past that, run `on_timeout()` (bounded the same way) and report
    EXIT_TIMED_OUT. Returns the process exit code."""
    try:
        async with asyncio.timeout(timeout_s):
            await stop()
        return EXIT_CLEAN
    except TimeoutError:
        log.error("server.stop_timed_out", timeout_s=timeout_s)
        print(f"vigil: shutdown did not finish within {timeout_s:g} s; exiting anyway", file=sys.stderr)
    try:
        async with asyncio.timeout(timeout_s):
            await on_timeout()
    except TimeoutError:
        log.error("server.stop_timed_out", step="after-timeout cleanup", timeout_s=timeout_s)
    return EXIT_TIMED_OUT
