"""RetryWindow: the first time the bridge saw each alert body, so a body with no time keeps one identity.

An alert with no time field is stamped with when it arrived, and its idempotency key covers that time. A
retried delivery (TradingView re-sends the same bytes) arrives later; within the window it gets the first
arrival's time back, so its key and decision are the original's and no second signal is created. Bodies are
remembered by their sha256 only, for `window_ns`, at most `max_entries` of them (oldest forgotten first).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

RETRY_WINDOW_S = 300
MAX_ENTRIES = 10_000


class RetryWindow:
    def __init__(self, window_ns: int = RETRY_WINDOW_S * 1_000_000_000, max_entries: int = MAX_ENTRIES) -> None:
        self.window_ns = window_ns
        self.max_entries = max_entries
        self._first: OrderedDict[bytes, int] = OrderedDict()

    def first_seen(self, body: bytes, now_ns: int) -> int:
        """When this exact body first arrived within the window (now, if it is new or its window has passed)."""
        digest = hashlib.sha256(body).digest()
        first = self._first
        while first and now_ns - next(iter(first.values())) > self.window_ns:
            first.popitem(last=False)
        seen = first.get(digest)
        if seen is not None:
            return seen
        while len(first) >= self.max_entries:
            first.popitem(last=False)
        first[digest] = now_ns
        return now_ns
