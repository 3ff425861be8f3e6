"""Tradovate feed settings: credentials and hosts from the environment, timers for tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core_server.config import ConfigError

REST_URLS = {"demo": "https://demo.tradovateapi.com/v1", "live": "https://live.tradovateapi.com/v1"}
MD_URL = "wss://md.tradovateapi.com/v1/websocket"  # one market-data host serves both environments


@dataclass(frozen=True, slots=True)
class TradovateConfig:
    """Everything the Tradovate adapter needs. Password and API secret never appear in repr, logs or status."""

    username: str
    password: str = field(repr=False)
    app_id: str = ""
    app_version: str = ""
    cid: str = ""
    secret: str = field(default="", repr=False)
    environment: str = "demo"
    rest_url: str = REST_URLS["demo"]
    md_url: str = MD_URL
    device_id: str = ""  # optional; live accounts enforce one stable id per device
    # The protocol: the client sends `[]` at least every 2.5 s; the server sends `h` every ~2.5 s when idle,
    # so several silent heartbeat periods mean the connection is dead.
    heartbeat_interval_s: float = 2.5
    idle_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    close_timeout_s: float = 2.0
    request_timeout_s: float = 10.0
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    backoff_reset_after_s: float = 30.0  # a connection streaming this long resets the reconnect backoff
    # A rejected login must never hammer the server (bad logins earn captcha penalties).
    auth_backoff_initial_s: float = 60.0
    auth_backoff_max_s: float = 900.0
    captcha_wait_s: float = 3600.0
    max_penalty_rounds: int = 5
    # Tokens live 80-90 min; renew 15 min before expiry, or halfway for short-lived tokens.
    renew_margin_s: float = 900.0
    renew_min_interval_s: float = 5.0
    history_timeout_s: float = 15.0
    history_page_size: int = 5000
    history_max_pages: int = 20
    max_held_ticks: int = 500_000
    max_frame_bytes: int = 4 << 20  # larger frames are counted as malformed and skipped
    max_socket_frame_bytes: int = 16 << 20  # above this the websocket library closes the connection

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TradovateConfig:
        """TRADOVATE_USERNAME, _PASSWORD, _APP_ID, _APP_VERSION, _CID, _SECRET are required; TRADOVATE_ENV is
        demo (default) or live; TRADOVATE_REST_URL / TRADOVATE_MD_URL override the hosts (e.g. for the fake);
        TRADOVATE_DEVICE_ID is optional."""
        env = os.environ if env is None else env
        values = {
            name: _required(env, name, why)
            for name, why in (
                ("TRADOVATE_USERNAME", "the Tradovate login name"),
                ("TRADOVATE_PASSWORD", "the Tradovate login password"),
                ("TRADOVATE_APP_ID", "the API application id registered with Tradovate"),
                ("TRADOVATE_APP_VERSION", "the API application version, e.g. 1.0"),
                ("TRADOVATE_CID", "the API key's client id (cid)"),
                ("TRADOVATE_SECRET", "the API key's secret (sec)"),
            )
        }
        environment = env.get("TRADOVATE_ENV", "demo").strip().lower() or "demo"
        if environment not in REST_URLS:
            raise ConfigError("TRADOVATE_ENV", f"{environment!r} is not demo or live")
        return cls(
            username=values["TRADOVATE_USERNAME"],
            password=values["TRADOVATE_PASSWORD"],
            app_id=values["TRADOVATE_APP_ID"],
            app_version=values["TRADOVATE_APP_VERSION"],
            cid=values["TRADOVATE_CID"],
            secret=values["TRADOVATE_SECRET"],
            environment=environment,
            rest_url=_url(env, "TRADOVATE_REST_URL", REST_URLS[environment], ("http", "https")),
            md_url=_url(env, "TRADOVATE_MD_URL", MD_URL, ("ws", "wss")),
            device_id=env.get("TRADOVATE_DEVICE_ID", "").strip(),
        )


def _required(env: Mapping[str, str], name: str, why: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(name, f"is not set; the Tradovate feed needs {why}")
    return value


def _url(env: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.netloc:
        raise ConfigError(name, f"{raw!r} is not a URL with scheme {' or '.join(schemes)}")
    return raw.rstrip("/")
