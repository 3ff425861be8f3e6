"""The Tradovate market-data feed: login, md socket, quotes for bid/ask, every print from a live tick chart,
reconnect and gap backfill by tick id."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import structlog
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from core_server.backoff import Backoff
from core_server.feeds.stats import FeedStats
from core_server.feeds.tradovate.auth import (
    AccessToken,
    AuthFailure,
    RestUnavailable,
    Sleep,
    TokenKeeper,
    TokenRejected,
    TradovateRest,
)
from core_server.feeds.tradovate.config import TradovateConfig
from core_server.feeds.tradovate.connection import ConnectionLost, MdConnection, Response
from core_server.feeds.tradovate.framing import encode_body
from core_server.feeds.tradovate.history import DeliveredTail, HistoryFetcher
from core_server.feeds.tradovate.messages import ChartTick, MalformedMessage, QuoteParser
from core_server.feeds.tradovate.prints import LiveChart, PrintMarks, live_chart_request
from core_server.model.clock import Clock, LiveClock
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.instruments import Contract
from core_server.model.market_data import Aggressor, FeedGap, Tick, Trade
from core_server.ports import FeedSink

log = structlog.get_logger(__name__)

_DROPS = (ConnectionLost, RestUnavailable, TokenRejected, OSError, TimeoutError, WebSocketException)


class _NullSink:
    def on_ticks(self, ticks: Sequence[Tick]) -> None: ...
    def on_gap(self, gap: FeedGap) -> None: ...
    def on_state(self, state: FeedState, detail: str) -> None: ...


class TradovateFeed:
    """A MarketDataFeed streaming quotes and trades from Tradovate's market-data socket.

    Quotes (md/subscribeQuote) give the bid and ask only: their Trade entry is the last of possibly several
    prints. Trades come from a live md/getChart Tick subscription, every print with its tick id. After a
    reconnect it subscribes live first, holds the live ticks, fetches the missed prints with md/getChart from
    the newest delivered print (paging backwards until it is reached), and delivers history and the held
    prints once each by tick id, followed by a FeedGap (filled, or not when history could not cover it).
    """

    kind = "tradovate"
    is_realtime = True

    def __init__(
        self,
        config: TradovateConfig,
        contracts: Sequence[Contract],
        *,
        clock: Clock | None = None,
        name: str = "tradovate",
        http: aiohttp.ClientSession | None = None,
        seed: int = 0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self._config = config
        self._contracts = tuple(contracts)
        self._clock = clock or LiveClock()
        self._http = http
        self._stats = FeedStats(self._clock, name, self.kind)
        self._sleep = sleep
        self._tokens = TokenKeeper(config, self._clock, sleep=sleep)
        self._parser = QuoteParser(self._clock, trades=False)
        self._backoff = Backoff(config.backoff_initial_s, config.backoff_max_s, seed=seed)
        self._auth_backoff = Backoff(config.auth_backoff_initial_s, config.auth_backoff_max_s, seed=seed + 1)
        self._sink: FeedSink = _NullSink()
        self._tradovate_ids: dict[str, int] = {}
        self._unknown: set[str] = set()
        self._unsubscribed: set[str] = set()
        self._no_prints: set[str] = set()  # quotes stream, but the tick chart (the trades) was refused
        self._delivered = DeliveredTail()
        self._holds: dict[str, list[Tick]] = {}
        self._held_prints: dict[str, list[ChartTick]] = {}
        self._marks = PrintMarks()
        self._live_prints = 0
        self._history_pages = 0
        self._backfilled = 0
        self._history = HistoryFetcher(config, self._malformed)
        self._streaming_since = 0.0
        self._authorize_refusals = 0
        self._server_notice = ""
        self._added = asyncio.Event()  # contracts were added: the running session subscribes them
        self._session_contracts: set[str] = set()  # the contracts the current session has asked for

    @property
    def contracts(self) -> tuple[str, ...]:
        return tuple(contract.id for contract in self._contracts)

    def add_contract(self, contract: Contract) -> None:
        """Stream `contract` too (the front month rolled): a running session resolves and subscribes it (quotes and
        the tick chart) on its socket; otherwise the next session asks for it with the others."""
        if contract.id in self.contracts:
            return
        self._contracts += (contract,)
        self._added.set()
        log.info("feed.contract_added", feed=self.name, contract=contract.id)

    def status(self) -> FeedStatus:
        snapshot = self._stats.snapshot(self.contracts)
        extra = {
            "unknown_contracts": ",".join(sorted(self._unknown)),
            "logins": str(self._tokens.logins),
            "token_renewals": str(self._tokens.renewals),
            "coalesced_prints": str(self._parser.coalesced_prints),
            "coalesced_volume": str(self._parser.coalesced_volume),
            "live_prints": str(self._live_prints),
            "history_pages": str(self._history_pages),
            "backfilled_ticks": str(self._backfilled),
        }
        return dataclasses.replace(snapshot, extra=extra)

    async def run(self, sink: FeedSink) -> None:
        self._sink = sink
        http = self._http or aiohttp.ClientSession()
        rest = TradovateRest(http, self._config, self._clock, sleep=self._sleep, on_wait=self._waiting)
        try:
            await self._run(rest)
        finally:
            self._set_state(FeedState.STOPPED, "stopped")
            if self._http is None:
                await http.close()

    async def _run(self, rest: TradovateRest) -> None:
        while True:
            try:
                await self._connect_once(rest)
            except AuthFailure as exc:
                self._tokens.invalidate()
                delay = self._config.captcha_wait_s if exc.captcha else self._auth_backoff.next_delay()
                log.warning("tradovate.auth_failed", reason=exc.reason, retry_in_s=round(delay, 1))
                self._set_state(FeedState.AUTH_FAILED, f"{exc.reason}; retrying in {delay:.1f} s")
                await self._sleep(delay)
            except _Dropped as dropped:
                await self._sleep(dropped.delay)
            except _DROPS as exc:
                if isinstance(exc, TokenRejected):
                    self._tokens.invalidate()
                await self._sleep(self._dropped(str(exc) or type(exc).__name__))
            except Exception as exc:  # a bug must not end the feed: log it, reconnect with backoff
                log.exception("tradovate.unexpected_error")
                await self._sleep(self._dropped(f"unexpected error: {type(exc).__name__}"))

    def _dropped(self, reason: str) -> float:
        """Report the drop now (state RECONNECTING) and return how long to wait before reconnecting."""
        loop_time = asyncio.get_running_loop().time()
        if self._streaming_since and loop_time - self._streaming_since >= self._config.backoff_reset_after_s:
            self._backoff.reset()
        self._streaming_since = 0.0
        delay = self._backoff.next_delay()
        log.warning("tradovate.reconnecting", reason=reason, retry_in_s=round(delay, 2))
        self._set_state(FeedState.RECONNECTING, f"{reason}; reconnecting in {delay:.1f} s")
        return delay

    async def _connect_once(self, rest: TradovateRest) -> None:
        if self._stats.state in (FeedState.STARTING, FeedState.AUTH_FAILED, FeedState.STOPPED):
            self._set_state(FeedState.CONNECTING, "logging in")
        token = await self._tokens.current(rest)
        self._auth_backoff.reset()
        await self._resolve_contracts(rest, token)
        config = self._config
        async with connect(
            config.md_url,
            open_timeout=config.connect_timeout_s,
            close_timeout=config.close_timeout_s,
            ping_interval=None,  # the protocol's own heartbeats and the idle timeout detect dead sockets
            max_size=config.max_socket_frame_bytes,
        ) as ws:
            conn = MdConnection(ws, config, self._stats, self._on_events)
            tasks = {
                asyncio.create_task(conn.read()),
                asyncio.create_task(conn.heartbeat()),
                asyncio.create_task(self._tokens.keep_fresh(rest)),
            }
            setup = asyncio.create_task(self._start_session(conn, token))
            waiting = tasks | {setup}
            try:
                while True:
                    done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        error = task.exception()
                        if task is setup and error is None:
                            waiting.discard(setup)
                            waiting.add(asyncio.create_task(self._subscribe_added(conn, rest)))
                            continue
                        raise error or ConnectionLost("connection task ended")
            except _DROPS as exc:
                if isinstance(exc, TokenRejected):
                    self._tokens.invalidate()
                raise _Dropped(self._dropped(str(exc) or type(exc).__name__)) from None
            finally:
                for task in waiting:
                    task.cancel()
                await asyncio.gather(*waiting, return_exceptions=True)
                conn.fail_pending("connection closed")
                self._session_contracts.clear()
                self._holds.clear()  # not delivered: the next backfill starts from the last delivered print
                self._held_prints.clear()
                self._history.forget_charts()

    async def _resolve_contracts(self, rest: TradovateRest, token: AccessToken) -> None:
        for contract in self._contracts:
            if contract.id in self._tradovate_ids:
                continue
            found = await rest.find_contract(token, contract.tradovate_symbol)
            if found is None:
                if contract.id not in self._unknown:
                    log.warning("tradovate.unknown_contract", contract=contract.id, symbol=contract.tradovate_symbol)
                self._unknown.add(contract.id)
                continue
            self._unknown.discard(contract.id)
            self._tradovate_ids[contract.id] = found
            self._parser.add_contract(found, contract)

    async def _start_session(self, conn: MdConnection, token: AccessToken) -> None:
        await conn.wait_open()
        response = await conn.request("authorize", token.md_access_token)
        if response.status != 200:
            self._tokens.invalidate()
            self._authorize_refusals += 1
            if self._authorize_refusals >= 2:
                raise AuthFailure(f"market-data socket refused the token (status {response.status})")
            raise ConnectionLost(f"market-data socket refused the token (status {response.status}); logging in again")
        self._authorize_refusals = 0
        self._server_notice = ""
        backfills = []
        for contract in self._contracts:
            tradovate_id = self._tradovate_ids.get(contract.id)
            if tradovate_id is None:
                continue
            start = self._marks.last_ts(contract.id)
            if start < 0:
                start = self._delivered.last_ts(contract.id)
            if start >= 0:
                self._holds[contract.id] = []
                self._held_prints[contract.id] = []
            if not await self._stream(conn, contract, tradovate_id):
                self._holds.pop(contract.id, None)
                self._held_prints.pop(contract.id, None)
            elif start >= 0:
                backfills.append(self._backfill(conn, contract, start))
        await asyncio.gather(*backfills)
        self._streaming_since = asyncio.get_running_loop().time()
        self._set_state(FeedState.STREAMING, self._detail())

    async def _subscribe_added(self, conn: MdConnection, rest: TradovateRest) -> None:
        """For as long as the session runs: contracts added since it started are resolved and subscribed on it (a
        new contract has no prints of ours before now, so nothing to backfill). A failure here ends the session,
        and the next one asks for every contract."""
        while True:
            await self._added.wait()
            self._added.clear()
            await self._resolve_contracts(rest, await self._tokens.current(rest))
            for contract in self._contracts:
                tradovate_id = self._tradovate_ids.get(contract.id)
                if tradovate_id is None or contract.id in self._session_contracts:
                    continue
                await self._stream(conn, contract, tradovate_id)
            self._set_state(FeedState.STREAMING, self._detail())

    async def _stream(self, conn: MdConnection, contract: Contract, tradovate_id: int) -> bool:
        """Ask this session for the contract's quotes, then its tick chart (the trades); True when both stream."""
        self._session_contracts.add(contract.id)
        self._parser.expect_snapshot(tradovate_id)
        return await self._subscribe(conn, contract) and await self._open_live_chart(conn, contract)

    async def _subscribe(self, conn: MdConnection, contract: Contract) -> bool:
        body: dict[str, Any] = {"symbol": contract.tradovate_symbol}
        for _ in range(self._config.max_penalty_rounds + 1):
            response = await conn.request("md/subscribeQuote", encode_body(body))
            data = response.data
            if response.status == 200 and type(data) is dict and "p-ticket" in data:
                if data.get("p-captcha"):
                    raise AuthFailure("Tradovate demands a captcha for market-data requests", captcha=True)
                await self._sleep(float(data.get("p-time") or 1))
                body = {**body, "p-ticket": data["p-ticket"]}
                continue
            if response.status == 200:
                self._unsubscribed.discard(contract.id)
                return True
            reason = str(data)[:200]
            log.warning("tradovate.subscribe_failed", contract=contract.id, status=response.status, reason=reason)
            break
        self._unsubscribed.add(contract.id)
        return False

    async def _open_live_chart(self, conn: MdConnection, contract: Contract) -> bool:
        """The Tick chart that carries every print of the contract from now on (a time penalty is waited out
        and the request resent with its ticket, as for quotes). Refused: the contract streams quotes only,
        named in the status detail."""
        body: dict[str, Any] = live_chart_request(contract.tradovate_symbol, self._clock.now_ns())
        response = Response(0, None)
        for _ in range(self._config.max_penalty_rounds + 1):
            chart = LiveChart(contract, self._on_prints, self._on_baseline)
            response = await conn.request("md/getChart", encode_body(body), on_response=self._live_opened(chart))
            data = response.data
            if response.status == 200 and type(data) is dict and "p-ticket" in data:
                if data.get("p-captcha"):
                    raise AuthFailure("Tradovate demands a captcha for market-data requests", captcha=True)
                await self._sleep(float(data.get("p-time") or 1))
                body = {**body, "p-ticket": data["p-ticket"]}
                continue
            if response.status == 200 and chart.ids:
                self._no_prints.discard(contract.id)
                return True
            break
        log.warning("tradovate.live_chart_refused", contract=contract.id, status=response.status)
        self._no_prints.add(contract.id)
        return False

    def _live_opened(self, chart: LiveChart) -> Callable[[Response], None]:
        def opened(response: Response) -> None:
            data = response.data
            if response.status != 200 or (type(data) is dict and "p-ticket" in data):
                return
            try:
                chart.on_response(data)
            except MalformedMessage as exc:
                self._malformed("getChart response", exc)
                return
            self._history.register(chart.ids, chart)

        return opened

    def _on_baseline(self, contract: Contract, tick: ChartTick) -> None:
        self._marks.set_baseline(contract.id, tick)

    def _on_prints(self, contract: Contract, prints: list[ChartTick]) -> None:
        self._live_prints += len(prints)
        held = self._held_prints.get(contract.id)
        if held is not None:
            held.extend(prints)
            return
        self._deliver(self._trades(contract, self._marks.admit(contract.id, prints)))

    def _trades(self, contract: Contract, prints: Sequence[ChartTick]) -> list[Tick]:
        now = self._clock.now_ns()
        return [Trade(contract.id, p.ts_ns, now, p.price, p.size, Aggressor.NONE) for p in prints if p.size]

    async def _backfill(self, conn: MdConnection, contract: Contract, start_ns: int) -> None:
        result = await self._history.fetch(conn, contract, start_ns, anchored=self._marks.known(contract.id))
        self._history_pages += result.pages
        held = self._holds.pop(contract.id, [])
        held_prints = self._held_prints.pop(contract.id, [])
        history = result.ticks or []
        live_ids = {p.tick_id for p in held_prints if p.tick_id}
        admitted = self._marks.admit(contract.id, [*history, *held_prints])
        backfilled = sum(1 for p in admitted if not (p.tick_id and p.tick_id in live_ids)) if history else 0
        self._backfilled += backfilled
        merged = sorted([*self._trades(contract, admitted), *held], key=lambda tick: tick.ts_event)
        self._deliver(merged, live=False)
        after = sorted(
            [tick.ts_event for tick in held if tick.ts_event > start_ns]
            + [p.ts_ns for p in held_prints if p.ts_ns > start_ns]
        )
        end = after[0] if after else history[-1].ts_ns if history else max(start_ns, self._clock.now_ns())
        gap = FeedGap(contract.id, start_ns, end, result.ticks is not None, backfilled, result.pages)
        log.info(
            "tradovate.gap_backfilled" if gap.filled else "tradovate.gap_unfilled",
            contract=contract.id,
            start_ns=start_ns,
            end_ns=end,
            history_ticks=len(history),
            backfilled_ticks=backfilled,
            pages=result.pages,
            held_ticks=len(held) + len(held_prints),
        )
        self._stats.record_gap(gap)
        self._sink.on_gap(gap)

    def _on_events(self, events: list[Any]) -> None:
        ticks: list[Tick] = []
        for event in events:
            kind = event.get("e")
            data = event.get("d")
            try:
                if kind == "md":
                    errors = self._parser.parse(data, ticks)
                    for error in errors:
                        self._malformed("md", error)
                elif kind == "chart":
                    self._history.on_charts(data)
                elif kind == "shutdown":
                    self._on_shutdown(data)
                elif kind not in ("props", "clock"):
                    raise MalformedMessage(f"unexpected event kind {str(kind)[:40]!r}")
            except MalformedMessage as exc:
                self._malformed(str(kind)[:40], exc)
        if ticks:
            self._route(ticks)

    def _on_shutdown(self, data: Any) -> None:
        """The server will close the socket soon (maintenance, connection quota); say why in the status."""
        fields = data if type(data) is dict else {}
        code, reason = str(fields.get("reasonCode", ""))[:40], str(fields.get("reason", ""))[:160]
        self._server_notice = f"server shutting down: {code} {reason}".rstrip()
        log.warning("tradovate.server_shutdown", reason_code=code, reason=reason)
        if self._stats.state is FeedState.STREAMING:
            self._set_state(FeedState.STREAMING, self._detail())

    def _route(self, ticks: list[Tick]) -> None:
        holds = self._holds
        if not holds:
            self._deliver(ticks)
            return
        live: list[Tick] = []
        for tick in ticks:
            held = holds.get(tick.contract_id)
            if held is None:
                live.append(tick)
            else:
                held.append(tick)
        self._deliver(live)

    def _deliver(self, ticks: list[Tick], live: bool = True) -> None:
        """Hand ticks to the sink. Backfilled ones stay out of the latency figures (they are late by design)."""
        if not ticks:
            return
        self._delivered.record(ticks)
        self._sink.on_ticks(ticks)
        self._stats.record_ticks(len(ticks), ticks[-1].ts_event if live else 0)

    def _malformed(self, what: str, error: Exception) -> None:
        self._stats.record_malformed()
        log.warning("tradovate.malformed_message", kind=what, reason=str(error)[:200])

    def _detail(self) -> str:
        parts = [f"streaming {len(self._tradovate_ids) - len(self._unsubscribed)} contract(s)"]
        if self._unknown:
            parts.append(f"unknown contract(s): {', '.join(sorted(self._unknown))}")
        if self._unsubscribed:
            parts.append(f"subscription refused: {', '.join(sorted(self._unsubscribed))}")
        if self._no_prints:
            parts.append(f"tick chart refused, no trades: {', '.join(sorted(self._no_prints))}")
        if self._server_notice:
            parts.append(self._server_notice)
        return "; ".join(parts)

    def _waiting(self, detail: str) -> None:
        self._set_state(self._stats.state, detail)

    def _set_state(self, state: FeedState, detail: str) -> None:
        changed = state is not self._stats.state
        self._stats.set_state(state, detail)
        if changed:
            self._sink.on_state(state, detail)


class _Dropped(Exception):
    """A connection ended and was already reported; wait `delay` seconds before the next attempt."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"reconnect in {delay:.1f} s")
        self.delay = delay
