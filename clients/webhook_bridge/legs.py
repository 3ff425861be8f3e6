"""TradersPost stopLoss / takeProfit in every form they are sent, as the SDK's BracketLeg; anything else is a 422.

    stopLoss   {"type": "stop"|"stop_limit"|"trailing_stop", one of "stopPrice" | "amount" | "percent" |
               "trailAmount" | "trailPercent", and "limitPrice" (stop_limit only)}
    takeProfit {one of "limitPrice" | "amount" | "percent"}
    either     a bare number (or numeric text): an absolute price     (aliases: sl, tp)

`amount` and `trailAmount` are price points from the entry's fill (futures, PROTOCOLS §3.4), `percent` and
`trailPercent` a percent of the entry price. A trailing stop is placed at its distance and does not trail; a
stop_limit's stop works at market with its limit recorded (the paper bracket's stop is a stop order).
Grid and distance bounds are checked by the core (it knows the tick size): its refusal names the field too.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from clients.sdk import BracketLeg, LegKind, LegType
from clients.webhook_bridge.rejection import AlertRejected

LEG_FIELDS = ("stopLoss", "takeProfit", "sl", "tp")
_STOP_TYPES = {"stop": LegType.STOP, "stop_limit": LegType.STOP_LIMIT, "trailing_stop": LegType.TRAILING_STOP}
_STOP_VALUES = {
    "stopPrice": LegKind.PRICE,
    "amount": LegKind.POINTS,
    "percent": LegKind.PERCENT,
    "trailAmount": LegKind.POINTS,
    "trailPercent": LegKind.PERCENT,
}
_TARGET_VALUES = {"limitPrice": LegKind.PRICE, "amount": LegKind.POINTS, "percent": LegKind.PERCENT}


def bracket_leg(found: tuple[str, Any] | None, *, target: bool) -> BracketLeg | None:
    """The leg named `found[0]` (stopLoss, sl, takeProfit or tp), or None when absent; AlertRejected (422,
    naming the field or the sub-field) for anything that is not one of the forms above."""
    if found is None:
        return None
    name, value = found
    if isinstance(value, dict):
        return _object(name, value, target=target)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise AlertRejected(422, name, _usage(target))
    return BracketLeg(LegKind.PRICE, _positive(name, value, target), LegType.LIMIT if target else LegType.STOP)


def _object(name: str, fields: dict[str, Any], *, target: bool) -> BracketLeg:
    values = _TARGET_VALUES if target else _STOP_VALUES
    allowed = set(values) | (set() if target else {"type", "limitPrice"})
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise AlertRejected(422, f"{name}.{unknown[0]}", f"not a {name} field; {_usage(target)}")
    given = [key for key in values if key in fields]
    if len(given) != 1:
        what = "none" if not given else " and ".join(given)
        raise AlertRejected(422, name, f"give exactly one of {', '.join(values)} (got {what})")
    key = given[0]
    value = _positive(f"{name}.{key}", fields[key], target)
    if target:
        return BracketLeg(values[key], value, LegType.LIMIT)
    trailing = key.startswith("trail")
    order_type = _stop_type(name, fields.get("type"), LegType.TRAILING_STOP if trailing else LegType.STOP)
    if trailing and order_type is not LegType.TRAILING_STOP:
        raise AlertRejected(422, f"{name}.{key}", f"{key} needs type trailing_stop")
    limit = None
    if "limitPrice" in fields:
        if order_type is not LegType.STOP_LIMIT:
            raise AlertRejected(422, f"{name}.limitPrice", "a stop-loss limitPrice needs type stop_limit")
        limit = _positive(f"{name}.limitPrice", fields["limitPrice"], target)
    elif order_type is LegType.STOP_LIMIT:
        raise AlertRejected(422, f"{name}.limitPrice", "type stop_limit needs a limitPrice")
    return BracketLeg(values[key], value, order_type, limit)


def _stop_type(name: str, value: Any, default: LegType) -> LegType:
    if value is None:
        return default
    found = _STOP_TYPES.get(value.strip().lower()) if isinstance(value, str) else None
    if found is None:
        raise AlertRejected(422, f"{name}.type", f"unknown stop type {str(value)[:40]!r}; use {', '.join(_STOP_TYPES)}")
    return found


def _positive(field: str, value: Any, target: bool) -> Decimal:
    if isinstance(value, bool):
        raise AlertRejected(422, field, _usage(target))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise AlertRejected(422, field, f"not a number: {str(value)[:40]!r}; {_usage(target)}") from None
    if not number.is_finite() or number <= 0:
        raise AlertRejected(422, field, f"must be a positive number, got {str(value)[:40]!r}")
    return number


def _usage(target: bool) -> str:
    if target:
        return 'send a price (6010.25) or {"limitPrice": p} | {"amount": points} | {"percent": pct}'
    return (
        'send a price (5990.25) or {"type": "stop"|"stop_limit"|"trailing_stop", "stopPrice": p | "amount": points'
        ' | "percent": pct | "trailAmount": points | "trailPercent": pct, "limitPrice": p (stop_limit)}'
    )
