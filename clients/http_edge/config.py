"""Edge configuration from the environment, validated once at start.

VIGIL_EDGE_LISTEN          host:port to serve HTTP on (default 127.0.0.1:8080)
VIGIL_TARGET               core address (default 127.0.0.1:50051)
VIGIL_API_KEY              the core's API key, if it requires one
VIGIL_UDF_ACCOUNT          the paper account whose fills and positions the datafeed and chart show (default paper)
VIGIL_UDF_CORS_ORIGINS     origins allowed to read /udf from a browser (comma list, or *); default none
VIGIL_WEBHOOK_SECRET(S)    when set, the webhook routes are served too, with every VIGIL_WEBHOOK_* setting of
                           clients/webhook_bridge/config.py; without them the edge serves no webhook route
VIGIL_LOG_LEVEL            debug, info, warning, error (default info)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from clients.sdk import DEFAULT_TARGET
from clients.webhook_bridge import BridgeConfig
from clients.webhook_bridge.config import ConfigError

DEFAULT_LISTEN = "127.0.0.1:8080"


@dataclass(frozen=True, slots=True)
class EdgeConfig:
    target: str = DEFAULT_TARGET
    api_key: str | None = None
    listen: str = DEFAULT_LISTEN
    account_id: str = "paper"
    cors_origins: tuple[str, ...] = ()
    bridge: BridgeConfig | None = None  # None: no webhook routes
    log_level: str = "info"

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EdgeConfig:
        values = dict(os.environ if env is None else env)
        get = values.get
        listen = get("VIGIL_EDGE_LISTEN", DEFAULT_LISTEN).strip()
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError("VIGIL_EDGE_LISTEN", f"use host:port, e.g. {DEFAULT_LISTEN}")
        account = get("VIGIL_UDF_ACCOUNT", "paper").strip()
        if not account:
            raise ConfigError("VIGIL_UDF_ACCOUNT", "name the account whose fills and positions to show")
        webhooks = bool(get("VIGIL_WEBHOOK_SECRET") or get("VIGIL_WEBHOOK_SECRETS"))
        return cls(
            target=get("VIGIL_TARGET", DEFAULT_TARGET).strip() or DEFAULT_TARGET,
            api_key=get("VIGIL_API_KEY") or None,
            listen=listen,
            account_id=account,
            cors_origins=tuple(o.strip() for o in get("VIGIL_UDF_CORS_ORIGINS", "").split(",") if o.strip()),
            bridge=BridgeConfig.from_env(values) if webhooks else None,
            log_level=get("VIGIL_LOG_LEVEL", "info").strip().lower(),
        )
