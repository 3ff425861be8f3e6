"""Notification channel status and coaching rules, as the SDK returns them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    name: str
    kind: str  # webhook, discord, slack, telegram
    target: str
    events: tuple[str, ...]
    sent: int
    retried: int
    failed: int
    dropped: int
    queued: int
    last_error: str
    last_error_ns: int


@dataclass(frozen=True, slots=True)
class CoachingRules:
    daily_loss_share: Decimal | None = Decimal("0.7")  # None: off
    losses_in_a_row: int = 3  # 0: off
    outside_best_session: bool = True
    best_session_min_trades: int = 20
    hold_past_losers: bool = True
    described: tuple[str, ...] = ()  # read only


@dataclass(frozen=True, slots=True)
class NotificationStatus:
    channels: tuple[ChannelStatus, ...]
    coaching: CoachingRules
