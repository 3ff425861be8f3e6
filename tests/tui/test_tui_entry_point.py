"""`python -m tui`: arguments and environment choose the server; logs stay off the screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from tui.__main__ import build_app


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def test_the_target_comes_from_the_command_line_or_else_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_TARGET", "127.0.0.1:6001")
    monkeypatch.delenv("VIGIL_TUI_LOG", raising=False)

    assert build_app([]).client.target == "127.0.0.1:6001"
    assert build_app(["--target", "127.0.0.1:6002"]).client.target == "127.0.0.1:6002"


def test_logs_go_to_the_named_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    log_file = tmp_path / "tui.log"
    monkeypatch.setenv("VIGIL_TUI_LOG", str(log_file))

    build_app([])
    structlog.get_logger("tui.test").info("tui.test_event", answer=42)

    assert "tui.test_event" in log_file.read_text()


def test_tls_comes_from_the_command_line_or_else_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from clients.cli.certs import make_certificates

    make_certificates(tmp_path)
    monkeypatch.delenv("VIGIL_TUI_LOG", raising=False)
    monkeypatch.delenv("VIGIL_TLS_CA", raising=False)
    assert not build_app([]).client.tls
    assert build_app(["--tls-ca", str(tmp_path / "ca.pem")]).client.tls
    monkeypatch.setenv("VIGIL_TLS_CA", str(tmp_path / "ca.pem"))
    assert build_app([]).client.tls
