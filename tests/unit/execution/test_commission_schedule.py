"""Commissions as brokers charge them (issue 13 §5): per root, per side, all-in; defaults, the environment's
overrides and an account's own rates, in dollars to the cent through fills, balances, P&L and daily loss."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core_server.config import Config, ConfigError
from core_server.execution.accounts import BROKER_RATES, CommissionSchedule
from core_server.execution.events import OrderFilled
from core_server.execution.model import AccountId
from core_server.model.errors import InvalidArgument, NotFound
from core_server.risk.presets import preset
from tests.unit.execution.execution_kit import ACC, BUY, ES, MES, SELL, D, Rig
from tests.unit.risk import risk_kit


def schedule_from(env: dict[str, str]) -> CommissionSchedule:
    paper = Config.from_env(env).paper
    return CommissionSchedule.broker(dict(paper.commissions), flat=paper.commission)


def round_trip(rig: Rig, contract: str, qty: int, entry: tuple[str, str], exit_: tuple[str, str]) -> None:
    rig.submit(contract, BUY, qty, at=0)
    rig.quote(contract, *entry, at=100)  # bought at the ask
    rig.submit(contract, SELL, qty, at=1000)
    rig.quote(contract, *exit_, at=1100)  # sold at the bid


def test_the_documented_defaults_charge_a_micro_a_quarter_of_its_mini() -> None:
    schedule = schedule_from({})
    assert {root: schedule.rate(root) for root in BROKER_RATES} == {
        "ES": D("2.88"), "NQ": D("2.88"), "YM": D("2.88"), "RTY": D("2.88"),
        "MES": D("0.72"), "MNQ": D("0.72"), "MYM": D("0.72"), "M2K": D("0.72"),
    }  # fmt: skip
    assert schedule.for_fill("MNQ", 10) == D("7.20") and schedule.for_fill("NQ", 3) == D("8.64")


def test_vigil_commissions_overrides_named_roots_and_the_rest_keep_their_defaults() -> None:
    schedule = schedule_from({"VIGIL_COMMISSIONS": "es=2.25, MES=0.62"})
    assert [schedule.rate(r) for r in ("ES", "MES", "NQ", "MNQ")] == [D("2.25"), D("0.62"), D("2.88"), D("0.72")]


def test_a_flat_vigil_commission_sets_every_root_and_vigil_commissions_still_wins() -> None:
    schedule = schedule_from({"VIGIL_COMMISSION": "2.50", "VIGIL_COMMISSIONS": "MES=0.25"})
    assert [schedule.rate(r) for r in ("ES", "NQ", "M2K", "MES")] == [D("2.50"), D("2.50"), D("2.50"), D("0.25")]


@pytest.mark.parametrize("value", ["CL=1", "ES", "ES=-1", "ES=1001", "ES=abc", "ES=0.12345", "ES=1,ES=2", "ES=NaN"])
def test_a_bad_vigil_commissions_stops_the_server_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env({"VIGIL_COMMISSIONS": value})
    assert raised.value.variable == "VIGIL_COMMISSIONS"


def test_round_trip_net_pnl_on_the_default_schedule() -> None:
    rig = Rig(commissions=CommissionSchedule.broker())
    # MES: 2 contracts bought 6000.00, sold 6004.00: 4 points x $5 x 2 = $40.00 gross; 4 sides x $0.72 = $2.88
    round_trip(rig, MES, 2, ("5999.75", "6000.00"), ("6004.00", "6004.25"))
    account = rig.engine.account(ACC)
    assert (account.realised_pnl, account.commissions, account.balance) == (D("40.00"), D("2.88"), D("50037.12"))


def test_an_accounts_own_rate_applies_to_its_next_fill_and_not_to_fills_before() -> None:
    rig = Rig(commissions=CommissionSchedule.broker())
    rig.submit(ES, BUY, 1, at=0)
    entry = next(e for e in rig.quote(ES, "5999.75", "6000.00", at=100) if isinstance(e, OrderFilled))
    rig.engine.set_commission_overrides(ACC, {"ES": D("1.99")})
    rig.submit(ES, SELL, 1, at=1000)
    exit_ = next(e for e in rig.quote(ES, "6005.00", "6005.25", at=1100) if isinstance(e, OrderFilled))
    assert (entry.fill.commission, exit_.fill.commission) == (D("2.88"), D("1.99"))
    account = rig.engine.account(ACC)
    # 5 points x $50 = $250.00 gross, $2.88 + $1.99 = $4.87 fees: $245.13 net
    assert (account.realised_pnl, account.commissions, account.balance) == (D("250.00"), D("4.87"), D("50245.13"))
    rig.engine.set_commission_overrides(ACC, {})
    assert rig.engine.commissions.rate("ES", ACC) == D("2.88")


def test_overrides_are_checked_and_a_refused_one_changes_nothing() -> None:
    rig = Rig(commissions=CommissionSchedule.broker())
    rig.engine.set_commission_overrides(ACC, {"NQ": D("3.10")})
    for bad in ({"CL": D(1)}, {"NQ": D(-1)}, {"NQ": D("0.00001")}, {"NQ": D(1001)}):
        with pytest.raises(InvalidArgument):
            rig.engine.set_commission_overrides(ACC, bad)
    with pytest.raises(NotFound):
        rig.engine.set_commission_overrides(AccountId("nobody"), {"NQ": D(1)})
    assert rig.engine.commissions.account_overrides(ACC) == {"NQ": D("3.10")}


def test_a_rolled_back_command_puts_the_overrides_back_and_engines_do_not_share_them() -> None:
    schedule = CommissionSchedule.broker()
    rig, other = Rig(commissions=schedule), Rig(commissions=schedule)
    point = rig.engine.rollback_point()
    rig.engine.set_commission_overrides(ACC, {"NQ": D("1.00")})
    assert other.engine.commissions.rate("NQ", ACC) == D("2.88") and schedule.rate("NQ", ACC) == D("2.88")
    rig.engine.restore(point)
    assert rig.engine.commissions.rate("NQ", ACC) == D("2.88")


def test_daily_loss_counts_each_accounts_own_fees_to_the_cent() -> None:
    rules = replace(preset("topstep_50k").rules, flat_by=None)
    shell = risk_kit.Shell(rules, commission="2.50")
    shell.exec.set_commission_overrides(risk_kit.ACC, {"NQ": D("3.25")})
    shell.trade(risk_kit.NQ, risk_kit.BUY, 1, "20000.00", risk_kit.mar(10, 9, 0))
    # -10 points x $20 = -$200.00 realised, 2 sides x $3.25 = $6.50 fees: $206.50 of the $1,000 used
    shell.trade(risk_kit.NQ, risk_kit.SELL, 1, "19990.00", risk_kit.mar(10, 9, 5))
    figures = shell.figures()
    assert (figures.day_pnl, figures.daily_loss_used, figures.balance) == (D("-206.50"), D("206.50"), D("49793.50"))
