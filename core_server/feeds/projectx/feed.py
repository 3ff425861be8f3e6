"""ProjectXFeed: quotes and trades from the ProjectX Gateway market hub, with bar backfill after reconnects.

Lifecycle of a connection: token (login or refreshed one) -> contract ids (Contract/search, once)
-> websocket to the market hub -> SignalR handshake -> SubscribeContractQuotes/Trades for every
contract. After a reconnect the live ticks are held while the gap is filled from 1-second bars,
then history and the held ticks are delivered, the gap is reported and the state is STREAMING.
A token refresher runs beside the connection so expiry never interrupts the stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

import aiohttp
import structlog
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, WebSocketException

from core_server.backoff import Backoff
from core_server.feeds.backfill import TickSplicer
from core_server.feeds.projectx import history
from core_server.feeds.projectx.auth import TokenKeeper, redact
from core_server.feeds.projectx.bars import BarFill, SecondTally
from core_server.feeds.projectx.config import ProjectXConfig
from core_server.feeds.projectx.contracts import resolve_contract
from core_server.feeds.projectx.hub import WEBSOCKET_LOG, HubConnection, HubEnded, hub_ws_url, negotiate
from core_server.feeds.projectx.messages import QUOTE_EVENT, TRADE_EVENT, MalformedPayload, MarketEventParser
from core_server.feeds.projectx.rest import AuthRejected, ProjectXError, ProjectXRest
from core_server.feeds.projectx.signalr import HubMessage
from core_server.feeds.stats import FeedStats
from core_server.model.clock import NS_PER_SECOND, Clock
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.instruments import Contract
from core_server.model.market_data import FeedGap, Tick, Trade
from core_server.ports import FeedSink

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
QUIET_SECOND_LAG_NS = NS_PER_SECOND // 4  # after a second ends, give the gateway this long to finish its bar
SETTLE_POLL_S = 0.02


class ProjectXFeed:
    """A MarketDataFeed over the ProjectX Gateway (TopstepX and other firms)."""

    kind = "projectx"
    quote_only = False

    def __init__(
        self,
        config: ProjectXConfig,
        contracts: Sequence[Contract],
        clock: Clock,
        *,
        name: str = "projectx",
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not contracts:
            raise ValueError("the ProjectX feed needs at least one contract")
        self.name = name
        self._config = config
        self._contracts = tuple(contracts)
        self._clock = clock
        self._sleep = sleep
        self._stats = FeedStats(clock, name, self.kind)
        self._backoff = backoff or Backoff(config.backoff_initial_s, config.backoff_max_s)
        self._parser = MarketEventParser()
        self._splicer = TickSplicer()
        self._tallies: dict[str, SecondTally] = {}  # newest second with delivered trades, per contract
        self._projectx_ids: dict[str, str] = {}
        self._covered_since: dict[str, int] = {}  # first live subscription per contract
        self._holding: list[Tick] | None = None
        self._hold_overflow = False
        self._streamed = False
        self._sink: FeedSink | None = None
        self._keeper: TokenKeeper | None = None
        self._hub: HubConnection | None = None
        self.backfilled_trades = 0
        self.history_pages = 0  # retrieveBars requests made for gaps
        self._added = asyncio.Event()  # contracts were added: the running session subscribes them
        self._session_contracts: set[str] = set()  # the contracts the current session has subscribed

    @property
    def contracts(self) -> tuple[str, ...]:
        return tuple(c.id for c in self._contracts)

    def add_contract(self, contract: Contract) -> None:
        """Stream `contract` too (the front month rolled): a running session resolves it and subscribes its quotes
        and trades on the hub; otherwise the next session subscribes it with the others."""
        if contract.id in self.contracts:
            return
        self._contracts += (contract,)
        self._added.set()
        log.info("feed.contract_added", feed=self.name, contract=contract.id)

    def status(self) -> FeedStatus:
        extra = {
            "hub": urlsplit(self._config.market_hub_url).hostname or "",
            "backfilled_trades": str(self.backfilled_trades),
            "history_pages": str(self.history_pages),
        }
        if self._keeper is not None:
            extra["logins"] = str(self._keeper.logins)
            extra["token_refreshes"] = str(self._keeper.refreshes)
        return dataclasses.replace(self._stats.snapshot(self.contracts), extra=extra)

    async def run(self, sink: FeedSink) -> None:
        self._sink = sink
        self._report(FeedState.CONNECTING, "logging in to the ProjectX Gateway")
        try:
            async with aiohttp.ClientSession() as http:
                rest = ProjectXRest(http, self._config.api_url, self._config.live, self._config.rest_timeout_s)
                self._keeper = TokenKeeper(rest, self._config, self._clock)
                refresher = asyncio.create_task(self._refresh_tokens(), name=f"{self.name}-token-refresh")
                try:
                    await self._connect_forever(http, rest)
                finally:
                    refresher.cancel()
                    await asyncio.wait([refresher])
        except asyncio.CancelledError:
            self._report(FeedState.STOPPED, "stopped")
            log.info("feed.stopped", feed=self.name, total_ticks=self._stats.total_ticks)
            raise

    async def _connect_forever(self, http: aiohttp.ClientSession, rest: ProjectXRest) -> None:
        while True:
            started = asyncio.get_running_loop().time()
            try:
                await self._session(http, rest)
                reason = "connection ended"
            except AuthRejected as exc:
                detail = self._redact(str(exc))
                self._report(FeedState.AUTH_FAILED, detail)
                log.error("feed.auth_failed", feed=self.name, reason=detail, retry_in_s=self._config.auth_retry_s)
                await self._sleep(self._config.auth_retry_s)
                continue
            except HubEnded as exc:
                if exc.token_refused and self._keeper is not None:
                    self._keeper.invalidate()
                reason = str(exc)
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403) and self._keeper is not None:
                    self._keeper.invalidate()
                reason = f"hub refused the websocket: HTTP {status}"
            except (ProjectXError, WebSocketException, OSError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            except Exception as exc:  # a bug must cost a reconnect, never the feed
                reason = f"unexpected {type(exc).__name__}: {exc}"
                log.error(
                    "feed.unexpected_error",
                    feed=self.name,
                    error=type(exc).__name__,
                    reason=self._redact(str(exc))[:300],
                )
            if asyncio.get_running_loop().time() - started >= self._config.backoff_max_s and self._streamed:
                self._backoff.reset()  # that connection proved healthy
            delay = self._backoff.next_delay()
            reason = self._redact(reason)[:300]
            self._report(FeedState.RECONNECTING, f"{reason}; retrying in {delay:.1f}s")
            log.warning("feed.reconnecting", feed=self.name, reason=reason, delay_s=round(delay, 3))
            await self._sleep(delay)

    async def _session(self, http: aiohttp.ClientSession, rest: ProjectXRest) -> None:
        assert self._keeper is not None
        token = await self._keeper.token()
        await self._resolve_contracts(rest, token)
        connection_token = None
        if self._config.negotiate:
            connection_token = await negotiate(
                http, self._config.market_hub_url, token, self._config.handshake_timeout_s
            )
        url = hub_ws_url(self._config.market_hub_url, token, connection_token)
        async with connect(
            url,
            max_size=self._config.max_frame_bytes,
            open_timeout=self._config.handshake_timeout_s,
            ping_interval=None,  # SignalR pings and the idle timeout keep watch instead
            close_timeout=1.0,
            user_agent_header="vigil",
            logger=WEBSOCKET_LOG,
        ) as ws:
            self._parser.reset_books()
            hub = HubConnection(ws, self._config, self._stats, self._on_invocations)
            self._hub = hub
            await hub.handshake()
            reader = asyncio.create_task(hub.read_loop(), name=f"{self.name}-read")
            pinger = asyncio.create_task(hub.ping_loop(), name=f"{self.name}-ping")
            backfill: asyncio.Task[None] | None = None
            adder: asyncio.Task[None] | None = None
            try:
                if self._streamed:
                    self._holding = []  # from the first subscription on, live ticks wait for the backfill
                    self._hold_overflow = False
                await self._subscribe(hub)
                if self._holding is not None:
                    backfill = asyncio.create_task(self._backfill(rest), name=f"{self.name}-backfill")
                    await asyncio.wait([reader, backfill], return_when=asyncio.FIRST_COMPLETED)
                    if not backfill.done():
                        await reader  # raises HubEnded: the held ticks are dropped, the next backfill covers them
                    backfill.result()
                else:
                    self._report(FeedState.STREAMING, f"streaming {len(self._contracts)} contracts")
                self._streamed = True
                adder = asyncio.create_task(self._subscribe_added(hub, rest), name=f"{self.name}-add")
                done, _ = await asyncio.wait([reader, adder], return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # the reader raises HubEnded; a failed subscription of an added contract ends too
            finally:
                self._holding = None
                self._hub = None
                self._session_contracts.clear()
                tasks = [t for t in (pinger, backfill, reader, adder) if t is not None]
                for task in tasks:
                    task.cancel()
                await asyncio.wait(tasks)

    async def _subscribe(self, hub: HubConnection) -> None:
        contracts = self._contracts
        errors = await self._subscribe_contracts(hub, contracts)
        if errors and len(errors) == 2 * len(contracts):
            raise HubEnded(f"every subscription was refused: {errors[0][:200]}")

    async def _subscribe_added(self, hub: HubConnection, rest: ProjectXRest) -> None:
        """For as long as the session runs: contracts added since it subscribed are resolved and subscribed on its
        hub (a new contract has nothing of ours to backfill: it is covered from its subscription on)."""
        assert self._keeper is not None
        while True:
            await self._added.wait()
            self._added.clear()
            await self._resolve_contracts(rest, await self._keeper.token())
            added = [c for c in self._contracts if c.id not in self._session_contracts]
            if added:
                await self._subscribe_contracts(hub, added)
                self._report(FeedState.STREAMING, f"streaming {len(self._contracts)} contracts")

    async def _subscribe_contracts(self, hub: HubConnection, contracts: Sequence[Contract]) -> list[str]:
        """Subscribe quotes and trades of `contracts`; the hub's refusals (logged)."""
        calls = []
        for contract in contracts:
            projectx_id = self._projectx_ids[contract.id]
            calls += [("SubscribeContractQuotes", projectx_id), ("SubscribeContractTrades", projectx_id)]
            self._session_contracts.add(contract.id)
        errors = await hub.invoke_all(calls)
        now = self._clock.now_ns()
        for contract in contracts:
            self._covered_since.setdefault(contract.id, now)
        if errors:
            log.error("projectx.subscribe_refused", feed=self.name, errors=errors[:4])
        return errors

    async def _resolve_contracts(self, rest: ProjectXRest, token: str) -> None:
        for contract in self._contracts:
            if contract.id in self._projectx_ids:
                continue
            results = await rest.search_contracts(token, contract.root)
            projectx_id = resolve_contract(contract, results)
            if projectx_id is None:
                projectx_id = contract.projectx_id
                log.warning(
                    "projectx.contract_not_found", contract=contract.id, using=projectx_id, results=len(results)
                )
            self._projectx_ids[contract.id] = projectx_id
            self._parser.add_contract(projectx_id, contract.id, contract.spec)
            log.info("projectx.contract_resolved", contract=contract.id, projectx_id=projectx_id)

    def _on_invocations(self, messages: list[HubMessage]) -> None:
        ts_init = self._clock.now_ns()
        ticks: list[Tick] = []
        for message in messages:
            target = message.target
            if target in (QUOTE_EVENT, TRADE_EVENT):
                try:
                    ticks += self._parser.parse(target, message.arguments, ts_init)
                except MalformedPayload as exc:
                    self._malformed(str(exc))
            else:
                self._malformed(f"unexpected event {target[:60]!r}")
        if ticks:
            self._deliver(ticks)

    def _deliver(self, ticks: list[Tick], *, live: bool = True) -> None:
        if self._holding is not None:
            self._holding += ticks
            if len(self._holding) > self._config.max_held_ticks and not self._hold_overflow:
                self._hold_overflow = True  # the backfill gives up waiting and reports the gaps unfilled
                log.warning("projectx.hold_overflow", feed=self.name, held=len(self._holding))
            return
        assert self._sink is not None
        self._sink.on_ticks(ticks)
        self._splicer.record_delivered(ticks)
        tallies = self._tallies
        for tick in ticks:
            if type(tick) is Trade:
                tally = tallies.get(tick.contract_id)
                if tally is not None and tick.ts_event - tally.second_ns < NS_PER_SECOND:
                    tally.add(tick.price, tick.size)
                else:
                    tallies[tick.contract_id] = SecondTally.of(tick)
        self._stats.record_ticks(len(ticks), ticks[-1].ts_event if live else 0)

    async def _backfill(self, rest: ProjectXRest) -> None:
        """Wait until the first live second of each contract is over, fill the gaps, deliver, report."""
        assert self._holding is not None and self._keeper is not None and self._sink is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._config.backfill_settle_s
        subscribed = self._clock.now_ns()
        quiet_after = subscribed - subscribed % NS_PER_SECOND + NS_PER_SECOND + QUIET_SECOND_LAG_NS
        ids = self.contracts
        while not self._hold_overflow and not history.is_settled(ids, self._holding, self._clock.now_ns(), quiet_after):
            if loop.time() >= deadline:
                break
            await asyncio.sleep(SETTLE_POLL_S)
        fills = []
        for contract in self._contracts:
            after = self._splicer.last_ts(contract.id)
            if after < 0:
                after = self._covered_since[contract.id]
            request = history.gap_request(
                contract.id, self._projectx_ids[contract.id], contract.spec, after, self._holding, self._clock.now_ns()
            )
            if request.end_ns <= history.second_of(after) and request.before_ns is None:
                continue  # back within the same second and nothing missed yet
            if self._hold_overflow:
                gap_end = request.before_ns if request.before_ns is not None else request.end_ns
                fills.append((BarFill([], False), FeedGap(contract.id, after, max(gap_end, after + 1), False)))
                continue
            fills.append(
                await history.fill_gap(
                    rest,
                    self._keeper,
                    request,
                    self._tallies.get(contract.id),
                    self._holding,
                    page_s=self._config.backfill_page_s,
                    max_gap_ns=int(self._config.backfill_max_gap_s * NS_PER_SECOND),
                    ts_init=self._clock.now_ns(),
                )
            )
        held, self._holding = self._holding, None
        synthetic = [trade for fill, _ in fills for trade in fill.trades]
        self.backfilled_trades += len(synthetic)
        self.history_pages += sum(gap.pages for _, gap in fills)
        if synthetic or held:
            self._deliver(_merge_per_contract(synthetic, held), live=False)
        for trade in synthetic:
            self._parser.raise_floor(trade.contract_id, trade.ts_event)
        for _, gap in fills:
            self._report_gap(gap)
        unfilled = sum(1 for _, gap in fills if not gap.filled)
        detail = f"streaming {len(self._contracts)} contracts; backfilled {len(synthetic)} trades"
        if unfilled:
            detail += f", {unfilled} gap(s) unfilled"
        self._report(FeedState.STREAMING, detail)
        log.info("projectx.backfilled", feed=self.name, trades=len(synthetic), held=len(held), unfilled=unfilled)

    async def _refresh_tokens(self) -> None:
        assert self._keeper is not None
        await self._keeper.keep_fresh(self._sleep, self.name)

    def _report_gap(self, gap: FeedGap) -> None:
        assert self._sink is not None
        self._stats.record_gap(gap)
        self._sink.on_gap(gap)

    def _malformed(self, reason: str) -> None:
        if self._hub is not None:
            self._hub.report_malformed(reason)
        else:
            self._stats.record_malformed()

    def _redact(self, text: str) -> str:
        secrets = self._keeper.secrets if self._keeper is not None else (self._config.api_key,)
        return redact(text, secrets)

    def _report(self, state: FeedState, detail: str) -> None:
        self._stats.set_state(state, detail)
        if self._sink is not None:
            self._sink.on_state(state, detail)


def _merge_per_contract(synthetic: Sequence[Tick], held: Sequence[Tick]) -> list[Tick]:
    """History then live, ordered by ts_event within each contract. Held quotes may fall inside
    the gap (before the first held trade), so they interleave with the synthetic trades."""
    by_contract: dict[str, tuple[list[Tick], list[Tick]]] = {}
    for tick in synthetic:
        by_contract.setdefault(tick.contract_id, ([], []))[0].append(tick)
    for tick in held:
        by_contract.setdefault(tick.contract_id, ([], []))[1].append(tick)
    merged: list[Tick] = []
    for past, live in by_contract.values():
        merged += heapq.merge(past, live, key=_ts_event)
    return merged


def _ts_event(tick: Tick) -> int:
    return tick.ts_event
