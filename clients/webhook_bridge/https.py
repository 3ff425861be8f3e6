"""HTTPS for the bridge's and the HTTP edge's own listener: VIGIL_HTTPS_CERT and VIGIL_HTTPS_KEY (PEM files;
`vigil certs` makes development ones). Unset: plain HTTP (on loopback, or behind a TLS proxy)."""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping

from clients.webhook_bridge.config import ConfigError

CERT_ENV = "VIGIL_HTTPS_CERT"
KEY_ENV = "VIGIL_HTTPS_KEY"


def server_ssl_context(env: Mapping[str, str] | None = None) -> ssl.SSLContext | None:
    env = os.environ if env is None else env
    cert, key = env.get(CERT_ENV, "").strip(), env.get(KEY_ENV, "").strip()
    if not cert and not key:
        return None
    if not cert or not key:
        raise ConfigError(KEY_ENV if cert else CERT_ENV, "set both VIGIL_HTTPS_CERT and VIGIL_HTTPS_KEY, or neither")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(CERT_ENV, f"cannot load {cert} / {key}: {exc}") from None
    return context
