"""Fill one contract's reconnect gap from History/retrieveBars 1-second bars (see bars.py for the method)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from core_server.feeds.projectx.auth import TokenKeeper
from core_server.feeds.projectx.bars import Bar, BarFill, SecondTally, tally_by_second, trades_from_bars
from core_server.feeds.projectx.messages import timestamp_ns
from core_server.feeds.projectx.rest import BarModel, ProjectXError, ProjectXRest, TokenRejected
from core_server.model.clock import NS_PER_SECOND
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import InstrumentSpec
from core_server.model.market_data import FeedGap, Tick, Trade

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class GapRequest:
    """One contract's hole: after its newest delivered tick, before its first held live tick."""

    contract_id: str
    projectx_id: str
    spec: InstrumentSpec
    after_ns: int  # L
    before_ns: int | None  # F, or None when no live tick has come yet
    end_ns: int  # exclusive end of the bars needed: the end of sec(F), or the current second


def second_of(ts_ns: int) -> int:
    return ts_ns - ts_ns % NS_PER_SECOND


def gap_request(
    contract_id: str, projectx_id: str, spec: InstrumentSpec, after_ns: int, held: Sequence[Tick], now_ns: int
) -> GapRequest:
    """The bars a contract needs. F is its first held *trade*: bars hold trades only, and a quote the
    gateway may send on subscribe can carry an older stamp."""
    first = next((t for t in held if t.contract_id == contract_id and type(t) is Trade), None)
    if first is None:
        return GapRequest(contract_id, projectx_id, spec, after_ns, None, second_of(now_ns))
    return GapRequest(
        contract_id, projectx_id, spec, after_ns, first.ts_event, second_of(first.ts_event) + NS_PER_SECOND
    )


def is_settled(contract_ids: Sequence[str], held: Sequence[Tick], now_ns: int, quiet_after_ns: int) -> bool:
    """True when, for every contract, a live tick has come from a later second than its first held
    trade (so that second's bar is complete), or, with no trade held, the local clock is past
    `quiet_after_ns` (the end of the subscription's second plus the gateway's bar lag)."""
    first_second: dict[str, int] = {}
    passed: set[str] = set()
    for tick in held:
        cid = tick.contract_id
        second = first_second.get(cid)
        if second is None:
            if type(tick) is Trade:
                first_second[cid] = second_of(tick.ts_event)
        elif tick.ts_event >= second + NS_PER_SECOND:
            passed.add(cid)
    return all(cid in passed or (cid not in first_second and now_ns >= quiet_after_ns) for cid in contract_ids)


async def fill_gap(
    rest: ProjectXRest,
    keeper: TokenKeeper,
    request: GapRequest,
    delivered: SecondTally | None,
    held: Sequence[Tick],
    *,
    page_s: int,
    max_gap_ns: int,
    ts_init: int,
) -> tuple[BarFill, FeedGap]:
    """Fetch the bars and build the synthetic trades; the FeedGap says whether it is filled."""
    gap_end = request.before_ns if request.before_ns is not None else request.end_ns
    if request.end_ns - request.after_ns > max_gap_ns:
        log.warning(
            "projectx.backfill_too_long",
            contract=request.contract_id,
            seconds=(gap_end - request.after_ns) // NS_PER_SECOND,
        )
        return BarFill([], False, ("gap longer than backfill_max_gap_s",)), FeedGap(
            request.contract_id, request.after_ns, gap_end, False
        )
    try:
        bars, pages = await _fetch_bars(rest, keeper, request, page_s)
    except (ProjectXError, InvalidArgument, ValueError) as exc:
        log.warning("projectx.backfill_failed", contract=request.contract_id, reason=str(exc)[:200])
        return BarFill([], False, (str(exc)[:200],)), FeedGap(request.contract_id, request.after_ns, gap_end, False)
    last_second = None if request.before_ns is None else second_of(request.before_ns)
    cid = request.contract_id
    held_trades = [
        t for t in held if isinstance(t, Trade) and t.contract_id == cid and second_of(t.ts_event) == last_second
    ]
    fill = trades_from_bars(
        request.contract_id,
        bars,
        after_ns=request.after_ns,
        before_ns=request.before_ns,
        delivered=delivered,
        held=tally_by_second(held_trades),
        ts_init=ts_init,
    )
    if not fill.consistent:
        log.warning("projectx.backfill_inconsistent", contract=request.contract_id, problems=list(fill.problems[:5]))
    gap = FeedGap(request.contract_id, request.after_ns, gap_end, fill.consistent, len(fill.trades), pages)
    return fill, gap


MAX_BAR_REQUESTS = 2000  # per gap; beyond it the gap is reported unfilled


async def _fetch_bars(
    rest: ProjectXRest, keeper: TokenKeeper, request: GapRequest, page_s: int
) -> tuple[list[Bar], int]:
    """The gap's 1-second bars and the number of requests it took. Each page asks for [start, stop) newest
    first; a server may return fewer bars than asked (a cap below `limit`), so a page whose oldest bar is later
    than its start is asked again for the rest, [start, oldest), until a reply is empty or reaches its start."""
    # Start a second early and filter: whether startTime/endTime are inclusive is not documented.
    start = second_of(request.after_ns) - NS_PER_SECOND
    end = request.end_ns
    bars: dict[int, Bar] = {}
    page_ns = page_s * NS_PER_SECOND
    requests = 0
    while start < end:
        stop = min(end, start + page_ns)
        upper = stop
        while upper > start:
            if requests >= MAX_BAR_REQUESTS:
                raise ProjectXError(f"more than {MAX_BAR_REQUESTS} retrieveBars requests for one gap")
            models = await _retrieve(rest, keeper, request.projectx_id, start, upper, page_s + 2)
            requests += 1
            got = [bar for bar in (_bar(m, request.spec) for m in models) if start <= bar.start_ns < upper]
            got = [bar for bar in got if bar.start_ns % NS_PER_SECOND == 0]
            for bar in got:
                bars[bar.start_ns] = bar
            oldest = min((bar.start_ns for bar in got), default=start)
            if oldest <= start or oldest >= upper:
                break
            upper = oldest
        start = stop
    return [bars[k] for k in sorted(bars)], requests


async def _retrieve(
    rest: ProjectXRest, keeper: TokenKeeper, projectx_id: str, start: int, stop: int, limit: int
) -> list[BarModel]:
    token = await keeper.token()
    try:
        return await rest.retrieve_bars(token, projectx_id, start, stop, limit=limit)
    except TokenRejected:
        keeper.invalidate()
        return await rest.retrieve_bars(await keeper.token(), projectx_id, start, stop, limit=limit)


def _bar(model: BarModel, spec: InstrumentSpec) -> Bar:
    return Bar(
        timestamp_ns(model.t),
        spec.ticks_from_price(model.o),
        spec.ticks_from_price(model.h),
        spec.ticks_from_price(model.l),
        spec.ticks_from_price(model.c),
        model.v,
    )
