"""An account's commission overrides in the live core (issue 13 §5): stored with the command that set them, so
a store that refuses leaves the rates as they were, and a restart (crash-only start) puts them back."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from core_server.live.commission_desk import CommissionDesk
from core_server.model.errors import InvalidArgument, Unavailable
from tests.kit.feeds import NQ
from tests.kit.live import PAPER, open_live
from tests.kit.time import utc

START = utc(2026, 11, 19, 15, 0)


def rates(desk: CommissionDesk) -> dict[str, tuple[Decimal, bool]]:
    return {r.root: (r.rate, r.overridden) for r in desk.rates(PAPER)}


async def test_a_refused_store_changes_nothing_and_a_restart_restores_the_stored_overrides(
    pg_pool: asyncpg.Pool,
) -> None:
    rig = await open_live(pg_pool, [NQ], START)
    desk = CommissionDesk(rig.core.shell)
    assert rates(desk)["NQ"] == (Decimal("2.50"), False)  # the live kit charges a flat $2.50
    await desk.set_rates(PAPER, {"NQ": Decimal("3.10"), "MNQ": Decimal("0.55")})
    rig.store.down = True
    with pytest.raises(Unavailable):
        await desk.set_rates(PAPER, {"NQ": Decimal("1.00")}, reset_all=True)
    rig.store.down = False
    assert rates(desk)["NQ"] == (Decimal("3.10"), True) and rates(desk)["MNQ"] == (Decimal("0.55"), True)
    with pytest.raises(InvalidArgument):
        await desk.set_rates(PAPER, {"NQ": Decimal("2")}, reset=["NQ"])
    await desk.set_rates(PAPER, {}, reset=["MNQ"])

    again = await open_live(pg_pool, [NQ], START)  # a second core on the same store: the start path
    restored = CommissionDesk(again.core.shell)
    assert rates(restored)["NQ"] == (Decimal("3.10"), True)
    assert rates(restored)["MNQ"] == (Decimal("2.50"), False)
    assert again.core.kernel.execution.commissions.rate("NQ", PAPER) == Decimal("3.10")
