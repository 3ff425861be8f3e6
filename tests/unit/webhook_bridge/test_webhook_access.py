"""Access rules: per-strategy secrets with a default, the TradingView allowlist, the sender behind a proxy."""

from __future__ import annotations

import ipaddress

import pytest

from clients.webhook_bridge import AlertRejected
from clients.webhook_bridge.access import TRADINGVIEW_IPS, SecretBook, SourceAllowlist, source_address

BOOK = SecretBook({"orb": "orb-secret", "vwap": "vwap-secret"}, default="shared")


def refused(check: object, *args: object) -> AlertRejected:
    with pytest.raises(AlertRejected) as caught:
        check(*args)  # type: ignore[operator]
    return caught.value


def test_a_strategy_with_its_own_secret_accepts_only_that_one() -> None:
    BOOK.check("orb", "orb-secret")

    assert refused(BOOK.check, "orb", "shared").status == 401
    assert refused(BOOK.check, "orb", "vwap-secret").reason == "secret does not match"


def test_strategies_without_their_own_secret_use_the_default() -> None:
    BOOK.check("anything", "shared")
    BOOK.check("", "shared")

    assert refused(BOOK.check, "anything", "orb-secret").status == 401


def test_without_a_default_an_unknown_strategy_gets_the_same_answer_as_a_wrong_secret() -> None:
    book = SecretBook({"orb": "orb-secret"})

    unknown = refused(book.check, "other", "orb-secret")
    wrong = refused(book.check, "orb", "nope")

    assert (unknown.status, unknown.reason) == (wrong.status, wrong.reason) == (401, "secret does not match")
    assert book.why_refused("other") == "no_secret_for_strategy" and book.why_refused("orb") == "secret_mismatch"


@pytest.mark.parametrize("presented", [None, ""])
def test_a_missing_secret_says_where_to_put_it(presented: str | None) -> None:
    rejected = refused(BOOK.check, "orb", presented)

    assert (rejected.status, rejected.field) == (401, "secret")
    assert "passphrase" in rejected.reason and "URL path" in rejected.reason


def test_non_ascii_secrets_compare_without_error() -> None:
    book = SecretBook(default="clé-secrète")

    book.check("", "clé-secrète")
    assert refused(book.check, "", "cle-secrete").status == 401


def test_the_tradingview_word_allows_exactly_its_four_senders() -> None:
    allowlist = SourceAllowlist.parse(["tradingview"])

    for ip in TRADINGVIEW_IPS:
        allowlist.check(ip)
    allowlist.check("::ffff:52.89.214.238")
    rejected = refused(allowlist.check, "52.89.214.239")
    assert rejected.status == 403 and "52.89.214.239" in rejected.reason
    assert refused(allowlist.check, None).status == 403
    assert refused(allowlist.check, "not-an-ip").status == 403


def test_an_allowlist_mixes_the_word_addresses_and_networks() -> None:
    allowlist = SourceAllowlist.parse(["tradingview", " 10.0.0.0/8 ", "192.168.1.7", ""])

    assert allowlist.enabled and ipaddress.ip_network("10.0.0.0/8") in allowlist.networks
    allowlist.check("10.20.30.40")
    allowlist.check("192.168.1.7")
    assert refused(allowlist.check, "192.168.1.8").status == 403


def test_an_empty_allowlist_allows_everyone() -> None:
    allowlist = SourceAllowlist.parse(["", " "])

    assert not allowlist.enabled
    allowlist.check("203.0.113.9")
    allowlist.check(None)


def test_the_sender_is_the_peer_unless_a_trusted_proxy_appended_a_hop() -> None:
    assert source_address("127.0.0.1", "52.89.214.238", trust_proxy=False) == "127.0.0.1"
    assert source_address("127.0.0.1", "6.6.6.6, 52.89.214.238", trust_proxy=True) == "52.89.214.238"
    assert source_address("127.0.0.1", " , ", trust_proxy=True) == "127.0.0.1"
    assert source_address("127.0.0.1", None, trust_proxy=True) == "127.0.0.1"
