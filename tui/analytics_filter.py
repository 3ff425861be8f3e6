"""The Analytics screen's filter bar: `key=value` words into an AnalyticsFilter.

Keys: account, strategy, root, direction (long/short), session, hour, weekday (1 Monday .. 7 Sunday), from, to,
source, tag, setup. Repeat a key for several values; quote a value with spaces ("session='NY AM'"). Anything else
is an error naming the word, shown under the bar.
"""

from __future__ import annotations

import shlex
from datetime import date
from typing import Any

from clients.sdk.analytics import AnalyticsFilter
from clients.sdk.trades import TradeDirection

_LISTS = {"account": "account_ids", "root": "roots", "session": "session_windows", "source": "sources", "tag": "tags"}
_INTS = {"hour": "hours", "weekday": "weekdays"}


class FilterError(ValueError):
    pass


def parse_filter(text: str) -> AnalyticsFilter:
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise FilterError(str(error)) from None
    values: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        key = key.strip().lower()
        if not sep or not value:
            raise FilterError(f"{word!r}: use key=value")
        if key in _LISTS:
            name = _LISTS[key]
            values[name] = (*values.get(name, ()), value.upper() if key == "root" else value)
        elif key in _INTS:
            if not value.isdigit():
                raise FilterError(f"{word!r}: {key} is a number")
            values[_INTS[key]] = (*values.get(_INTS[key], ()), int(value))
        elif key in ("from", "to"):
            try:
                values["from_date" if key == "from" else "to_date"] = date.fromisoformat(value)
            except ValueError:
                raise FilterError(f"{word!r}: dates are YYYY-MM-DD") from None
        elif key == "direction":
            if value.lower() not in ("long", "short"):
                raise FilterError(f"{word!r}: long or short")
            values["direction"] = TradeDirection.LONG if value.lower() == "long" else TradeDirection.SHORT
        elif key in ("strategy", "setup"):
            values["strategy_id" if key == "strategy" else "setup"] = value
        else:
            raise FilterError(f"{word!r}: unknown key {key!r}")
    return AnalyticsFilter(**values)
