"""`python -m tui [--target HOST:PORT]`: run the Vigil terminal UI against a running server."""

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
    args = parser.parse_args(argv)
    # grpc core and the SDK would print over the screen: keep grpc quiet, send our logs to a file or nowhere.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    configure_logging(os.environ.get("VIGIL_TUI_LOG"))

    from tui.app import VigilApp

    return VigilApp(args.target, api_key=args.api_key)


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
