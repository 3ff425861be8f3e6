"""Every print, exactly: the live tick-chart subscription that carries the trades, and the per-contract mark of
the newest print delivered (by exchange time and tick id), against which live and history are de-duplicated.

Tradovate's quote messages coalesce trades (`Trade` is only the last print, `TotalTradeVolume` rises by all of
them), so trades are taken from an `md/getChart` Tick subscription instead: its realtime packets hold every print
with its tick id, in the same compact form the backfill decodes. Quotes then only give the bid and ask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core_server.feeds.tradovate.history import TICK_CHART, chart_ids
from core_server.feeds.tradovate.messages import ChartTick, decode_tick_packet, iso_from_ns
from core_server.model.clock import NS_PER_SECOND
from core_server.model.instruments import Contract

BASELINE_LOOKBACK_NS = 7 * 86_400 * NS_PER_SECOND  # how far back the live chart's one history tick may be


def live_chart_request(symbol: str, now_ns: int) -> dict[str, Any]:
    """A Tick chart from the newest print on: one history tick (the baseline), then every print live."""
    time_range = {"asFarAsTimestamp": iso_from_ns(now_ns - BASELINE_LOOKBACK_NS), "asMuchAsElements": 1}
    return {"symbol": symbol, "chartDescription": TICK_CHART, "timeRange": time_range}


class LiveChart:
    """One contract's live tick chart: history packets (before `eoh`, or under the historical id when the
    server splits ids) give the newest print before we listened; the rest are live prints."""

    def __init__(
        self,
        contract: Contract,
        on_prints: Callable[[Contract, list[ChartTick]], None],
        on_baseline: Callable[[Contract, ChartTick], None],
    ) -> None:
        self.contract = contract
        self._on_prints = on_prints
        self._on_baseline = on_baseline
        self.historical_id: int | None = None
        self.realtime_id: int | None = None
        self.history_done = False
        self.baseline: ChartTick | None = None

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple({i for i in (self.historical_id, self.realtime_id) if i is not None})

    def on_response(self, data: Any) -> None:
        historical, realtime = chart_ids(data)
        self.historical_id, self.realtime_id = historical, realtime if realtime is not None else historical

    def on_packet(self, packet: dict[str, Any]) -> None:
        chart_id = packet.get("id")
        if packet.get("eoh"):
            if chart_id == self.historical_id and not self.history_done:
                self.history_done = True
                if self.baseline is not None:
                    self._on_baseline(self.contract, self.baseline)
            return
        if "tks" not in packet:
            return
        ticks = decode_tick_packet(packet, self.contract.spec)
        split = self.realtime_id != self.historical_id
        history = chart_id == self.historical_id if split else not self.history_done
        if history:
            newest = max(ticks, key=lambda t: (t.ts_ns, t.tick_id), default=None)
            if newest is not None and (self.baseline is None or newest > self.baseline):
                self.baseline = newest
        elif ticks:
            self._on_prints(self.contract, ticks)


@dataclass(slots=True)
class _Mark:
    ts_ns: int
    ids: set[int] = field(default_factory=set)  # tick ids delivered at ts_ns


class PrintMarks:
    """Per contract, the newest delivered print: its exchange time and the tick ids delivered at that time."""

    def __init__(self) -> None:
        self._marks: dict[str, _Mark] = {}

    def last_ts(self, contract_id: str) -> int:
        mark = self._marks.get(contract_id)
        return mark.ts_ns if mark else -1

    def known(self, contract_id: str) -> bool:
        return contract_id in self._marks

    def set_baseline(self, contract_id: str, tick: ChartTick) -> None:
        """The newest print before we listened: not delivered, but where a later backfill starts."""
        if contract_id not in self._marks:
            self._marks[contract_id] = _Mark(tick.ts_ns, {tick.tick_id})

    def admit(self, contract_id: str, ticks: Iterable[ChartTick]) -> list[ChartTick]:
        """The prints not delivered yet, in (time, id) order, each once; recorded as delivered."""
        mark = self._marks.get(contract_id)
        seen: set[int] = set()
        out: list[ChartTick] = []
        for tick in sorted(ticks, key=lambda t: (t.ts_ns, t.tick_id)):
            if tick.tick_id and tick.tick_id in seen:  # a print without an id (0) cannot be matched: kept
                continue
            if mark is not None and (
                tick.ts_ns < mark.ts_ns or (tick.ts_ns == mark.ts_ns and tick.tick_id in mark.ids)
            ):
                continue
            seen.add(tick.tick_id)
            out.append(tick)
            if mark is None or tick.ts_ns > mark.ts_ns:
                mark = self._marks[contract_id] = _Mark(tick.ts_ns, {tick.tick_id})
            else:
                mark.ids.add(tick.tick_id)
        return out
