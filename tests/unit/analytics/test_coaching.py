"""Coaching rules: each alert at its threshold, once, and the rules as configured."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core_server.analytics.coaching import Coach, CoachingRules, parse_coaching
from core_server.model.errors import InvalidArgument

D = Decimal
MIN = 60 * 1_000_000_000


def test_third_loss_in_a_row_starts_a_cooldown_and_a_win_resets_the_run() -> None:
    coach = Coach()
    assert coach.on_trade_closed("paper", D(-10)) == [] and coach.on_trade_closed("paper", D(-5)) == []
    assert coach.on_trade_closed("paper", D(-1)) == ["paper: third loss in a row: cooldown starts. Step away before "
                                                     "the next trade."]  # fmt: skip
    assert coach.on_trade_closed("paper", D(-1)) == []  # the fourth says nothing new
    coach.on_trade_closed("paper", D(20))
    assert coach.on_trade_closed("other", D(-1)) == []  # accounts count apart


def test_daily_loss_share_alerts_once_a_day() -> None:
    coach = Coach()
    day = date(2026, 11, 19)
    assert coach.on_daily_loss("paper", day, D(690), D(1000)) == []
    assert coach.on_daily_loss("paper", day, D(700), D(1000)) == ["paper: 70 % of the daily loss used ($700 of $1000)."]
    assert coach.on_daily_loss("paper", day, D(800), D(1000)) == []
    assert coach.on_daily_loss("paper", date(2026, 11, 20), D(750), D(1000)) != []
    assert coach.on_daily_loss("paper", day, D(800), None) == []


def test_best_session_and_hold_time() -> None:
    coach = Coach(CoachingRules(best_session_min_trades=10))
    assert coach.on_trade_opened("paper", "London", "NY AM", 9) == []  # too few trades to judge
    assert coach.on_trade_opened("paper", "NY AM", "NY AM", 50) == []
    assert coach.on_trade_opened("paper", "London", "NY AM", 50) == [
        "paper: trading outside your best session window (NY AM); this one opened in London."
    ]
    assert coach.on_open_trade("paper", "T-1", 5 * MIN, 6 * MIN) == []
    assert coach.on_open_trade("paper", "T-1", 7 * MIN, 6 * MIN) == [
        "paper: T-1 is held past the average hold of your losing trades (6 min)."
    ]
    assert coach.on_open_trade("paper", "T-1", 9 * MIN, 6 * MIN) == []  # once per trade


def test_rules_from_the_environment_and_switched_off() -> None:
    rules = parse_coaching({"VIGIL_COACHING": '{"daily_loss_share": "0.5", "losses_in_a_row": null}'})
    assert rules.daily_loss_share == D("0.5") and rules.losses_in_a_row is None
    assert rules.describe()[0] == "alert when 50 % of the daily loss limit is used"
    assert Coach(rules).on_trade_closed("a", D(-1)) == []
    with pytest.raises(ValueError, match="VIGIL_COACHING"):
        parse_coaching({"VIGIL_COACHING": '{"daily_loss_share": "2"}'})
    with pytest.raises(InvalidArgument):
        CoachingRules(losses_in_a_row=0)
