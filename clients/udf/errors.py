"""UDF refusals: the UDF error shape {"s": "error", "errmsg": ...} with an HTTP status that says why."""

from __future__ import annotations


class UdfError(Exception):
    """A request the datafeed refuses; `status` is the HTTP status, `errmsg` what the UDF body says."""

    def __init__(self, status: int, errmsg: str) -> None:
        super().__init__(errmsg)
        self.status = status
        self.errmsg = errmsg


class UdfRequestError(UdfError):
    """A missing or malformed query parameter (400), naming the parameter."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(400, f"{parameter}: {reason}")
        self.parameter = parameter


class UnknownSymbolError(UdfError):
    """A symbol the core does not know (404); the UDF adapter reports it as unknown_symbol."""

    def __init__(self, symbol: str, reason: str = "") -> None:
        super().__init__(404, f"unknown_symbol: {symbol!r}" + (f" ({reason})" if reason else ""))
        self.symbol = symbol
