"""When tokens are renewed: 15 minutes before expiry, halfway for short lifetimes, never in a tight loop."""

from __future__ import annotations

from core_server.feeds.tradovate.auth import AccessToken, TokenKeeper
from core_server.feeds.tradovate.config import TradovateConfig
from core_server.model.clock import NS_PER_MINUTE, NS_PER_SECOND, TestClock
from tests.kit.time import utc

START = utc(2026, 11, 17, 14, 30)


def keeper(clock: TestClock, lifetime_ns: int) -> TokenKeeper:
    tokens = TokenKeeper(TradovateConfig("user", "pw"), clock)
    tokens.token = AccessToken("access", "md", START + lifetime_ns, START)
    return tokens


def test_an_80_minute_token_is_renewed_15_minutes_before_it_expires() -> None:
    assert keeper(TestClock(START), 80 * NS_PER_MINUTE).renew_delay_s() == 65 * 60


def test_a_short_lived_token_is_renewed_halfway() -> None:
    assert keeper(TestClock(START), 10 * NS_PER_SECOND).renew_delay_s() == 5.0


def test_an_overdue_renewal_still_waits_the_minimum_interval() -> None:
    clock = TestClock(START)
    tokens = keeper(clock, 10 * NS_PER_SECOND)
    clock.advance_ns(60 * NS_PER_SECOND)
    assert tokens.renew_delay_s() == TradovateConfig("user", "pw").renew_min_interval_s


def test_tokens_do_not_show_in_repr() -> None:
    text = repr(AccessToken("eyJsecret", "eyJmd", 1, 0, 15460))
    assert "eyJsecret" not in text and "eyJmd" not in text
