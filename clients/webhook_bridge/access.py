"""Who may post alerts: per-strategy shared secrets (constant-time) and an optional source-IP allowlist."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from clients.webhook_bridge.rejection import AlertRejected

# TradingView's documented webhook senders (PROTOCOLS §3.1); IPv4 only.
TRADINGVIEW_IPS = ("52.89.214.238", "34.212.75.30", "54.218.53.128", "52.32.178.7")

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_MISSING = "missing secret: put it in passphrase, secret, key or token, or in the URL path /webhook/<strategy>/<secret>"
_MISMATCH = "secret does not match"


@dataclass(frozen=True, slots=True)
class SecretBook:
    """The secret each strategy needs; strategies without their own use `default` (None: they are refused)."""

    by_strategy: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None

    @property
    def empty(self) -> bool:
        return not self.by_strategy and not self.default

    def check(self, strategy: str, presented: str | None) -> None:
        """Return if `presented` is the secret for `strategy`; AlertRejected 401 otherwise.

        Unknown strategies get the same answer as a wrong secret, so the reply does not list strategies.
        """
        if not presented:
            raise AlertRejected(401, "secret", _MISSING)
        expected = self.by_strategy.get(strategy, self.default)
        if expected is None or not hmac.compare_digest(presented.encode(), expected.encode()):
            raise AlertRejected(401, "secret", _MISMATCH)

    def why_refused(self, strategy: str) -> str:
        """For the log only: whether a refusal was a wrong secret or a strategy with no secret at all."""
        return "secret_mismatch" if self.by_strategy.get(strategy, self.default) else "no_secret_for_strategy"


@dataclass(frozen=True, slots=True)
class SourceAllowlist:
    """Addresses allowed to post; an empty list allows every source."""

    networks: tuple[IpNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> SourceAllowlist:
        """Addresses or CIDR networks; the word `tradingview` stands for TradingView's four senders."""
        networks: list[IpNetwork] = []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            names = TRADINGVIEW_IPS if entry.lower() == "tradingview" else (entry,)
            networks.extend(ipaddress.ip_network(n, strict=False) for n in names)
        return cls(tuple(networks))

    @property
    def enabled(self) -> bool:
        return bool(self.networks)

    def check(self, address: str | None) -> None:
        """Return if `address` may post; AlertRejected 403 otherwise."""
        if not self.networks:
            return
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            raise AlertRejected(403, "", "the source address is unknown; only allowlisted senders may post") from None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not any(ip in network for network in self.networks):
            raise AlertRejected(403, "", f"source {ip} is not allowed to post alerts")


def source_address(peer: str | None, forwarded_for: str | None, trust_proxy: bool) -> str | None:
    """The sender's address: the peer, or behind a trusted reverse proxy the last X-Forwarded-For hop
    (the one that proxy appended; earlier hops are whatever the client claimed)."""
    if trust_proxy and forwarded_for:
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return peer
