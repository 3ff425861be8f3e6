"""Prop-firm rule presets (Topstep, Apex, TakeProfitTrader): editable defaults, each value with its source.

Firms change their rules often and publish them only on help pages; every value below is a configurable
default, not an authority. Sources were the firms' public help-centre pages as the author remembered them in
2024 (no network access when written; marked "uncertain" where the memory is weak). Check the firm's current
rules before relying on a preset, then adjust with `dataclasses.replace(preset(name).rules, ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from core_server.model.errors import InvalidArgument
from core_server.risk.rules import BreachMode, DrawdownMode, RuleSet


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    starting_balance: Decimal
    rules: RuleSet
    source: str  # where each value comes from, and how sure we are


_TOPSTEP_SOURCE = (
    "Topstep Trading Combine, help.topstep.com (2024): Daily Loss Limit soft (liquidated, no more trading that "
    "day), Maximum Loss Limit trails the end-of-day balance and stops at the starting balance, failure on "
    "touching it; max position 5/10/15 minis (micros 10:1); flat by 3:10 PM CT; 50% consistency target "
    "(reported, a passing condition rather than a violation). Uncertain: Topstep has since made the Daily Loss "
    "Limit optional on some platforms; set daily_loss_limit=None to match."
)


def _topstep(size: str, daily: str, drawdown: str, contracts: int) -> Preset:
    rules = RuleSet(
        daily_loss_limit=Decimal(daily),
        daily_loss_breach=BreachMode.SOFT,
        max_drawdown=Decimal(drawdown),
        drawdown_mode=DrawdownMode.END_OF_DAY,
        drawdown_lock_offset=Decimal(0),
        drawdown_breach=BreachMode.HARD,
        max_contracts=contracts,
        flat_by=time(15, 10),
        consistency_limit=Decimal("0.5"),
    )
    return Preset(f"topstep_{size.lower()}", Decimal(size[:-1]) * 1000, rules, _TOPSTEP_SOURCE)


_APEX_SOURCE = (
    "Apex Trader Funding 50K evaluation, apextraderfunding.com (2024 rules, before the 2025 EOD-account changes): "
    "trailing threshold $2,500 on the intraday unrealised peak, stops trailing at starting balance + $100 "
    "($50,100, reached at a $52,600 peak); max 10 contracts; no daily loss limit in evaluation (set "
    "daily_loss_limit to add one); positions closed by 4:59 PM ET (15:59 CT). Uncertain: whether micros count "
    "1:10 (the default used here) or 1:1 against the 10-contract limit."
)

_TPT_SOURCE = (
    "TakeProfitTrader 50K Test, takeprofittrader.com (2024): daily loss limit $1,100 (soft: trading stops for the "
    "day), end-of-day trailing drawdown $2,000, max 6 contracts (micros 10:1), 50% consistency rule (reported). "
    "Uncertain: where the test drawdown stops trailing (starting balance assumed) and the flat-by time (3:10 PM "
    "CT assumed, as Topstep)."
)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        _topstep("50K", "1000", "2000", 5),
        _topstep("100K", "2000", "3000", 10),
        _topstep("150K", "3000", "4500", 15),
        Preset(
            "apex_50k",
            Decimal(50000),
            RuleSet(
                daily_loss_limit=None,
                max_drawdown=Decimal(2500),
                drawdown_mode=DrawdownMode.INTRADAY_UNREALIZED,
                drawdown_lock_offset=Decimal(100),
                drawdown_breach=BreachMode.HARD,
                max_contracts=10,
                flat_by=time(15, 59),
            ),
            _APEX_SOURCE,
        ),
        Preset(
            "takeprofittrader_50k",
            Decimal(50000),
            RuleSet(
                daily_loss_limit=Decimal(1100),
                daily_loss_breach=BreachMode.SOFT,
                max_drawdown=Decimal(2000),
                drawdown_mode=DrawdownMode.END_OF_DAY,
                drawdown_lock_offset=Decimal(0),
                drawdown_breach=BreachMode.HARD,
                max_contracts=6,
                flat_by=time(15, 10),
                consistency_limit=Decimal("0.5"),
            ),
            _TPT_SOURCE,
        ),
    )
}


def preset(name: str) -> Preset:
    """The named preset; InvalidArgument("preset", ...) for an unknown name."""
    found = PRESETS.get(name.strip().lower()) if isinstance(name, str) else None
    if found is None:
        raise InvalidArgument("preset", f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return found


def list_presets() -> tuple[Preset, ...]:
    return tuple(PRESETS.values())
