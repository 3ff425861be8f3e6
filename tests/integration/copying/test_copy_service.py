"""CopyGroupService end to end on a real server: the SDK (async and sync) and `vigil copy` create, show, pause and
resume a group; a leader's order fans out to its followers with every outcome recorded; bad input names its field;
a trader key only changes groups whose accounts it is granted."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from clients.cli import exit_codes
from clients.cli.main import main
from clients.sdk import (
    AlreadyExistsError,
    CopyFollower,
    CopySourceKind,
    CopyStatus,
    InvalidArgumentError,
    NotFoundError,
    QuoteSnapshot,
    VigilClient,
    VigilSyncClient,
    limit,
)


async def vigil(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(main, list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def quote_when_ready(client: VigilClient) -> QuoteSnapshot:
    for _ in range(500):
        try:
            return await client.get_quote("NQ")
        except NotFoundError:
            await asyncio.sleep(0.02)
    return await client.get_quote("NQ")


async def test_a_leader_order_fans_out_and_every_surface_shows_the_outcomes(vigil_server: str) -> None:
    async with VigilClient(vigil_server) as client:
        for name in ("lead", "eval-1", "eval-2", "eval-3"):
            await client.create_account(name, Decimal(50_000))
        group = await client.create_copy_group(
            "evals",
            CopySourceKind.ACCOUNT,
            "lead",
            [
                CopyFollower.times("eval-1", 2),
                CopyFollower.times("eval-2", 1, micros_only=True),
                CopyFollower.risk("eval-3", 500),
            ],
        )
        assert [f.describe() for f in group.followers] == ["x2", "x1 micros", "risk $500"]
        with pytest.raises(AlreadyExistsError):
            await client.create_copy_group("evals", "webhook", "orb", [CopyFollower.fixed("eval-1", 1)])
        with pytest.raises(NotFoundError) as missing:
            await client.create_copy_group("ghosts", "webhook", "orb", [CopyFollower.fixed("nobody", 1)])
        assert "followers[0].account_id" in str(missing.value)
        with pytest.raises(InvalidArgumentError) as bad:
            await client.create_copy_group("bad", "webhook", "orb", [CopyFollower.times("eval-1", "-1")])
        assert bad.value.field == "followers[0].multiplier"

        quote = await quote_when_ready(client)
        below = (quote.quote.bid * Decimal("0.95")).quantize(Decimal(1))  # inside the price band, far below: rests
        await client.submit_order("lead", limit("NQ", "buy", 1, below))
        shown = await client.get_copy_group("evals")
        last = {f.account_id: f.last_outcome for f in shown.followers}
        accounts = {a.name: a.account_id for a in await client.list_accounts()}
        e1, e2, e3 = (last[accounts[n]] for n in ("eval-1", "eval-2", "eval-3"))
        assert e1 is not None and (e1.status, e1.quantity) == (CopyStatus.PLACED, 2)
        assert e2 is not None and (e2.status, e2.quantity, e2.contract_id[:3]) == (CopyStatus.PLACED, 10, "MNQ")
        assert e3 is not None and e3.status is CopyStatus.REFUSED and "needs a stop" in e3.detail
        outcomes = await client.list_copy_outcomes(group="evals")
        assert len(outcomes) == 3 and {o.source_ref for o in outcomes} == {f"account:{accounts['lead']}"}

    code, out, _ = await vigil("--target", vigil_server, "copy", "pause", "evals")
    assert code == exit_codes.OK and "PAUSED" in out
    code, out, _ = await vigil("--target", vigil_server, "--json", "copy", "show", "evals")
    assert code == exit_codes.OK and json.loads(out)["paused"] is True
    code, out, _ = await vigil("--target", vigil_server, "copy", "resume", "evals")
    assert code == exit_codes.OK and "active" in out
    code, out, _ = await vigil("--target", vigil_server, "copy", "list")
    assert code == exit_codes.OK and "evals" in out
    code, out, _ = await vigil(
        "--target", vigil_server, "copy", "create", "orb-copy", "--source", "orb", "--follow", "eval-1=3",
        "--follow", "eval-2=risk250+micros",
    )  # fmt: skip
    assert code == exit_codes.OK and "fixed 3" in out and "risk $250 micros" in out
    code, _, err = await vigil("--target", vigil_server, "copy", "create", "x", "--source", "orb", "--follow", "e=zz")
    assert code == exit_codes.INVALID_ARGUMENT and "follow" in err

    def sync_calls() -> None:
        with VigilSyncClient(vigil_server) as client:
            assert {g.name for g in client.list_copy_groups()} == {"evals", "orb-copy"}
            changed = client.update_copy_group("orb-copy", name="orb-2", followers=[CopyFollower.fixed("eval-3", 1)])
            assert (changed.name, len(changed.followers)) == ("orb-2", 1)
            assert client.delete_copy_group("orb-2").name == "orb-2"
            assert len(client.list_copy_outcomes(group="evals", limit=2)) == 2

    await asyncio.to_thread(sync_calls)
    code, out, _ = await vigil("--target", vigil_server, "copy", "outcomes", "evals")
    assert code == exit_codes.OK and "placed" in out and "refused" in out


README = Path(__file__).resolve().parents[3] / "README.md"


async def test_the_readme_copy_trading_example_runs_as_written(vigil_server: str) -> None:
    readme = await asyncio.to_thread(README.read_text)
    (block,) = [b for b in re.findall(r"^```python\n(.*?)^```$", readme, re.MULTILINE | re.DOTALL) if "copy_group" in b]
    env = {**os.environ, "VIGIL_TARGET": vigil_server}
    env.pop("VIGIL_API_KEY", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-", env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(block.encode()), 60)
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert len(lines) == 2 and all("placed" in line for line in lines), lines
