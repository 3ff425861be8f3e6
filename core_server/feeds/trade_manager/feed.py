"""TradeManagerFeed: a push-only websocket of JSON price messages, delivered as quote-only ticks.

The stream has no subscribe step, no timestamps, no sizes and no history: quotes are stamped on
arrival, candles come from a configured quote price (`quote_only`), and every reconnect reports its
gap unfilled, from the last message heard to the new connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from core_server.backoff import Backoff
from core_server.feeds.stats import FeedStats
from core_server.feeds.trade_manager.config import TradeManagerConfig
from core_server.feeds.trade_manager.messages import MalformedMessage, QuoteStreamParser
from core_server.model.clock import NS_PER_SECOND, Clock
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.instruments import Contract
from core_server.model.market_data import FeedGap
from core_server.ports import FeedSink

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]
MALFORMED_LOG_FIRST = 20
MALFORMED_LOG_EVERY = 1000
MESSAGE_TOO_BIG = 1009  # the close code websockets sends when a frame exceeds max_size


class _StreamEnded(Exception):
    pass


class TradeManagerFeed:
    """A MarketDataFeed over a Trade Manager style price stream (quotes only)."""

    kind = "trade_manager"
    quote_only = True

    def __init__(
        self,
        config: TradeManagerConfig,
        contracts: Sequence[Contract],
        clock: Clock,
        *,
        name: str = "trade_manager",
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not contracts:
            raise ValueError("the Trade Manager feed needs at least one contract")
        self.name = name
        self._config = config
        self._contracts = tuple(contracts)
        self._clock = clock
        self._sleep = sleep
        self._stats = FeedStats(clock, name, self.kind)
        self._backoff = backoff or Backoff(config.backoff_initial_s, config.backoff_max_s)
        self._parser = QuoteStreamParser(contracts)
        self._sink: FeedSink | None = None
        self._blind_since: int | None = None  # when we last knew we were seeing everything
        self._malformed = 0

    @property
    def contracts(self) -> tuple[str, ...]:
        return tuple(c.id for c in self._contracts)

    def add_contract(self, contract: Contract) -> None:
        """The front month of `contract`'s root rolled to it. The stream has no subscriptions and its continuous
        tickers (`NQ1!`) carry the front month's prices: they price `contract` from now on (a dated ticker of the
        earlier month, if the stream sends one, still prices that month)."""
        if contract.id in self.contracts:
            return
        self._contracts += (contract,)
        self._parser.add_contract(contract)
        log.info("feed.contract_added", feed=self.name, contract=contract.id)

    def status(self) -> FeedStatus:
        return self._stats.snapshot(self.contracts)

    async def run(self, sink: FeedSink) -> None:
        self._sink = sink
        self._report(FeedState.CONNECTING, "connecting to the Trade Manager stream")
        try:
            while True:
                started = asyncio.get_running_loop().time()
                try:
                    await self._session()
                    reason = "connection ended"
                except InvalidStatus as exc:
                    status = exc.response.status_code
                    if status in (401, 403):
                        detail = f"stream refused the connection: HTTP {status}; check TRADE_MANAGER_TOKEN"
                        self._report(FeedState.AUTH_FAILED, detail)
                        log.error(
                            "feed.auth_failed", feed=self.name, status=status, retry_in_s=self._config.auth_retry_s
                        )
                        await self._sleep(self._config.auth_retry_s)
                        continue
                    reason = f"stream refused the connection: HTTP {status}"
                except (_StreamEnded, WebSocketException, OSError, TimeoutError) as exc:
                    reason = str(exc) or type(exc).__name__
                except Exception as exc:  # a bug must cost a reconnect, never the feed
                    reason = f"unexpected {type(exc).__name__}"
                    log.error(
                        "feed.unexpected_error", feed=self.name, error=type(exc).__name__, reason=self._safe(str(exc))
                    )
                if asyncio.get_running_loop().time() - started >= self._config.backoff_max_s:
                    self._backoff.reset()
                delay = self._backoff.next_delay()
                reason = self._safe(reason)[:300]
                self._report(FeedState.RECONNECTING, f"{reason}; retrying in {delay:.1f}s")
                log.warning("feed.reconnecting", feed=self.name, reason=reason, delay_s=round(delay, 3))
                await self._sleep(delay)
        except asyncio.CancelledError:
            self._report(FeedState.STOPPED, "stopped")
            log.info("feed.stopped", feed=self.name, total_ticks=self._stats.total_ticks)
            raise

    async def _session(self) -> None:
        config = self._config
        headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
        async with connect(
            self._url(),
            additional_headers=headers,
            max_size=config.max_frame_bytes,
            open_timeout=config.open_timeout_s,
            ping_interval=config.ping_interval_s,
            ping_timeout=config.ping_timeout_s,
            close_timeout=1.0,
            user_agent_header="vigil",
        ) as ws:
            now = self._clock.now_ns()
            self._parser.reset_books()
            if self._blind_since is not None:
                self._report_gaps(self._blind_since, now)
            self._blind_since = now
            self._report(FeedState.STREAMING, f"connected; {len(self._contracts)} contracts")
            await self._read(ws)

    async def _read(self, ws: ClientConnection) -> None:
        config = self._config
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        stale = False
        while True:
            silent = loop.time() - last_heard
            limit = config.stale_after_s if not stale else config.idle_timeout_s or float("inf")
            try:
                async with asyncio.timeout(max(limit - silent, 0.0)):
                    frame = await ws.recv()
            except TimeoutError:
                if stale:
                    raise _StreamEnded(f"no message for {config.idle_timeout_s:g}s") from None
                stale = True
                self._report(FeedState.STALE, f"no message for {config.stale_after_s:g}s")
                continue
            except ConnectionClosed as exc:
                if exc.sent is not None and exc.sent.code == MESSAGE_TOO_BIG:
                    self._count_malformed("frame larger than max_frame_bytes")
                code = exc.rcvd.code if exc.rcvd else "none"
                raise _StreamEnded(f"connection closed (code {code})") from None
            last_heard = loop.time()
            if stale:
                stale = False
                self._report(FeedState.STREAMING, f"streaming {len(self._contracts)} contracts")
            self._on_frame(frame)

    def _on_frame(self, frame: str | bytes) -> None:
        now = self._clock.now_ns()
        self._stats.record_message()
        self._blind_since = now
        if len(frame) > self._config.max_message_bytes:
            self._count_malformed("message larger than max_message_bytes")
            return
        try:
            quote = self._parser.parse(frame, now)
        except MalformedMessage as exc:
            self._count_malformed(str(exc))
            return
        if quote is not None:
            assert self._sink is not None
            self._sink.on_ticks((quote,))
            self._stats.record_ticks(1)

    def _report_gaps(self, start_ns: int, end_ns: int) -> None:
        assert self._sink is not None
        for contract_id in self.contracts:
            gap = FeedGap(contract_id, start_ns, max(end_ns, start_ns + 1), False)
            self._stats.record_gap(gap)
            self._sink.on_gap(gap)
        log.info("feed.gap_unfilled", feed=self.name, seconds=round((end_ns - start_ns) / NS_PER_SECOND, 3))

    def _url(self) -> str:
        config = self._config
        if not (config.token and config.token_param):
            return config.url
        parts = urlsplit(config.url)
        query = "&".join(q for q in (parts.query, urlencode({config.token_param: config.token})) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

    def _count_malformed(self, reason: str) -> None:
        self._stats.record_malformed()
        self._malformed += 1
        if self._malformed <= MALFORMED_LOG_FIRST or self._malformed % MALFORMED_LOG_EVERY == 0:
            log.warning("feed.malformed_frame", feed=self.name, reason=self._safe(reason)[:200], count=self._malformed)

    def _safe(self, text: str) -> str:
        token = self._config.token
        return text.replace(token, "<redacted>") if token else text

    def _report(self, state: FeedState, detail: str) -> None:
        self._stats.set_state(state, detail)
        if self._sink is not None:
            self._sink.on_state(state, detail)
