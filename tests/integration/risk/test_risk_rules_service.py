"""RiskService rules over a real server: presets, all-or-nothing SetRules with wire field names, pre-trade denials."""

from __future__ import annotations

import grpc
import pytest

from tests.integration.execution.desk import bad_field
from tests.integration.risk.risk_desk import open_risk_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, NQ
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import risk_pb2 as pb


async def test_set_rules_refuses_impossible_rules_naming_the_field_and_keeps_the_previous_ones(
    database_url: str,
) -> None:
    async with open_risk_desk(database_url) as rd:
        applied = (await rd.risk.SetRules(pb.SetRulesRequest(account_id="paper", preset="topstep_50k"))).rules
        assert (applied.preset, applied.daily_loss_limit, applied.max_contracts) == ("topstep_50k", "1000", 5)
        assert applied.starting_balance == "50000"
        cases = [
            (pb.SetRulesRequest(account_id="paper", preset="no_such_firm"), "preset"),
            (  # a daily loss beyond the whole drawdown is contradictory
                pb.SetRulesRequest(
                    account_id="paper", rules=pb.RiskRules(daily_loss_limit="3000", trailing_drawdown="2000"),
                    use_rules=True,
                ),
                "rules.daily_loss_limit",
            ),
            (
                pb.SetRulesRequest(
                    account_id="paper", preset="topstep_50k", rules=pb.RiskRules(micro_fraction="2"), use_rules=True
                ),
                "rules.micro_fraction",
            ),
            (
                pb.SetRulesRequest(account_id="paper", rules=pb.RiskRules(flat_by="25:99"), use_rules=True),
                "rules.flat_by",
            ),
            (
                pb.SetRulesRequest(account_id="paper", rules=pb.RiskRules(trading_windows=["nowhere"]), use_rules=True),
                "rules.trading_windows",
            ),
            (
                pb.SetRulesRequest(
                    account_id="paper", rules=pb.RiskRules(consistency_enforced=True), use_rules=True
                ),
                "rules.consistency_enforced",
            ),
        ]  # fmt: skip
        for request, field in cases:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await rd.risk.SetRules(request)
            assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            assert bad_field(refused.value) == field
            kept = (await rd.risk.GetRules(pb.GetRulesRequest(account_id="paper"))).rules
            assert kept == applied

        custom = pb.RiskRules(daily_loss_limit="750.50", max_contracts=3, cooldown_minutes=15)
        changed = (await rd.risk.SetRules(pb.SetRulesRequest(account_id="paper", rules=custom, use_rules=True))).rules
        assert (changed.preset, changed.daily_loss_limit, changed.max_contracts, changed.trailing_drawdown) == (
            "", "750.50", 3, ""
        )  # fmt: skip
        presets = (await rd.risk.ListPresets(pb.ListPresetsRequest())).presets
        assert {"topstep_50k", "apex_50k", "takeprofittrader_50k"} <= {p.preset for p in presets}


async def test_an_order_over_max_contracts_is_denied_with_the_rule_and_the_numbers_and_audited(
    database_url: str,
) -> None:
    async with open_risk_desk(database_url) as rd:
        await rd.risk.SetRules(pb.SetRulesRequest(account_id="paper", preset="topstep_50k"))
        order = xpb.OrderSpec(symbol=NQ.id, side=xpb.ORDER_SIDE_BUY, type=xpb.ORDER_TYPE_MARKET, quantity=6)
        denied = (await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=order))).order
        assert denied.status == xpb.ORDER_STATUS_DENIED
        assert denied.reason == "max contracts: 6 would exceed 5"
        # On the streamed ES (a priced order needs a market to check its price band against).
        allowed = xpb.OrderSpec(symbol=ES.id, side=xpb.ORDER_SIDE_BUY, type=xpb.ORDER_TYPE_LIMIT, quantity=5,
                                limit_price="5990.00")  # fmt: skip
        placed = (await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=allowed))).order
        assert placed.status != xpb.ORDER_STATUS_DENIED

        async def audited() -> list[pb.RiskEvent]:
            stream = rd.risk.StreamRiskEvents(pb.StreamRiskEventsRequest(account_id="paper", replay=20))
            seen: list[pb.RiskEvent] = []
            async for update in stream:
                seen.append(update.event)
                if update.event.kind == "order_allowed" and update.event.seq:
                    break
            stream.cancel()
            return seen

        events = await eventually(audited)
        decided = [(e.kind, e.rule, e.reason) for e in events if e.kind.startswith("order_")]
        assert decided == [
            ("order_denied", "max_contracts", "max contracts: 6 would exceed 5"),
            ("order_allowed", "", "allowed"),
        ]
        assert [e.seq for e in events] == sorted(e.seq for e in events)
