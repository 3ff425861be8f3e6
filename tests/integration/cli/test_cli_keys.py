"""`vigil keys create|list|revoke|whoami` against a real server (no-key mode: the local admin makes the keys)."""

from __future__ import annotations

import json

from clients.cli import exit_codes
from tests.integration.cli.test_cli_market import vigil


async def test_create_list_revoke_and_whoami(vigil_server: str) -> None:
    code, out, _ = await vigil("--target", vigil_server, "keys", "create", "--name", "laptop", "--role", "trader",
                               "--accounts", "paper")  # fmt: skip
    assert code == exit_codes.OK
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("vgl_") and "role trader, paper" in out

    code, out, _ = await vigil("--target", vigil_server, "--api-key", secret, "keys", "whoami")
    assert (code, out.strip()) == (exit_codes.OK, "key:laptop (trader; paper)")

    code, out, _ = await vigil("--target", vigil_server, "--json", "keys", "create", "--name", "ci", "--role", "viewer")
    viewer = json.loads(out)["secret"]
    code, out, err = await vigil("--target", vigil_server, "--api-key", viewer, "keys", "list")
    assert code == exit_codes.PERMISSION and "PERMISSION_DENIED" in err and out == ""

    code, out, _ = await vigil("--target", vigil_server, "keys", "list")
    assert code == exit_codes.OK
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["NAME", "ROLE", "ACCOUNTS"]
    assert [line.split()[:3] for line in lines[1:]] == [["laptop", "trader", "paper"], ["ci", "viewer", "*"]]
    assert secret not in out and viewer not in out

    code, out, _ = await vigil("--target", vigil_server, "keys", "revoke", "laptop")
    assert (code, out.strip()) == (exit_codes.OK, "revoked key 'laptop' (trader)")
    code, _, err = await vigil("--target", vigil_server, "--api-key", secret, "keys", "whoami")
    assert code == exit_codes.PERMISSION and "UNAUTHENTICATED" in err
    code, out, _ = await vigil("--target", vigil_server, "--json", "keys", "list", "--all")
    assert [(k["name"], bool(k["revoked_ns"])) for k in json.loads(out)] == [("laptop", True), ("ci", False)]
    code, _, err = await vigil("--target", vigil_server, "keys", "revoke", "laptop")
    assert code == exit_codes.NOT_FOUND


async def test_quiet_prints_only_the_secret_and_a_bad_name_is_invalid(vigil_server: str) -> None:
    code, out, _ = await vigil("--target", vigil_server, "keys", "create", "--name", "q", "--role", "admin", "--quiet")
    assert code == exit_codes.OK and out.strip().startswith("vgl_") and len(out.strip().splitlines()) == 1
    code, _, err = await vigil("--target", vigil_server, "keys", "create", "--name", "no spaces", "--role", "viewer")
    assert code == exit_codes.INVALID_ARGUMENT and "name" in err
