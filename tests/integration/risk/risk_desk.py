"""Rig of the risk tests: the execution desk (real server, stepped ES replay, TestClock) with a RiskService stub,
zero latency and no slippage so every fill price is known."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import grpc

from core_server.config import PaperConfig
from core_server.model.clock import TestClock
from tests.integration.execution.desk import Desk, open_desk
from tests.kit.eventually import eventually
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import risk_pb2_grpc

# $2.50 a side for every root (VIGIL_COMMISSION), the fee every hand-computed figure of the risk tests uses
EXACT = PaperConfig(latency_ms=(0, 0), slippage_ticks=0, commission=Decimal("2.50"))


@dataclass
class RiskDesk:
    desk: Desk
    risk: risk_pb2_grpc.RiskServiceStub

    @property
    def orders(self) -> Any:
        return self.desk.stub

    async def net(self, account_id: str = "paper") -> int:
        positions = (await self.orders.ListPositions(xpb.ListPositionsRequest(account_id=account_id))).positions
        return sum(p.quantity for p in positions)

    async def filled_to(self, net: int, account_id: str = "paper") -> None:
        async def reached() -> bool:
            return await self.net(account_id) == net

        await eventually(reached)


@asynccontextmanager
async def open_risk_desk(database_url: str, clock: TestClock | None = None, **config: Any) -> AsyncIterator[RiskDesk]:
    config.setdefault("paper", EXACT)
    async with (
        open_desk(database_url, clock=clock, **config) as desk,
        grpc.aio.insecure_channel(desk.running.address) as channel,
    ):
        yield RiskDesk(desk, risk_pb2_grpc.RiskServiceStub(channel))
