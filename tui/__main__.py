"""`python -m tui [--target HOST:PORT] [--tls-ca CA.pem ...]`: run the Vigil terminal UI against a running server."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app import VigilApp


def build_app(argv: Sequence[str] | None = None) -> VigilApp:
    """The app for these command-line arguments, with logging kept off the screen."""
    parser = argparse.ArgumentParser(prog="python -m tui", description="Vigil terminal UI")
    parser.add_argument(
        "--target", default=None, help="server address (default: env VIGIL_TARGET, else 127.0.0.1:50051)"
    )
    parser.add_argument(
        "--api-key", default=None, help="API key (default: env VIGIL_API_KEY; prefer the env so it stays out of ps)"
    )
    parser.add_argument("--tls-ca", default=None, help="CA certificate (PEM) to trust: TLS (default: env VIGIL_TLS_CA)")
    parser.add_argument("--tls-cert", default=None, help="client certificate, mutual TLS (env VIGIL_TLS_CLIENT_CERT)")
    parser.add_argument("--tls-key", default=None, help="client key, mutual TLS (env VIGIL_TLS_CLIENT_KEY)")
    args = parser.parse_args(argv)
    # grpc core and the SDK would print over the screen: keep grpc quiet, send our logs to a file or nowhere.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    configure_logging(os.environ.get("VIGIL_TUI_LOG"))

    from clients.sdk import VigilClient
    from tui.app import VigilApp

    client = VigilClient(
        args.target, api_key=args.api_key, tls_ca=args.tls_ca, tls_cert=args.tls_cert, tls_key=args.tls_key
    )  # the app closes it
    return VigilApp(args.target, api_key=args.api_key, client=client)


def configure_logging(path: str | None) -> None:
    import structlog

    if path:
        sink = open(path, "a", encoding="utf-8")  # noqa: SIM115  (lives as long as the process)
        structlog.configure(logger_factory=structlog.WriteLoggerFactory(file=sink))
    else:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))


def main() -> None:
    build_app().run()


if __name__ == "__main__":
    main()
