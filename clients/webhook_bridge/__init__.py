"""TradingView webhook bridge: HTTP alerts in, SignalService.SubmitSignal out, through the SDK only."""

from clients.webhook_bridge.alert import Alert, normalise, parse_alert, secret_of
from clients.webhook_bridge.app import create_app
from clients.webhook_bridge.body import DecodedBody, decode_body
from clients.webhook_bridge.config import BridgeConfig, ConfigError
from clients.webhook_bridge.rejection import AlertRejected

__all__ = [
    "Alert",
    "AlertRejected",
    "BridgeConfig",
    "ConfigError",
    "DecodedBody",
    "create_app",
    "decode_body",
    "normalise",
    "parse_alert",
    "secret_of",
]
