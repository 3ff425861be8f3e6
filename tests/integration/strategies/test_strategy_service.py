"""StrategyService end to end on a real server started with VIGIL_STRATEGY_DIR = the committed examples: the
async SDK, the blocking SDK (through `vigil strategies ...`), grpc errors naming fields, and the event stream."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clients.cli import exit_codes
from clients.cli.main import main
from clients.sdk import VigilClient
from clients.sdk.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from clients.sdk.strategies import StrategyStatus
from core_server.app import RunningServer, start
from tests.kit.server import server_config

EXAMPLES = Path(__file__).parents[3] / "strategies" / "examples"
MOMENTUM = (EXAMPLES / "momentum.toml").read_text()


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    running = await start(server_config(database_url, strategy_dir=EXAMPLES))
    try:
        yield running
    finally:
        await running.stop()


async def vigil(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(main, list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def test_the_example_directory_is_loaded_inactive(server: RunningServer) -> None:
    async with VigilClient(server.address) as client:
        strategies = await client.list_strategies()
    assert [(s.strategy_id, s.kind, s.status) for s in strategies] == [
        ("first-hour-breakout", "first_hour_breakout", StrategyStatus.INACTIVE),
        ("mean-reversion", "rules", StrategyStatus.INACTIVE),
        ("momentum", "rules", StrategyStatus.INACTIVE),
    ]
    assert {s.account_id for s in strategies} == {"paper"}
    assert all(s.contract_id.startswith("ES") for s in strategies)


async def test_lifecycle_through_the_async_sdk(server: RunningServer) -> None:
    async with VigilClient(server.address) as client:
        events = client.stream_strategy_events("momentum", replay=10, include_updates=True)
        first = (await anext(events)).event
        assert first is not None and (first.strategy_id, first.kind) == ("momentum", "loaded")
        active = await client.activate_strategy("momentum")
        assert active.status is StrategyStatus.ACTIVE
        updates = [await anext(events), await anext(events)]  # the log line and the strategy's new figures
        assert [u.event.kind for u in updates if u.event is not None] == ["activated"]
        assert [u.strategy.status for u in updates if u.strategy is not None] == [StrategyStatus.ACTIVE]
        loaded = await client.load_strategy(MOMENTUM.replace("max_trades_per_day = 4", "max_trades_per_day = 2"))
        assert loaded.changed and loaded.strategy.version == 2
        assert loaded.strategy.status is StrategyStatus.INACTIVE  # a new version starts inactive
        same = await client.load_strategy(MOMENTUM.replace("max_trades_per_day = 4", "max_trades_per_day = 2"))
        assert not same.changed
        stopped = await client.emergency_stop_strategy("momentum")
        assert stopped.status is StrategyStatus.STOPPED
        detail = await client.get_strategy("momentum")
        assert [v.version for v in detail.versions] == [1, 2]
        assert detail.versions[0].source == MOMENTUM
        kinds = [e.kind for e in detail.events]
        assert kinds[:2] == ["loaded", "activated"] and kinds[-1] == "emergency_stop"
        await events.aclose()


async def test_bad_input_names_the_field_and_changes_nothing(server: RunningServer) -> None:
    async with VigilClient(server.address) as client:
        with pytest.raises(InvalidArgumentError) as caught:
            await client.load_strategy(MOMENTUM.replace('timeframe = "5m"', 'timeframe = "7m"'))
        assert caught.value.field == "rules.timeframe"
        with pytest.raises(InvalidArgumentError) as caught:
            await client.validate_strategy('{"name": "x", "account": "paper", "instrument": "ES", "rules": 1}')
        assert caught.value.field == "rules"
        contradictory = MOMENTUM.replace(
            'right = { indicator = "volume_avg", period = 20 } },\n] }\n\n[[rules.entry]]',
            'right = { indicator = "volume_avg", period = 20 } },\n'
            '  { left = { field = "close" }, op = ">", right = 100 },\n'
            '  { left = { field = "close" }, op = "<", right = 90 },\n] }\n\n[[rules.entry]]',
        )
        result = await client.validate_strategy(contradictory)
        assert not result.ok
        assert any(f.severity == "error" and f.path == "rules.entry[0].when.all[3]" for f in result.findings)
        loaded = await client.load_strategy(contradictory.replace('name = "momentum"', 'name = "broken"'))
        with pytest.raises(FailedPreconditionError, match=r"rules.entry\[0\].when.all\[3\]"):
            await client.activate_strategy("broken")
        assert loaded.strategy.status is StrategyStatus.INACTIVE
        with pytest.raises(NotFoundError):
            await client.activate_strategy("no-such-strategy")
        assert len(await client.list_strategies()) == 4


async def test_the_cli(server: RunningServer, tmp_path: Path) -> None:
    target = ("--target", server.address)
    code, out, _ = await vigil(*target, "strategies", "list")
    assert code == exit_codes.OK
    assert "first-hour-breakout" in out and "inactive" in out
    code, out, _ = await vigil(*target, "strategies", "enable", "first-hour-breakout")
    assert code == exit_codes.OK and "active" in out
    code, out, _ = await vigil(*target, "--json", "strategies", "show", "first-hour-breakout")
    shown = json.loads(out)
    assert (code, shown["strategy"]["status"], shown["versions"][0]["version"]) == (exit_codes.OK, "active", 1)
    code, out, _ = await vigil(*target, "strategies", "disable", "first-hour-breakout")
    assert code == exit_codes.OK and "inactive" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(MOMENTUM.replace("ticks = 8", "ticks = 0"))
    code, _, err = await vigil(*target, "strategies", "load", str(bad))
    assert code == exit_codes.INVALID_ARGUMENT and "rules.stop.ticks" in err
    window = tmp_path / "window.toml"
    window.write_text(MOMENTUM.replace('sessions = ["NY AM", "NY PM"]', 'start = "10:00", end = "10:00"'))
    code, out, _ = await vigil(*target, "strategies", "validate", str(window))
    assert code == exit_codes.FAILED_PRECONDITION and "error: rules.window: start equals end" in out
    code, out, _ = await vigil(*target, "strategies", "load", str(EXAMPLES / "momentum.toml"), "--enable")
    assert code == exit_codes.OK and "(unchanged)" in out and "active" in out
    code, out, _ = await vigil(*target, "strategies", "stop", "momentum")
    assert code == exit_codes.OK and "stopped" in out
    code, out, _ = await vigil(*target, "strategies", "events", "momentum")
    assert code == exit_codes.OK and "emergency_stop" in out


async def test_the_readme_strategies_example_runs(server: RunningServer) -> None:
    import os
    import re
    import sys

    readme = (Path(__file__).parents[3] / "README.md").read_text()
    (block,) = [b for b in re.findall(r"^```python\n(.*?)^```$", readme, re.M | re.S) if "load_strategy" in b]
    env = {**os.environ, "VIGIL_TARGET": server.address}
    env.pop("VIGIL_API_KEY", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, cwd=Path(__file__).parents[3],
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(block.encode()), 60)
    assert process.returncode == 0, err.decode()
    assert "readme-rule 1 active ESZ" in out.decode()
    assert "('deactivated'" in out.decode()


async def test_a_restart_keeps_versions_and_status(server: RunningServer, database_url: str) -> None:
    async with VigilClient(server.address) as client:
        await client.activate_strategy("momentum")
        enabled = MOMENTUM.replace('name = "momentum"', 'name = "second"').replace("enabled = false", "enabled = true")
        loaded = await client.load_strategy(enabled)
        assert loaded.strategy.status is StrategyStatus.ACTIVE
    await server.stop()
    again = await start(server_config(database_url, strategy_dir=EXAMPLES))
    try:
        async with VigilClient(again.address) as client:
            strategies = {s.strategy_id: s for s in await client.list_strategies()}
            assert {k: (s.version, s.status) for k, s in strategies.items()} == {
                "first-hour-breakout": (1, StrategyStatus.INACTIVE),
                "mean-reversion": (1, StrategyStatus.INACTIVE),
                "momentum": (1, StrategyStatus.ACTIVE),  # the unchanged file makes no new version
                "second": (1, StrategyStatus.ACTIVE),
            }
            bad = MOMENTUM.replace('name = "momentum"', 'name = "bad"').replace("enabled = false", "enabled = true")
            bad = bad.replace('sessions = ["NY AM", "NY PM"]', 'start = "10:00", end = "10:00"')
            refused = await client.load_strategy(bad)
            assert refused.strategy.status is StrategyStatus.INACTIVE
            detail = await client.get_strategy("bad")
            assert [e.kind for e in detail.events] == ["loaded", "not_activated"]
            assert "rules.window: start equals end" in detail.events[-1].message
    finally:
        await again.stop()
