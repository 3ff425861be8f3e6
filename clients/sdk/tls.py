"""TLS for the client's channel: the CA to trust, and a client certificate for mutual TLS.

Explicit arguments win over the environment: VIGIL_TLS_CA (a PEM file of the CA that signed the server's
certificate; e.g. the one `vigil certs` made), VIGIL_TLS_CLIENT_CERT and VIGIL_TLS_CLIENT_KEY (mutual TLS),
VIGIL_TLS_SERVER_NAME (check the certificate against this name instead of the target's host), and VIGIL_TLS=1
(TLS with the system's trusted CAs). With none of them the channel is plaintext (a loopback server).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import grpc

from clients.sdk.errors import InvalidArgumentError

TLS_ENV = "VIGIL_TLS"
TLS_CA_ENV = "VIGIL_TLS_CA"
TLS_CLIENT_CERT_ENV = "VIGIL_TLS_CLIENT_CERT"
TLS_CLIENT_KEY_ENV = "VIGIL_TLS_CLIENT_KEY"
TLS_SERVER_NAME_ENV = "VIGIL_TLS_SERVER_NAME"


@dataclass(frozen=True, slots=True)
class TlsSettings:
    ca: bytes | None  # None: the system's trusted CAs
    cert: bytes | None  # mutual TLS: the client's certificate chain and key
    key: bytes | None
    server_name: str = ""

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca, private_key=self.key, certificate_chain=self.cert
        )

    def options(self) -> tuple[tuple[str, str], ...]:
        return (("grpc.ssl_target_name_override", self.server_name),) if self.server_name else ()


def _read(path: str, field: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise InvalidArgumentError(field, f"cannot read {path}: {exc.strerror}") from None


def resolve_tls(
    tls: bool | None = None,
    ca: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    server_name: str | None = None,
) -> TlsSettings | None:
    """The TLS settings from the arguments, else the environment; None for plaintext (`tls=False` forces it)."""
    env = os.environ
    ca = ca or env.get(TLS_CA_ENV, "").strip() or None
    cert = cert or env.get(TLS_CLIENT_CERT_ENV, "").strip() or None
    key = key or env.get(TLS_CLIENT_KEY_ENV, "").strip() or None
    name = server_name or env.get(TLS_SERVER_NAME_ENV, "").strip()
    if tls is None:
        tls = bool(ca or cert) or env.get(TLS_ENV, "").strip().lower() in ("1", "on", "true", "yes")
    if not tls:
        return None
    if (cert is None) != (key is None):
        raise InvalidArgumentError("tls_key" if key is None else "tls_cert", "a client certificate needs its key")
    return TlsSettings(
        _read(ca, "tls_ca") if ca else None,
        _read(cert, "tls_cert") if cert else None,
        _read(key, "tls_key") if key else None,
        name,
    )
