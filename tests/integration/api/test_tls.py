"""TLS (issue 14 §1): `vigil certs` makes a development CA and certificates; the server serves TLS and mutual
TLS with them; the SDK (async and sync), the CLI and grpcurl connect with the CA; plaintext off loopback is
refused unless VIGIL_INSECURE is set. Real server, real PostgreSQL."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from clients.cli import exit_codes
from clients.cli.certs import make_certificates
from clients.sdk import UnavailableError, VigilClient, VigilSyncClient
from clients.webhook_bridge.config import ConfigError as BridgeConfigError
from clients.webhook_bridge.https import server_ssl_context
from core_server.app import start
from core_server.config import Config, ConfigError
from tests.integration.api.test_grpcurl import GRPCURL, grpcurl
from tests.integration.cli.test_cli_market import vigil
from tests.kit.server import server_config

HAVE_GRPCURL = Path(GRPCURL).exists()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("certs")
    make_certificates(out)
    return out


def test_the_certificates_are_made_once_and_keys_are_private(certs: Path) -> None:
    assert {p.name for p in certs.iterdir()} == {
        "ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem",
    }  # fmt: skip
    assert all((certs / n).stat().st_mode & 0o077 == 0 for n in ("ca-key.pem", "server-key.pem", "client-key.pem"))
    with pytest.raises(FileExistsError):
        make_certificates(certs)
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    context.load_cert_chain(certs / "client.pem", certs / "client-key.pem")  # a matching pair


async def test_tls_with_the_sdk_cli_and_grpcurl(database_url: str, certs: Path) -> None:
    running = await start(server_config(database_url, tls_cert=certs / "server.pem", tls_key=certs / "server-key.pem"))
    try:
        ca = str(certs / "ca.pem")
        async with VigilClient(running.address, tls_ca=ca) as client:
            assert client.tls and (await client.who_am_i()).actor == "local"
        async with VigilClient(running.address, reconnect=False) as plaintext:
            with pytest.raises(UnavailableError):
                await plaintext.who_am_i()

        def sync_call() -> str:
            with VigilSyncClient(running.address, tls_ca=ca) as client:
                return client.who_am_i().actor

        assert await asyncio.to_thread(sync_call) == "local"
        code, out, _ = await vigil("--target", running.address, "--tls-ca", ca, "keys", "whoami")
        assert (code, out.strip()) == (exit_codes.OK, "local (admin; every account)")
        if HAVE_GRPCURL:
            code, out, err = await grpcurl("-cacert", ca, running.address, "vigil.v1.AccessService/WhoAmI")
            assert code == 0 and '"actor": "local"' in out, err
    finally:
        await running.stop()


async def test_mutual_tls_needs_a_client_certificate(database_url: str, certs: Path) -> None:
    running = await start(
        server_config(
            database_url,
            tls_cert=certs / "server.pem",
            tls_key=certs / "server-key.pem",
            tls_client_ca=certs / "ca.pem",
        )
    )
    try:
        ca = str(certs / "ca.pem")
        async with VigilClient(running.address, tls_ca=ca, reconnect=False) as anonymous:
            with pytest.raises(UnavailableError):
                await anonymous.who_am_i()
        client_cert, client_key = str(certs / "client.pem"), str(certs / "client-key.pem")
        async with VigilClient(running.address, tls_ca=ca, tls_cert=client_cert, tls_key=client_key) as client:
            assert (await client.who_am_i()).actor == "local"
        code, _, _ = await vigil(
            "--target", running.address, "--tls-ca", ca, "--tls-cert", client_cert, "--tls-key", client_key,
            "keys", "whoami",
        )  # fmt: skip
        assert code == exit_codes.OK
        if HAVE_GRPCURL:
            code, _, err = await grpcurl(
                "-cacert", ca, "-cert", client_cert, "-key", client_key, running.address, "list"
            )
            assert code == 0, err
    finally:
        await running.stop()


async def test_plaintext_off_loopback_is_refused_unless_insecure(database_url: str) -> None:
    with pytest.raises(ConfigError, match="VIGIL_TLS_CERT"):
        await start(server_config(database_url, listen="0.0.0.0:0", api_keys=("k",)))
    running = await start(server_config(database_url, listen="0.0.0.0:0", api_keys=("k",), insecure=True))
    await running.stop()


def test_tls_settings_are_checked_at_start(certs: Path, tmp_path: Path) -> None:
    env = {"VIGIL_TLS_CERT": str(certs / "server.pem")}
    with pytest.raises(ConfigError, match="VIGIL_TLS_KEY"):
        Config.from_env(env)
    with pytest.raises(ConfigError, match="VIGIL_TLS_CERT"):
        Config.from_env({"VIGIL_LISTEN": "0.0.0.0:50051"})
    with pytest.raises(ConfigError, match="VIGIL_TLS_CLIENT_CA"):
        Config.from_env({"VIGIL_TLS_CLIENT_CA": str(certs / "ca.pem")})
    with pytest.raises(ConfigError, match="not a readable file"):
        Config.from_env({**env, "VIGIL_TLS_KEY": str(tmp_path / "missing.pem")})
    config = Config.from_env({"VIGIL_LISTEN": "0.0.0.0:50051", "VIGIL_INSECURE": "1"})
    assert config.insecure and not config.tls
    config = Config.from_env({**env, "VIGIL_TLS_KEY": str(certs / "server-key.pem"), "VIGIL_LISTEN": "0.0.0.0:1"})
    assert config.tls


def test_https_for_the_bridge_and_the_edge(certs: Path) -> None:
    assert server_ssl_context({}) is None
    context = server_ssl_context(
        {"VIGIL_HTTPS_CERT": str(certs / "server.pem"), "VIGIL_HTTPS_KEY": str(certs / "server-key.pem")}
    )
    assert context is not None and context.minimum_version is ssl.TLSVersion.TLSv1_2
    with pytest.raises(BridgeConfigError, match="VIGIL_HTTPS_KEY"):
        server_ssl_context({"VIGIL_HTTPS_CERT": str(certs / "server.pem")})
