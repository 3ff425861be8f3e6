"""Bridge configuration from the environment, validated once at start.

VIGIL_TARGET                    core address (default 127.0.0.1:50051)
VIGIL_API_KEY                   the core's API key, if it requires one
VIGIL_BRIDGE_LISTEN             host:port to serve HTTP on (default 127.0.0.1:8080)
VIGIL_WEBHOOK_SECRET            the secret of every strategy without its own
VIGIL_WEBHOOK_SECRETS           per-strategy secrets: "strategyA=secret1,strategyB=secret2" (no commas in them)
VIGIL_WEBHOOK_ALLOW_IPS         optional sender allowlist: "tradingview" (its four IPs), addresses, CIDRs
VIGIL_WEBHOOK_TRUST_PROXY       1: take the sender from the last X-Forwarded-For hop (behind your proxy)
VIGIL_WEBHOOK_MAX_BODY          body limit in bytes (default 16384; larger bodies get 413)
VIGIL_WEBHOOK_FORWARD_TIMEOUT   seconds to wait for the core (default 2.0; TradingView gives up at 3)
VIGIL_WEBHOOK_RATE              alerts a second per sender address (default 20; 0: no limit); 429 past it
VIGIL_WEBHOOK_BURST             alerts a sender may post at once (default 100)
VIGIL_LOG_LEVEL                 debug, info, warning, error (default info)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from clients.sdk import DEFAULT_TARGET
from clients.webhook_bridge.access import SecretBook, SourceAllowlist
from clients.webhook_bridge.alert import STRATEGY_NAME

DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_MAX_BODY = 16 * 1024
DEFAULT_FORWARD_TIMEOUT_S = 2.0


class ConfigError(Exception):
    """A configuration value is missing or invalid; names the environment variable (never its secret value)."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    secrets: SecretBook
    target: str = DEFAULT_TARGET
    api_key: str | None = None
    listen: str = DEFAULT_LISTEN
    allowlist: SourceAllowlist = field(default_factory=SourceAllowlist)
    trust_proxy: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY
    forward_timeout_s: float = DEFAULT_FORWARD_TIMEOUT_S
    log_level: str = "info"
    rate_per_s: Decimal = Decimal(20)  # per sender address; 0: no limit
    burst: int = 100

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BridgeConfig:
        get = dict(os.environ if env is None else env).get
        secrets = SecretBook(_strategy_secrets(get("VIGIL_WEBHOOK_SECRETS", "")), get("VIGIL_WEBHOOK_SECRET") or None)
        if secrets.empty:
            raise ConfigError(
                "VIGIL_WEBHOOK_SECRET", "set it, or VIGIL_WEBHOOK_SECRETS; the bridge refuses to run open"
            )
        listen = get("VIGIL_BRIDGE_LISTEN", DEFAULT_LISTEN).strip()
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError("VIGIL_BRIDGE_LISTEN", f"use host:port, e.g. {DEFAULT_LISTEN}")
        try:
            allowlist = SourceAllowlist.parse(get("VIGIL_WEBHOOK_ALLOW_IPS", "").split(","))
        except ValueError as error:
            raise ConfigError("VIGIL_WEBHOOK_ALLOW_IPS", str(error)) from None
        return cls(
            secrets=secrets,
            target=get("VIGIL_TARGET", DEFAULT_TARGET).strip() or DEFAULT_TARGET,
            api_key=get("VIGIL_API_KEY") or None,
            listen=listen,
            allowlist=allowlist,
            trust_proxy=get("VIGIL_WEBHOOK_TRUST_PROXY", "").strip().lower() in ("1", "true", "yes"),
            max_body_bytes=int(_number(get("VIGIL_WEBHOOK_MAX_BODY"), "VIGIL_WEBHOOK_MAX_BODY", DEFAULT_MAX_BODY)),
            forward_timeout_s=_number(
                get("VIGIL_WEBHOOK_FORWARD_TIMEOUT"), "VIGIL_WEBHOOK_FORWARD_TIMEOUT", DEFAULT_FORWARD_TIMEOUT_S
            ),
            log_level=get("VIGIL_LOG_LEVEL", "info").strip().lower(),
            rate_per_s=_rate(get("VIGIL_WEBHOOK_RATE")),
            burst=int(_number(get("VIGIL_WEBHOOK_BURST"), "VIGIL_WEBHOOK_BURST", 100)),
        )


def _strategy_secrets(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        strategy, eq, secret = item.partition("=")
        strategy = strategy.strip()
        if not eq or not secret:
            raise ConfigError("VIGIL_WEBHOOK_SECRETS", f"entry for {strategy!r} needs strategy=secret")
        if not STRATEGY_NAME.fullmatch(strategy):
            raise ConfigError("VIGIL_WEBHOOK_SECRETS", f"{strategy!r} is not a strategy name (letters, digits, ._-)")
        found[strategy] = secret
    return found


def _rate(raw: str | None) -> Decimal:
    if raw is None or not raw.strip():
        return Decimal(20)
    try:
        value = Decimal(raw.strip())
    except ArithmeticError:
        raise ConfigError("VIGIL_WEBHOOK_RATE", f"{raw!r} is not a number") from None
    if not value.is_finite() or not 0 <= value <= 1_000_000:
        raise ConfigError("VIGIL_WEBHOOK_RATE", f"{raw!r}: alerts a second, 0 (no limit) to 1000000")
    return value


def _number(raw: str | None, name: str, default: float) -> float:
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a number") from None
    if not 0 < value < 1e9:
        raise ConfigError(name, f"{raw!r} must be positive")
    return value
