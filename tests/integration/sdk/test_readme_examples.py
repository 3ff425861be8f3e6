"""The README's examples run as written against a live server: every Python block, the SDK example scripts, and
the grpcurl SubmitSignal snippet with its current time and price."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent
RUN_SECONDS = 60.0


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README.read_text(), re.MULTILINE | re.DOTALL)


async def run(args: list[str], target: str, stdin: str | None = None) -> str:
    """Run a command with VIGIL_TARGET set to the live server; its output, or a failure showing both streams."""
    env = {**os.environ, "VIGIL_TARGET": target, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIGIL_API_KEY", None)
    process = await asyncio.create_subprocess_exec(
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else None), RUN_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"{args} did not finish within {RUN_SECONDS} s") from None
    assert process.returncode == 0, f"{args} exited {process.returncode}:\n{out.decode()}\n{err.decode()}"
    return out.decode()


def test_the_readme_has_the_python_blocks_this_file_runs() -> None:
    found = blocks("python")
    assert len(found) >= 3
    example = (ROOT / "clients/sdk/examples/paper_trading.py").read_text()
    assert any(block in example for block in found), "the README's paper-trading script is the example file"


@pytest.mark.parametrize("index", range(3))
async def test_each_python_block_of_the_readme_runs_as_a_script(vigil_server: str, index: int) -> None:
    found = blocks("python")
    output = await run([sys.executable, "-"], vigil_server, stdin=found[index])
    assert output.strip()


@pytest.mark.parametrize(
    "example",
    [
        ["clients.sdk.examples.paper_trading"],
        ["clients.sdk.examples.stream_quotes", "--count", "3"],
        ["clients.sdk.examples.sync_quote", "ES"],
    ],
    ids=lambda args: args[0].rsplit(".", 1)[-1],
)
async def test_the_sdk_examples_run(vigil_server: str, example: list[str]) -> None:
    output = await run([sys.executable, "-m", *example], vigil_server)
    assert output.strip()


async def test_the_readme_submit_signal_snippet_sends_the_current_time_and_price(vigil_server: str) -> None:
    (snippet,) = [b for b in blocks("sh") if "SignalService/SubmitSignal" in b and "NOW_NS" in b]
    lines = snippet.splitlines()
    submit = next(i for i, line in enumerate(lines) if "SignalService/SubmitSignal" in line)
    script = "set -euo pipefail\n" + "\n".join(lines[: submit + 1]).replace("localhost:50051", vigil_server)
    output = await run(["bash", "-c", script], vigil_server)
    signal = json.loads(output)["signal"]
    checks = {c["name"]: c for c in signal["checks"]}
    # Current: neither staleness check fails (later checks depend on the hour: the session window, say).
    assert checks["staleness_price"]["outcome"] == "CHECK_OUTCOME_PASSED", checks["staleness_price"]
    assert checks["staleness_age"]["outcome"] == "CHECK_OUTCOME_PASSED", checks["staleness_age"]
    assert "closed" not in output or signal["signal_id"]  # -emit-defaults: every field is printed
    assert "bar_time_ns" in signal["input"]
