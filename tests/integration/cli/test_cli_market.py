"""`vigil` against a real server: global options, text and JSON output, errors as exit codes."""

from __future__ import annotations

import asyncio
import io
import json
import socket

import pytest

from clients.cli import exit_codes
from clients.cli.main import main


@pytest.fixture
def unused_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


async def vigil(*argv: str) -> tuple[int, str, str]:
    """Run `vigil ARGV` in a thread (the sync SDK has its own loop); its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(main, list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def test_health_quote_and_feed_against_a_running_server(
    vigil_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await vigil("--target", vigil_server, "health")
    assert (code, out.strip()) == (exit_codes.OK, "serving")

    code, out, _ = await vigil("--target", vigil_server, "--json", "quote", "NQ")
    assert code == exit_codes.OK
    assert json.loads(out)["quote"]["contract_id"].startswith("NQ")

    code, out, _ = await vigil("--target", vigil_server, "feed")
    assert code == exit_codes.OK and json.loads(out)


async def test_instruments_show_each_front_month_and_when_the_next_one_leads(vigil_server: str) -> None:
    code, out, _ = await vigil("--target", vigil_server, "instruments")
    assert code == exit_codes.OK
    (nq,) = [line for line in out.splitlines() if line.startswith("NQ ")]
    assert " streaming " in nq and "the next month leads from " in nq and nq.endswith(" CT)")
    (ym,) = [line for line in out.splitlines() if line.startswith("YM ")]
    assert "not streamed" in ym  # listed, but the server streams NQ, MNQ, ES and MES only

    code, out, _ = await vigil("--target", vigil_server, "--json", "instruments")
    fronts = {i["root"]: i["front_contract"] for i in json.loads(out)}
    assert fronts["NQ"]["roll_ns"] < fronts["NQ"]["expiry_ns"]


async def test_an_unknown_symbol_is_a_not_found_exit_code_with_the_reason(
    vigil_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await vigil("--target", vigil_server, "quote", "ZZ")
    assert code in (exit_codes.NOT_FOUND, exit_codes.INVALID_ARGUMENT)
    assert out == "" and "vigil:" in err


async def test_no_server_at_the_target_is_unavailable(unused_address: str) -> None:
    code, _, err = await vigil("--target", unused_address, "quote", "NQ")
    assert code == exit_codes.UNAVAILABLE and "UNAVAILABLE" in err


def test_a_bad_command_line_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--target"])
    assert raised.value.code == exit_codes.USAGE
