"""CommissionService: thin translation between the wire and the CommissionDesk (per-account commission rates)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc

from core_server.api import arguments
from core_server.api.accounts import AccountResolver
from core_server.api.errors import unary
from core_server.execution.accounts import COMMISSION_PLACES, MAX_COMMISSION
from core_server.execution.model import AccountId
from core_server.live.commission_desk import CommissionDesk, RootRate
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS
from vigil.v1 import commissions_pb2 as pb
from vigil.v1 import commissions_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]


def _root(value: str, field: str) -> str:
    root = arguments.text(value, field, 8).strip().upper()
    if root not in INSTRUMENTS:
        raise InvalidArgument(field, f"unknown instrument root {root!r}; known: {', '.join(INSTRUMENTS)}")
    return root


def rates_from_proto(items: Any) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    for i, item in enumerate(items):
        root = _root(item.root, f"rates[{i}].root")
        if root in rates:
            raise InvalidArgument(f"rates[{i}].root", f"{root} is given twice")
        rate = parse_decimal(
            item.rate, f"rates[{i}].rate", places=COMMISSION_PLACES, low=Decimal(0), high=MAX_COMMISSION
        )
        if rate is None:
            raise InvalidArgument(f"rates[{i}].rate", "dollars per contract per side, e.g. 2.25")
        rates[root] = rate
    return rates


def _rate_to_proto(r: RootRate) -> pb.CommissionRate:
    return pb.CommissionRate(
        root=r.root, rate=format(r.rate, "f"), server_rate=format(r.server_rate, "f"), overridden=r.overridden
    )


class CommissionServicer(pb_grpc.CommissionServiceServicer):
    def __init__(self, desk: CommissionDesk, accounts: AccountResolver) -> None:
        self._desk = desk
        self._accounts = accounts

    def _account_id(self, value: str) -> AccountId:
        return self._accounts.require(value)

    @unary
    async def GetCommissionRates(
        self, request: pb.GetCommissionRatesRequest, context: Ctx
    ) -> pb.GetCommissionRatesResponse:
        account_id = self._account_id(request.account_id)
        return pb.GetCommissionRatesResponse(
            account_id=account_id, rates=[_rate_to_proto(r) for r in self._desk.rates(account_id)]
        )

    @unary
    async def SetCommissionRates(
        self, request: pb.SetCommissionRatesRequest, context: Ctx
    ) -> pb.SetCommissionRatesResponse:
        account_id = self._account_id(request.account_id)
        rates = rates_from_proto(request.rates)
        reset = [_root(value, f"reset_roots[{i}]") for i, value in enumerate(request.reset_roots)]
        if not (rates or reset or request.reset_all):
            raise InvalidArgument("rates", "give rates to set, reset_roots or reset_all")
        result = await self._desk.set_rates(account_id, rates, reset, request.reset_all)
        return pb.SetCommissionRatesResponse(account_id=account_id, rates=[_rate_to_proto(r) for r in result])
