"""CommandChecks: the paper engine's command checks, turning submit commands into checked OrderRequests.

Each check raises InvalidArgument naming the field (prefixed for nested commands), NotFound or
FailedPrecondition before anything changes; exit levels and reduce-only sizing follow exits.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from core_server.execution.commands import SubmitBracket, SubmitOrder
from core_server.execution.exits import (
    check_exit_distance,
    check_target_distance,
    describe,
    exit_spec,
    reducible,
)
from core_server.execution.model import AccountId, Order, OrderId, OrderRole, OrderSide, OrderType
from core_server.execution.price_bands import PriceBands, reference_price
from core_server.execution.queries import ExecutionQueries
from core_server.execution.validation import (
    OrderRequest,
    check_bracket_sides,
    check_enums,
    check_stop_side,
    order_prices,
    whole_quantity,
)
from core_server.model.errors import FailedPrecondition, InvalidArgument, NotFound
from core_server.model.instruments import Contract, InstrumentSpec
from core_server.model.symbols import parse_symbol


class CommandChecks(ExecutionQueries):
    """The engine's checks of submit, modify and cancel commands against its accounts, orders and market."""

    _bands: PriceBands | None  # set by the engine: None when prices are not checked against the market
    _listings: dict[str, Contract]

    def _contract(self, contract_id: object, now_ns: int, field: str) -> tuple[str, InstrumentSpec]:
        if not isinstance(contract_id, str):
            raise InvalidArgument(field, "a contract id such as NQZ2026 is required")
        spec = self._x.specs.get(contract_id)
        if spec is not None:
            return contract_id, spec
        contract = parse_symbol(contract_id, now_ns, field)
        self._x.specs[contract.id] = contract.spec
        return contract.id, contract.spec

    def _require_listed(self, contract_id: str, now_ns: int, field: str) -> None:
        """New exposure only in a contract that trades now: listed and not expired (InvalidArgument)."""
        contract = self._listings.get(contract_id)
        if contract is None:
            contract = self._listings[contract_id] = parse_symbol(contract_id, now_ns, field)
        contract.require_listed(now_ns, field)

    def _check_bands(self, spec: InstrumentSpec, contract_id: str, prices: Iterable[tuple[str, int | None]]) -> None:
        if self._bands is not None:
            book = self._x.books.get(contract_id)
            quote, trade = (book.quote, book.last_trade) if book is not None else (None, None)
            self._bands.check_prices(spec, contract_id, prices, reference_price(quote, trade))

    def _market_refs(self, contract_id: str) -> tuple[int | None, int | None]:
        """(what a buy would pay, what a sell would get): the quote, else the last trade, else unknown."""
        book = self._x.books.get(contract_id)
        if book is None:
            return None, None
        if book.quote is not None:
            return book.quote.ask, book.quote.bid
        if book.last_trade is not None:
            return book.last_trade.price, book.last_trade.price
        return None, None

    def _order_request(self, cmd: SubmitOrder, now_ns: int, prefix: str, role: OrderRole) -> OrderRequest:
        self._account(cmd.account_id, prefix + "account_id")
        contract_id, spec = self._contract(cmd.contract_id, now_ns, prefix + "contract_id")
        self._require_listed(contract_id, now_ns, prefix + "contract_id")
        check_enums(cmd.side, cmd.order_type, cmd.time_in_force, prefix)
        quantity = whole_quantity(cmd.quantity, prefix + "quantity")
        limit, stop = order_prices(spec, cmd.order_type, cmd.limit_price, cmd.stop_price, prefix)
        if stop is not None:
            ask, bid = self._market_refs(contract_id)
            check_stop_side(spec, cmd.side, stop, ask, bid, prefix + "stop_price")
        self._check_bands(spec, contract_id, ((prefix + "stop_price", stop), (prefix + "limit_price", limit)))
        if not isinstance(cmd.reduce_only, bool):
            raise InvalidArgument(prefix + "reduce_only", f"must be true or false, not {cmd.reduce_only!r}")
        if cmd.reduce_only:
            position = self._x.positions.get(cmd.account_id, contract_id)
            room = reducible(cmd.side, position)
            if room == 0:
                leg = f"{prefix.rstrip('.')} leg: " if prefix else ""
                raise FailedPrecondition(
                    f"{leg}a reduce-only {cmd.side.name.lower()} has nothing to reduce: account {cmd.account_id} is "
                    f"{describe(position)} in {contract_id}"
                )
            quantity = min(quantity, room)  # cut to the position (exits.py)
        return OrderRequest(
            cmd.account_id, contract_id, spec, cmd.side, cmd.order_type, quantity, cmd.time_in_force, limit, stop, role,
            cmd.tag, cmd.reduce_only,
        )  # fmt: skip

    def _bracket_requests(self, cmd: SubmitBracket, now_ns: int, prefix: str) -> tuple[OrderRequest, ...]:
        """(entry, stop-loss, take-profit) requests of a checked bracket."""
        if cmd.entry_type not in (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP):
            raise InvalidArgument(prefix + "entry_type", "a bracket entry is MARKET, LIMIT or STOP")
        entry_limit = cmd.entry_price if cmd.entry_type is OrderType.LIMIT else None
        entry_stop = cmd.entry_price if cmd.entry_type is OrderType.STOP else None
        if cmd.entry_type is OrderType.MARKET and cmd.entry_price is not None:
            raise InvalidArgument(prefix + "entry_price", "not allowed on a MARKET entry")
        if cmd.entry_type is not OrderType.MARKET and cmd.entry_price is None:
            raise InvalidArgument(prefix + "entry_price", f"required for a {cmd.entry_type.name} entry")
        try:
            entry = self._order_request(
                SubmitOrder(cmd.account_id, cmd.contract_id, cmd.side, cmd.quantity, cmd.entry_type,
                            cmd.time_in_force, entry_limit, entry_stop, cmd.tag),
                now_ns, prefix, OrderRole.BRACKET_ENTRY,
            )  # fmt: skip
        except InvalidArgument as exc:
            if exc.field in (prefix + "limit_price", prefix + "stop_price"):
                raise InvalidArgument(prefix + "entry_price", exc.reason) from None
            raise
        spec = entry.spec
        stop_leg = exit_spec(spec, cmd.stop_loss, prefix + "stop_loss", target=False)
        target_leg = exit_spec(spec, cmd.take_profit, prefix + "take_profit", target=True)
        reference = self._entry_reference(entry)
        check_bracket_sides(spec, cmd.side, reference, stop_leg.price, target_leg.price, prefix)
        check_exit_distance(spec, stop_leg, reference, prefix + "stop_loss")
        check_exit_distance(spec, target_leg, reference, prefix + "take_profit")
        check_target_distance(spec, stop_leg, target_leg, reference, prefix + "take_profit")
        exit_side = cmd.side.opposite
        sl = replace(entry, side=exit_side, order_type=OrderType.STOP, limit_price=None, stop_price=stop_leg.price,
                     role=OrderRole.STOP_LOSS, reduce_only=True, offset_ticks=stop_leg.ticks)  # fmt: skip
        tp = replace(entry, side=exit_side, order_type=OrderType.LIMIT, limit_price=target_leg.price, stop_price=None,
                     role=OrderRole.TAKE_PROFIT, reduce_only=True, offset_ticks=target_leg.ticks,
                     target_r=target_leg.r)  # fmt: skip
        return entry, sl, tp

    def _entry_reference(self, entry: OrderRequest | Order) -> int | None:
        if entry.order_type is OrderType.LIMIT:
            return entry.limit_price
        if entry.order_type is OrderType.STOP:
            return entry.stop_price
        ask, bid = self._market_refs(entry.contract_id)
        return ask if entry.side is OrderSide.BUY else bid

    def _open_order(self, account_id: AccountId, order_id: OrderId) -> Order:
        self._account(account_id)
        order = self._x.orders.get(order_id)
        if order is None or order.account_id != account_id:
            raise NotFound("order_id", f"no order {order_id!r} in account {account_id!r}")
        if not order.is_open:
            raise FailedPrecondition(f"order {order_id} is {order.status.name.lower()}; only open orders change")
        return order
