"""Parse every broker and charting symbol form to one canonical contract."""

from __future__ import annotations

import functools
import re

from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, MONTH_CODES, Contract, front_contract

_PROJECTX_ROOTS = {spec.projectx_code: spec.root for spec in INSTRUMENTS.values()}
_ROOTS = "|".join(sorted(INSTRUMENTS, key=len, reverse=True))
_MONTH = f"[{MONTH_CODES}]"

# TradingView exchange prefixes for these contracts; `_DL` (or `_DLY`) is the delayed feed free plans get.
_EXCHANGE = r"(?:(?:CME_MINI|CBOT_MINI|CME|CBOT)(?:_DLY?)?:)?"
_CONTINUOUS = re.compile(rf"^{_EXCHANGE}({_ROOTS})1!$")
_DATED = re.compile(rf"^{_EXCHANGE}({_ROOTS})({_MONTH})(\d{{4}}|\d{{2}}|\d)$")
_PROJECTX = re.compile(rf"^CON\.F\.US\.([A-Z0-9]+)\.({_MONTH})(\d{{2}})$")
_ROOT_ONLY = re.compile(rf"^({_ROOTS})$")

MAX_SYMBOL_LENGTH = 40


def _year_from_digits(digits: str, now_year: int) -> int:
    if len(digits) == 4:
        return int(digits)
    modulus = 10 ** len(digits)
    # The nearest year with these trailing digits that is not long expired: contracts are listed
    # a few years ahead, so prefer [now - 1, now + modulus - 2].
    base = now_year - 1
    candidate = base - base % modulus + int(digits)
    if candidate < base:
        candidate += modulus
    return int(candidate)


def is_continuous(symbol: str) -> bool:
    """`NQ1!` or a bare root `NQ`: a symbol that means the front month of whatever instant it is resolved at."""
    text = symbol.strip().upper()
    return bool(_CONTINUOUS.match(text) or _ROOT_ONLY.match(text))


def parse_symbol(symbol: str, now_ns: int, field: str = "symbol") -> Contract:
    """Resolve `NQZ5`, `NQZ2025`, `NQ1!`, `NQ`, `CON.F.US.ENQ.Z25` (and friends) to a Contract.

    A continuous (`NQ1!`) or bare root (`NQ`) resolves to the front month at `now_ns`; one- and
    two-digit years resolve to the nearest listed year relative to `now_ns`.
    """
    from core_server.model.clock import datetime_from_ns

    text = symbol.strip().upper()
    if not text:
        raise InvalidArgument(field, "a symbol is required")
    if len(text) > MAX_SYMBOL_LENGTH:
        raise InvalidArgument(field, f"symbol longer than {MAX_SYMBOL_LENGTH} characters")
    if (dated := _dated(text)) is not None:  # the common case: a kernel contract id, from an order or a fill
        return dated
    now_year = datetime_from_ns(now_ns).year
    if m := _CONTINUOUS.match(text) or _ROOT_ONLY.match(text):
        try:
            return front_contract(m.group(1), now_ns)
        except InvalidArgument as exc:  # e.g. an instant outside the years contracts exist in
            raise InvalidArgument(field, f"{symbol!r}: {exc.reason}") from None
    if m := _DATED.match(text):
        root, code, digits = m.groups()
        return _contract(root, code, _year_from_digits(digits, now_year), field, symbol)
    if m := _PROJECTX.match(text):
        code_root, code, digits = m.groups()
        root = _PROJECTX_ROOTS.get(code_root)
        if root is None:
            raise InvalidArgument(field, f"unknown ProjectX product {code_root!r} in {symbol!r}")
        return _contract(root, code, 2000 + int(digits), field, symbol)
    raise InvalidArgument(field, f"unrecognised symbol {symbol!r}; try NQZ6, NQZ2026, NQ1!, NQ or CON.F.US.ENQ.Z26")


@functools.lru_cache(maxsize=4096)
def _dated(text: str) -> Contract | None:
    """The contract a symbol with a four-digit year names (`NQZ2026`, `CME_MINI:NQZ2026`), which is the same at
    every instant, so it is remembered: the order paths resolve the same few kernel ids for every order they
    send (about a fifth of a broker send's time went to parsing them). None: another form, or not a contract
    (parse_symbol then says why)."""
    m = _DATED.match(text)
    if m is None or len(m.group(3)) != 4:
        return None
    root, code, year = m.groups()
    try:
        return Contract(root, int(year), MONTH_CODES.index(code) + 1)
    except InvalidArgument:
        return None


def _contract(root: str, code: str, year: int, field: str, symbol: str) -> Contract:
    month = MONTH_CODES.index(code) + 1
    try:
        return Contract(root, year, month)
    except InvalidArgument as exc:
        raise InvalidArgument(field, f"{symbol!r}: {exc.reason}") from None
