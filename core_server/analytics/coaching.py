"""Coaching alerts: plain rules the trader can read and change (VIGIL_COACHING, or SetCoachingRules), not a model.

- daily_loss_share: "70 % of the daily loss used" once a trading day, when the used share reaches it;
- losses_in_a_row: "3 losses in a row: cooldown starts" when the run of losing trades reaches it;
- outside_best_session: a trade opened outside the session window with the best expectancy (once the account has
  `best_session_min_trades` closed trades to judge by);
- hold_past_losers: an open trade held longer than the average hold of the account's losing trades, once per trade.
A rule set to None (or false) is off. The Coach keeps only counters; its callers feed it events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from core_server.model.clock import NS_PER_SECOND
from core_server.model.errors import InvalidArgument

COACHING_VARIABLE = "VIGIL_COACHING"
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


@dataclass(frozen=True, slots=True)
class CoachingRules:
    daily_loss_share: Decimal | None = Decimal("0.7")
    losses_in_a_row: int | None = 3
    outside_best_session: bool = True
    best_session_min_trades: int = 20
    hold_past_losers: bool = True

    def __post_init__(self) -> None:
        if self.daily_loss_share is not None and not Decimal(0) < self.daily_loss_share <= 1:
            raise InvalidArgument("daily_loss_share", "a share above 0 and at most 1 (0.7 = 70 %)")
        if self.losses_in_a_row is not None and not 1 <= self.losses_in_a_row <= 100:
            raise InvalidArgument("losses_in_a_row", "1 to 100")
        if not 1 <= self.best_session_min_trades <= 100_000:
            raise InvalidArgument("best_session_min_trades", "1 to 100000")

    def describe(self) -> list[str]:
        """The rules in words, as the trader reads them."""
        lines = []
        if self.daily_loss_share is not None:
            lines.append(f"alert when {_percent(self.daily_loss_share)} of the daily loss limit is used")
        if self.losses_in_a_row is not None:
            lines.append(f"alert at {self.losses_in_a_row} losing trades in a row: cooldown")
        if self.outside_best_session:
            lines.append(f"alert on a trade opened outside the best session window "
                         f"(after {self.best_session_min_trades} trades)")  # fmt: skip
        if self.hold_past_losers:
            lines.append("alert when a trade is held past the average hold of the losing trades")
        return lines


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f} %"


def parse_coaching(env: Mapping[str, str]) -> CoachingRules:
    """VIGIL_COACHING, e.g. {"daily_loss_share": "0.7", "losses_in_a_row": 3, "outside_best_session": true,
    "hold_past_losers": false}; missing keys keep their defaults, null switches a rule off."""
    raw = env.get(COACHING_VARIABLE, "").strip()
    if not raw:
        return CoachingRules()
    try:
        values = json.loads(raw)
        if not isinstance(values, dict):
            raise ValueError("an object")
        rules = CoachingRules()
        share = values.get("daily_loss_share", str(rules.daily_loss_share))
        return CoachingRules(
            daily_loss_share=None if share is None else Decimal(str(share)),
            losses_in_a_row=values.get("losses_in_a_row", rules.losses_in_a_row),
            outside_best_session=bool(values.get("outside_best_session", True)),
            best_session_min_trades=int(values.get("best_session_min_trades", rules.best_session_min_trades)),
            hold_past_losers=bool(values.get("hold_past_losers", True)),
        )
    except (ValueError, TypeError, InvalidOperation, InvalidArgument) as error:
        raise ValueError(f"{COACHING_VARIABLE}: {error}") from None


@dataclass
class _AccountState:
    losses_in_a_row: int = 0
    loss_alert_day: date | None = None
    held_alerts: set[str] = field(default_factory=set)


class Coach:
    def __init__(self, rules: CoachingRules | None = None) -> None:
        self.rules = rules or CoachingRules()
        self._accounts: dict[str, _AccountState] = {}

    def _state(self, account_id: str) -> _AccountState:
        return self._accounts.setdefault(account_id, _AccountState())

    def on_trade_closed(self, account_id: str, net: Decimal) -> list[str]:
        state = self._state(account_id)
        state.losses_in_a_row = state.losses_in_a_row + 1 if net < 0 else 0
        limit = self.rules.losses_in_a_row
        if limit is not None and state.losses_in_a_row == limit:
            nth = _ORDINALS.get(limit, f"{limit}th")
            return [f"{account_id}: {nth} loss in a row: cooldown starts. Step away before the next trade."]
        return []

    def on_daily_loss(self, account_id: str, day: date, used: Decimal, limit: Decimal | None) -> list[str]:
        share = self.rules.daily_loss_share
        if share is None or not limit or used < share * limit:
            return []
        state = self._state(account_id)
        if state.loss_alert_day == day:
            return []
        state.loss_alert_day = day
        return [f"{account_id}: {_percent((used / limit).quantize(Decimal('0.01')))} of the daily loss used "
                f"(${used} of ${limit})."]  # fmt: skip

    def on_trade_opened(self, account_id: str, window: str, best: str | None, closed_trades: int) -> list[str]:
        rules = self.rules
        if not rules.outside_best_session or best is None or closed_trades < rules.best_session_min_trades:
            return []
        if window == best:
            return []
        return [f"{account_id}: trading outside your best session window ({best}); this one opened in {window}."]

    def on_open_trade(self, account_id: str, trade_id: str, held_ns: int, loser_hold_ns: int | None) -> list[str]:
        if not self.rules.hold_past_losers or loser_hold_ns is None or held_ns <= loser_hold_ns:
            return []
        state = self._state(account_id)
        if trade_id in state.held_alerts:
            return []
        state.held_alerts.add(trade_id)
        minutes = loser_hold_ns // (60 * NS_PER_SECOND)
        return [f"{account_id}: {trade_id} is held past the average hold of your losing trades ({minutes} min)."]

    def forget(self, trade_id: str) -> None:
        for state in self._accounts.values():
            state.held_alerts.discard(trade_id)
