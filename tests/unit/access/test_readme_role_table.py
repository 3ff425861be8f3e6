"""The README's role table is the access table: every RPC under its least role, nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from core_server.access.keys import Role
from core_server.api.access import METHOD_ROLES

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_role_table_matches_the_access_table() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- role-table:")
    table = text[start:].split("\n\n", 1)[0]  # the comment line, then the table up to the blank line
    rows = [line for line in table.splitlines()[1:] if line.startswith("| `")]
    documented: dict[str, Role] = {}
    for row in rows:
        service, *cells = [cell.strip() for cell in row.strip("|").split("|")]
        name = f"vigil.v1.{service.strip('`')}"
        for role, cell in zip(Role, cells, strict=True):
            for method in re.findall(r"`(\w+)`", cell):
                documented[f"/{name}/{method}"] = role
    assert documented == METHOD_ROLES
