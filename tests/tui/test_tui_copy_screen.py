"""The Copy screen on the fake client: groups, the selected group's followers with their last outcomes, the
outcome feed, and `p` pausing or resuming the selected group."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.kit.eventually import eventually
from tests.tui.fake_client import FakeVigilClient
from tests.tui.layout_kit import fake_app, show


async def test_the_copy_screen_shows_followers_and_pauses_the_selected_group() -> None:
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await show(pilot, "copy")
        followers = screen.query_one("#copy-followers", DataTable)
        rows = [[str(cell) for cell in followers.get_row_at(i)] for i in range(followers.row_count)]
        assert [r[0] for r in rows] == ["eval-1", "eval-2", "eval-3"]
        assert "denied" in rows[2][2] and "daily loss" in rows[2][3]
        assert screen.query_one("#copy-outcomes", DataTable).row_count == 3

        await pilot.press("p")
        client = app.client
        assert isinstance(client, FakeVigilClient)
        await eventually(lambda: ("pause_copy_group", ("g-evals",)) in client.calls)
        groups = screen.query_one("#copy-groups", DataTable)
        await eventually(lambda: "PAUSED" in str(groups.get_row_at(0)[1]))

        await pilot.press("down")
        await eventually(lambda: str(followers.get_row_at(0)[0]) == "eval")
