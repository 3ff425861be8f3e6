"""BrokerDesk: bindings, the live-routing switch, and every call that reaches a broker.

The one rule: nothing reaches a broker unless the account is bound AND an admin enabled live routing for it.
Every order, cancel, modify and flatten checks that first (FailedPrecondition otherwise, before any adapter
exists), then runs the pre-trade risk check, then sends. Reconciliation reads the broker's positions and open
orders, compares them with what Vigil expected (the positions its own orders' fills made, and the last
reconciliation), records each difference in the audit trail, and adopts the broker's truth.

Before comparing positions, reconciliation reads the broker's order and fill history and hands it to
`catch_up` (the router): Vigil's routed orders that filled or ended at the broker while Vigil could not see it
(a dropped socket, Vigil stopped) are booked from the broker's own fills, so the comparison finds nothing left
to adopt. When a broker socket drops by itself, a background loop reconnects it with the shared backoff
(core_server/backoff.py) and reconciles every account bound to it; the broker listing shows the state.

A link connected by one of the router's sends (`routed_sends`) is reconciled once those sends are done, not
before the send goes on: that reconciliation books the fills already reported first, and a fill waits for the
router's sends (it may beat its order's acknowledgement), so reconciling inside the send would wait on itself
(issue 15). The order is still sent once: its client id finds it at the broker, and catching up books its fills
exactly once whichever of the socket and the history reports them first. The router's recovery after a restart
(`recover`, inside its sends as well) catches up at once, so the fills held meanwhile find their orders, and
reconciles the positions the same way, once the sends are done.

The periodic pass reads the history incrementally (brokers/history_window.py: the orders open at the last read
and those created or changed since, with their fills), not the account's whole history; reconciliation on
connect, on every reconnect and on demand reads it in full.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

import structlog

from core_server.backoff import Backoff
from core_server.brokers import credentials
from core_server.brokers.model import (
    TRADOVATE_ENVIRONMENTS,
    AuditEntry,
    Binding,
    BrokerFill,
    BrokerKind,
    BrokerOrder,
    BrokerOrderRequest,
    BrokerPosition,
    Difference,
    FlattenReport,
    LinkState,
    Placement,
    Reconciliation,
)
from core_server.brokers.projectx import ProjectXBroker
from core_server.brokers.tradovate import BrokerUnavailable, TradovateBroker
from core_server.config import ConfigError
from core_server.durable import DurableWriter
from core_server.model.clock import Clock
from core_server.model.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Unavailable

log = structlog.get_logger(__name__)

PreTrade = Callable[[str, BrokerOrderRequest], Awaitable[str | None]]  # (account, order) -> denial reason or None
FillListener = Callable[[str, BrokerFill], None]  # (Vigil account id, fill)
# (Vigil account, the broker's orders, its fills) -> the broker order ids that are Vigil's routed orders
CatchUp = Callable[[str, tuple[BrokerOrder, ...], tuple[BrokerFill, ...]], Awaitable[set[str]]]


_STATE_READS = 3  # a reconciliation reads the broker's positions again while fills keep arriving, at most this often
# True inside the router's sends (live/broker_router.py): a link they connect reconciles after them (`_connect`).
_ROUTED_SEND: ContextVar[bool] = ContextVar("broker_routed_send", default=False)


@contextlib.contextmanager
def routed_sends() -> Iterator[None]:
    """Calls made inside are the router's sends: a link they connect is reconciled once the sends are done."""
    token = _ROUTED_SEND.set(True)
    try:
        yield
    finally:
        _ROUTED_SEND.reset(token)


class Adapter(Protocol):
    state: LinkState
    detail: str
    on_drop: Callable[[], None] | None

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def place(self, broker_account: str, request: BrokerOrderRequest) -> Placement: ...
    async def cancel(self, broker_account: str, order_id: str) -> Placement: ...
    async def modify(
        self, broker_account: str, order_id: str, quantity: int, limit: Decimal | None, stop: Decimal | None
    ) -> Placement: ...
    async def open_orders(self, broker_account: str, *, incremental: bool = False) -> tuple[BrokerOrder, ...]: ...
    async def broker_positions(self, broker_account: str) -> tuple[BrokerPosition, ...]: ...
    async def order_history(
        self, broker_account: str, *, incremental: bool = False
    ) -> tuple[tuple[BrokerOrder, ...], tuple[BrokerFill, ...]]: ...
    def reconnect_backoff(self) -> Backoff: ...
    async def flatten(self, account_id: str, broker_account: str) -> FlattenReport: ...
    async def close_contract(self, broker_account: str, symbol: str) -> bool: ...
    def account_number(self, broker_account: str) -> int: ...


class Mirror(Protocol):
    """Vigil's own book of a bound account (the kernel): what reconciliation compares the broker with."""

    def normalize(self, symbol: str) -> str: ...
    def positions(self, account_id: str) -> dict[str, tuple[int, Decimal | None]]: ...
    async def adopt(self, account_id: str, symbol: str, quantity: int, price: Decimal) -> None: ...
    async def drain(self) -> None: ...


class BindingStore(Protocol):
    async def load(self) -> list[Binding]: ...
    async def save(self, binding: Binding, kind: str, detail: Mapping[str, object]) -> None: ...
    async def delete(self, account_id: str, ts_ns: int, actor: str) -> None: ...
    async def write_audit(self, entries: Sequence[AuditEntry]) -> None: ...
    async def audit_trail(self, account_id: str, limit: int = 100) -> list[tuple[int, str, str, dict[str, Any]]]: ...


@dataclass(frozen=True, slots=True)
class BrokerStatus:
    broker: BrokerKind
    environment: str
    configured: bool  # its credentials are set (never which values)
    state: LinkState
    detail: str
    accounts: tuple[str, ...]  # Vigil accounts bound to it


AdapterFactory = Callable[[BrokerKind, str, Mapping[str, str], Clock, Callable[[str, BrokerFill], None]], Adapter]


def default_factory(
    kind: BrokerKind, environment: str, env: Mapping[str, str], clock: Clock, on_fill: Callable[[str, BrokerFill], None]
) -> Adapter:
    if kind is BrokerKind.TRADOVATE:
        config = credentials.tradovate_config(env, environment)
        return TradovateBroker(config, credentials.tradovate_trading_url(env, environment), clock, on_fill=on_fill)
    projectx = credentials.projectx_config(env, environment)
    hub = credentials.projectx_user_hub_url(env, projectx)
    return ProjectXBroker(projectx, hub, clock, on_fill=on_fill)


def _connected(adapter: Adapter) -> bool:
    return adapter.state is LinkState.CONNECTED


class BrokerDesk:
    def __init__(
        self,
        store: BindingStore,
        clock: Clock,
        env: Mapping[str, str],
        *,
        account_exists: Callable[[str], bool] = lambda account_id: True,
        factory: AdapterFactory = default_factory,
        pre_trade: PreTrade | None = None,
        mirror: Mirror | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._env = dict(env)
        self._account_exists = account_exists
        self._factory = factory
        self._pre_trade = pre_trade
        self._mirror = mirror
        self._bindings: dict[str, Binding] = {}
        self._adapters: dict[tuple[BrokerKind, str], Adapter] = {}
        self._ours: dict[str, set[str]] = {}  # account -> broker order ids Vigil placed (and their legs)
        self._expected: dict[str, dict[str, int]] = {}  # account -> symbol -> net position Vigil expects
        self._fills_reported: dict[str, int] = {}  # account -> fills its broker reported (`_reconcile`)
        self._early: dict[str, list[tuple[str, BrokerFill]]] = {}  # order id -> fills that beat its acknowledgement
        self.fill_listeners: list[FillListener] = []
        self.routing_listeners: list[Callable[[str, bool], None]] = []  # (account, LIVE): the kernel routes it
        self.catch_up: CatchUp | None = None
        self._reconnects: dict[tuple[BrokerKind, str], asyncio.Task[None]] = {}
        self.reconnected = 0
        self._lock = asyncio.Lock()
        # One connect (and its reconciliation) per broker link at a time: the router sends to several accounts at
        # once, and the first calls after a drop would otherwise each log in and reconcile.
        self._connecting: dict[tuple[BrokerKind, str], asyncio.Lock] = {}
        # Until the router's queued sends are done (BrokerRouter.wait_idle): a link a send connected reconciles then.
        self.sends_done: Callable[[], Awaitable[None]] | None = None
        self._deferred: set[asyncio.Task[None]] = set()
        self._reconciling_later: set[str] = set()  # accounts whose deferred reconciliation waits for the sends
        # The audit trail of what was sent and found: queued, stored in order in batches (its `run()` is a server
        # task), so a fan-out's sends never wait on, or compete with, an insert each. Read: flushed first.
        self.audits: DurableWriter[AuditEntry] = DurableWriter("broker-audit", store.write_audit, clock)

    async def load(self) -> None:
        self._bindings = {b.account_id: b for b in await self._store.load()}
        for binding in self._bindings.values():
            if binding.live_enabled:
                self._routing(binding.account_id, True)

    def _routing(self, account_id: str, live: bool) -> None:
        for listener in list(self.routing_listeners):
            listener(account_id, live)

    async def close(self) -> None:
        tasks = [*self._reconnects.values(), *self._deferred]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._reconnects.clear()
        adapters = list(self._adapters.values())
        self._adapters.clear()
        for adapter in adapters:
            await adapter.close()

    def _dropped(self, key: tuple[BrokerKind, str]) -> None:
        """An adapter's socket closed by itself: reconnect in the background (one loop per broker link)."""
        running = self._reconnects.get(key)
        if running is None or running.done():
            self._reconnects[key] = asyncio.get_running_loop().create_task(
                self._reconnect(key), name=f"broker-reconnect-{key[0].value}"
            )

    async def _reconnect(self, key: tuple[BrokerKind, str]) -> None:
        """Reconnect with the shared backoff until the link is back, then reconcile every account bound to it
        (the broker's fills and order ends first, then positions). A refused login (FAILED) stops the loop:
        retrying would only earn penalties; the next call or `reconcile` tries again."""
        adapter = self._adapters.get(key)
        if adapter is None:
            return
        backoff = adapter.reconnect_backoff()
        while self._adapters.get(key) is adapter:
            if _connected(adapter):
                break  # a caller reconnected it meanwhile (and reconciled)
            delay = backoff.next_delay()
            adapter.detail = f"reconnecting in {delay:.1f} s (attempt {backoff.attempt})"
            log.info("broker.reconnect_wait", broker=key[0].value, environment=key[1], delay_s=round(delay, 2))
            await asyncio.sleep(delay)
            if self._adapters.get(key) is not adapter or _connected(adapter):
                return
            try:
                await adapter.connect()
            except BrokerUnavailable:
                if adapter.state is LinkState.FAILED:
                    return
                continue
            self.reconnected += 1
            log.info("broker.reconnected", broker=key[0].value, environment=key[1], attempts=backoff.attempt)
            for binding in [b for b in self._bindings.values() if (b.broker, b.environment) == key]:
                self._audit(binding.account_id, "reconcile:reconnect", "reconnected", {"attempts": backoff.attempt})
                try:
                    await self._reconcile(binding, adapter, "reconcile:reconnect")
                except Unavailable as exc:
                    log.warning("broker.reconcile_skipped", account_id=binding.account_id, reason=str(exc)[:200])
            return

    # ---- queries -----------------------------------------------------------------------------------

    def bindings(self) -> list[Binding]:
        return list(self._bindings.values())

    def binding(self, account_id: str) -> Binding | None:
        return self._bindings.get(account_id)

    def mode(self, account_id: str) -> str:
        """PAPER, BOUND (bound, live routing off) or LIVE."""
        binding = self._bindings.get(account_id)
        return "PAPER" if binding is None else binding.mode

    def brokers(self) -> list[BrokerStatus]:
        found: list[BrokerStatus] = []
        keys = {(b.broker, b.environment) for b in self._bindings.values()} | set(self._adapters)
        for kind in BrokerKind:
            if not any(k == kind for k, _ in keys):
                keys.add((kind, "demo" if kind is BrokerKind.TRADOVATE else ""))
        for kind, environment in sorted(keys, key=lambda k: (k[0].value, k[1])):
            adapter = self._adapters.get((kind, environment))
            accounts = tuple(
                sorted(a for a, b in self._bindings.items() if (b.broker, b.environment) == (kind, environment))
            )
            found.append(BrokerStatus(
                kind, environment, credentials.configured(self._env, kind),
                adapter.state if adapter else LinkState.DISCONNECTED, adapter.detail if adapter else "", accounts,
            ))  # fmt: skip
        return found

    # ---- bindings ----------------------------------------------------------------------------------

    async def bind(
        self, account_id: str, broker: BrokerKind, environment: str, broker_account: str, actor: str
    ) -> Binding:
        if not self._account_exists(account_id):
            raise NotFound("account_id", f"no account {account_id!r}")
        if account_id in self._bindings:
            raise AlreadyExists("account_id", f"{account_id} is already bound; unbind it first")
        environment = environment.strip()
        if broker is BrokerKind.TRADOVATE:
            environment = environment.lower() or "demo"
            if environment not in TRADOVATE_ENVIRONMENTS:
                raise InvalidArgument("environment", "Tradovate's environment is demo or live")
        elif not environment.startswith(("https://", "http://")):
            raise InvalidArgument(
                "environment", "ProjectX needs the firm's gateway API URL, e.g. https://api.topstepx.com"
            )
        if not broker_account.strip():
            raise InvalidArgument("broker_account", "the broker's account id or name is required")
        binding = Binding(account_id, broker, environment, broker_account.strip(), False, actor, self._clock.now_ns())
        await self.audits.flush()  # the trail stays in order: what was queued before this change first
        await self._store.save(binding, "bound", {"broker": broker.value, "environment": environment,
                                                  "broker_account": binding.broker_account})  # fmt: skip
        self._bindings[account_id] = binding
        log.info("broker.bound", account_id=account_id, broker=broker.value, environment=environment, actor=actor)
        return binding

    async def unbind(self, account_id: str, actor: str) -> None:
        binding = self._require(account_id)
        if binding.live_enabled:
            raise FailedPrecondition("account_id", "live routing is on: turn it off before unbinding")
        await self.audits.flush()
        await self._store.delete(account_id, self._clock.now_ns(), actor)
        del self._bindings[account_id]
        log.info("broker.unbound", account_id=account_id, actor=actor)

    async def set_live(self, account_id: str, enabled: bool, actor: str) -> Binding:
        binding = self._require(account_id)
        if enabled and not credentials.configured(self._env, binding.broker):
            raise FailedPrecondition("enabled", f"no {binding.broker.value} credentials are configured on the server")
        updated = replace(binding, live_enabled=enabled, live_changed_by=actor, live_changed_ns=self._clock.now_ns())
        await self.audits.flush()
        await self._store.save(updated, "live_on" if enabled else "live_off", {"enabled": enabled})
        self._bindings[account_id] = updated
        self._routing(account_id, enabled)
        log.warning("broker.live_routing", account_id=account_id, enabled=enabled, actor=actor)
        return updated

    def _require(self, account_id: str) -> Binding:
        binding = self._bindings.get(account_id)
        if binding is None:
            raise FailedPrecondition("account_id", f"{account_id} is a paper account (not bound to a broker)")
        return binding

    def _live(self, account_id: str) -> Binding:
        binding = self._require(account_id)
        if not binding.live_enabled:
            raise FailedPrecondition(
                "account_id", f"live routing is off for {account_id}: nothing was sent (an admin enables it)"
            )
        return binding

    async def _adapter(self, binding: Binding) -> Adapter:
        key = (binding.broker, binding.environment)
        adapter = self._adapters.get(key)
        if adapter is None:
            try:
                adapter = self._factory(binding.broker, binding.environment, self._env, self._clock, self._on_fill)
            except ConfigError as exc:
                raise FailedPrecondition("account_id", f"broker credentials: {exc.variable} {exc.reason}") from None
            adapter.on_drop = lambda: self._dropped(key)
            self._adapters[key] = adapter
        if adapter.state is not LinkState.CONNECTED:
            await self._connect(key, adapter)
        return adapter

    async def _connect(self, key: tuple[BrokerKind, str], adapter: Adapter) -> None:
        """Connect the link (one caller at a time), then reconcile its accounts: the broker's truth first. The
        lock covers the connect only: a reconciliation waits for the fills reported meanwhile, and those wait
        for the router, whose recovery may itself be waiting to use this link (issue 15)."""
        async with self._connecting.setdefault(key, asyncio.Lock()):
            if adapter.state is LinkState.CONNECTED:
                return  # connected by the call that held the lock
            try:
                await adapter.connect()
            except BrokerUnavailable as exc:
                raise Unavailable(str(exc)) from None
        bound = [b.account_id for b in self._bindings.values() if (b.broker, b.environment) == key]
        if _ROUTED_SEND.get():  # its reconciliation would wait on this very send: it runs once the sends are done
            self._reconcile_after_sends_later(key, adapter, bound)
            return
        for account_id in bound:  # on every (re)connect
            binding = self._bindings.get(account_id)
            if binding is not None and (binding.broker, binding.environment) == key:
                await self._reconcile(binding, adapter, "reconcile:connect")

    async def settle(self) -> None:
        """Until the reconciliations of links that the router's sends connected are done (they run after the sends)."""
        while self._deferred:
            await asyncio.gather(*list(self._deferred), return_exceptions=True)

    async def recover(self, account_id: str) -> None:
        """The router's recovery of an account with open routed orders (after a restart), run inside its sends
        (`routed_sends`): catch up now, so the broker's fills, which wait for the router meanwhile, find their
        orders; the positions are reconciled once the sends are done, as for a link a send connects (that
        reconciliation waits for the fills reported meanwhile, which wait for this recovery: issue 15)."""
        binding = self._require(account_id)
        adapter = await self._adapter(binding)  # a connect here defers its reconciliations (`_connect`)
        try:
            await self._catch_up(binding, adapter)
        except BrokerUnavailable as exc:
            raise Unavailable(str(exc)) from None
        if account_id not in self._reconciling_later:  # not deferred already by the connect
            self._reconcile_after_sends_later((binding.broker, binding.environment), adapter, [account_id])

    def _reconcile_after_sends_later(self, key: tuple[BrokerKind, str], adapter: Adapter, bound: list[str]) -> None:
        self._reconciling_later.update(bound)
        task = asyncio.get_running_loop().create_task(
            self._reconcile_after_sends(key, adapter, bound), name=f"broker-reconcile-{key[0].value}"
        )
        self._deferred.add(task)
        task.add_done_callback(self._deferred.discard)

    async def _reconcile_after_sends(self, key: tuple[BrokerKind, str], adapter: Adapter, bound: list[str]) -> None:
        try:
            if self.sends_done is not None:
                await self.sends_done()
        finally:
            self._reconciling_later.difference_update(bound)
        for account_id in bound:
            binding = self._bindings.get(account_id)
            replaced = self._adapters.get(key) is not adapter
            if binding is None or (binding.broker, binding.environment) != key or replaced:
                continue  # unbound, or the link replaced, meanwhile
            try:
                await self._reconcile(binding, adapter, "reconcile:connect")
            except Unavailable as exc:
                log.warning("broker.reconcile_skipped", account_id=account_id, reason=str(exc)[:200])

    # ---- orders ------------------------------------------------------------------------------------

    async def submit(
        self, account_id: str, request: BrokerOrderRequest, actor: str, *, checked: bool = False
    ) -> Placement:
        """`checked`: the kernel already ran the pre-trade checks on this order (a routed kernel order)."""
        binding = self._live(account_id)
        if self._pre_trade is not None and not checked:
            denial = await self._pre_trade(account_id, request)
            if denial is not None:
                self._audit(account_id, actor, "order_denied", {"client_order_id": request.client_order_id,
                                                                     "reason": denial})  # fmt: skip
                return Placement(request.client_order_id, False, reason=f"risk: {denial}")
        adapter = await self._adapter(binding)
        try:
            placement = await adapter.place(binding.broker_account, request)
        except BrokerUnavailable as exc:
            raise Unavailable(str(exc)) from None
        if placement.accepted:
            ids = (placement.order_id, *placement.leg_ids)
            self._ours.setdefault(account_id, set()).update(ids)
            for order_id in ids:  # a fill may arrive on the socket before the order's acknowledgement
                for early_account, fill in self._early.pop(order_id, []):
                    if early_account == account_id:
                        self._expect(account_id, fill)
        self._audit(account_id, actor, "order_sent", {
            "client_order_id": request.client_order_id, "symbol": request.symbol, "side": request.side,
            "quantity": request.quantity, "type": request.order_type, "accepted": placement.accepted,
            "order_id": placement.order_id, "reason": placement.reason, "recovered": placement.recovered,
        })  # fmt: skip
        return placement

    async def cancel(self, account_id: str, order_id: str, actor: str) -> Placement:
        binding = self._live(account_id)
        result = await (await self._adapter(binding)).cancel(binding.broker_account, order_id)
        self._audit(account_id, actor, "cancel_sent", {"order_id": order_id, "accepted": result.accepted})
        return result

    async def modify(
        self, account_id: str, order_id: str, quantity: int, limit: Decimal | None, stop: Decimal | None, actor: str
    ) -> Placement:
        binding = self._live(account_id)
        result = await (await self._adapter(binding)).modify(binding.broker_account, order_id, quantity, limit, stop)
        self._audit(account_id, actor, "modify_sent", {"order_id": order_id, "accepted": result.accepted})
        return result

    async def flatten(self, account_id: str, actor: str) -> FlattenReport:
        binding = self._live(account_id)
        adapter = await self._adapter(binding)
        try:
            report = await adapter.flatten(account_id, binding.broker_account)
        except BrokerUnavailable as exc:
            raise Unavailable(str(exc)) from None
        self._expected[account_id] = {p.symbol: p.net_qty for p in report.remaining}
        self._audit(account_id, actor, "flattened", {
            "cancelled": list(report.cancelled), "closed": list(report.closed),
            "remaining": [f"{p.symbol} {p.net_qty}" for p in report.remaining], "errors": list(report.errors),
        })  # fmt: skip
        return report

    async def close_position(self, account_id: str, symbol: str, actor: str) -> bool:
        """Close one contract's position at the broker (a close, flatten or risk action the kernel asked for)."""
        binding = self._live(account_id)
        adapter = await self._adapter(binding)
        try:
            taken = await adapter.close_contract(binding.broker_account, symbol)
        except BrokerUnavailable as exc:
            raise Unavailable(str(exc)) from None
        self._audit(account_id, actor, "close_sent", {"symbol": symbol, "accepted": taken})
        return taken

    async def emergency_stop(self, actor: str) -> list[FlattenReport]:
        """Flatten and cancel every live account at its broker; each report says what the broker confirmed."""
        reports = []
        for binding in [b for b in self._bindings.values() if b.live_enabled]:
            try:
                reports.append(await self.flatten(binding.account_id, actor))
            except (Unavailable, FailedPrecondition) as exc:
                reports.append(FlattenReport(binding.account_id, (), (), (), (str(exc),)))
        return reports

    async def audit_trail(self, account_id: str, limit: int) -> list[tuple[int, str, str, dict[str, Any]]]:
        await self.audits.flush()  # what was audited so far is in the trail read
        return await self._store.audit_trail(account_id, limit)

    async def orders(self, account_id: str) -> tuple[BrokerOrder, ...]:
        """The account's open orders at its broker. Unavailable when the broker cannot be reached."""
        binding = self._require(account_id)
        adapter = await self._adapter(binding)
        try:
            return await adapter.open_orders(binding.broker_account)
        except BrokerUnavailable as exc:
            raise Unavailable(str(exc)) from None

    async def reconcile(self, account_id: str, actor: str, *, incremental: bool = False) -> Reconciliation:
        binding = self._require(account_id)
        return await self._reconcile(binding, await self._adapter(binding), actor, incremental=incremental)

    async def reconcile_all(self, actor: str = "reconcile:periodic") -> list[Reconciliation]:
        """Every bound account (the periodic pass, reading the history incrementally); an unreachable broker is
        logged and skipped."""
        done = []
        for binding in list(self._bindings.values()):
            try:
                done.append(await self.reconcile(binding.account_id, actor, incremental=True))
            except (Unavailable, FailedPrecondition) as exc:
                log.warning("broker.reconcile_skipped", account_id=binding.account_id, reason=str(exc)[:200])
        return done

    async def run_periodic(self, interval_s: float) -> None:
        """The periodic pass, every `interval_s`, for as long as the server runs: a pass that fails in a way
        reconcile_all does not expect is logged with its traceback, and the next pass still comes."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.reconcile_all()
            except Exception:
                log.exception("broker.periodic_reconcile_failed")

    async def _reconcile(
        self, binding: Binding, adapter: Adapter, actor: str, *, incremental: bool = False
    ) -> Reconciliation:
        account_id = binding.account_id
        ours = self._ours.setdefault(account_id, set())
        try:
            await self._catch_up(binding, adapter, incremental=incremental)
            for _ in range(_STATE_READS):  # a fill reported during the reads: the positions read may predate it
                reported = self._fills_reported.get(account_id, 0)
                positions = await adapter.broker_positions(binding.broker_account)
                open_orders = await adapter.open_orders(binding.broker_account, incremental=incremental)
                if self._mirror is not None:
                    await self._mirror.drain()  # booked before comparing, so the kernel is not ahead of the read
                if self._fills_reported.get(account_id, 0) == reported:
                    break
        except BrokerUnavailable as exc:
            raise Unavailable(str(exc)) from None
        differences = await self._position_differences(account_id, positions, actor)
        for order in open_orders:
            if order.order_id not in ours:
                differences.append(Difference("order", order.symbol, "unknown", f"{order.order_id} {order.status}"))
                ours.add(order.order_id)  # adopted: reported once
        for difference in differences:
            self._audit(account_id, actor, "reconcile_difference", {
                "kind": difference.kind, "symbol": difference.symbol, "vigil": difference.vigil,
                "broker": difference.broker,
            })  # fmt: skip
            log.warning("broker.reconcile_difference", account_id=account_id, kind=difference.kind,
                        symbol=difference.symbol, vigil=difference.vigil, broker=difference.broker)  # fmt: skip
        return Reconciliation(account_id, self._clock.now_ns(), positions, open_orders, tuple(differences))

    async def _catch_up(self, binding: Binding, adapter: Adapter, *, incremental: bool = False) -> None:
        """What ended at the broker unseen (`catch_up`), booked before positions are compared."""
        if self.catch_up is not None:
            orders, fills = await adapter.order_history(binding.broker_account, incremental=incremental)
            ours = self._ours.setdefault(binding.account_id, set())
            ours.update(await self.catch_up(binding.account_id, orders, fills))

    async def _position_differences(
        self, account_id: str, positions: tuple[BrokerPosition, ...], actor: str
    ) -> list[Difference]:
        """Compare and adopt: the kernel's book (with the mirror) or the positions Vigil's own fills made."""
        mirror = self._mirror
        if mirror is None:
            expected = self._expected.get(account_id, {})
            actual = {p.symbol: p.net_qty for p in positions}
            self._expected[account_id] = actual  # the broker wins
            return [
                Difference("position", symbol, str(expected.get(symbol, 0)), str(actual.get(symbol, 0)))
                for symbol in sorted(set(expected) | set(actual))
                if expected.get(symbol, 0) != actual.get(symbol, 0)
            ]
        await mirror.drain()  # fills already reported are booked before comparing
        vigil = mirror.positions(account_id)
        broker = {mirror.normalize(p.symbol): p for p in positions}
        found = []
        for contract in sorted(set(vigil) | set(broker)):
            mine, mine_price = vigil.get(contract, (0, None))
            theirs = broker.get(contract)
            net = theirs.net_qty if theirs else 0
            if mine == net:
                continue
            found.append(Difference("position", contract, str(mine), str(net)))
            price = (theirs.avg_price if theirs else None) or mine_price
            if price is None:
                log.error("broker.reconcile_unpriced", account_id=account_id, contract=contract)
                continue
            await mirror.adopt(account_id, contract, net - mine, price)  # the broker wins, in the kernel too
        self._expected[account_id] = {p.symbol: p.net_qty for p in positions}
        return found

    def _on_fill(self, broker_account_number: str, fill: BrokerFill) -> None:
        for binding in self._bindings.values():
            adapter = self._adapters.get((binding.broker, binding.environment))
            if adapter is None:
                continue
            try:
                number = str(adapter.account_number(binding.broker_account))
            except BrokerUnavailable:
                continue
            if number != broker_account_number:
                continue
            self._fills_reported[binding.account_id] = self._fills_reported.get(binding.account_id, 0) + 1
            if fill.order_id in self._ours.get(binding.account_id, set()):
                self._expect(binding.account_id, fill)
            else:
                self._early.setdefault(fill.order_id, []).append((binding.account_id, fill))
            for listener in list(self.fill_listeners):
                listener(binding.account_id, fill)

    def _expect(self, account_id: str, fill: BrokerFill) -> None:
        expected = self._expected.setdefault(account_id, {})
        signed = fill.quantity if fill.side == "Buy" else -fill.quantity
        expected[fill.symbol] = expected.get(fill.symbol, 0) + signed

    def _audit(self, account_id: str, actor: str, kind: str, detail: Mapping[str, object]) -> None:
        self.audits.put(AuditEntry(account_id, self._clock.now_ns(), actor, kind, dict(detail)))
