"""The one backoff of the server: exponential delays (1, 2, 4, 8 ... capped at 30 s by default) with seeded
jitter, for every reconnect and retry loop: broker feeds, the durable writers, the tick writer, the store's
connect. (The SDK, which never imports the server, has its own in clients/sdk/connection.py.)"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delay before the next reconnect attempt; `reset()` after a connection has proven healthy.

    Jitter spreads a fleet of clients apart without ever going below the base schedule's half,
    so there is never a tight reconnect loop.
    """

    initial_s: float = 1.0
    maximum_s: float = 30.0
    jitter: float = 0.2  # +/- fraction of the delay
    seed: int = 0
    attempt: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def next_delay(self) -> float:
        base = min(self.maximum_s, self.initial_s * float(2**self.attempt))
        self.attempt += 1
        spread = base * self.jitter
        return max(self.initial_s / 2, base + self._rng.uniform(-spread, spread))

    def reset(self) -> None:
        self.attempt = 0
