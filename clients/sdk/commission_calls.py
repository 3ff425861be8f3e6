"""CommissionCalls: VigilClient's CommissionService methods (per-account commission rates)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from clients.sdk.commissions import CommissionRate
from clients.sdk.convert import decimal_from_wire
from clients.sdk.transport import Transport
from vigil.v1 import commissions_pb2, commissions_pb2_grpc


def _rates_from_pb(rates: Iterable[commissions_pb2.CommissionRate]) -> list[CommissionRate]:
    return [
        CommissionRate(r.root, decimal_from_wire(r.rate), decimal_from_wire(r.server_rate), r.overridden) for r in rates
    ]


class CommissionCalls(Transport):
    """One method per CommissionService RPC."""

    async def get_commission_rates(self, account_id: str) -> list[CommissionRate]:
        """Every root's per-side, all-in rate for the account (an id or a name)."""
        request = commissions_pb2.GetCommissionRatesRequest(account_id=account_id)
        response = await self._unary(self._commission_stub().GetCommissionRates, request)
        return _rates_from_pb(response.rates)

    async def set_commission_rates(
        self,
        account_id: str,
        rates: Mapping[str, Decimal | str] | None = None,
        *,
        reset: Iterable[str] = (),
        reset_all: bool = False,
    ) -> list[CommissionRate]:
        """Override roots' rates (dollars per contract per side), put `reset` roots (or all, first) back to the
        server's; stored all or nothing. Returns every root's rate now."""
        request = commissions_pb2.SetCommissionRatesRequest(
            account_id=account_id,
            rates=[commissions_pb2.RootCommission(root=k, rate=str(v)) for k, v in (rates or {}).items()],
            reset_roots=list(reset),
            reset_all=reset_all,
        )
        response = await self._unary(self._commission_stub().SetCommissionRates, request)
        return _rates_from_pb(response.rates)

    def _commission_stub(self) -> commissions_pb2_grpc.CommissionServiceAsyncStub:
        return commissions_pb2_grpc.CommissionServiceStub(self._channel())
