"""Snapshots of every screen at 80x24 and 120x40 on the fake client (pytest-textual-snapshot).

The fake client's values are fixed and its clock stands still, no input has the focus (so no cursor blinks), and
each screen is shot only once every panel shows its data, so the pictures are the same on every run. Update them
after a deliberate change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.tui.layout_kit import SCREENS, SIZES, fake_app, show


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", SCREENS)
def test_screen(name: str, size: tuple[int, int], snap_compare: Callable[..., bool]) -> None:
    async def settle(pilot: Pilot[None]) -> None:
        await show(pilot, name)

    assert snap_compare(fake_app(), terminal_size=size, run_before=settle)
