"""The SDK's clients take their server and API key from VIGIL_TARGET and VIGIL_API_KEY, like the TUI and the
bridge; explicit arguments win."""

from __future__ import annotations

import pytest

from clients.sdk import DEFAULT_TARGET, VigilClient, VigilSyncClient


def test_without_arguments_the_client_uses_vigil_target_and_vigil_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_TARGET", "127.0.0.1:6101")
    monkeypatch.setenv("VIGIL_API_KEY", "env-key")

    client = VigilClient()

    assert client.target == "127.0.0.1:6101"
    assert client.api_key_source == "VIGIL_API_KEY"


def test_explicit_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_TARGET", "127.0.0.1:6101")
    monkeypatch.setenv("VIGIL_API_KEY", "env-key")

    client = VigilClient("127.0.0.1:6102", api_key="argument-key")

    assert client.target == "127.0.0.1:6102"
    assert client.api_key_source == "argument"


def test_without_environment_the_client_uses_the_default_target_and_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIL_TARGET", raising=False)
    monkeypatch.delenv("VIGIL_API_KEY", raising=False)

    client = VigilClient()

    assert client.target == DEFAULT_TARGET == "127.0.0.1:50051"
    assert client.api_key_source == ""


def test_a_blank_vigil_target_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_TARGET", "  ")

    assert VigilClient().target == DEFAULT_TARGET


def test_the_sync_client_follows_the_same_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_TARGET", "127.0.0.1:6103")

    with VigilSyncClient() as default, VigilSyncClient("127.0.0.1:6104") as explicit:
        assert default.target == "127.0.0.1:6103"
        assert explicit.target == "127.0.0.1:6104"
